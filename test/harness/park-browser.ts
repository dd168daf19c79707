import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { dataTopic, encodeDataMessage, type Reading } from '@park/protocol';
import { launchChromium } from './chromium.js';
import { REPO_ROOT, startParkServer, type ParkServerOptions, type TestParkServer } from './park-server.js';

// Helpers for browser tests against the real park server: a fake gateway
// that publishes readings over MQTT, pages with their errors collected, the
// login, and finding a tile on the windowed wall.

export const TOPIC_ROOT = 'park/v1';

export const CONTROL_ROOM: BrowserContextOptions = { viewport: { width: 1920, height: 1080 }, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' };
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 3,
  timezoneId: 'Asia/Shanghai',
  locale: 'zh-CN',
};

export interface FakeGateways {
  /** Publishes readings as gateway `gatewayId` would (QoS 1, rising seq). */
  publish(gatewayId: string, readings: Reading[]): Promise<void>;
  close(): Promise<void>;
}

export async function connectFakeGateways(mqttUrl: string): Promise<FakeGateways> {
  const client: MqttClient = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
  const seqByGateway = new Map<string, number>();
  return {
    async publish(gatewayId, readings) {
      const seq = (seqByGateway.get(gatewayId) ?? 0) + 1;
      seqByGateway.set(gatewayId, seq);
      await client.publishAsync(dataTopic(TOPIC_ROOT, gatewayId), encodeDataMessage({ gateway: gatewayId, seq, readings }), { qos: 1 });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}

/** Browser contexts of one test file, closed together; page errors collected. */
export class PagePool {
  readonly errors: Error[] = [];
  private readonly contexts: BrowserContext[] = [];

  constructor(private readonly browser: () => Browser) {}

  async newPage(options: BrowserContextOptions = CONTROL_ROOM): Promise<Page> {
    const context = await this.browser().newContext({ acceptDownloads: true, ...options });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => this.errors.push(error));
    return page;
  }

  async closeAll(): Promise<void> {
    for (const context of this.contexts.splice(0)) await context.close().catch(() => {});
  }
}

export async function fillLogin(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** Opens `baseUrl` + `path` (e.g. `/#/alarms`), logs in as a demo user and waits for the live snapshot. */
export async function logInAs(page: Page, baseUrl: string, user: string, path = '/'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await fillLogin(page, user, `demo-${user}`);
  await page.locator('[data-testid="alarm-banner"][data-live="true"][data-known="true"]').waitFor({ timeout: 15_000 });
}

/** Scrolls the windowed wall until the tile of `id` is rendered; returns it. */
export async function findTile(page: Page, id: string): Promise<Locator> {
  const tile = page.getByTestId(`tile-${id}`);
  const scroller = page.getByTestId('wall-scroller');
  await scroller.evaluate((el) => el.scrollTo(0, 0));
  for (let step = 0; step < 200; step++) {
    if ((await tile.count()) > 0) {
      await tile.scrollIntoViewIfNeeded();
      return tile;
    }
    const atEnd = await scroller.evaluate((el) => {
      const before = el.scrollTop;
      el.scrollBy(0, el.clientHeight * 0.8);
      return el.scrollTop === before;
    });
    if (atEnd && (await tile.count()) === 0) break;
    await scroller.evaluate((el) => new Promise<void>((resolve) => el.ownerDocument.defaultView?.requestAnimationFrame(() => resolve())));
  }
  throw new Error(`tile ${id} not found on the wall`);
}

/** The computed CSS property of the element. */
export function cssOf(locator: Locator, property: string): Promise<string> {
  return locator.evaluate((el, name) => el.ownerDocument.defaultView?.getComputedStyle(el).getPropertyValue(name) ?? '', property);
}

/** Where browser tests put their screenshots (taken on every run). */
export const SCREENSHOTS = path.join(REPO_ROOT, '.tmp', 'screenshots');
const WEB_INDEX = path.join(REPO_ROOT, 'web', 'dist', 'index.html');

export interface ParkInBrowser {
  /** The real server, Chromium and the fake gateways, once `beforeAll` has run. */
  started(): { park: TestParkServer; browser: Browser; gateways: FakeGateways };
  pages: PagePool;
  screenshot(page: Page, name: string): Promise<void>;
}

/**
 * The set-up every browser suite against the real park server shares: the
 * server, Chromium and fake gateways started in `beforeAll`, closed in
 * `afterAll` (also when a test fails), and no page error allowed in any test.
 */
export function useParkInBrowser(options: { fullPageScreenshots?: boolean; server?: ParkServerOptions } = {}): ParkInBrowser {
  let park: TestParkServer | undefined;
  let browser: Browser | undefined;
  let gateways: FakeGateways | undefined;
  const started = (): { park: TestParkServer; browser: Browser; gateways: FakeGateways } => {
    if (!park || !browser || !gateways) throw new Error('beforeAll did not finish');
    return { park, browser, gateways };
  };
  const pages = new PagePool(() => started().browser);

  beforeAll(async () => {
    if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run \`npm run build -w web\` first`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    park = await startParkServer(options.server);
    browser = await launchChromium();
    gateways = await connectFakeGateways(park.mqttUrl);
  });
  afterAll(async () => {
    await pages.closeAll();
    await browser?.close().catch(() => {});
    await gateways?.close().catch(() => {});
    await park?.stop();
  });
  afterEach(() => {
    const errors = pages.errors.splice(0).map(String);
    expect(errors).toEqual([]);
  });

  return {
    started,
    pages,
    screenshot: async (page, name) => {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: options.fullPageScreenshots ?? false });
    },
  };
}

/** `x,y x,y …` of an SVG polygon, back to plan metres (the map's SVG draws y = -north). */
export function planPoints(points: string | null): [number, number][] {
  return (points ?? '')
    .trim()
    .split(/\s+/)
    .map((pair) => {
      const [x, y] = pair.split(',').map(Number) as [number, number];
      return [x, -y];
    });
}
