// Trend zoom against the REAL park server: forty minutes of readings in
// InfluxDB; dragging across the chart draws the selection (a Recharts
// ReferenceArea), then fetches the history of the selected span again and
// shows only it; the reset button returns to the live hour.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { logInAs, useParkInBrowser } from '../harness/park-browser.js';

const WAIT_MS = 10_000;
const HOUR_MS = 3_600_000;
const TAG = 'a.hs01.t103.level';
const zh = MESSAGES.zh;

const { started, pages, screenshot } = useParkInBrowser();

function historyParams(url: string): { from: number; to: number } {
  const params = new URL(url).searchParams;
  return { from: Date.parse(params.get('from') ?? ''), to: Date.parse(params.get('to') ?? '') };
}

describe('trend zoom', () => {
  it('zooms into a dragged span with its history fetched again, and resets to the live hour', async () => {
    const now = Date.now();
    // One reading a minute for the last 40 minutes.
    await started().gateways.publish(
      'gw-a',
      Array.from({ length: 40 }, (_, i) => ({ id: TAG, ts: now - (40 - i) * 60_000, v: 40 + (i % 10), q: 'good' as const })),
    );
    expect(await started().park.server.ingest.drain()).toBe(true);

    const page = await pages.newPage();
    const requests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/history')) requests.push(request.url());
    });
    await logInAs(page, started().park.url, 'engineer', '/#/trends');
    await page.getByTestId('trend-search').fill('t103.lev');
    await page.getByTestId(`trend-add-${TAG}`).click();
    const trends = page.getByTestId('trends');
    const series = page.locator(`[data-testid="trend-series"][data-id="${TAG}"]`);
    await page.locator('[data-testid="trends"][data-load="done"]').waitFor({ timeout: WAIT_MS });
    expect(Number(await series.getAttribute('data-history-points'))).toBeGreaterThanOrEqual(40);
    await page.locator('.recharts-line-curve').first().waitFor();
    expect(await page.getByTestId('trend-zoom-reset').isDisabled()).toBe(true);

    // Drag across the middle of the chart.
    const box = await page.getByTestId('trend-chart').boundingBox();
    if (!box) throw new Error('no chart');
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.4, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.55, y, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.7, y, { steps: 5 });
    // The selection is drawn while dragging.
    await page.locator('.recharts-reference-area').waitFor({ timeout: WAIT_MS });
    const before = requests.length;
    await page.mouse.up();

    await page.locator('[data-testid="trends"][data-zoomed="true"][data-load="done"]').waitFor({ timeout: WAIT_MS });
    const from = Number(await trends.getAttribute('data-from'));
    const to = Number(await trends.getAttribute('data-to'));
    // About 30 % of the plotted hour (the plot is narrower than the box: a little more).
    expect(to - from).toBeGreaterThan(0.2 * HOUR_MS);
    expect(to - from).toBeLessThan(0.5 * HOUR_MS);
    expect(from).toBeGreaterThan(now - HOUR_MS);
    expect(to).toBeLessThan(Date.now());
    // Fetched again for exactly that span.
    expect(requests.length).toBeGreaterThan(before);
    expect(historyParams(requests[requests.length - 1] ?? '')).toEqual({ from, to });
    // Only the readings inside it: fewer than the forty, more than none.
    const zoomedPoints = Number(await series.getAttribute('data-history-points'));
    expect(zoomedPoints).toBeGreaterThan(0);
    expect(zoomedPoints).toBeLessThan(40);
    expect(await page.getByTestId('trend-zoomed').textContent()).toContain(zh['trends.zoomed']);
    expect(await page.locator('.recharts-reference-area').count()).toBe(0);
    await screenshot(page, 'trend-zoomed');

    await page.getByTestId('trend-zoom-reset').click();
    // The live hour again (the first render after the click may still show the zoomed span while the new request runs).
    await expect
      .poll(async () => ({
        load: await trends.getAttribute('data-load'),
        zoomed: await trends.getAttribute('data-zoomed'),
        span: Number(await trends.getAttribute('data-to')) - Number(await trends.getAttribute('data-from')),
        points: Number(await series.getAttribute('data-history-points')) >= 40,
      }), { timeout: WAIT_MS })
      .toEqual({ load: 'done', zoomed: 'false', span: HOUR_MS, points: true });
    expect(await page.getByTestId('trend-zoomed').count()).toBe(0);
  });
});
