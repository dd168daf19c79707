import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRegisters, gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';
import { startTestAedes, type TestBroker } from '../../harness/brokers.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, silentLog, until, type Recorder } from './helpers.js';
import { startModbusTestServer, type ModbusTestServer } from './modbus-test-server.js';

// Issue 4: Modbus TCP acquisition against known register contents, through a real broker.
const POLL_MS = 200;
const d = (en: string) => ({ zh: en, en });

type TagSpec = { id: string; kind?: 'discrete'; range?: [number, number]; address: Record<string, unknown>; expect: number };
const PLC_TAGS: TagSpec[] = [
  { id: 'f32.abcd', address: { table: 'holding', address: 0, type: 'float32', order: 'ABCD' }, expect: 12.5 },
  { id: 'f32.cdab', address: { table: 'holding', address: 2, type: 'float32', order: 'CDAB' }, expect: -3.25 },
  { id: 'f32.badc', address: { table: 'holding', address: 4, type: 'float32', order: 'BADC' }, expect: 1234.5 },
  { id: 'f32.dcba', address: { table: 'holding', address: 6, type: 'float32', order: 'DCBA' }, expect: 0.125 },
  { id: 'i16', address: { table: 'holding', address: 8, type: 'int16' }, expect: -1234 },
  { id: 'u16', address: { table: 'holding', address: 9, type: 'uint16' }, expect: 54321 },
  { id: 'i32.abcd', address: { table: 'holding', address: 10, type: 'int32', order: 'ABCD' }, expect: -123456789 },
  { id: 'u32.cdab', address: { table: 'holding', address: 12, type: 'uint32', order: 'CDAB' }, expect: 4_000_000_000 },
  { id: 'f64.abcd', address: { table: 'holding', address: 14, type: 'float64', order: 'ABCD' }, expect: Math.PI },
  { id: 'f64.dcba', address: { table: 'holding', address: 18, type: 'float64', order: 'DCBA' }, expect: -2.5e-3 },
  { id: 'i16.badc', address: { table: 'holding', address: 22, type: 'int16', order: 'BADC' }, expect: 300 },
  { id: 'bit3', kind: 'discrete', address: { table: 'holding', address: 30, type: 'bit', bit: 3 }, expect: 1 },
  { id: 'scaled.range', address: { table: 'holding', address: 31, type: 'uint16', scale: { raw: [0, 4000], eng: [0, 100] } }, expect: 25 },
  { id: 'scaled.factor', address: { table: 'holding', address: 32, type: 'int16', scale: { factor: 0.1, offset: -10 } }, expect: 40 },
  { id: 'scaled.clamp', address: { table: 'holding', address: 33, type: 'uint16', scale: { raw: [0, 1000], eng: [0, 10] }, clamp: true }, expect: 10 },
  { id: 'ir.i16', address: { table: 'input', address: 0, type: 'int16' }, expect: -5 },
  { id: 'coil0', kind: 'discrete', address: { table: 'coil', address: 0 }, expect: 1 },
  { id: 'coil5', kind: 'discrete', address: { table: 'coil', address: 5 }, expect: 0 },
  { id: 'di3', kind: 'discrete', address: { table: 'discrete-input', address: 3 }, expect: 1 },
];

describe('gateway: Modbus TCP (issue 4)', () => {
  let broker: TestBroker;
  let server: ModbusTestServer;
  let gw: RunningGateway;
  let rec: Recorder;
  const data = tempDir('gw-modbus');

  beforeAll(async () => {
    broker = await startTestAedes();
    server = await startModbusTestServer();
    const w = (addr: number, type: Parameters<typeof encodeRegisters>[1], order: Parameters<typeof encodeRegisters>[2], v: number) => server.setRegisters(1, 'holding', addr, encodeRegisters(v, type, order));
    w(0, 'float32', 'ABCD', 12.5);
    w(2, 'float32', 'CDAB', -3.25);
    w(4, 'float32', 'BADC', 1234.5);
    w(6, 'float32', 'DCBA', 0.125);
    w(8, 'int16', 'ABCD', -1234);
    w(9, 'uint16', 'ABCD', 54321);
    w(10, 'int32', 'ABCD', -123456789);
    w(12, 'uint32', 'CDAB', 4_000_000_000);
    w(14, 'float64', 'ABCD', Math.PI);
    w(18, 'float64', 'DCBA', -2.5e-3);
    w(22, 'int16', 'BADC', 300);
    server.setRegisters(1, 'holding', 30, [0b1000, 1000, 500, 2000]);
    server.setRegisters(1, 'input', 0, encodeRegisters(-5, 'int16', 'ABCD'));
    server.unit(1).coils.set(0, true);
    server.unit(1).discrete.set(3, true);
    // Unit 2 behind the same address: register 1 is refused by the device.
    server.setRegisters(2, 'holding', 0, [7, 8, 9]);
    server.unit(2).illegal.add('holding:1');

    rec = await record(broker.url);
    const device = { pollIntervalMs: POLL_MS, timeoutMs: 100, retries: 0, failedCyclesBeforeBackoff: 2, backoffMs: 300, maxBackoffMs: 300 };
    const config = gatewayConfigFromObject({
      gateway: 'gw-mb',
      dataDir: data.path,
      mqtt: { url: broker.url },
      publish: { maxBatchDelayMs: 20 },
      devices: [
        { id: 'plc', protocol: 'modbus-tcp', host: '127.0.0.1', port: server.port, unitId: 1, ...device, tags: PLC_TAGS.map(({ expect: _e, ...t }) => ({ ...t, description: d(t.id) })) },
        {
          id: 'gds',
          protocol: 'modbus-tcp',
          host: '127.0.0.1',
          port: server.port,
          unitId: 2,
          ...device,
          tags: [0, 1, 2].map((a) => ({ id: `gds.r${a}`, description: d(`r${a}`), address: { table: 'holding', address: a } })),
        },
      ],
    });
    gw = await startGateway(config, await silentLog());
  });

  afterAll(async () => {
    await gw?.stop();
    await rec?.close();
    await server?.close();
    await broker?.stop();
    data.remove();
  });

  it('decodes every data type, word order and scaling, with good quality', async () => {
    await rec.waitFor('every plc tag', () => PLC_TAGS.every((t) => rec.latest.has(t.id)));
    for (const t of PLC_TAGS) {
      const r = rec.latest.get(t.id);
      expect({ id: t.id, q: r?.q }).toEqual({ id: t.id, q: 'good' });
      expect(r?.v, t.id).toBeCloseTo(t.expect, 10);
    }
    expect(rec.invalid).toEqual([]);
  });

  it('coalesces the holding registers into few block reads', () => {
    const plcHolding = server.requests.filter((r) => r.unit === 1 && r.fc === 3);
    const firstCycle = plcHolding.filter((r) => r === plcHolding[0] || r.start !== plcHolding[0]?.start).slice(0, 3);
    expect(plcHolding[0]).toMatchObject({ start: 0, count: 34 });
    expect(firstCycle.length).toBeGreaterThan(0);
  });

  it('publishes retained status and meta', async () => {
    await rec.waitFor('status with both devices connected', () => rec.status.some((s) => s.gateway === 'gw-mb' && s.devices['plc'] === 'connected' && s.devices['gds'] === 'connected'));
    await rec.waitFor('meta', () => rec.meta.length > 0);
    const meta = rec.meta.at(-1);
    expect(meta?.tags.find((t) => t.id === 'f32.cdab')).toMatchObject({ device: 'plc', kind: 'analog', source: 'modbus:plc/1/hr/2' });
    expect(meta?.tags.find((t) => t.id === 'bit3')).toMatchObject({ kind: 'discrete', source: 'modbus:plc/1/hr/30.3' });
  });

  it('isolates a refused register: only that tag is bad, its neighbours stay good', async () => {
    await rec.waitFor('gds tags', () => ['gds.r0', 'gds.r1', 'gds.r2'].every((id) => rec.latest.has(id)));
    expect(rec.latest.get('gds.r0')).toMatchObject({ v: 7, q: 'good' });
    expect(rec.latest.get('gds.r1')).toMatchObject({ q: 'bad', err: 'modbus-exception-2' });
    expect(rec.latest.get('gds.r2')).toMatchObject({ v: 9, q: 'good' });
    // The plan remembers: later cycles never ask for the refused register with its neighbours again.
    const n = server.requests.length;
    await until('two more cycles', () => server.requests.length > n + 8);
    const later = server.requests.slice(n).filter((r) => r.unit === 2);
    expect(later.every((r) => r.count === 1 || r.start + r.count <= 1 || r.start >= 2)).toBe(true);
  });

  it('a unit that stops answering turns exactly its tags bad within two poll periods, and good again', async () => {
    const from = rec.data.length;
    const askedBefore = server.requests.filter((r) => r.unit === 2).length;
    server.unit(2).muted = true;
    await rec.waitFor('gds tags bad', () => ['gds.r0', 'gds.r2'].every((id) => rec.latest.get(id)?.err === 'timeout'), 10_000);
    // Within two poll periods, counted in poll cycles rather than wall time: with
    // retries 0 a failed cycle sends one request and skips the rest of it.
    expect(server.requests.filter((r) => r.unit === 2).length - askedBefore).toBeLessThanOrEqual(2);
    // The other unit on the same address is unaffected.
    const plcBad = rec.data.slice(from).flatMap((m) => m.readings).filter((r) => !r.id.startsWith('gds.') && r.q !== 'good');
    expect(plcBad).toEqual([]);
    await rec.waitFor('status shows the unit down', () => rec.status.some((s) => s.devices['gds']?.startsWith('error: unit 2 not answering') === true));
    server.unit(2).muted = false;
    await rec.waitFor('gds good again', () => rec.latest.get('gds.r0')?.q === 'good' && rec.latest.get('gds.r2')?.q === 'good', 10_000);
    expect(gw.counters()['timeouts']).toBeGreaterThan(0);
  }, 20_000);
});
