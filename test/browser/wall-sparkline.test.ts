// Sparklines on the overview wall against the REAL park server: readings
// published over MQTT reach a tile, which draws the last minutes of its
// value as an inline SVG polyline (one point per 5 s of source time), with a
// gap where a reading was bad. Only the tiles in view draw one.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import { describe, expect, it } from 'vitest';
import { findTile, logInAs, useParkInBrowser } from '../harness/park-browser.js';

const WAIT_MS = 10_000;
const TAG = 'a.hs01.t102.pressure';

const { started, pages, screenshot } = useParkInBrowser();

describe('overview wall sparklines', () => {
  it('draws several points after a few updates, breaks the line at a bad reading, and only for tiles in view', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'operator');
    const tile = await findTile(page, TAG);
    const spark = tile.getByTestId('tile-spark');

    // Source times 10 s apart, each its own point; each waited for on the tile so none is coalesced away.
    const t0 = Date.now() - 60_000;
    const values: { v: number; q: 'good' | 'bad' }[] = [
      { v: 0.21, q: 'good' },
      { v: 0.24, q: 'good' },
      { v: 0.27, q: 'good' },
      { v: 0, q: 'bad' },
      { v: 0.31, q: 'good' },
      { v: 0.29, q: 'good' },
    ];
    for (const [i, { v, q }] of values.entries()) {
      await started().gateways.publish('gw-a', [{ id: TAG, ts: t0 + i * 10_000, v, q, ...(q === 'bad' ? { err: 'BadSensorFailure' } : {}) }]);
      const shown = q === 'bad' ? tile.and(page.locator('[data-quality="bad"]')) : tile.and(page.locator('[data-quality="good"]')).getByTestId('tile-value').filter({ hasText: v.toFixed(2) });
      await shown.waitFor({ timeout: WAIT_MS });
    }

    await expect.poll(() => spark.getAttribute('data-points'), { timeout: WAIT_MS }).toBe('5');
    // Two runs around the bad reading: 3 points, then 2.
    const runs = await spark.locator('polyline').evaluateAll((els) => els.map((el) => (el.getAttribute('points') ?? '').trim().split(/\s+/).length));
    expect(runs).toEqual([3, 2]);
    // Rising values draw upwards (SVG y grows downwards).
    const ys = await spark.locator('polyline').first().evaluate((el) => (el.getAttribute('points') ?? '').trim().split(/\s+/).map((p: string) => Number(p.split(',')[1])));
    expect(ys[0]).toBeGreaterThan(ys[2] ?? Infinity);
    expect(await spark.getAttribute('aria-label')).toBe('最近 5 分钟走势');
    await screenshot(page, 'wall-sparkline');

    // The wall is windowed: one sparkline per rendered tile, far fewer than the catalogue's tags.
    const rendered = await page.locator('.tile').count();
    expect(await page.getByTestId('tile-spark').count()).toBeLessThanOrEqual(rendered);
    const total = await page.evaluate(async () => ((await (await fetch('/api/tags')).json()) as unknown[]).length);
    expect(rendered).toBeLessThan(total);
  });
});
