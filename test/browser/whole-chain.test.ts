// The display and the commander's view on the whole chain: the simulators
// (OPC UA for site A, Modbus TCP for site B, model time 10× faster), the two
// real gateways, the real server, Chromium. Scenarios are started and the
// wind is set through the simulators' control API, as an engineer would in a
// drill.
//
// - Issue 6: `overfill` on T302 → the HH alarm in the banner; an operator
//   acknowledges it with a comment and a second page sees the state change.
// - Issue 10: `leak-chlorine` on T101 with the wind from the west → on a
//   phone the commander view shows the incident, the chlorine card with the
//   valves' live positions, the zone pointing east; the commander ticks two
//   steps and acknowledges the level-2 alarm; the exported record lists
//   opening, alarm, steps and acknowledgement in that order. The wind turned
//   to come from the south turns the zone to the north.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { startSimulators, type RunningSimulators } from '@park/simulators';
import type { RunningGateway } from '@park/gateway';
import { logInAs, PHONE, useParkInBrowser } from '../harness/park-browser.js';
import { DEMO_PARK_FILE } from '../harness/park-server.js';
import { startSiteGateway } from '../harness/simulated-gateway.js';
import { tempDir } from '../harness/temp-dir.js';

const WAIT_MS = 30_000;
const COMMENT = '现场确认T302液位高高，已停进料泵';

const { started, pages, screenshot } = useParkInBrowser({ fullPageScreenshots: true });
const dir = tempDir('whole-chain');
let sims: RunningSimulators;
const gateways: RunningGateway[] = [];

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sims.controlUrl}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

beforeAll(async () => {
  const model = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
  sims = await startSimulators({ park: model, seed: 1, opcuaPort: 0, modbusPort: 0, controlPort: 0, rtu: false, speed: 10 });
  for (const [gateway, site, protocol] of [
    ['gw-a', 'a', 'opcua'],
    ['gw-b', 'b', 'modbus-tcp'],
  ] as const) {
    const gwDir = path.join(dir.path, gateway);
    mkdirSync(gwDir);
    gateways.push(await startSiteGateway({ model, sims, gateway, site, protocol, dataDir: gwDir, mqttUrl: started().park.mqttUrl }));
  }
}, 90_000);

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await sims?.stop();
  dir.remove();
});

describe('the display on the whole chain (issue 6)', () => {
  it('overfill: the HH alarm reaches the banner; acknowledged with a comment, a second page follows', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'operator', '/#/alarms');
    const second = await pages.newPage();
    await logInAs(second, started().park.url, 'viewer', '/#/alarms');

    await control('POST', '/api/sim/scenarios/overfill', { target: 'b.hs04.t302' });
    const HH = 'b.hs04.t302.level:hh';
    await page.locator(`[data-testid="banner-newest"][data-alarm-id="${HH}"], [data-testid="alarm-row-${HH}"][data-state="unack"]`).first().waitFor({ timeout: WAIT_MS });
    await page.getByTestId(`alarm-row-${HH}`).waitFor({ timeout: WAIT_MS });
    await screenshot(page, 'whole-chain-overfill');

    await page.getByTestId('ack-comment').fill(COMMENT);
    await page.getByTestId(`alarm-row-${HH}`).getByTestId('ack').click();
    await page.locator(`[data-testid="alarm-row-${HH}"][data-state="acked"]`).waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId(`alarm-row-${HH}`).getByTestId('alarm-comment').textContent()).toContain(COMMENT);
    await second.locator(`[data-testid="alarm-row-${HH}"][data-state="acked"]`).waitFor({ timeout: WAIT_MS });
    await control('POST', '/api/sim/scenarios/recover');
  });
});

describe("the commander's view on the whole chain (issue 10)", () => {
  it('leak-chlorine: incident, card with live valves, zone downwind, two steps, acknowledgement, exported record in order; the wind turns the zone', async () => {
    await control('PUT', '/api/sim/points/park.weather.wind_direction', { value: 270 });
    await control('PUT', '/api/sim/points/park.weather.wind_speed', { value: 4 });
    const page = await pages.newPage(PHONE);
    await logInAs(page, started().park.url, 'commander');
    await page.getByTestId('command-view').waitFor({ timeout: WAIT_MS });

    await control('POST', '/api/sim/scenarios/leak-chlorine', { target: 'a.hs01.t101' });
    const item = page.locator('[data-testid="command-incidents"] li[data-card-id="hs01-chlorine-leak"]');
    await item.waitFor({ timeout: WAIT_MS });
    await item.getByTestId('command-incident-link').tap();
    await page.locator('[data-testid="incident-page"][data-state="open"]').waitFor({ timeout: WAIT_MS });

    // The card's valves with their live position from the plant (not "unknown": the gateway reads them).
    const valve = page.getByTestId('incident-step-2').getByTestId('valve-t101-inlet');
    await expect.poll(async () => valve.getAttribute('data-position'), { timeout: WAIT_MS }).toMatch(/^(open|closed|travel)$/);

    // The zone points east, downwind of a west wind.
    const sector = page.locator('[data-testid="map-protective"][data-shape="sector"]');
    await sector.waitFor({ timeout: WAIT_MS });
    expect(Number(await sector.getAttribute('data-downwind-deg'))).toBe(90);

    // Two steps ticked.
    for (const n of [1, 2]) {
      const step = page.getByTestId(`incident-step-${n}`);
      await step.getByTestId('incident-step-tick').tap();
      await step.getByTestId('incident-step-submit').tap();
      await page.locator(`[data-testid="incident-step-${n}"][data-done="true"]`).waitFor({ timeout: WAIT_MS });
    }

    // The level-2 alarm of the detector downwind acknowledged by the commander.
    const alarmId = await page.evaluate(async () => {
      const alarms = (await (await fetch('/api/alarms')).json()) as { id: string; kind: string; state: string }[];
      return alarms.find((a) => a.id.startsWith('a.hs01.gd') && a.kind === 'hh' && a.state === 'unack')?.id ?? null;
    });
    expect(alarmId).not.toBeNull();
    const ack = await page.evaluate(async (id) => (await fetch(`/api/alarms/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"comment":"指挥部已确认"}' })).status, alarmId as string);
    expect(ack).toBe(200);

    // The exported record: opening, the alarm, the two steps and the acknowledgement, in that order.
    const href = await page.getByTestId('incident-export-csv').getAttribute('href');
    expect(href).toMatch(/^\/api\/incidents\/.+\/record\.csv$/);
    const order = async (): Promise<number[] | string> => {
      const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href as string);
      const rows = csv
        .replace(/^\uFEFF/, '')
        .split('\r\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .slice(1)
        .map((l) => l.split(','))
        .map((c) => ({ type: c[2] ?? '', user: c[3] ?? '', subject: c[4] ?? '' }));
      const at = (pred: (r: (typeof rows)[number]) => boolean): number => rows.findIndex(pred);
      const found = [
        at((r) => r.type === 'opened'),
        at((r) => r.type === 'alarm' && r.subject === `${alarmId} → unack`),
        at((r) => r.type === 'step' && r.subject === '1 done' && r.user === 'commander'),
        at((r) => r.type === 'step' && r.subject === '2 done' && r.user === 'commander'),
        at((r) => r.type === 'ack' && r.subject === `${alarmId} → acked` && r.user === 'commander'),
      ];
      return found.includes(-1) ? csv : found;
    };
    await expect.poll(async () => Array.isArray(await order()), { timeout: WAIT_MS }).toBe(true);
    const [opened, raised, step1, step2, acked] = (await order()) as number[];
    expect(opened).toBeLessThanOrEqual(raised as number);
    expect(raised).toBeLessThan(step1 as number);
    expect(step1).toBeLessThan(step2 as number);
    expect(step2).toBeLessThan(acked as number);
    await screenshot(page, 'whole-chain-leak-chlorine-phone');

    // The wind turned to come from the south: the zone turns north.
    await control('PUT', '/api/sim/points/park.weather.wind_direction', { value: 180 });
    await page.locator('[data-testid="map-protective"][data-downwind-deg="0"]').waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId('map-wind').getAttribute('data-from-deg')).toBe('180');
    await control('POST', '/api/sim/scenarios/recover');
  });
});
