import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';
import type { Reading } from '@park/protocol';
import { startTestAedes, type TestBroker } from '../../harness/brokers.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, silentLog, until, type Recorder } from './helpers.js';
import { startModbusTestServer, type ModbusTestServer } from './modbus-test-server.js';

// Issue 9: devices that misbehave. Five Modbus TCP devices (one connection
// each) behind one test server: a healthy one; one that answers slowly but
// just within the timeout; one that answers just after it; one that answers
// garbage; one that sends half an answer and stalls. The slow-but-in-time
// device stays good; the others go bad with a reason, never with a wrong
// value; the healthy device keeps its pace throughout (devices are polled
// concurrently, a slow one delays nobody).
const POLL_MS = 200;
const TIMEOUT_MS = 300;
const d = (en: string) => ({ zh: en, en });

/** Unit id → what it does, and the value its register holds (distinct per unit, to catch mixed-up answers). */
const UNITS = {
  healthy: { unit: 1, value: 111 },
  slow_in_time: { unit: 2, value: 222 },
  slow_too_late: { unit: 3, value: 333 },
  garbage: { unit: 4, value: 444 },
  half: { unit: 5, value: 555 },
} as const;

describe('gateway: misbehaving Modbus devices (issue 9)', () => {
  let broker: TestBroker;
  let server: ModbusTestServer;
  let gw: RunningGateway;
  let rec: Recorder;
  const data = tempDir('gw-misbehave');
  const readingsOf = (name: keyof typeof UNITS): Reading[] => rec.readings().filter((r) => r.id === `${name}.v`);

  beforeAll(async () => {
    broker = await startTestAedes();
    server = await startModbusTestServer();
    for (const { unit, value } of Object.values(UNITS)) server.setRegisters(unit, 'holding', 0, [value]);
    server.unit(UNITS.slow_in_time.unit).delayMs = TIMEOUT_MS / 2;
    server.unit(UNITS.slow_too_late.unit).delayMs = TIMEOUT_MS * 2;
    server.unit(UNITS.garbage.unit).garbage = true;
    server.unit(UNITS.half.unit).half = true;
    rec = await record(broker.url);
    const config = gatewayConfigFromObject({
      gateway: 'gw-bad',
      dataDir: data.path,
      mqtt: { url: broker.url },
      publish: { maxBatchDelayMs: 20 },
      devices: Object.entries(UNITS).map(([name, { unit }]) => ({
        id: name.replace(/_/g, '-'),
        protocol: 'modbus-tcp',
        host: '127.0.0.1',
        port: server.port,
        unitId: unit,
        pollIntervalMs: POLL_MS,
        timeoutMs: TIMEOUT_MS,
        retries: 0,
        tags: [{ id: `${name}.v`, description: d(name), address: { table: 'holding', address: 0, type: 'uint16' } }],
      })),
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

  it('keeps the good and the slow-in-time devices good, marks the others bad with a reason, and never reports a wrong value', async () => {
    // Every faulty device has reported bad (report by exception: once, until it changes).
    await rec
      .waitFor('a bad reading from each faulty device', () => (['slow_too_late', 'garbage', 'half'] as const).every((n) => readingsOf(n).some((r) => r.q === 'bad')), 20_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(Object.fromEntries(Object.keys(UNITS).map((n) => [n, readingsOf(n as keyof typeof UNITS).slice(-3)])))}`);
      });
    for (const name of ['slow_too_late', 'garbage', 'half'] as const) {
      const bad = readingsOf(name).filter((r) => r.q === 'bad');
      expect(bad.every((r) => typeof r.err === 'string' && r.err.length > 0), `${name}: every bad reading says why`).toBe(true);
    }
    expect(readingsOf('slow_too_late').find((r) => r.q === 'bad')?.err).toMatch(/timeout|timed out/i);
    expect(readingsOf('half').find((r) => r.q === 'bad')?.err).toMatch(/timeout|timed out/i);

    // No reading anywhere carries another unit's value: a late or broken answer is never taken for the next request's.
    for (const [name, { value }] of Object.entries(UNITS)) {
      const wrong = readingsOf(name as keyof typeof UNITS).filter((r) => r.q === 'good' && r.v !== value);
      expect(wrong, `${name}: good readings with a wrong value`).toEqual([]);
    }
    // The healthy and the slow-but-in-time devices are good, and the healthy one still reads at its pace.
    expect(rec.latest.get('healthy.v')).toMatchObject({ q: 'good', v: UNITS.healthy.value });
    expect(rec.latest.get('slow_in_time.v')).toMatchObject({ q: 'good', v: UNITS.slow_in_time.value });
    // Ten polls of the healthy device: had it waited behind the late one, they would be no more than the late one's.
    const requestsOf = (unit: number): number => server.requests.filter((r) => r.unit === unit).length;
    await until('ten polls of the healthy device', () => requestsOf(UNITS.healthy.unit) >= 10, 20_000);
    expect(requestsOf(UNITS.healthy.unit)).toBeGreaterThan(requestsOf(UNITS.slow_too_late.unit));

    // Repaired devices come back good.
    for (const name of ['slow_too_late', 'garbage', 'half'] as const) {
      const u = server.unit(UNITS[name].unit);
      u.delayMs = 0;
      u.garbage = false;
      u.half = false;
    }
    await rec.waitFor(
      'the repaired devices good again',
      () => (['slow_too_late', 'garbage', 'half'] as const).every((n) => rec.latest.get(`${n}.v`)?.q === 'good'),
      20_000,
    );
    for (const name of ['slow_too_late', 'garbage', 'half'] as const) expect(rec.latest.get(`${name}.v`)?.v).toBe(UNITS[name].value);
    // The gateway never stopped.
    expect(gw.counters()['readErrors']).toBeGreaterThan(0);
  });
});
