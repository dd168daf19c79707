// The whole site plan on the incident map, against the REAL park server:
// the demo park map (seeds/park-map.yaml) with a `plan` section (site
// fences, roads, buildings, tanks) is served by GET /api/park-map, and the
// incident page draws it beneath the hazard zone, with every registered
// place, in plan coordinates (local metres, y = -north in the SVG).
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logInAs, useParkInBrowser } from '../harness/park-browser.js';
import { REPO_ROOT } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

const WAIT_MS = 10_000;

const PLAN = `
plan:
  sites:
    - { site: a, outline: [[-20, 80], [480, 80], [480, 660], [-20, 660]] }
    - { site: b, outline: [[760, -120], [1300, -120], [1300, 600], [760, 600]] }
  roads:
    - { id: road-main, name: { zh: 园区主干道, en: Park main road }, path: [[0, 0], [600, 0], [1300, 0]], widthM: 12 }
    - { id: road-a, path: [[250, 0], [250, 640]] }
  buildings:
    - { id: hs01-building, name: { zh: 液氯储罐厂房, en: Chlorine tank building }, outline: [[150, 370], [260, 370], [260, 440], [150, 440]] }
    - { id: control-room-a, name: { zh: 甲公司中控室, en: Site A control room }, outline: [[60, 200], [140, 200], [140, 260], [60, 260]] }
  tanks:
    - { id: t101, x: 170, y: 405, r: 12, hazardSource: hs01 }
    - { id: t102, x: 200, y: 405, r: 12, hazardSource: hs01 }
    - { id: t103, x: 230, y: 405, r: 12, hazardSource: hs01 }
    - { id: t201, x: 330, y: 420, r: 18, hazardSource: hs02 }
    - { id: v201, x: 880, y: 250, r: 10, hazardSource: hs03 }
`;

const dir = tempDir('park-map');
const MAP_FILE = path.join(dir.path, 'park-map.yaml');
// The seed's own plan is replaced by this one, whose figures the test knows.
const seedMap = readFileSync(path.join(REPO_ROOT, 'seeds', 'park-map.yaml'), 'utf8');
const planAt = seedMap.search(/^plan:/m);
writeFileSync(MAP_FILE, (planAt >= 0 ? seedMap.slice(0, planAt) : seedMap) + PLAN);
afterAll(() => dir.remove());

const { started, pages, screenshot } = useParkInBrowser({ server: { config: { emergency: { cards: 'seeds/cards', map: MAP_FILE } } } });

describe('site plan on the incident map', () => {
  it('serves the plan and draws fences, roads, buildings, tanks and every place beneath the zone', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'commander');

    const answer = await page.evaluate(async () => {
      const response = await fetch('/api/park-map');
      return { status: response.status, body: (await response.json()) as { points: { id: string }[]; weather: { x: number; y: number } | null; plan: Record<string, unknown[]> } };
    });
    expect(answer.status).toBe(200);
    expect(Object.fromEntries(Object.entries(answer.body.plan).map(([k, v]) => [k, v.length]))).toEqual({ sites: 2, roads: 2, buildings: 2, tanks: 5 });
    expect(answer.body.weather).toEqual({ x: 600, y: 300 });
    expect(answer.body.points.map((p) => p.id)).toContain('village-river-road');
    // The weather station's tags stay on the server.
    expect(JSON.stringify(answer.body)).not.toContain('wind_speed');

    const incident = await page.evaluate(async () => {
      const response = await fetch('/api/incidents', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cardId: 'hs01-chlorine-leak', note: '演练：厂区平面图' }) });
      return (await response.json()) as { id: string };
    });
    await page.goto(`${started().park.url}/#/incident/${encodeURIComponent(incident.id)}`);
    const plan = page.locator('[data-testid="map-plan"][data-tanks="5"][data-roads="2"][data-buildings="2"][data-sites="2"]');
    await plan.waitFor({ timeout: WAIT_MS });

    // Tanks in plan coordinates: T101 at (170, 405), radius 12 m.
    const t101 = plan.getByTestId('plan-tank-t101').locator('circle');
    expect([await t101.getAttribute('cx'), await t101.getAttribute('cy'), await t101.getAttribute('r')]).toEqual(['170', '-405', '12']);
    expect(await plan.getByTestId('plan-tank-t101').getAttribute('data-hazard-source')).toBe('hs01');
    // Roads at their width in metres (default 8).
    expect(await plan.getByTestId('plan-road-road-main').getAttribute('stroke-width')).toBe('12');
    expect(await plan.getByTestId('plan-road-road-a').getAttribute('stroke-width')).toBe('8');
    expect(await plan.getByTestId('plan-road-road-main').getAttribute('points')).toBe('0,0 600,0 1300,0');
    expect(await plan.getByTestId('plan-building-hs01-building').textContent()).toBe('液氯储罐厂房');
    expect(await plan.getByTestId('plan-site-b').getAttribute('points')).toBe('760,120 1300,120 1300,-600 760,-600');
    await plan.getByTestId('plan-weather').waitFor();
    // Places outside the zone are on the plan too, once each.
    expect(await page.getByTestId('map-point-village-river-road').count()).toBe(1);
    expect(await page.getByTestId('map-point-fire-station').count()).toBe(1);
    // The zone is drawn above the plan.
    const order = await page.getByTestId('park-map-svg').evaluate((svg) => {
      const children = [...svg.children].map((el) => el.getAttribute('data-testid'));
      return { plan: children.indexOf('map-plan'), isolation: children.indexOf('map-isolation') };
    });
    expect(order.plan).toBeGreaterThanOrEqual(0);
    expect(order.plan).toBeLessThan(order.isolation);

    await page.getByTestId('park-map-svg').screenshot({ path: path.join(REPO_ROOT, '.tmp', 'screenshots', 'incident-site-plan.png') });
    await screenshot(page, 'incident-site-plan-page');
  });
});
