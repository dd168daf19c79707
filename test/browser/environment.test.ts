// The environment page (issue 7) against the real park server with the
// demo's environment monitors (seeds/environment.yaml, recomputed every 10 s
// here): an hour of fence-line SO₂ at 450 µg/m³ (under the instant H of 500,
// over the hourly limit of 400) shows the hourly average at 450 in alarm on
// its tile, the limit with its basis, and a 24-hour trend against the limits.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { logInAs, useParkInBrowser } from '../harness/park-browser.js';
import { REPO_ROOT } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

const WAIT_MS = 40_000;
const ROLLUP_WAIT_MS = 100_000;
const zh = MESSAGES.zh;

const dir = tempDir('env-page');
const ENV_FILE = path.join(dir.path, 'environment.yaml');
writeFileSync(ENV_FILE, readFileSync(path.join(REPO_ROOT, 'seeds', 'environment.yaml'), 'utf8').replace('everySeconds: 60', 'everySeconds: 10'));

const { started, pages, screenshot } = useParkInBrowser({ server: { config: { environment: { monitors: ENV_FILE } } } });

describe('environment page', () => {
  it('shows the monitors with their averages in alarm, the limits with their basis and the trends against them', async () => {
    const { gateways: gw } = started();
    const now = Date.now();
    await gw.publish(
      'gw-b',
      Array.from({ length: 60 }, (_, m) => ({ id: 'park.env.so2', ts: now - (59 - m) * 60_000 - 1000, v: 450, q: 'good' as const })),
    );

    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'operator');
    await page.getByTestId('nav-environment').click();
    await page.locator('[data-testid="environment-page"][data-monitors="5"]').waitFor({ timeout: WAIT_MS });

    const so2 = page.getByTestId('env-monitor-park.env.so2');
    expect(await so2.textContent()).toContain(zh['environment.kind.fence-line']);
    expect(await so2.getByTestId('env-limit-park.env.so2.avg_1h').textContent()).toContain('H 400 µg/m³');
    expect(await so2.getByTestId('env-limit-park.env.so2.avg_1h').textContent()).toContain('GB 16297');

    // The hourly average's tile: 450, in alarm (H).
    const avg = so2.getByTestId('tile-park.env.so2.avg_1h');
    await expect.poll(async () => (await avg.getByTestId('tile-value').textContent()) ?? '', { timeout: WAIT_MS }).toContain('450');
    await expect.poll(async () => avg.getAttribute('data-alarm-id'), { timeout: WAIT_MS }).toBe('park.env.so2.avg_1h:h');
    expect(await avg.getAttribute('data-alarm-priority')).toBe('high');

    // The trend: the instant value and the average, the instant H and HH and the hourly limit as reference lines.
    const trend = so2.getByTestId('env-trend-park.env.so2');
    expect(await trend.getAttribute('data-limits')).toBe('3');
    // A 24-hour trend is read from the 1-minute rollup, which InfluxDB fills at the next minute.
    await expect.poll(async () => Number(await trend.getAttribute('data-points')), { timeout: ROLLUP_WAIT_MS }).toBeGreaterThan(0);
    expect(await trend.locator('.recharts-reference-line').count()).toBe(3);
    await screenshot(page, 'environment');
  }, 200_000);
});
