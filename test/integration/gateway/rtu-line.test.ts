import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ServerSerial } from 'modbus-serial';
import { createLogger, encodeRegisters, gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';
import { startTestAedes, type TestBroker } from '../../harness/brokers.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, until, type Recorder } from './helpers.js';

// Issue 4: Modbus RTU end to end through a real serial line. socat makes a pseudo-terminal pair;
// a Modbus RTU slave (modbus-serial's ServerSerial) answers for units 1 and 2 on one end, the
// gateway's RTU driver polls both units over the other end. Then unit 2 dies on the shared line.

const POLL_MS = 100;
const TIMEOUT_MS = 150;
const RETRIES = 1;
const FAILED_CYCLES = 2;
const BACKOFF_MS = 1500;
const MAX_BACKOFF_MS = 3000;

const d = (en: string) => ({ zh: en, en });

/** One request as the slave saw it (answered or not). */
interface SlaveRequest {
  unit: number;
  table: 'holding' | 'input';
  start: number;
  count: number;
}

interface RtuSlave {
  requests: SlaveRequest[];
  count(unit: number): number;
  /** A muted unit hears its requests and sends nothing back: a dead unit on a shared line. */
  mute(unit: number, muted: boolean): void;
  /** Unit 1, holding 3: rises by one on every read of it, so each poll yields a fresh value. */
  heartbeat(): number;
  close(): Promise<void>;
}

type Callback = (err: Error | null, value: number[]) => void;

async function startRtuSlave(slavePath: string, registers: Record<number, { holding: Map<number, number>; input: Map<number, number> }>): Promise<RtuSlave> {
  const requests: SlaveRequest[] = [];
  const muted = new Set<number>();
  let heartbeat = 0;
  const serve = (unit: number, table: 'holding' | 'input', start: number, count: number, cb: Callback): void => {
    requests.push({ unit, table, start, count });
    const u = registers[unit];
    if (!u || muted.has(unit)) return;
    if (unit === 1 && table === 'holding' && start <= 3 && start + count > 3) heartbeat++;
    const map = table === 'holding' ? u.holding : u.input;
    cb(
      null,
      Array.from({ length: count }, (_, i) => (unit === 1 && table === 'holding' && start + i === 3 ? heartbeat : (map.get(start + i) ?? 0))),
    );
  };
  const one = (cb: (err: Error | null, value: number) => void): Callback => (err, values) => cb(err, values[0] ?? 0);
  const server = new ServerSerial(
    {
      getHoldingRegister: (addr: number, unit: number, cb: (err: Error | null, value: number) => void) => serve(unit, 'holding', addr, 1, one(cb)),
      getMultipleHoldingRegisters: (addr: number, n: number, unit: number, cb: Callback) => serve(unit, 'holding', addr, n, cb),
      getInputRegister: (addr: number, unit: number, cb: (err: Error | null, value: number) => void) => serve(unit, 'input', addr, 1, one(cb)),
      getMultipleInputRegisters: (addr: number, n: number, unit: number, cb: Callback) => serve(unit, 'input', addr, n, cb),
    },
    { path: slavePath, baudRate: 9600 },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('error', reject);
  });
  return {
    requests,
    count: (unit) => requests.filter((r) => r.unit === unit).length,
    mute: (unit, m) => void (m ? muted.add(unit) : muted.delete(unit)),
    heartbeat: () => heartbeat,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B` (Debian package socat): a serial line without hardware. */
async function startSerialPair(dir: string): Promise<{ gatewayPath: string; slavePath: string; close(): Promise<void> }> {
  const gatewayPath = path.join(dir, 'ttyGW');
  const slavePath = path.join(dir, 'ttySLAVE');
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${slavePath}`, `pty,raw,echo=0,link=${gatewayPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  socat.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (socat.exitCode !== null || socat.signalCode !== null) return;
    socat.kill('SIGTERM');
    await exited;
  };
  try {
    await until(`the socat serial pair (${stderr.trim()})`, () => {
      if (socat.exitCode !== null) throw new Error(`socat exited: ${stderr.trim()}`);
      return existsSync(gatewayPath) && existsSync(slavePath);
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { gatewayPath, slavePath, close };
}

interface LogLine {
  msg: string;
  device?: string;
  backoffMs?: number;
  /** Requests the slave had seen from each unit when the line was written. */
  asked: { 1: number; 2: number };
}

describe('gateway: Modbus RTU, two units on one serial line (issue 4)', () => {
  const dir = tempDir('gw-rtu');
  let pair: Awaited<ReturnType<typeof startSerialPair>>;
  let slave: RtuSlave;
  let broker: TestBroker;
  let rec: Recorder;
  let gw: RunningGateway;
  const logs: LogLine[] = [];

  // Unit 1: a float32 level (word-swapped), a scaled gas reading, the heartbeat, an input register.
  // Unit 2: a uint16, a bit of a status word, a scaled input register.
  const unit1 = { holding: new Map<number, number>(), input: new Map<number, number>() };
  const unit2 = { holding: new Map<number, number>(), input: new Map<number, number>() };
  const put = (map: Map<number, number>, start: number, words: Buffer): void => {
    for (let i = 0; i < words.length / 2; i++) map.set(start + i, words.readUInt16BE(i * 2));
  };
  put(unit1.holding, 0, encodeRegisters(21.75, 'float32', 'CDAB'));
  unit1.holding.set(2, 2500);
  put(unit1.input, 0, encodeRegisters(-123_456, 'int32', 'ABCD'));
  unit2.holding.set(10, 420);
  unit2.holding.set(11, 0b0100);
  put(unit2.input, 5, encodeRegisters(-40, 'int16', 'ABCD'));

  const EXPECTED: Record<string, number> = {
    'rtu.a.level': 21.75,
    'rtu.a.gas': 25,
    'rtu.a.counter': -123_456,
    'rtu.b.h2s': 420,
    'rtu.b.fault': 1,
    'rtu.b.temp': -20,
  };
  const B_TAGS = ['rtu.b.h2s', 'rtu.b.fault', 'rtu.b.temp'];

  beforeAll(async () => {
    pair = await startSerialPair(dir.path);
    slave = await startRtuSlave(pair.slavePath, { 1: unit1, 2: unit2 });
    broker = await startTestAedes();
    rec = await record(broker.url);
    // The driver's log lines, each with the slave's request counts at the moment it was written
    // (pino writes synchronously to this stream), so "backed off after N cycles" is counted, not timed.
    const capture = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          const o = JSON.parse(line) as { msg: string; device?: string; backoffMs?: number };
          logs.push({ msg: o.msg, ...(o.device ? { device: o.device } : {}), ...(o.backoffMs !== undefined ? { backoffMs: o.backoffMs } : {}), asked: { 1: slave.count(1), 2: slave.count(2) } });
        }
        cb();
      },
    });
    const line = { protocol: 'modbus-rtu', serialPath: pair.gatewayPath, baudRate: 9600, pollIntervalMs: POLL_MS, timeoutMs: TIMEOUT_MS, retries: RETRIES, failedCyclesBeforeBackoff: FAILED_CYCLES, backoffMs: BACKOFF_MS, maxBackoffMs: MAX_BACKOFF_MS };
    const config = gatewayConfigFromObject({
      gateway: 'gw-rtu',
      dataDir: path.join(dir.path, 'data'),
      mqtt: { url: broker.url },
      publish: { maxBatchDelayMs: 20 },
      devices: [
        {
          id: 'rtu-a',
          unitId: 1,
          ...line,
          tags: [
            { id: 'rtu.a.level', unit: '%', description: d('level'), address: { table: 'holding', address: 0, type: 'float32', order: 'CDAB' } },
            { id: 'rtu.a.gas', unit: '%LEL', description: d('gas'), address: { table: 'holding', address: 2, type: 'uint16', scale: { raw: [0, 10000], eng: [0, 100] } } },
            { id: 'rtu.a.heartbeat', description: d('heartbeat'), address: { table: 'holding', address: 3, type: 'uint16' } },
            { id: 'rtu.a.counter', description: d('counter'), address: { table: 'input', address: 0, type: 'int32' } },
          ],
        },
        {
          id: 'rtu-b',
          unitId: 2,
          ...line,
          tags: [
            { id: 'rtu.b.h2s', unit: 'ppm', description: d('H2S'), address: { table: 'holding', address: 10, type: 'uint16' } },
            { id: 'rtu.b.fault', kind: 'discrete', description: d('fault'), address: { table: 'holding', address: 11, type: 'bit', bit: 2 } },
            { id: 'rtu.b.temp', unit: '°C', description: d('temperature'), address: { table: 'input', address: 5, type: 'int16', scale: { factor: 0.5, offset: 0 } } },
          ],
        },
      ],
    });
    gw = await startGateway(config, createLogger('info', 'gw-rtu', capture));
  });

  afterAll(async () => {
    await gw?.stop();
    await rec?.close();
    await slave?.close();
    await pair?.close();
    await broker?.stop();
    dir.remove();
  });

  it('reads both units over the one line with the right decoded values', async () => {
    await rec.waitFor('every tag of both units', () => [...Object.keys(EXPECTED), 'rtu.a.heartbeat'].every((id) => rec.latest.get(id)?.q === 'good'));
    for (const [id, v] of Object.entries(EXPECTED)) {
      expect({ id, q: rec.latest.get(id)?.q }).toEqual({ id, q: 'good' });
      expect(rec.latest.get(id)?.v, id).toBeCloseTo(v, 6);
    }
    expect(rec.latest.get('rtu.a.heartbeat')?.v).toBeGreaterThan(0);
    // Both units asked on the same line, each with its own unit id and coalesced blocks.
    expect(slave.requests).toEqual(expect.arrayContaining([
      { unit: 1, table: 'holding', start: 0, count: 4 },
      { unit: 1, table: 'input', start: 0, count: 2 },
      { unit: 2, table: 'holding', start: 10, count: 2 },
      { unit: 2, table: 'input', start: 5, count: 1 },
    ]));
    // The second unit's driver joins a line the first one already opened: it must say connected too.
    await rec.waitFor('status with both units connected', () => rec.status.some((s) => s.devices['rtu-a'] === 'connected' && s.devices['rtu-b'] === 'connected'));
    const meta = rec.meta.at(-1);
    expect(meta?.tags.find((t) => t.id === 'rtu.b.fault')).toMatchObject({ device: 'rtu-b', source: 'modbus:rtu-b/2/hr/11.2' });
    expect(rec.invalid).toEqual([]);
  });

  it('a dead unit on the shared line: exactly its tags go bad, it is backed off and probed, the other unit keeps its good values; good again when it answers', async () => {
    const fromMsg = rec.data.length;
    const fromStatus = rec.status.length;
    const fromLog = logs.length;
    const askedBefore = slave.count(2);
    slave.mute(2, true);

    await rec.waitFor('unit 2 tags bad with timeout', () => B_TAGS.every((id) => rec.latest.get(id)?.q === 'bad' && rec.latest.get(id)?.err === 'timeout'));
    const backoffs = () => logs.slice(fromLog).filter((l) => l.msg === 'modbus unit not answering; backed off');
    await until('unit 2 backed off', () => backoffs().length >= 1);
    // Backed off after exactly the configured failed cycles: each failed cycle is one request
    // plus its retries, and the rest of that cycle is skipped.
    const first = backoffs()[0] as LogLine;
    expect(first).toMatchObject({ device: 'rtu-b', backoffMs: BACKOFF_MS });
    expect(first.asked[2] - askedBefore).toBe(FAILED_CYCLES * (RETRIES + 1));
    await rec.waitFor('status shows unit 2 backed off', () =>
      rec.status.slice(fromStatus).some((s) => /^error: unit 2 not answering \(timeout\); next try in \d+ s$/.test(s.devices['rtu-b'] ?? '')),
    );

    // Retried later: one probe cycle after the back-off, still unanswered, doubles it. Between the
    // two, unit 2 was asked exactly the probe's requests while unit 1 kept the line busy.
    await until('unit 2 probed and backed off again', () => backoffs().length >= 2, 20_000);
    const second = backoffs()[1] as LogLine;
    expect(second).toMatchObject({ device: 'rtu-b', backoffMs: Math.min(MAX_BACKOFF_MS, 2 * BACKOFF_MS) });
    expect(second.asked[2] - first.asked[2]).toBe(RETRIES + 1);
    expect(second.asked[1] - first.asked[1]).toBeGreaterThan(0);

    // The other unit on the same line: only good readings, and fresh ones all through the dead period.
    const dead = rec.data.slice(fromMsg).flatMap((m) => m.readings);
    expect(dead.filter((r) => r.id.startsWith('rtu.a.') && r.q !== 'good')).toEqual([]);
    const beats = dead.filter((r) => r.id === 'rtu.a.heartbeat').map((r) => r.v);
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats.every((v, i) => i === 0 || v > (beats[i - 1] as number))).toBe(true);
    expect(dead.filter((r) => r.id.startsWith('rtu.a.') && r.id !== 'rtu.a.heartbeat').every((r) => Math.abs(r.v - (EXPECTED[r.id] as number)) < 1e-6)).toBe(true);
    expect(rec.status.slice(fromStatus).every((s) => s.devices['rtu-a'] === 'connected')).toBe(true);
    expect(gw.counters()['timeouts']).toBeGreaterThanOrEqual((FAILED_CYCLES + 1) * (RETRIES + 1));

    // It answers again: at the next probe its tags are good with their values, its status connected.
    const fromAlive = rec.data.length;
    slave.mute(2, false);
    await rec.waitFor('unit 2 good again', () => B_TAGS.every((id) => rec.latest.get(id)?.q === 'good'), 20_000);
    for (const id of B_TAGS) expect(rec.latest.get(id)?.v, id).toBeCloseTo(EXPECTED[id] as number, 6);
    expect(rec.data.slice(fromAlive).flatMap((m) => m.readings).filter((r) => r.id.startsWith('rtu.a.') && r.q !== 'good')).toEqual([]);
    await until('unit 2 answering again (log)', () => logs.slice(fromLog).some((l) => l.msg === 'modbus unit answering again' && l.device === 'rtu-b'));
    await rec.waitFor('status shows unit 2 connected', () => rec.status.at(-1)?.devices['rtu-b'] === 'connected');
  }, 60_000);
});
