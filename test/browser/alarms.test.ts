// Alarms in the display against the REAL park server (startParkServer():
// real influxd, embedded broker, the server's alarm engine): readings
// published over MQTT raise alarms; the banner counts them and names the
// newest, the tile takes the alarm's priority colour and state; an operator
// acknowledges with a comment and shelves with a reason (a second page sees
// it); a viewer cannot; the journal lists the transitions and exports CSV;
// trends load history and append live values.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import type { AlarmEscalationEvent, AlarmEvent, AlarmFloodEvent } from '@park/protocol';
import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { cssOf, findTile, logInAs, PHONE, useParkInBrowser } from '../harness/park-browser.js';

/** Socket.IO pushes every 250 ms, the alarm engine evaluates each reading at once: well within this. */
const WAIT_MS = 10_000;

const zh = MESSAGES.zh;

/** styles.css --priority-high / --priority-critical. */
const HIGH_RGB = 'rgb(255, 154, 60)';
const CRITICAL_RGB = 'rgb(255, 77, 79)';

const DETECTOR = 'b.hs03.gd05';
const DETECTOR_NAME = '球罐区可燃气体检测器5';
const H = `${DETECTOR}:h`;
const HH = `${DETECTOR}:hh`;
const COMMENT = '已通知现场巡检，复核中';
const SHELVE_REASON = '检测器标定中';

const { started, pages, screenshot } = useParkInBrowser();

function row(page: Page, alarmId: string) {
  return page.getByTestId(`alarm-row-${alarmId}`);
}

/** The operator's page, kept across the tests of the alarm lifecycle (one login, like a console). */
let console_: Page | undefined;

describe('alarm lifecycle (control room 1920x1080)', () => {
  it('raises a high then a critical alarm: banner counts, newest alarm in words with its zone, tile in the alarm colour, a tone', async () => {
    const page = await pages.newPage();
    console_ = page;
    await logInAs(page, started().park.url, 'operator');
    const tile = await findTile(page, DETECTOR);

    // 30 %LEL > h 25: the engine raises b.hs03.gd05:h, priority high (GDS level 1).
    await started().gateways.publish('gw-b', [{ id: DETECTOR, ts: Date.now(), v: 30, q: 'good' }]);
    const newest = page.getByTestId('banner-newest');
    await page.locator(`[data-testid="banner-newest"][data-alarm-id="${H}"]`).waitFor({ timeout: WAIT_MS });
    expect(Number(await page.getByTestId('banner-priority-high').getAttribute('data-count'))).toBeGreaterThanOrEqual(1);
    expect(Number(await page.getByTestId('banner-state-unack').getAttribute('data-count'))).toBeGreaterThanOrEqual(1);
    const text = (await page.getByTestId('banner-newest-text').textContent()) ?? '';
    expect(text).toContain(DETECTOR_NAME);
    expect(text).toContain(zh['alarm.kind.h']);
    expect(text).toContain('30.0 %LEL');
    expect(await page.getByTestId('banner-newest-time').textContent()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\+8$/);
    expect(await newest.getAttribute('data-priority')).toBe('high');

    // The tile: coloured by the alarm (priority + state), in words too.
    await tile.and(page.locator(`[data-alarm-id="${H}"][data-alarm-state="unack"]`)).waitFor({ timeout: WAIT_MS });
    expect(await tile.getAttribute('data-alarm-priority')).toBe('high');
    expect(await cssOf(tile, 'border-top-color')).toBe(HIGH_RGB);
    expect(await tile.getByTestId('tile-status').textContent()).toContain(`${zh['alarm.priority.high']} · ${zh['alarm.state.unack']}`);

    // The login click unlocked audio: the new high alarm sounded.
    const sound = page.getByTestId('banner-sound');
    await expect.poll(() => sound.getAttribute('data-readiness'), { timeout: WAIT_MS }).toBe('ready');
    await expect.poll(async () => Number(await sound.getAttribute('data-played')), { timeout: WAIT_MS }).toBeGreaterThanOrEqual(1);

    // 55 %LEL > hh 50: b.hs03.gd05:hh, critical (GDS level 2): the tile turns critical, the banner names it.
    await started().gateways.publish('gw-b', [{ id: DETECTOR, ts: Date.now(), v: 55, q: 'good' }]);
    await page.locator(`[data-testid="banner-newest"][data-alarm-id="${HH}"]`).waitFor({ timeout: WAIT_MS });
    expect(Number(await page.getByTestId('banner-priority-critical').getAttribute('data-count'))).toBeGreaterThanOrEqual(1);
    await tile.and(page.locator(`[data-alarm-id="${HH}"][data-alarm-priority="critical"]`)).waitFor({ timeout: WAIT_MS });
    expect(await cssOf(tile, 'border-top-color')).toBe(CRITICAL_RGB);
    expect(await tile.getByTestId('tile-status').textContent()).toContain('+1');
    await screenshot(page, 'alarm-banner-and-tile');

    // The alarm text follows the interface language (the server's message is in one language only).
    await page.getByTestId('lang-switch').locator('button[data-lang="en"]').click();
    await page.getByTestId('banner-newest-text').filter({ hasText: 'LPG area combustible detector GD05 high-high: 55.0 %LEL (limit 50.0 %LEL)' }).waitFor();
    await page.getByTestId('lang-switch').locator('button[data-lang="zh"]').click();
    await page.getByTestId('banner-newest-text').filter({ hasText: DETECTOR_NAME }).waitFor();

    // Mute shows that it is muted, and until when; unmute again.
    await sound.click();
    await page.locator('[data-testid="banner-sound"][data-muted="true"]').waitFor();
    expect(await sound.textContent()).toMatch(/已静音，至 \d{2}:\d{2}:\d{2} GMT\+8 自动恢复/);
    expect(await sound.getAttribute('aria-pressed')).toBe('true');
    await sound.click();
    await page.locator('[data-testid="banner-sound"][data-muted="false"]').waitFor();
  });

  it('lets an operator acknowledge with a comment; a second page (a viewer) sees the state change and cannot acknowledge', async () => {
    const page = console_;
    if (!page) throw new Error('the first test did not run');
    const viewer = await pages.newPage();
    await logInAs(viewer, started().park.url, 'viewer', '/#/alarms');
    await row(viewer, H).and(viewer.locator('[data-state="unack"]')).waitFor({ timeout: WAIT_MS });
    // The viewer: acknowledge and shelve disabled, and why.
    expect(await row(viewer, H).getByTestId('ack').isDisabled()).toBe(true);
    expect(await row(viewer, H).getByTestId('shelve').isDisabled()).toBe(true);
    expect(await viewer.getByTestId('role-note').textContent()).toContain('当前角色（只读用户）无权确认或搁置报警');
    expect(await viewer.getByTestId('ack-page').isDisabled()).toBe(true);
    // And the server refuses it too, whatever the page shows.
    const status = await viewer.evaluate(async (id) => {
      const response = await fetch(`/api/alarms/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return response.status;
    }, H);
    expect(status).toBe(403);

    // The operator, on the alarms page: filter, comment, acknowledge.
    await page.getByTestId('nav-alarms').click();
    await page.getByTestId('alarm-list').waitFor();
    await page.getByTestId('filter-priority').selectOption('high');
    await row(page, H).waitFor({ timeout: WAIT_MS });
    expect(await row(page, HH).count()).toBe(0);
    await page.getByTestId('ack-comment').fill(COMMENT);
    await row(page, H).getByTestId('ack').click();
    const result = page.locator(`[data-testid="action-result"][data-alarm-id="${H}"]`).first();
    await result.waitFor({ timeout: WAIT_MS });
    expect(await result.getAttribute('data-ok')).toBe('true');
    expect(await result.textContent()).toContain(zh['action.acked']);
    await row(page, H).and(page.locator('[data-state="acked"]')).waitFor({ timeout: WAIT_MS });
    expect(await row(page, H).getByTestId('alarm-comment').textContent()).toContain(COMMENT);
    expect(await row(page, H).textContent()).toContain('operator');

    // The viewer's page follows over its own socket.
    await row(viewer, H).and(viewer.locator('[data-state="acked"]')).waitFor({ timeout: WAIT_MS });
    expect(await row(viewer, H).getByTestId('alarm-state').textContent()).toContain(zh['alarm.state.acked']);
    await screenshot(page, 'alarms-acknowledged');

    // Acknowledging it again is refused by the server, and said in words.
    await page.getByTestId('filter-state').selectOption('acked');
    await row(page, H).waitFor();
    expect(await row(page, H).getByTestId('ack').isDisabled()).toBe(true);
  });

  it('lets an operator shelve with a duration and a reason, checks both first, and a commander may not shelve', async () => {
    const page = console_;
    if (!page) throw new Error('the first test did not run');
    await page.getByTestId('filter-priority').selectOption('critical');
    await page.getByTestId('filter-state').selectOption('all');
    await row(page, HH).waitFor({ timeout: WAIT_MS });
    await row(page, HH).getByTestId('shelve').click();
    const form = row(page, HH).getByTestId('shelve-form');
    // Out of range and no reason: refused here, in words, before any request.
    await form.getByTestId('shelve-minutes').fill('0');
    await form.getByTestId('shelve-submit').click();
    expect(await form.getByTestId('shelve-error').textContent()).toBe('时长须为 1 到 720 之间的整数分钟');
    await form.getByTestId('shelve-minutes').fill('45');
    await form.getByTestId('shelve-submit').click();
    expect(await form.getByTestId('shelve-error').textContent()).toBe(zh['alarms.shelve.noReason']);
    await form.getByTestId('shelve-reason').fill(SHELVE_REASON);
    await form.getByTestId('shelve-submit').click();

    const result = page.locator(`[data-testid="action-result"][data-alarm-id="${HH}"]`).first();
    await result.waitFor({ timeout: WAIT_MS });
    expect(await result.getAttribute('data-ok')).toBe('true');
    expect(await result.textContent()).toContain('已搁置 45 分钟');
    await row(page, HH).and(page.locator('[data-state="shelved"]')).waitFor({ timeout: WAIT_MS });
    expect(await row(page, HH).getByTestId('alarm-state').textContent()).toMatch(/已搁置至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\+8/);
    expect(Number(await page.getByTestId('banner-state-shelved').getAttribute('data-count'))).toBeGreaterThanOrEqual(1);

    // A commander acknowledges but does not shelve: disabled, with the reason.
    const commander = await pages.newPage(PHONE);
    await logInAs(commander, started().park.url, 'commander', '/#/alarms');
    await row(commander, H).waitFor({ timeout: WAIT_MS });
    expect(await row(commander, H).getByTestId('shelve').isDisabled()).toBe(true);
    expect(await commander.getByTestId('role-note').textContent()).toContain('当前角色（应急指挥）可以确认报警，但无权搁置报警');
    expect(await commander.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    await screenshot(commander, 'alarms-phone-commander');
  });

  it('lists the transitions in the journal and exports them as CSV (UTF-8 with BOM)', async () => {
    const page = console_;
    if (!page) throw new Error('the first test did not run');
    await page.getByTestId('nav-journal').click();
    await page.getByTestId('journal-tag').fill(DETECTOR);
    // The journal is written to InfluxDB in the background: search until the acknowledgement is there.
    await expect
      .poll(
        async () => {
          await page.getByTestId('journal-search').click();
          await page.locator('[data-testid="journal-summary"], [data-testid="journal-error"]').first().waitFor({ timeout: WAIT_MS });
          return page.locator(`[data-testid="journal-row"][data-cause="shelve"][data-alarm-id="${HH}"]`).count();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(1);
    expect(await page.locator(`[data-testid="journal-row"][data-alarm-id="${H}"][data-state="unack"]`).count()).toBe(1);
    const ack = page.locator(`[data-testid="journal-row"][data-alarm-id="${H}"][data-cause="ack"]`);
    expect(await ack.count()).toBe(1);
    expect(await ack.textContent()).toContain(COMMENT);
    expect(await ack.textContent()).toContain('operator');
    await screenshot(page, 'journal');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('journal-export').click()]);
    expect(download.suggestedFilename()).toMatch(/^alarm-journal-\d{8}-\d{6}\.csv$/);
    const bytes = await readFile(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.subarray(3).toString('utf8');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('时间,报警编号,测点编号,名称,优先级,原状态,新状态,原因,用户,备注,区域,值,限值,单位,报警内容');
    const ackLine = lines.find((line) => line.includes(`,${H},`) && line.includes(',确认,'));
    expect(ackLine).toContain(COMMENT);
    expect(ackLine).toContain(DETECTOR_NAME);
    expect(ackLine).toMatch(/GMT\+8/);
    expect(lines.some((line) => line.includes(SHELVE_REASON))).toBe(true);
  });
});

describe('flood and escalation notices', () => {
  it('shows a flood while a `flood` event says so, and an escalation until the alarm is acknowledged', async () => {
    const page = await pages.newPage();
    // Pass the Socket.IO link through, keeping a handle to push events to the page as the server would.
    let link: WebSocketRoute | undefined;
    let upgraded = false;
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        if (message === '5') upgraded = true;
        server.send(message);
      });
      server.onMessage((message) => ws.send(message));
      link = ws;
    });
    await logInAs(page, started().park.url, 'commander');
    await expect.poll(() => upgraded, { timeout: WAIT_MS }).toBe(true);
    const emit = (event: string, payload: unknown): void => link?.send(`42${JSON.stringify([event, payload])}`);

    const now = Date.now();
    const alarm: AlarmEvent = {
      id: 'b.hs03.gd06:hh',
      tagId: 'b.hs03.gd06',
      kind: 'hh',
      priority: 'critical',
      state: 'unack',
      value: 62,
      limit: 50,
      message: 'GD06 high high',
      raisedAt: now - 90_000,
      ts: now - 90_000,
    };
    emit('alarm', alarm);
    const escalation: AlarmEscalationEvent = { alarm, ts: now, unackedForMs: 90_000 };
    emit('escalation', escalation);
    const flood: AlarmFloodEvent = { type: 'flood-start', area: 'b', ts: now, count: 11, startedAt: now - 30_000, peak: 11 };
    emit('flood', flood);

    const floodNotice = page.locator('[data-testid="banner-flood"][data-area="b"]');
    await floodNotice.waitFor({ timeout: WAIT_MS });
    expect(await floodNotice.textContent()).toMatch(/报警泛滥：乙公司储运库区，自 \d{2}:\d{2}:\d{2} GMT\+8 起，10 分钟内 11 条报警（峰值 11）/);
    const escalated = page.locator('[data-testid="banner-escalation"][data-alarm-id="b.hs03.gd06:hh"]');
    await escalated.waitFor({ timeout: WAIT_MS });
    expect(await escalated.textContent()).toContain('已升级至应急指挥：球罐区可燃气体检测器6 高高报警：62.0 %LEL（限值 50.0 %LEL），2 分钟未确认');
    await screenshot(page, 'banner-flood-escalation');

    // Acknowledged: the escalation notice goes; flood-end: the flood notice goes.
    emit('alarm', { ...alarm, state: 'acked', ackedAt: now + 1, ackedBy: 'commander', ts: now + 1 });
    await escalated.waitFor({ state: 'detached', timeout: WAIT_MS });
    emit('flood', { ...flood, type: 'flood-end', ts: now + 2, count: 4 });
    await floodNotice.waitFor({ state: 'detached', timeout: WAIT_MS });
  });
});

describe('trends', () => {
  it('loads history for a tag after readings were published, draws limits, appends live values and exports CSV', async () => {
    const tagId = 'a.hs01.t101.level';
    const now = Date.now();
    // Ten minutes of readings, one a minute, inside the normal band.
    await started().gateways.publish(
      'gw-a',
      Array.from({ length: 10 }, (_, i) => ({ id: tagId, ts: now - (10 - i) * 60_000, v: 50 + i, q: 'good' as const })),
    );
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'engineer', '/#/trends');
    await page.getByTestId('trend-search').fill('t101.lev');
    await page.getByTestId(`trend-add-${tagId}`).click();
    await page.getByTestId('range-15m').click();
    const series = page.locator(`[data-testid="trend-series"][data-id="${tagId}"]`);
    // Written to InfluxDB in batches: reload until all ten are there.
    await expect
      .poll(
        async () => {
          await page.locator('[data-testid="trends"][data-load="done"], [data-testid="trends"][data-load="error"]').waitFor({ timeout: WAIT_MS });
          const n = Number(await series.getAttribute('data-history-points'));
          if (n < 10) await page.getByTestId('trend-reload').click();
          return n;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(10);
    await page.locator('.recharts-line-curve').first().waitFor();
    // Limits as reference lines with their names.
    await expect.poll(() => page.locator('.recharts-reference-line-line').count(), { timeout: WAIT_MS }).toBeGreaterThanOrEqual(4);
    expect(await page.getByTestId('trend-chart').textContent()).toContain('HH 85 %');

    // A live value is appended without reloading.
    const before = Number(await series.getAttribute('data-points'));
    await started().gateways.publish('gw-a', [{ id: tagId, ts: Date.now(), v: 61.5, q: 'good' }]);
    await expect.poll(async () => Number(await series.getAttribute('data-points')), { timeout: WAIT_MS }).toBeGreaterThan(before);
    await screenshot(page, 'trends');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('trend-export').click()]);
    const bytes = await readFile(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.subarray(3).toString('utf8');
    expect(csv.split('\r\n')[0]).toBe('时间,测点编号,名称,单位,平均值,最小值,最大值,质量（0 好，1 可疑，2 坏）');
    expect(csv).toContain(`,${tagId},1号液氯储罐液位,%,61.5,`);
  });
});
