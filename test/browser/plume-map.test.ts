// The Gaussian plume on the commander's incident map (issue 10), against
// the real park server: wind from the west at 4 m/s with stability class D
// from the weather station, T101's level falling 0.5 %/min for five minutes
// (the release rate estimate), then a chlorine level-2 reading opens the
// chlorine card's incident by itself. The map draws the level-1 and level-2
// contours east of the release, beside it the inputs (rate from the level
// trend, class D from the station) marked as guidance; turning the wind to
// come from the south turns the contours to the north.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { logInAs, PHONE, useParkInBrowser, planPoints } from '../harness/park-browser.js';
import { REPO_ROOT } from '../harness/park-server.js';

/** Incidents are polled every 3 s, the zone every 10 s: well within this. */
const WAIT_MS = 25_000;
const zh = MESSAGES.zh;

const { started, pages, screenshot } = useParkInBrowser({ fullPageScreenshots: true });

describe('plume contours on the incident map', () => {
  it('draws the contours downwind with their inputs, and turns them with the wind', async () => {
    const { gateways: gw } = started();
    const now = Date.now();
    await gw.publish('gw-b', [
      { id: 'park.weather.wind_speed', ts: now, v: 4, q: 'good' },
      { id: 'park.weather.wind_direction', ts: now, v: 270, q: 'good' },
      { id: 'park.weather.stability_class', ts: now, v: 4, q: 'good' },
    ]);
    const t0 = now - 5 * 60_000;
    await gw.publish(
      'gw-a',
      [0, 1, 2, 3, 4, 5].map((m) => ({ id: 'a.hs01.t101.level', ts: t0 + m * 60_000, v: 60 - 0.5 * m, q: 'good' as const })),
    );
    await gw.publish('gw-a', [{ id: 'a.hs01.gd01', ts: Date.now(), v: 0.05, q: 'good' }]);
    await gw.publish('gw-a', [{ id: 'a.hs01.gd01', ts: Date.now(), v: 0.9, q: 'good' }]);

    const page = await pages.newPage(PHONE);
    await logInAs(page, started().park.url, 'commander');
    const item = page.locator('[data-testid="command-incidents"] li[data-card-id="hs01-chlorine-leak"]');
    await item.waitFor({ timeout: WAIT_MS });
    await item.getByTestId('command-incident-link').tap();

    // Both contours east of the release point (200, 400); level 1 (lower concentration) reaches farther.
    const l1 = page.getByTestId('map-plume-l1');
    const l2 = page.getByTestId('map-plume-l2');
    await l2.waitFor({ timeout: WAIT_MS });
    const release = page.getByTestId('map-release');
    const [rx, ry] = [Number(await release.getAttribute('cx')), -Number(await release.getAttribute('cy'))];
    expect([rx, ry]).toEqual([200, 400]);
    for (const contour of [l1, l2]) {
      const points = planPoints(await contour.getAttribute('points'));
      expect(points.length).toBeGreaterThan(4);
      for (const [x] of points) expect(x).toBeGreaterThanOrEqual(rx - 1);
    }
    expect(Number(await l1.getAttribute('data-distance-m'))).toBeGreaterThan(Number(await l2.getAttribute('data-distance-m')));

    // The inputs beside the map: the rate from the level trend, class D from the station, marked as guidance.
    const facts = page.locator('[data-testid="map-plume"][data-state="drawn"]');
    expect(await facts.getAttribute('data-stability')).toBe('D');
    expect(Number(await facts.getAttribute('data-rate-gs'))).toBeGreaterThan(7000);
    const text = (await facts.textContent()) ?? '';
    expect(text).toContain(zh['map.plume.guidance']);
    expect(text).toContain(zh['map.plume.rate.trend']);
    expect(text).toContain(zh['map.plume.stability.station']);
    expect(text).toContain(zh['incident.notVerified']);
    await screenshot(page, 'plume-map-phone');
    await page.getByTestId('park-map-svg').screenshot({ path: path.join(REPO_ROOT, '.tmp', 'screenshots', 'plume-map.png') });

    // Wind from the south: the contours turn to the north of the release.
    await gw.publish('gw-b', [
      { id: 'park.weather.wind_speed', ts: Date.now(), v: 4, q: 'good' },
      { id: 'park.weather.wind_direction', ts: Date.now(), v: 180, q: 'good' },
    ]);
    await page.locator('[data-testid="map-wind"][data-from-deg="180"]').waitFor({ timeout: WAIT_MS });
    for (const [x, y] of planPoints(await page.getByTestId('map-plume-l2').getAttribute('points'))) {
      expect(y).toBeGreaterThanOrEqual(ry - 1);
      expect(Math.abs(x - rx)).toBeLessThan(y - ry + 50);
    }
  });
});
