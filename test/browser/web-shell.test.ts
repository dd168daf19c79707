// The web shell in headless Chromium, on a control-room wall (1920x1080) and
// on a commander's phone (390x844): title and language switch, the clock's
// zone, the health panel fed by /api/health, and "not live" when the API
// stops answering.
//
// Needs `web/dist` (`npm run build -w web`); this file builds nothing.
//
// The pages come from `startPageServer()` below: a small node:http server for
// web/dist with an /api/health whose answers the test controls. The failure
// tests need that control. It also answers `GET /api/me` as a logged-in
// operator (the display needs a session) and has no Socket.IO: the live link
// never comes up, which is the "not live" case of the header and the wall.
// The real server, login and the live wall are tested in overview-wall.test.ts.

import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { launchChromium } from '../harness/chromium.js';

const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const TITLE_ZH = '化工园区安全环保应急一体化平台';
const TITLE_EN = 'Chemical Park Safety, Environment & Emergency Platform';

/** Poll every 5 s, a 4 s request timeout, stale after 15 s: "not live" shows well within this. */
const NOT_LIVE_WAIT_MS = 20_000;
const LIVE_WAIT_MS = 15_000;

// ---------------------------------------------------------------------------
// Page server: web/dist plus a controllable /api/health.

type HealthMode = 'ok' | 'hang' | 'http-error' | 'invalid';

interface PageServer {
  readonly url: string;
  setHealth(mode: HealthMode): void;
  stop(): Promise<void>;
}

const HEALTH_OK = {
  status: 'degraded',
  components: {
    influxdb: { status: 'ok' },
    mqtt: { status: 'degraded', detail: 'gateway gw-a offline' },
  },
};

const CONTENT_TYPES: Partial<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

async function sendFile(res: ServerResponse, file: string): Promise<boolean> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return false;
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
  });
  createReadStream(file).pipe(res);
  return true;
}

async function startPageServer(distDir: string): Promise<PageServer> {
  if (!(await stat(path.join(distDir, 'index.html')).catch(() => null))) {
    throw new Error(`${distDir}index.html is missing: run \`npm run build -w web\` first`);
  }
  let mode: HealthMode = 'ok';
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/api/me') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ user: 'operator', role: 'operator' }));
      return;
    }
    if (pathname.startsWith('/socket.io/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no Socket.IO here');
      return;
    }
    if (pathname === '/api/health') {
      switch (mode) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(JSON.stringify(HEALTH_OK));
          return;
        case 'hang':
          return; // never answers; closed by stop()
        case 'http-error':
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end('service unavailable');
          return;
        case 'invalid':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'fine', components: [] }));
          return;
      }
    }
    void (async () => {
      const file = path.join(distDir, path.normalize(decodeURIComponent(pathname)));
      if (file.startsWith(distDir) && (await sendFile(res, file))) return;
      // Single-page app: unknown non-API paths get the app.
      if (!pathname.startsWith('/api/') && (await sendFile(res, path.join(distDir, 'index.html')))) return;
      res.writeHead(404).end();
    })().catch((error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error))));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setHealth(next) {
      mode = next;
    },
    async stop() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections(); // including hung /api/health requests
      await closed;
    },
  };
}

// ---------------------------------------------------------------------------

const VIEWPORTS: ReadonlyArray<{ name: string; options: BrowserContextOptions }> = [
  { name: 'control room 1920x1080', options: { viewport: { width: 1920, height: 1080 } } },
  {
    name: 'phone 390x844',
    options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 },
  },
];

let browser: Browser | undefined;
let pages: PageServer | undefined;

beforeAll(async () => {
  pages = await startPageServer(WEB_DIST);
  browser = await launchChromium();
});

afterAll(async () => {
  // Each in its own step, so one failure does not leave the other running.
  await browser?.close().catch(() => {});
  await pages?.stop();
});

function started(): { browser: Browser; pages: PageServer } {
  if (!browser || !pages) throw new Error('beforeAll did not finish');
  return { browser, pages };
}

/** Waits until the element with `testId` contains `text`. */
async function waitForText(page: Page, testId: string, text: string, timeout?: number): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: text }).waitFor({ timeout });
}

/** Waits until the health panel is live (or not). */
async function waitForLive(page: Page, live: boolean, timeout: number): Promise<void> {
  await page.locator(`[data-testid="health-overall"][data-live="${live}"]`).waitFor({ timeout });
}

describe.each(VIEWPORTS)('web shell, $name', ({ options }) => {
  let context: BrowserContext;
  let page: Page;
  let pageErrors: Error[];

  beforeEach(async () => {
    const { browser, pages } = started();
    pages.setHealth('ok');
    // An English browser in China: Chinese must still be the default.
    context = await browser.newContext({ ...options, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(pages.url);
  });

  afterEach(async () => {
    await context?.close();
    expect(pageErrors.map(String)).toEqual([]);
  });

  it('shows the Chinese title by default, fits the screen', async () => {
    await waitForText(page, 'app-title', TITLE_ZH);
    expect(await page.getByTestId('app-title').textContent()).toBe(TITLE_ZH);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.title()).toBe(TITLE_ZH);
    // (A string: the test project's types have no DOM.)
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('switches to English and keeps it after a reload', async () => {
    await waitForText(page, 'app-title', TITLE_ZH);
    await page.getByTestId('lang-switch').locator('button[data-lang="en"]').click();
    await waitForText(page, 'app-title', TITLE_EN);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByTestId('lang-switch').locator('button[data-lang="en"]').getAttribute('aria-pressed')).toBe('true');

    await page.reload();
    await waitForText(page, 'app-title', TITLE_EN);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await waitForText(page, 'health-overall', MESSAGES.en['health.overall']);

    await page.getByTestId('lang-switch').locator('button[data-lang="zh"]').click();
    await waitForText(page, 'app-title', TITLE_ZH);
  });

  it('shows local time with the zone, ticking', async () => {
    const clock = page.getByTestId('clock');
    await clock.waitFor();
    const first = (await clock.textContent()) ?? '';
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\+8$/);
    await clock.filter({ hasNotText: first }).waitFor({ timeout: 5_000 });
  });

  it('renders every component that /api/health reports, in words', async () => {
    const { pages } = started();
    const expected = (await (await fetch(`${pages.url}/api/health`)).json()) as typeof HEALTH_OK;
    await waitForLive(page, true, LIVE_WAIT_MS);
    const overall = page.getByTestId('health-overall');
    expect(await overall.getAttribute('data-status')).toBe(expected.status);
    expect(await overall.textContent()).toContain(MESSAGES.zh[`health.status.${expected.status as 'ok'}`]);

    for (const [name, component] of Object.entries(expected.components)) {
      const row = page.getByTestId(`health-component-${name}`);
      await row.waitFor();
      expect(await row.getAttribute('data-status')).toBe(component.status);
      const text = (await row.textContent()) ?? '';
      expect(text).toContain(name);
      expect(text).toContain(MESSAGES.zh[`health.status.${component.status as 'ok'}`]);
    }
    expect(await page.locator('.health__updated time').textContent()).toMatch(/^\d{2}:\d{2}:\d{2} GMT\+8$/);
  });

  it('shows the live link as down since a time with its zone, and the wall as not live', async () => {
    const status = page.locator('[data-testid="connection-status"][data-state="reconnecting"]');
    await status.waitFor({ timeout: LIVE_WAIT_MS });
    const text = (await status.textContent()) ?? '';
    expect(text).toContain(MESSAGES.zh['conn.reconnecting']);
    expect(text).toMatch(/自 \d{2}:\d{2}:\d{2} GMT\+8 起/);
    const wall = page.locator('[data-testid="overview-wall"][data-live="false"]');
    await wall.waitFor();
    expect(await page.getByTestId('wall-not-live').textContent()).toContain(MESSAGES.zh['wall.notLive']);
    expect(await page.getByTestId('user-name').textContent()).toBe('operator');
  });

  it('says "not live" when the API stops answering, and recovers', async () => {
    const { pages } = started();
    await waitForLive(page, true, LIVE_WAIT_MS);

    pages.setHealth('hang');
    await waitForLive(page, false, NOT_LIVE_WAIT_MS);
    const overall = page.getByTestId('health-overall');
    expect(await overall.getAttribute('data-status')).toBe('not-live');
    expect(await overall.textContent()).toContain(MESSAGES.zh['health.notLive']);
    expect(await page.getByTestId('health-panel').textContent()).toContain(MESSAGES.zh['api.error.timeout']);
    // The last known rows stay, marked as such.
    expect(await page.locator('.health__components').getAttribute('data-stale')).toBe('true');
    await page.getByTestId('health-component-influxdb').waitFor();

    pages.setHealth('ok');
    await waitForLive(page, true, LIVE_WAIT_MS);
    expect(await page.locator('.health__components').getAttribute('data-stale')).toBe('false');
  });
});

describe('web shell, other API failures (control room)', () => {
  let context: BrowserContext;
  let page: Page;

  beforeEach(async () => {
    const { browser, pages } = started();
    pages.setHealth('ok');
    context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, timezoneId: 'Asia/Shanghai' });
    page = await context.newPage();
    await page.goto(pages.url);
    await waitForLive(page, true, LIVE_WAIT_MS);
  });

  afterEach(async () => {
    await context?.close();
  });

  it.each([
    { mode: 'http-error' as const, reason: MESSAGES.zh['api.error.http'].replace('{status}', '503') },
    { mode: 'invalid' as const, reason: MESSAGES.zh['api.error.invalid-response'] },
  ])('says "not live" on $mode', async ({ mode, reason }) => {
    const { pages } = started();
    pages.setHealth(mode);
    await waitForLive(page, false, NOT_LIVE_WAIT_MS);
    expect(await page.getByTestId('health-overall').textContent()).toContain(MESSAGES.zh['health.notLive']);
    expect(await page.getByTestId('health-panel').textContent()).toContain(reason);
  });
});
