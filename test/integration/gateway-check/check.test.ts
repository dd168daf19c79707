import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { CONFIG_ERROR_EXIT_CODE, loadConfigFile, parkSchema } from '@park/protocol/config';
import { startSimulators, type RunningSimulators } from '@park/simulators';
import { startTestAedes, type TestBroker } from '../../harness/brokers.js';
import { DEMO_PARK_FILE } from '../../harness/park-server.js';
import { freePort } from '../../harness/ports.js';
import { tempDir } from '../../harness/temp-dir.js';
import { gatewayConfigFromObject, startGateway } from '@park/gateway';
import { record, silentLog, type Recorder } from '../gateway/helpers.js';
import type { CheckReport } from '../../../gateway/src/check/report.js';
import { demoParkAtSimulators, runGateway, writeConfig } from './helpers.js';

// Issue 11: `park-gateway check` against the demo simulators (real OPC UA, Modbus TCP and RTU) and a
// real broker, through the built CLI as an engineer runs it. Every demo tag is listed with the
// simulator's unit; a device on a closed port fails the check with the reason; a bad config exits 2;
// nothing is published unless --publish.
describe('park-gateway check (issue 11)', () => {
  let sims: RunningSimulators;
  let broker: TestBroker;
  let rec: Recorder;
  const dir = tempDir('gw-check');
  const configs: Record<string, string> = {};

  beforeAll(async () => {
    sims = await startSimulators({ park: loadConfigFile(DEMO_PARK_FILE, parkSchema).value, seed: 1, opcuaPort: 0, modbusPort: 0, controlPort: 0, rtu: { dir: path.join(dir.path, 'rtu') } });
    broker = await startTestAedes();
    rec = await record(broker.url);
    writeConfig(dir.path, 'park.yaml', demoParkAtSimulators(sims));
    for (const gw of ['gw-a', 'gw-b']) {
      configs[gw] = writeConfig(dir.path, `${gw}.yaml`, { gateway: gw, park: 'park.yaml', dataDir: `data/${gw}`, mqtt: { url: broker.url } });
    }
  }, 60_000);

  afterAll(async () => {
    await rec?.close();
    await sims?.stop();
    await broker?.stop();
    dir.remove();
  });

  it('passes (exit 0) for the demo park and lists every tag with the simulator unit; publishes nothing', async () => {
    const points = sims.points().filter((p) => p.protocol !== 'modbus-rtu');
    for (const gw of ['gw-a', 'gw-b']) {
      const text = await runGateway(['check', '--config', configs[gw] as string]);
      expect(text.code, `${gw}: ${text.stdout}\n${text.stderr}`).toBe(0);
      expect(text.stdout).toContain('Result: PASS');
      expect(text.stdout).toMatch(/First value of every tag/);
      const lines = text.stdout.split('\n');
      const site = gw === 'gw-a' ? 'a' : 'b';
      const mine = points.filter((p) => p.site === site);
      expect(mine.length).toBeGreaterThan(5);
      for (const p of mine) {
        const row = lines.find((l) => l.trim().startsWith(`${p.id} `));
        expect(row, `${p.id} listed`).toBeDefined();
        // Columns: tag, device, value, unit, quality …
        const cols = (row as string).trim().split(/\s{2,}/);
        expect(cols[1], p.id).toBe(p.device);
        expect(cols[3], p.id).toBe(p.unit === '' ? '—' : p.unit);
        expect(cols[4], p.id).toBe('good');
      }
    }
    // The table and the JSON tell the same story.
    const json = await runGateway(['check', '--config', configs['gw-b'] as string, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as CheckReport;
    expect(report.result).toBe('pass');
    expect(report.broker.reachable).toBe(true);
    expect(['synced', 'unsynced', 'unknown']).toContain(report.clock.state);
    const unitOf = new Map(points.map((p) => [p.id, p.unit]));
    for (const t of report.tags) {
      expect(t.q, t.id).toBe('good');
      expect(t.unit, t.id).toBe(unitOf.get(t.id));
      expect(typeof t.value, t.id).toBe('number');
    }
    // The Modbus read plan covers every Modbus tag exactly once.
    const planned = report.plan.flatMap((b) => b.tags).sort();
    expect(planned).toEqual(report.tags.map((t) => t.id).sort());
    for (const b of report.plan) expect(b.count).toBeGreaterThan(0);
    // Nothing was published by any of the runs.
    expect(rec.data.length + rec.status.length + rec.meta.length).toBe(0);
  }, 60_000);

  it('fails (exit 1) naming the device on a closed port and the reason; the others still pass', async () => {
    const closed = await freePort();
    const park = demoParkAtSimulators(sims);
    const siteB = park.sites.find((s) => s.id === 'b');
    const gds = siteB?.devices.find((d) => d.id === 'b-gds');
    if (!gds || gds.protocol !== 'modbus-tcp') throw new Error('the demo park changed: b-gds is no longer a Modbus TCP device');
    gds.port = closed;
    writeConfig(dir.path, 'park-closed.yaml', park);
    const file = writeConfig(dir.path, 'gw-b-closed.yaml', { gateway: 'gw-b', park: 'park-closed.yaml', dataDir: 'data/gw-b', mqtt: { url: broker.url } });
    const r = await runGateway(['check', '--config', file]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('Result: FAIL');
    expect(r.stdout).toContain(`device "b-gds" (127.0.0.1:${closed} unit 2) unreachable: connection refused (127.0.0.1:${closed})`);
    const j = JSON.parse((await runGateway(['check', '--config', file, '--json'])).stdout) as CheckReport;
    expect(j.devices.find((d) => d.id === 'b-gds')).toMatchObject({ reachable: false, reason: `connection refused (127.0.0.1:${closed})` });
    expect(j.devices.filter((d) => d.id !== 'b-gds').every((d) => d.reachable && d.bad === 0)).toBe(true);
    expect(j.tags.filter((t) => t.device === 'b-gds').every((t) => t.q === 'bad' && t.err === 'ECONNREFUSED')).toBe(true);
  }, 60_000);

  it('fails on an OPC UA node the server does not know and lists it as unresolved; fails on an unreachable broker', async () => {
    const file = writeConfig(dir.path, 'gw-x.yaml', {
      gateway: 'gw-x',
      dataDir: 'data/gw-x',
      mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
      devices: [
        {
          id: 'x-dcs',
          protocol: 'opcua',
          endpoint: sims.opcuaEndpoint,
          tags: [
            { id: 'x.hs01.t1.level', unit: '%', description: { zh: '液位', en: 'Level' }, address: { nodeId: 'ns=1;s=A.HS01.T101.Level' } },
            { id: 'x.hs01.t1.ghost', unit: '%', description: { zh: '不存在', en: 'Ghost' }, address: { nodeId: 'ns=1;s=No.Such.Node' } },
          ],
        },
      ],
    });
    const r = await runGateway(['check', '--config', file, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as CheckReport;
    expect(j.unresolved).toEqual([{ device: 'x-dcs', tag: 'x.hs01.t1.ghost', node: 'ns=1;s=No.Such.Node', reason: 'BadNodeIdUnknown' }]);
    expect(j.tags.find((t) => t.id === 'x.hs01.t1.level')?.q).toBe('good');
    expect(j.broker.reachable).toBe(false);
    expect(j.failures.some((f) => f.startsWith('broker mqtt://127.0.0.1:'))).toBe(true);
  }, 60_000);

  it('checks the Modbus RTU gas controller over its serial line (socat) and sees the first values', async () => {
    const park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
    const rtu = park.sites.flatMap((s) => s.devices).find((dev) => dev.protocol === 'modbus-rtu');
    if (!rtu || rtu.protocol !== 'modbus-rtu' || !sims.rtuPath) throw new Error('the demo park changed: no Modbus RTU device');
    // Held values, so the first values the check reads are known (tenths of %LEL on the wire).
    const held: Record<string, number> = { 'b.hs04.gd01': 12.3, 'b.hs04.gd02': 0, 'b.hs04.gd03': 45.6, 'b.hs04.gd04': 7.5 };
    for (const [id, v] of Object.entries(held)) sims.hold(id, v);
    try {
      const file = writeConfig(dir.path, 'gw-rtu.yaml', { gateway: 'gw-rtu', dataDir: 'data/gw-rtu', mqtt: { url: broker.url }, devices: [{ ...rtu, serialPath: sims.rtuPath }] });
      const r = await runGateway(['check', '--config', file, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as CheckReport;
      expect(j.result).toBe('pass');
      expect(j.devices).toEqual([expect.objectContaining({ id: 'b-gas-rtu', protocol: 'modbus-rtu', address: `${sims.rtuPath} 9600 8N1 unit 3`, reachable: true, good: 4, bad: 0 })]);
      expect(j.tags.map((t) => t.id).sort()).toEqual(Object.keys(held).sort());
      for (const t of j.tags) {
        expect({ id: t.id, q: t.q, unit: t.unit, source: t.source }).toEqual({ id: t.id, q: 'good', unit: '%LEL', source: `modbus:b-gas-rtu/3/hr/${Number(t.id.slice(-1)) - 1}` });
        expect(Math.abs((t.value ?? Number.NaN) - (held[t.id] as number)), t.id).toBeLessThan(0.05);
      }
      expect(j.plan).toEqual([{ device: 'b-gas-rtu', unit: 3, intervalMs: 1000, table: 'hr', start: 0, count: 4, tags: Object.keys(held) }]);
    } finally {
      for (const id of Object.keys(held)) sims.release(id);
    }
  }, 60_000);

  it('exits 2 on a configuration error, listing the problem', async () => {
    const unknownKey = writeConfig(dir.path, 'bad.yaml', { gateway: 'gw-b', park: 'park.yaml', mqtt: { urll: broker.url } });
    const r = await runGateway(['check', '--config', unknownKey]);
    expect(r.code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(r.stderr).toContain('park-gateway: configuration error');
    expect(r.stderr).toContain('mqtt.urll: unknown option');
    const badNode = writeConfig(dir.path, 'bad-node.yaml', {
      gateway: 'gw-y',
      mqtt: { url: broker.url },
      devices: [{ id: 'y-dcs', protocol: 'opcua', endpoint: sims.opcuaEndpoint, tags: [{ id: 'y.hs01.t1.level', description: { zh: '液位', en: 'Level' }, address: { nodeId: 'not a node id' } }] }],
    });
    const r2 = await runGateway(['check', '--config', badNode]);
    expect(r2.code, r2.stderr).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(r2.stderr).toContain('invalid node id');
    expect((await runGateway(['check'])).code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect((await runGateway(['check', '--config', path.join(dir.path, 'missing.yaml')])).code).toBe(CONFIG_ERROR_EXIT_CODE);
  }, 60_000);

  it('publishes the first values with --publish, as valid data messages', async () => {
    const before = rec.data.length;
    const r = await runGateway(['check', '--config', configs['gw-a'] as string, '--publish']);
    expect(r.code, r.stdout).toBe(0);
    const ids = sims.points().filter((p) => p.site === 'a').map((p) => p.id);
    await rec.waitFor('the published first values', () => ids.every((id) => rec.latest.has(id)), 10_000);
    expect(rec.data.length).toBeGreaterThan(before);
    expect(rec.invalid).toEqual([]);
    expect(rec.data.every((m) => m.gateway === 'gw-a')).toBe(true);
  }, 60_000);

  it('the running gateway reports the clock state in its status counters (clockSynced, clockUnknown)', async () => {
    const park = demoParkAtSimulators(sims);
    const config = gatewayConfigFromObject({ gateway: 'gw-a', site: 'a', dataDir: path.join(dir.path, 'run-gw-a'), mqtt: { url: broker.url } }, 'gw-a.yaml', dir.path, park);
    const gw = await startGateway(config, await silentLog());
    try {
      await rec.waitFor('a status of gw-a', () => rec.status.some((s) => s.gateway === 'gw-a' && s.state === 'online'), 10_000);
      const c = gw.counters();
      expect([0, 1]).toContain(c['clockSynced']);
      expect([0, 1]).toContain(c['clockUnknown']);
      expect((c['clockSynced'] ?? 0) + (c['clockUnknown'] ?? 0)).toBeLessThanOrEqual(1);
      const s = rec.status.find((m) => m.gateway === 'gw-a' && m.state === 'online');
      expect(Object.keys(s?.counters ?? {})).toEqual(expect.arrayContaining(['clockSynced', 'clockUnknown']));
      expect(gw.metrics()).toMatch(/# TYPE park_gateway_clock_synced gauge/);
      expect(rec.invalid).toEqual([]);
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
