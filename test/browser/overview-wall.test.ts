// The display against the REAL park server (startParkServer(): real influxd,
// embedded broker) in headless Chromium: login and its errors, the overview
// wall fed over Socket.IO by readings published over MQTT (value, unit,
// limit state, bad quality, discrete words, stale), the live link lost and
// regained without a reload, logout, and the phone layout.
//
// Needs `web/dist` (`npm run build -w web`) before the server starts; this
// file builds nothing. Screenshots go to .tmp/screenshots/.

import { mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, BrowserContext, BrowserContextOptions, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dataTopic, encodeDataMessage, type Reading } from '@park/protocol';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { launchChromium } from '../harness/chromium.js';
import { findTile } from '../harness/park-browser.js';
import { REPO_ROOT, startParkServer, type TestParkServer } from '../harness/park-server.js';

const WEB_INDEX = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));
/** Screenshots of the main screens, on every run (`.tmp/` is git-ignored, beside vitest's report). */
const SCREENSHOTS = path.join(REPO_ROOT, '.tmp', 'screenshots');
const TOPIC_ROOT = 'park/v1';
/** Socket.IO pushes every 250 ms, then one animation frame: well within this. */
const UPDATE_WAIT_MS = 10_000;

const zh = MESSAGES.zh;
const en = MESSAGES.en;

const CONTROL_ROOM: BrowserContextOptions = { viewport: { width: 1920, height: 1080 }, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' };
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 3,
  timezoneId: 'Asia/Shanghai',
  locale: 'zh-CN',
};

let park: TestParkServer | undefined;
let browser: Browser | undefined;
let gateway: MqttClient | undefined;
const seqByGateway = new Map<string, number>();
const contexts: BrowserContext[] = [];
const pageErrors: Error[] = [];

beforeAll(async () => {
  if (!(await stat(WEB_INDEX).catch(() => null))) throw new Error(`${WEB_INDEX} is missing: run \`npm run build -w web\` first`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  park = await startParkServer();
  browser = await launchChromium();
  gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
});

afterAll(async () => {
  // Each in its own step, so one failure does not leave the others running.
  await browser?.close().catch(() => {});
  await gateway?.endAsync(true).catch(() => {});
  await park?.stop();
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => {});
  const errors = pageErrors.splice(0).map(String);
  expect(errors).toEqual([]);
});

function started(): { park: TestParkServer; browser: Browser; gateway: MqttClient } {
  if (!park || !browser || !gateway) throw new Error('beforeAll did not finish');
  return { park, browser, gateway };
}

async function newPage(options: BrowserContextOptions = CONTROL_ROOM): Promise<Page> {
  const context = await started().browser.newContext(options);
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error));
  return page;
}

/** Publishes readings as gateway `gatewayId` would (QoS 1, rising seq). */
async function publish(gatewayId: string, readings: Reading[]): Promise<void> {
  const seq = (seqByGateway.get(gatewayId) ?? 0) + 1;
  seqByGateway.set(gatewayId, seq);
  await started().gateway.publishAsync(dataTopic(TOPIC_ROOT, gatewayId), encodeDataMessage({ gateway: gatewayId, seq, readings }), { qos: 1 });
}

async function fillLogin(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** Opens the display (`query` e.g. `?staleAfterS=2`) and logs in; resolves when the wall has its snapshot. */
async function logIn(page: Page, user = 'operator', query = ''): Promise<void> {
  await page.goto(`${started().park.url}/${query}`);
  await fillLogin(page, user, `demo-${user}`);
  await page.locator('[data-testid="overview-wall"][data-ready="true"][data-live="true"]').waitFor({ timeout: 15_000 });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

describe('login', () => {
  it('says "wrong password" in words, and keeps the user on the login screen', async () => {
    const page = await newPage();
    await page.goto(started().park.url);
    await fillLogin(page, 'engineer', 'not-the-password');
    const error = page.locator('[data-testid="login-error"][data-reason="wrong-credentials"]');
    await error.waitFor({ timeout: 5_000 });
    expect(await error.textContent()).toContain(zh['login.error.wrong']);
    expect(await page.getByTestId('overview-wall').count()).toBe(0);
    await screenshot(page, 'login-wrong-password');
  });

  it('says how long to wait after too many failures', async () => {
    const page = await newPage();
    await page.goto(started().park.url);
    // The server allows 5 failures a minute per user and address; the next one waits.
    for (let attempt = 0; attempt < 10; attempt++) {
      await fillLogin(page, 'viewer', `wrong-${attempt}`);
      await page.locator('[data-testid="login-error"]').waitFor({ timeout: 5_000 });
      if ((await page.locator('[data-testid="login-error"][data-reason="throttled"]').count()) > 0) break;
      await page.getByTestId('login-submit').and(page.locator(':enabled')).waitFor();
    }
    const error = page.locator('[data-testid="login-error"][data-reason="throttled"]');
    await error.waitFor({ timeout: 5_000 });
    const text = (await error.textContent()) ?? '';
    expect(text).toMatch(/登录失败次数过多，请 \d+ 秒后再试/);
  });

  it('says the server is unreachable', async () => {
    const page = await newPage();
    await page.goto(started().park.url);
    await page.getByTestId('login-form').waitFor();
    await page.route('**/api/login', (route) => route.abort('connectionrefused'));
    await fillLogin(page, 'operator', 'demo-operator');
    const error = page.locator('[data-testid="login-error"][data-reason="unreachable"]');
    await error.waitFor({ timeout: 5_000 });
    expect(await error.textContent()).toContain(zh['api.error.network']);
  });
});

describe('overview wall (control room 1920x1080)', () => {
  it('logs in as operator and shows the user, the role, the live link and the grouped, named tags', async () => {
    const page = await newPage();
    await logIn(page);
    expect(await page.getByTestId('user-name').textContent()).toBe('operator');
    expect(await page.getByTestId('user-role').textContent()).toBe(zh['role.operator']);
    await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
    expect(await page.getByTestId('connection-status').textContent()).toContain(zh['conn.connected']);

    // Grouped site → hazard source → equipment, in the park model's order.
    const sites = await page.getByTestId('group-site').evaluateAll((els) => els.map((el) => el.getAttribute('data-group-id')));
    expect(sites[0]).toBe('a');
    // Headings carry the park model's names (snapshot `park`).
    expect(await page.locator('[data-testid="group-site"][data-group-id="a"]').textContent()).toContain('甲公司氯碱厂（a）');
    await page.locator('[data-testid="group-hazard"][data-group-id="hs01"]').waitFor();
    expect(await page.locator('[data-testid="group-hazard"][data-group-id="hs01"]').textContent()).toContain('液氯储罐区');
    await page.locator('[data-testid="group-equipment"][data-group-id="t101"]').waitFor();
    const tile = await findTile(page, 'a.hs01.t101.level');
    expect(await tile.locator('.tile__name').textContent()).toBe('1号液氯储罐液位');
    // Far down the wall: site b's LPG detectors, found by scrolling.
    const detector = await findTile(page, 'b.hs03.gd01');
    expect(await detector.locator('.tile__name').textContent()).toBe('球罐区可燃气体检测器1');

    const summary = await page.getByTestId('wall-summary').textContent();
    expect(summary).toMatch(/测点 \d+/);
    await screenshot(page, 'wall-control-room');
  });

  it('shows a published reading with its unit, its place against the limits in words, and the alarm colour the server decides', async () => {
    const page = await newPage();
    await logIn(page);
    const tile = await findTile(page, 'b.hs03.gd01');

    // 30 %LEL: above h (25), below hh (50): the server raises b.hs03.gd01:h (high).
    await publish('gw-b', [{ id: 'b.hs03.gd01', ts: Date.now(), v: 30, q: 'good' }]);
    await tile.and(page.locator('[data-limit="h"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await tile.getByTestId('tile-value').textContent()).toBe('30.0%LEL');
    expect(await tile.getByTestId('tile-status').textContent()).toContain(zh['tile.limit.h']);
    expect(await tile.getAttribute('data-quality')).toBe('good');
    // Colour from the alarm (--priority-high), never colour alone.
    await tile.and(page.locator('[data-alarm-id="b.hs03.gd01:h"][data-alarm-state="unack"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await tile.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).borderTopColor)).toBe('rgb(255, 154, 60)');
    expect(await tile.getByTestId('tile-status').textContent()).toContain(`${zh['alarm.priority.high']} · ${zh['alarm.state.unack']}`);

    // 55 %LEL: beyond hh: b.hs03.gd01:hh, critical (--priority-critical).
    await publish('gw-b', [{ id: 'b.hs03.gd01', ts: Date.now(), v: 55, q: 'good' }]);
    await tile.and(page.locator('[data-limit="hh"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await tile.getByTestId('tile-value').textContent()).toBe('55.0%LEL');
    expect(await tile.getByTestId('tile-status').textContent()).toContain(zh['tile.limit.hh']);
    await tile.and(page.locator('[data-alarm-priority="critical"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await tile.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).borderTopColor)).toBe('rgb(255, 77, 79)');
    await screenshot(page, 'wall-limit-hh');

    // Back in the band: no limit word; the alarms wait for acknowledgement (returned, unacknowledged).
    await publish('gw-b', [{ id: 'b.hs03.gd01', ts: Date.now(), v: 3, q: 'good' }]);
    await tile.and(page.locator('[data-limit="normal"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await tile.getByTestId('tile-value').textContent()).toBe('3.0%LEL');
    expect(await tile.getByTestId('tile-status').textContent()).not.toContain(zh['tile.limit.h']);
    await tile.and(page.locator('[data-alarm-state="rtn-unack"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await tile.getByTestId('tile-status').textContent()).toContain(zh['alarm.state.rtn-unack']);
  });

  it('shows bad quality with its reason and no value, and discrete points as words', async () => {
    const page = await newPage();
    await logIn(page);
    await publish('gw-b', [{ id: 'b.hs03.gd02', ts: Date.now(), v: 0, q: 'bad', err: 'modbus-exception-2' }]);
    const bad = await findTile(page, 'b.hs03.gd02');
    await bad.and(page.locator('[data-quality="bad"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await bad.getByTestId('tile-status').textContent()).toContain(`${zh['tile.quality.bad']}: modbus-exception-2`);
    expect(await bad.getByTestId('tile-value').textContent()).toBe('—');

    await publish('gw-a', [{ id: 'a.hs01.t101.sis_trip', ts: Date.now(), v: 1, q: 'good' }]);
    const trip = await findTile(page, 'a.hs01.t101.sis_trip');
    await trip.and(page.locator('[data-attention="true"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await trip.getByTestId('tile-value').textContent()).toContain(zh['discrete.trip']);

    await page.getByTestId('lang-switch').locator('button[data-lang="en"]').click();
    await trip.getByTestId('tile-value').filter({ hasText: en['discrete.trip'] }).waitFor();
    expect(await trip.locator('.tile__name').textContent()).toBe('Chlorine tank T101 SIS trip');

    await publish('gw-a', [{ id: 'a.hs01.t101.sis_trip', ts: Date.now(), v: 0, q: 'good' }]);
    await trip.and(page.locator('[data-attention="false"]')).waitFor({ timeout: UPDATE_WAIT_MS });
    expect(await trip.getByTestId('tile-value').textContent()).toBe(en['discrete.normal']);
  });

  it('marks a value stale when it is not updated (window set to 2 s by URL), and fresh again on update', async () => {
    const page = await newPage();
    await logIn(page, 'operator', '?staleAfterS=2');
    const tile = await findTile(page, 'b.hs03.gd03');
    await publish('gw-b', [{ id: 'b.hs03.gd03', ts: Date.now(), v: 7, q: 'good' }]);
    await tile.getByTestId('tile-value').filter({ hasText: '7.0' }).waitFor({ timeout: UPDATE_WAIT_MS });
    await tile.and(page.locator('[data-stale="true"]')).waitFor({ timeout: 10_000 });
    expect(await tile.getByTestId('tile-status').textContent()).toContain(zh['tile.stale']);

    await publish('gw-b', [{ id: 'b.hs03.gd03', ts: Date.now(), v: 8, q: 'good' }]);
    await tile.and(page.locator('[data-stale="false"]')).getByTestId('tile-value').filter({ hasText: '8.0' }).waitFor({ timeout: UPDATE_WAIT_MS });
  });

  it('marks everything not live when the link drops, and recovers without a reload', async () => {
    const page = await newPage();
    // Proxy the Socket.IO link so the test can cut it: WebSocket frames pass
    // through; while cut, sockets are refused and polling requests fail.
    let cut = false;
    let upgraded = false;
    const links: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (cut) {
        void ws.close();
        return;
      }
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        // Engine.IO's "upgrade" packet: from here on the link runs over this socket.
        if (message === '5') upgraded = true;
        server.send(message);
      });
      server.onMessage((message) => ws.send(message));
      links.push({ page: ws, server });
    });
    await page.route('**/socket.io/**', (route) => (cut ? route.abort('connectionrefused') : route.continue()));
    await logIn(page);
    await expect.poll(() => upgraded, { timeout: 10_000 }).toBe(true);

    cut = true;
    for (const link of links.splice(0)) {
      await link.server.close();
      await link.page.close();
    }
    await page.locator('[data-testid="overview-wall"][data-live="false"]').waitFor({ timeout: 15_000 });
    const status = page.getByTestId('connection-status');
    expect(await status.getAttribute('data-state')).toBe('reconnecting');
    expect(await status.textContent()).toMatch(/自 \d{2}:\d{2}:\d{2} GMT\+8 起/);
    expect(await page.getByTestId('wall-not-live').textContent()).toContain(zh['wall.notLive']);
    await screenshot(page, 'wall-not-live');

    cut = false;
    await page.locator('[data-testid="overview-wall"][data-live="true"]').waitFor({ timeout: 20_000 });
    expect(await status.getAttribute('data-state')).toBe('connected');
    // Still fed: a new reading arrives on the recovered link.
    const tile = await findTile(page, 'b.hs03.gd04');
    await publish('gw-b', [{ id: 'b.hs03.gd04', ts: Date.now(), v: 12, q: 'good' }]);
    await tile.getByTestId('tile-value').filter({ hasText: '12.0' }).waitFor({ timeout: UPDATE_WAIT_MS });
  });

  it('logs out back to the login screen, and the session is gone after a reload', async () => {
    const page = await newPage();
    await logIn(page);
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('login-notice').textContent()).toBe(zh['login.notice.loggedOut']);
    expect(await page.getByTestId('overview-wall').count()).toBe(0);
    await page.reload();
    await page.getByTestId('login-form').waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('user-menu').count()).toBe(0);
  });
});

describe('overview wall (phone 390x844)', () => {
  it('renders the wall without horizontal overflow', async () => {
    const page = await newPage(PHONE);
    // A commander lands on the command view: the wall is asked for by its address.
    await page.goto(`${started().park.url}/#/overview`);
    await page.getByTestId('login-form').waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    await screenshot(page, 'login-phone');

    await fillLogin(page, 'commander', 'demo-commander');
    await page.locator('[data-testid="overview-wall"][data-ready="true"][data-live="true"]').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('user-role').textContent()).toBe(zh['role.commander']);
    await page.getByTestId('tile-a.hs01.t101.level').waitFor();
    expect(Number(await page.getByTestId('overview-wall').getAttribute('data-columns'))).toBeGreaterThanOrEqual(1);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    // Every rendered tile lies within the screen's width.
    const rightmost = await page.locator('.tile').evaluateAll((els) => Math.max(...els.map((el) => el.getBoundingClientRect().right)));
    expect(rightmost).toBeLessThanOrEqual(390);
    await screenshot(page, 'wall-phone');
  });
});
