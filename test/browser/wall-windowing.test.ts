// The overview wall with 5,000 tags, all updated through the real server
// (MQTT → server → Socket.IO → browser) in headless Chromium at 1920x1080:
// only the visible tiles are in the page, they show the newest values, and
// scrolling brings the far end of the wall in. How smooth it stays is
// measured by `npm run bench`, never asserted here.
//
// The 5,000 tags are announced in a gateway's retained `meta` message (they
// are not in the park model), so they share one group on the wall.

import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dataTopic, encodeDataMessage, encodeMetaMessage, metaTopic, type MetaTag, type Reading } from '@park/protocol';
import { launchChromium } from '../harness/chromium.js';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

const WEB_INDEX = fileURLToPath(new URL('../../web/dist/index.html', import.meta.url));
const TOPIC_ROOT = 'park/v1';
const GATEWAY = 'gw-bench';
const TAG_COUNT = 5_000;
/** A windowed wall draws a screenful of tiles; one that drew every tag would have 5,000. */
const MAX_TILES_IN_DOM = 600;

let park: TestParkServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let gateway: MqttClient | undefined;

const ids = Array.from({ length: TAG_COUNT }, (_, i) => `bench.d${String(Math.floor(i / 100)).padStart(2, '0')}.t${String(i).padStart(4, '0')}`);

beforeAll(async () => {
  if (!(await stat(WEB_INDEX).catch(() => null))) throw new Error(`${WEB_INDEX} is missing: run \`npm run build -w web\` first`);
  park = await startParkServer();
  browser = await launchChromium();
  gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
  const tags: MetaTag[] = ids.map((id, i) => ({
    id,
    device: `d${String(Math.floor(i / 100)).padStart(2, '0')}`,
    kind: 'analog',
    unit: 'kPa',
    description: `bench ${i}`,
    source: `modbus:bench/hr/${i}`,
  }));
  await gateway.publishAsync(metaTopic(TOPIC_ROOT, GATEWAY), encodeMetaMessage({ gateway: GATEWAY, ts: Date.now(), tags }), { qos: 1, retain: true });
});

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await gateway?.endAsync(true).catch(() => {});
  await park?.stop();
});

it(`draws only the visible tiles of ${TAG_COUNT} updating tags, with their newest values`, async () => {
  if (!park || !browser || !gateway) throw new Error('beforeAll did not finish');
  const client = gateway;

  // The catalogue must hold the bench tags before the page's snapshot.
  const login = await fetch(`${park.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'viewer', password: 'demo-viewer' }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  await expect
    .poll(async () => ((await (await fetch(`${park?.url}/api/tags`, { headers: { cookie } })).json()) as unknown[]).length, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(TAG_COUNT);

  context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  await page.goto(park.url);
  await page.getByTestId('login-username').fill('viewer');
  await page.getByTestId('login-password').fill('demo-viewer');
  await page.getByTestId('login-submit').click();
  await page.locator('[data-testid="overview-wall"][data-ready="true"][data-live="true"]').waitFor({ timeout: 15_000 });
  await page.getByTestId('wall-scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight / 2));

  let seq = 0;
  const publishAll = async (round: number): Promise<void> => {
    const ts = Date.now() + round;
    const readings: Reading[] = ids.map((id, i) => ({ id, ts, v: round * 1000 + i, q: 'good' }));
    await client.publishAsync(dataTopic(TOPIC_ROOT, GATEWAY), encodeDataMessage({ gateway: GATEWAY, seq: ++seq, readings }), { qos: 1 });
  };
  await publishAll(1);
  const probe = page.locator('[data-testid^="tile-bench."]').first();
  await probe.getByTestId('tile-value').filter({ hasText: /\d/ }).waitFor({ timeout: 10_000 });
  const before = await probe.getByTestId('tile-value').textContent();
  await publishAll(2);
  await probe.getByTestId('tile-value').filter({ hasNotText: before ?? '' }).waitFor({ timeout: 10_000 });
  // Round 2 gives tag i the value 2000 + i.
  const probeId = ((await probe.getAttribute('data-testid')) ?? '').replace(/^tile-/, '');
  expect(await probe.getByTestId('tile-value').textContent()).toContain(String(2000 + ids.indexOf(probeId)));

  const tilesInDom = await page.locator('.tile').count();
  expect(tilesInDom).toBeGreaterThan(0);
  expect(tilesInDom).toBeLessThanOrEqual(MAX_TILES_IN_DOM);

  // The far end of the wall comes in when scrolled to.
  await page.getByTestId('wall-scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.locator(`[data-testid="tile-${ids[TAG_COUNT - 1] ?? ''}"]`).waitFor({ timeout: 10_000 });
  expect(await page.locator('.tile').count()).toBeLessThanOrEqual(MAX_TILES_IN_DOM);
});
