// Issue 9, script in text: what gateways and people type reaches the control
// room as text, never as HTML. A tag announced only in a gateway's `meta`
// (description, unit, source), a reading's error text, and an
// acknowledgement comment carry `<img onerror>`, `<script>` and `<svg
// onload>`; the wall, the alarm list and the journal show them literally and
// nothing runs. Gateway ids cannot carry markup at all: the contract's id
// pattern refuses them, checked here too.
//
// Needs `web/dist` (`npm run build -w web`).

import type { Page } from 'playwright-core';
import mqtt from 'mqtt';
import { encodeMetaMessage, metaTopic } from '@park/protocol';
import { describe, expect, it } from 'vitest';
import { findTile, logInAs, TOPIC_ROOT, useParkInBrowser } from '../harness/park-browser.js';

const WAIT_MS = 10_000;

/** Each payload sets `window.__pwned` if it ever runs. */
const IMG = `<img src=x onerror="window.__pwned='img'">`;
const SCRIPT = `<script>window.__pwned='script'</script>`;
const SVG = `<svg onload="window.__pwned='svg'"></svg>`;

const EVIL_TAG = 'x.evil.t1';
const DESCRIPTION = `Tank ${IMG}${SCRIPT}`.slice(0, 256);
const UNIT = `<b>m</b>`;
const SOURCE = `${SVG}plc`;
const READING_ERR = `timeout ${IMG}`;
const DETECTOR = 'b.hs03.gd04';
const H = `${DETECTOR}:h`;
const COMMENT = `seen ${IMG} ${SCRIPT}`;

const { started, pages } = useParkInBrowser();

async function cookieOf(user: string): Promise<string> {
  const res = await fetch(`${started().park.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/**
 * Nothing ran and no element of the payloads exists anywhere in the page:
 * an `<img src=x>` parsed as HTML would be in the DOM even before its
 * onerror fired, so this needs no waiting.
 */
async function expectNoMarkupRan(page: Page): Promise<void> {
  const found = await page.locator('html').evaluate((root) => {
    const doc = root.ownerDocument;
    return {
      pwned: (doc.defaultView as unknown as { __pwned?: unknown } | null)?.__pwned ?? null,
      img: doc.querySelectorAll('img[src="x"], img[onerror]').length,
      script: [...doc.querySelectorAll('script')].filter((s) => s.textContent?.includes('__pwned')).length,
      svg: doc.querySelectorAll('svg[onload]').length,
      bold: [...doc.querySelectorAll('b')].filter((b) => b.textContent === 'm').length,
    };
  });
  expect(found).toEqual({ pwned: null, img: 0, script: 0, svg: 0, bold: 0 });
}

describe('script in text (issue 9)', () => {
  it('refuses a gateway id with markup at the contract, so it never reaches a display', async () => {
    const client = await mqtt.connectAsync(started().park.mqttUrl, { reconnectPeriod: 0 });
    const before = started().park.server.ingest.counters.messages;
    const rejectedBefore = Object.values(started().park.server.ingest.counters.rejected).reduce((a, b) => a + (b ?? 0), 0);
    const evil = `<img src=x onerror=alert(1)>`;
    // Topics built by hand: the contract's topic builders refuse such an id.
    await client.publishAsync(`${TOPIC_ROOT}/${evil}/status`, JSON.stringify({ gateway: evil, state: 'online', ts: Date.now(), version: '1', devices: {} }), { qos: 1 });
    await client.publishAsync(`${TOPIC_ROOT}/${evil}/meta`, JSON.stringify({ gateway: evil, ts: Date.now(), tags: [] }), { qos: 1 });
    await client.endAsync();
    await expect
      .poll(() => Object.values(started().park.server.ingest.counters.rejected).reduce((a, b) => a + (b ?? 0), 0), { timeout: WAIT_MS })
      .toBeGreaterThanOrEqual(rejectedBefore + 2);
    expect(started().park.server.ingest.counters.messages).toBe(before);
    const list = (await (await fetch(`${started().park.url}/api/gateways`, { headers: { cookie: await cookieOf('viewer') } })).json()) as unknown;
    expect(JSON.stringify(list)).not.toContain('<img');
  });

  it('shows a meta-only tag with markup in its description, unit, source and error as text on the wall', async () => {
    const client = await mqtt.connectAsync(started().park.mqttUrl, { reconnectPeriod: 0 });
    await client.publishAsync(
      metaTopic(TOPIC_ROOT, 'gw-x'),
      encodeMetaMessage({ gateway: 'gw-x', ts: Date.now(), tags: [{ id: EVIL_TAG, device: 'plc-x', kind: 'analog', unit: UNIT, description: DESCRIPTION, source: SOURCE }] }),
      { qos: 1, retain: true },
    );
    await client.endAsync();
    const viewer = await cookieOf('viewer');
    const described = async (): Promise<string | undefined> => {
      const tags = (await (await fetch(`${started().park.url}/api/tags`, { headers: { cookie: viewer } })).json()) as { id: string; description?: string }[];
      return tags.find((t) => t.id === EVIL_TAG)?.description;
    };
    // The server keeps the text as sent: escaping is the display's job.
    await expect.poll(described, { timeout: WAIT_MS }).toBe(DESCRIPTION);

    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'operator');
    await started().gateways.publish('gw-x', [{ id: EVIL_TAG, ts: Date.now(), v: 1, q: 'bad', err: READING_ERR }]);
    const tile = await findTile(page, EVIL_TAG);
    await expect.poll(async () => (await tile.textContent()) ?? '', { timeout: WAIT_MS }).toContain(READING_ERR);
    const text = (await tile.textContent()) ?? '';
    expect(text).toContain(DESCRIPTION);
    expect(await tile.innerHTML()).toContain('&lt;img src=x onerror=');
    await expectNoMarkupRan(page);
  });

  it('shows an acknowledgement comment with markup as text in the alarm list and the journal', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'operator', '/#/alarms');
    // 30 %LEL > h 25: the engine raises b.hs03.gd04:h.
    await started().gateways.publish('gw-b', [{ id: DETECTOR, ts: Date.now(), v: 30, q: 'good' }]);
    const row = page.getByTestId(`alarm-row-${H}`);
    await row.waitFor({ timeout: WAIT_MS });
    const ack = await page.evaluate(
      async ({ id, comment }) => {
        const r = await fetch(`/api/alarms/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ comment }) });
        return r.status;
      },
      { id: H, comment: COMMENT },
    );
    expect(ack).toBe(200);
    await row.and(page.locator('[data-state="acked"]')).waitFor({ timeout: WAIT_MS });
    expect(await row.getByTestId('alarm-comment').textContent()).toContain(COMMENT);
    await expectNoMarkupRan(page);

    await page.getByTestId('nav-journal').click();
    await page.getByTestId('journal-tag').fill(DETECTOR);
    const acked = page.locator(`[data-testid="journal-row"][data-alarm-id="${H}"][data-cause="ack"]`);
    // The journal is written to InfluxDB in the background: search until the acknowledgement is there.
    await expect
      .poll(
        async () => {
          await page.getByTestId('journal-search').click();
          await page.locator('[data-testid="journal-summary"], [data-testid="journal-error"]').first().waitFor({ timeout: WAIT_MS });
          return acked.count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    expect(await acked.textContent()).toContain(COMMENT);
    await expectNoMarkupRan(page);
  });
});
