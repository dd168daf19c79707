// Emergency command on a phone (issue 10) against the REAL park server
// (startParkServer(): real influxd, embedded broker, the server's alarm
// engine, the disposal cards and the site plan of seeds/).
//
// - No incident open: the commander starts one by hand from a card.
// - Wind from the west (4 m/s, 270°) and a chlorine level-2 reading at
//   hs01 (a.hs01.gd01 0.05 then 0.9 ppm): the chlorine card opens an
//   incident by itself. The command view lists it; its page shows the
//   card's steps with post, time limit and valves, the 未核实 marker;
//   ticking step 1 with a comment shows the user, the time and the comment;
//   the map draws the isolation circle and the protective sector pointing
//   east (checked on the SVG's attributes, not pixels).
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { logInAs, PHONE, SCREENSHOTS, useParkInBrowser, planPoints } from '../harness/park-browser.js';

/** Incidents are polled every 3 s, the zone every 10 s: well within this. */
const WAIT_MS = 20_000;

const zh = MESSAGES.zh;
const CHLORINE_CARD = 'hs01-chlorine-leak';
const MANUAL_CARD = 'hs04-methanol-spill';
const COMMENT = '中控已确认 GD01 报警，已报告值班长';

const { started, pages, screenshot } = useParkInBrowser({ fullPageScreenshots: true });

function noSidewaysScroll(page: Page): Promise<boolean> {
  return page.locator('html').evaluate((el) => el.scrollWidth <= (el.ownerDocument.defaultView?.innerWidth ?? 0) + 1);
}

describe('emergency command on a phone', () => {
  it('starts an incident by hand from a card when none is open', async () => {
    const page = await pages.newPage(PHONE);
    await logInAs(page, started().park.url, 'commander');
    const section = page.locator('[data-testid="command-incidents"][data-count="0"]');
    await section.waitFor({ timeout: WAIT_MS });
    await page.getByTestId('command-start-incident').tap();
    await page.getByTestId('command-start-card').selectOption(MANUAL_CARD);
    await page.getByTestId('command-start-note').fill('演练：手动启动');
    await page.getByTestId('command-start-submit').tap();

    const incident = page.locator('[data-testid="incident-page"][data-state="open"]');
    await incident.waitFor({ timeout: WAIT_MS });
    expect(page.url()).toContain('#/incident/inc-');
    expect(await page.getByTestId('incident-title').textContent()).toContain('甲醇');
    expect(await page.locator('[data-testid="timeline-opened"]').count()).toBe(1);
    // Back on the command view it is listed.
    await page.getByTestId('incident-back').tap();
    await page.locator(`[data-testid="command-incidents"] [data-card-id="${MANUAL_CARD}"]`).waitFor({ timeout: WAIT_MS });
  });

  it('a chlorine level-2 reading opens the card; steps, tick-off, and the zone pointing downwind', async () => {
    const { gateways: gw } = started();
    const page = await pages.newPage(PHONE);
    await logInAs(page, started().park.url, 'commander');
    await page.getByTestId('command-view').waitFor({ timeout: WAIT_MS });

    // Wind from the west: the zone must point east.
    await gw.publish('gw-b', [
      { id: 'park.weather.wind_speed', ts: Date.now(), v: 4, q: 'good' },
      { id: 'park.weather.wind_direction', ts: Date.now(), v: 270, q: 'good' },
    ]);
    await gw.publish('gw-a', [{ id: 'a.hs01.gd01', ts: Date.now(), v: 0.05, q: 'good' }]);
    await gw.publish('gw-a', [{ id: 'a.hs01.gd01', ts: Date.now(), v: 0.9, q: 'good' }]);

    // The incident appears on the command view, newest first (above the manual one).
    const item = page.locator(`[data-testid="command-incidents"] li[data-card-id="${CHLORINE_CARD}"]`);
    await item.waitFor({ timeout: WAIT_MS });
    expect(await page.locator('[data-testid="command-incidents"] li[data-card-id]').first().getAttribute('data-card-id')).toBe(CHLORINE_CARD);
    expect(await item.textContent()).toContain('液氯储罐泄漏应急处置卡');
    expect(await item.textContent()).toContain('system');
    // The installation's line in the incident feed: critical, caused by the detector's level-2 alarm.
    const feedLine = page.locator('[data-testid="command-feed-hs01"][data-priority="critical"]');
    await feedLine.waitFor({ timeout: WAIT_MS });
    expect(await feedLine.getByTestId('command-feed-cause').textContent()).toContain(zh['feed.cause.first']);
    expect(Number(await feedLine.getByTestId('command-feed-counts').getAttribute('data-alarms'))).toBeGreaterThanOrEqual(1);
    expect(await noSidewaysScroll(page)).toBe(true);
    await screenshot(page, 'incident-command-view-phone');

    await item.getByTestId('command-incident-link').tap();
    const incident = page.locator('[data-testid="incident-page"][data-state="open"]');
    await incident.waitFor({ timeout: WAIT_MS });

    // The card's ordered steps, with post, time limit and valves.
    const steps = page.getByTestId('incident-steps').locator('li[data-testid^="incident-step-"]');
    expect(await steps.count()).toBe(7);
    const step1 = page.getByTestId('incident-step-1');
    expect(await step1.textContent()).toContain('中控室操作员');
    expect(await step1.textContent()).toContain(zh['incident.step.limit'].replace('{n}', '2'));
    const step2 = page.getByTestId('incident-step-2');
    expect(await step2.getByTestId('valve-t101-inlet').getAttribute('data-position')).toMatch(/^(open|closed|travel|mismatch|unknown)$/);
    // The recalled ERG distances and the SDS text are marked as not verified.
    expect(await page.getByTestId('card-not-verified').textContent()).toContain(zh['incident.notVerified']);
    expect(await page.getByTestId('card-zone-not-verified').textContent()).toContain(zh['incident.notVerified']);
    expect(await page.getByTestId('incident-assembly').textContent()).toContain('甲公司西侧紧急集合点');
    expect(await page.getByTestId('incident-contacts').textContent()).toContain('119');
    expect(await page.getByTestId('incident-ppe').textContent()).toContain('正压式空气呼吸器');
    expect(await page.getByTestId('incident-substance').textContent()).toContain('7782-50-5');

    // Tick step 1 with a comment: who and when are shown, and the comment.
    await step1.getByTestId('incident-step-tick').tap();
    await step1.getByTestId('incident-step-comment-input').fill(COMMENT);
    await step1.getByTestId('incident-step-submit').tap();
    await page.locator('[data-testid="incident-step-1"][data-done="true"]').waitFor({ timeout: WAIT_MS });
    const status = await step1.getByTestId('incident-step-status').textContent();
    expect(status).toContain('commander');
    expect(status).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\+8/);
    await step1.getByTestId('incident-step-comment').waitFor({ timeout: WAIT_MS });
    expect(await step1.getByTestId('incident-step-comment').textContent()).toContain(COMMENT);
    expect(await page.getByTestId('incident-step-2').getAttribute('data-done')).toBe('false');

    // The map: isolation circle around the release point, protective sector to the east.
    const sector = page.locator('[data-testid="map-protective"][data-shape="sector"]');
    await sector.waitFor({ timeout: WAIT_MS });
    expect(Number(await sector.getAttribute('data-downwind-deg'))).toBe(90);
    const release = page.getByTestId('map-release');
    const rx = Number(await release.getAttribute('cx'));
    const ry = -Number(await release.getAttribute('cy'));
    expect([rx, ry]).toEqual([200, 400]);
    const arc = planPoints(await sector.getAttribute('points')).slice(1);
    expect(arc.length).toBeGreaterThan(2);
    for (const [x, y] of arc) {
      expect(x).toBeGreaterThan(rx);
      // Within the sector's half-angle (≤ 45°) of due east.
      expect(Math.abs(y - ry)).toBeLessThanOrEqual(x - rx + 1e-6);
    }
    const isolation = planPoints(await page.getByTestId('map-isolation').getAttribute('points'));
    expect(isolation.length).toBeGreaterThanOrEqual(36);
    const radius = Number(await page.getByTestId('map-isolation').getAttribute('data-radius-m'));
    for (const [x, y] of isolation) expect(Math.abs(Math.hypot(x - rx, y - ry) - radius)).toBeLessThan(1);
    // The wind arrow turns to 90° and says the speed; the places inside are labelled.
    expect(await page.getByTestId('map-wind-arrow').getAttribute('data-to-deg')).toBe('90');
    expect(await page.getByTestId('map-wind').getAttribute('data-speed')).toBe('4');
    expect(await page.getByTestId('map-wind-time').textContent()).toMatch(/GMT\+8/);
    const ammonia = page.getByTestId('map-point-hs02');
    await ammonia.waitFor({ timeout: WAIT_MS });
    expect(await ammonia.textContent()).toContain('液氨储罐');
    expect(await page.getByTestId('map-inside-hs02').getAttribute('data-zone')).toBe('protective-action');

    // Zoom changes the view box; the page never scrolls sideways at 390 px.
    const svg = page.getByTestId('park-map-svg');
    const before = await svg.getAttribute('viewBox');
    await page.getByTestId('map-zoom-in').tap();
    await page.locator(`[data-testid="park-map-svg"]:not([viewBox="${before ?? ''}"])`).waitFor({ timeout: WAIT_MS });
    expect(await noSidewaysScroll(page)).toBe(true);
    await screenshot(page, 'incident-page-phone');
    await page.getByTestId('park-map-svg').screenshot({ path: path.join(SCREENSHOTS, 'incident-map-phone.png') });
    await page.getByTestId('incident-steps').screenshot({ path: path.join(SCREENSHOTS, 'incident-steps-phone.png') });
  });

  it('offers the disposal card an alarm opens, beside the alarm, and starts the response with it', async () => {
    const { gateways: gw } = started();
    const page = await pages.newPage(PHONE);
    await logInAs(page, started().park.url, 'commander');
    await page.getByTestId('command-view').waitFor({ timeout: WAIT_MS });
    // A methanol tank-farm detector over its level-2 set point: the methanol card matches but does not open by itself.
    await gw.publish('gw-b', [{ id: 'b.hs04.gd01', ts: Date.now(), v: 0, q: 'good' }]);
    await gw.publish('gw-b', [{ id: 'b.hs04.gd01', ts: Date.now(), v: 60, q: 'good' }]);
    const card = page.locator('[data-testid="command-alarm-b.hs04.gd01:hh"] [data-testid="alarm-card-link"][data-card-id="hs04-methanol-spill"]');
    await card.waitFor({ timeout: WAIT_MS });
    expect(await card.textContent()).toContain('甲醇');
    await card.getByTestId('alarm-card-open').tap();
    await page.locator('[data-testid="incident-page"][data-state="open"]').waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId('incident-title').textContent()).toContain('甲醇');

    // The alarm list (the alarm's detail) offers the same card.
    const list = await pages.newPage();
    await logInAs(list, started().park.url, 'operator', '/#/alarms');
    await list.locator('[data-testid="alarm-row-b.hs04.gd01:hh"] [data-testid="alarm-card-link"][data-card-id="hs04-methanol-spill"]').waitFor({ timeout: WAIT_MS });
  });
});
