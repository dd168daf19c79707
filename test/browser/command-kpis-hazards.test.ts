// The commander's view, first-out marking, the alarm-performance page and the
// hazard register against the REAL park server (startParkServer(): real
// influxd, embedded broker, the server's alarm engine and hazard register).
//
// - A commander on a phone lands on the command view, sees a critical alarm
//   (b.hs03.gd05 55 %LEL > hh 50) with its time and zone, and acknowledges it
//   with a comment.
// - An overfill-like cascade in hs04 (T303 level 88 % > h 85, then its
//   high-high trip) marks the level alarm first-out: the list and the banner
//   say 首出 in words.
// - The KPI page shows numbers for site b after those alarms.
// - The hazard register lists hs01–hs04 with levels 1, 3, 2, 2; a unit's
//   detail shows every calculation step and links to its reports.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import type { Page } from 'playwright-core';
import type { AlarmEvent } from '@park/protocol';
import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { logInAs, PHONE, useParkInBrowser } from '../harness/park-browser.js';

/** Socket.IO pushes every 250 ms and the engine evaluates each reading at once: well within this. */
const WAIT_MS = 10_000;
/** The journal reaches InfluxDB in batches: the KPI report may need a few recomputations. */
const JOURNAL_WAIT_MS = 20_000;

const zh = MESSAGES.zh;

const DETECTOR = 'b.hs03.gd05';
const HH = `${DETECTOR}:hh`;
const T303_LEVEL = 'b.hs04.t303.level';
const T303_H = `${T303_LEVEL}:h`;
const T303_TRIP = 'b.hs04.t303.hh_trip';
const COMMENT = '已派消防队，现场关闭切断阀';

const { started, pages, screenshot } = useParkInBrowser({ fullPageScreenshots: true });

/** The server's active alarms, as the page's session sees them. */
function activeAlarms(page: Page): Promise<AlarmEvent[]> {
  return page.evaluate(async () => (await (await fetch('/api/alarms')).json()) as AlarmEvent[]);
}

describe('commander view (phone, 390 px)', () => {
  it('lands a commander on the command view; a critical alarm shows with its zone and is acknowledged with a comment', async () => {
    const page = await pages.newPage(PHONE);
    await logInAs(page, started().park.url, 'commander');
    await page.getByTestId('command-view').waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId('nav-command').getAttribute('aria-current')).toBe('page');

    // Every hazard source has its line with the static GB 18218 level (from the register).
    await page.locator('[data-testid="command-source-hs01"][data-level="1"]').waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId('command-source-hs01').getByTestId('hazard-level').textContent()).toContain('一级重大危险源');

    // 55 %LEL > hh 50: critical.
    await started().gateways.publish('gw-b', [{ id: DETECTOR, ts: Date.now(), v: 55, q: 'good' }]);
    const card = page.getByTestId(`command-alarm-${HH}`);
    await card.waitFor({ timeout: WAIT_MS });
    expect(await card.getAttribute('data-priority')).toBe('critical');
    expect(await card.getByTestId('command-alarm-text').textContent()).toContain('55.0 %LEL');
    expect(await card.getByTestId('command-alarm-time').textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\+8/);
    // hs03's line counts it.
    await page.locator('[data-testid="command-source-hs03"] [data-testid="command-source-alarms"]:not([data-unack="0"])').waitFor({ timeout: WAIT_MS });

    // A large touch target, and the page does not scroll sideways on the phone.
    const ack = card.getByTestId('command-ack');
    const box = await ack.boundingBox();
    expect(box?.height ?? 0).toBeGreaterThanOrEqual(44);
    expect(await page.locator('html').evaluate((el) => el.scrollWidth <= (el.ownerDocument.defaultView?.innerWidth ?? 0) + 1)).toBe(true);
    await screenshot(page, 'command-view-phone');

    // Two deliberate taps: open, comment, acknowledge.
    await ack.tap();
    await card.getByTestId('command-ack-comment').fill(COMMENT);
    await card.getByTestId('command-ack-submit').tap();
    // Acknowledged: it leaves the list of alarms awaiting acknowledgement.
    await card.waitFor({ state: 'detached', timeout: WAIT_MS });
    const alarm = (await activeAlarms(page)).find((a) => a.id === HH);
    expect(alarm?.state).toBe('acked');
    expect(alarm?.ackedBy).toBe('commander');
    expect(alarm?.comment).toBe(COMMENT);
  });
});

describe('first-out marking (control room)', () => {
  it('marks the H level alarm before the T303 trip as first-out, in the list and the banner, in words', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'operator', '/#/alarms');
    await started().gateways.publish('gw-b', [{ id: T303_LEVEL, ts: Date.now(), v: 88, q: 'good' }]);
    const row = page.getByTestId(`alarm-row-${T303_H}`);
    await row.waitFor({ timeout: WAIT_MS });
    expect(await row.getAttribute('data-first-out')).toBe('false');

    await started().gateways.publish('gw-b', [{ id: T303_TRIP, ts: Date.now(), v: 1, q: 'good' }]);
    await page.locator(`[data-testid="alarm-row-${T303_H}"][data-first-out="true"]`).waitFor({ timeout: WAIT_MS });
    expect(await row.getByTestId('first-out').textContent()).toContain(zh['alarm.firstOut']);
    const banner = page.locator(`[data-testid="banner-first-out"][data-alarm-id="${T303_H}"]`);
    await banner.waitFor({ timeout: WAIT_MS });
    expect(await banner.textContent()).toContain(zh['alarm.firstOut']);
    // The area comes from the event, not from the catalogue.
    expect(await row.locator('td').nth(3).textContent()).not.toBe('—');
    await screenshot(page, 'first-out');
  });
});

describe('alarm-performance page', () => {
  it('shows numbers for site b after the alarms above', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'engineer', '/#/kpis');
    const total = page.locator('[data-testid="kpi-area-b"] [data-testid="kpi-total"]');
    // Journal writes reach InfluxDB in batches: recompute until site b has its annunciations.
    const deadline = Date.now() + JOURNAL_WAIT_MS;
    for (;;) {
      await page.locator('[data-testid="kpi-page"]:is([data-state="ok"], [data-state="error"])').waitFor({ timeout: WAIT_MS });
      if ((await total.count()) > 0 && Number(await total.textContent()) >= 3) break;
      if (Date.now() > deadline) throw new Error(`no KPI numbers for site b: ${await page.getByTestId('kpi-page').textContent()}`);
      await page.getByTestId('kpi-reload').click();
    }
    const area = page.getByTestId('kpi-area-b');
    expect(await area.getByTestId('kpi-average').textContent()).toMatch(/\d+\.\d{2}/);
    await area.getByTestId('kpi-chart').locator('.recharts-bar-rectangle, .recharts-reference-line').first().waitFor({ timeout: WAIT_MS });
    expect(await area.getByTestId('kpi-top').locator('tbody tr[data-alarm-id]').count()).toBeGreaterThanOrEqual(1);
    expect(await area.getByTestId('kpi-priority').locator('tbody tr').count()).toBe(3);
    expect(await page.getByTestId('kpi-range').textContent()).toMatch(/GMT\+8.*GMT\+8/);
    expect(await page.getByTestId('kpi-truncated').count()).toBe(0);
    await screenshot(page, 'kpis');
  });
});

describe('hazard register', () => {
  it('lists hs01–hs04 with levels 1, 3, 2, 2; a unit shows every step and links its reports', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'viewer', '/#/hazards');
    await page.getByTestId('hazards-register').waitFor({ timeout: WAIT_MS });
    const levels: Record<string, string> = { hs01: '1', hs02: '3', hs03: '2', hs04: '2' };
    for (const [unit, level] of Object.entries(levels)) {
      expect(await page.getByTestId(`hazard-unit-${unit}`).getAttribute('data-level'), unit).toBe(level);
    }
    await screenshot(page, 'hazards-register');

    await page.getByTestId('hazard-unit-hs01').getByTestId('hazard-unit-link').click();
    const detail = page.locator('[data-testid="hazard-detail"][data-unit="hs01"]');
    await detail.getByTestId('hazard-steps').waitFor({ timeout: WAIT_MS });
    for (const step of ['hazard-step-terms', 'hazard-step-s', 'hazard-step-alpha', 'hazard-step-r', 'hazard-step-level']) {
      expect(await detail.getByTestId(step).count(), step).toBe(1);
    }
    expect(await detail.getByTestId('hazard-formula-s').textContent()).toMatch(/^S = /);
    expect(await detail.getByTestId('hazard-formula-r').textContent()).toMatch(/^R = α × Σβq\/Q = /);
    expect(await detail.getByTestId('hazard-conclusion').textContent()).toContain('一级');

    for (const [id, type] of [
      ['hazard-report-csv', 'text/csv'],
      ['hazard-report-html', 'text/html'],
    ] as const) {
      const href = await detail.getByTestId(id).getAttribute('href');
      expect(href).toBe(`/api/hazard-register/hs01/report.${id.endsWith('csv') ? 'csv' : 'html'}`);
      const answer = await page.evaluate(async (url) => {
        const r = await fetch(url);
        return { status: r.status, type: r.headers.get('content-type') ?? '' };
      }, href ?? '');
      expect(answer.status).toBe(200);
      expect(answer.type).toContain(type);
    }
    await screenshot(page, 'hazard-unit-hs01');
  });
});
