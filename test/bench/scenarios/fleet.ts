/*
 * The simulator fleet as a load generator (issue 3) and the raw Modbus TCP
 * ceiling against it (issue 8, scenario 4): a pipelined raw client reads
 * every unit's holding registers in 125-register blocks as fast as the fleet
 * answers, and checks every answer's length.
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../harness/ports.js';
import { fmt, REPO_ROOT, type Row } from '../report.js';
import { peakRss, processStats } from '../process-stats.js';
import type { BenchContext } from '../context.js';

const UNITS = 20;
const POINTS = 500; // float32 → 1,000 registers per unit
const CONNECTIONS = 2;
const IN_FLIGHT = 32;
const BLOCK = 125;

interface Load {
  registers: number;
  requests: number;
  bad: number;
}

interface Shape {
  units: number;
  points: number;
  block: number;
}

/** One connection keeping IN_FLIGHT requests outstanding, cycling over units and blocks. */
function pump(port: number, until: number, load: Load, offset: number, shape: Shape): Promise<void> {
  const { units: UNITS, points: POINTS, block: BLOCK } = shape;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const blocks = Math.ceil((POINTS * 2) / BLOCK);
    let next = offset;
    let tid = 0;
    let inFlight = 0;
    let buf: Buffer = Buffer.alloc(0);
    const send = (): void => {
      while (inFlight < IN_FLIGHT && Date.now() < until) {
        const n = next++;
        const unit = 1 + (n % UNITS);
        const block = Math.floor(n / UNITS) % blocks;
        const start = block * BLOCK;
        const count = Math.min(BLOCK, POINTS * 2 - start);
        const req = Buffer.alloc(12);
        req.writeUInt16BE(tid++ & 0xffff, 0);
        req.writeUInt16BE(0, 2);
        req.writeUInt16BE(6, 4);
        req.writeUInt8(unit, 6);
        req.writeUInt8(3, 7);
        req.writeUInt16BE(start, 8);
        req.writeUInt16BE(count, 10);
        socket.write(req);
        inFlight++;
      }
      if (inFlight === 0) socket.end();
    };
    socket.on('connect', send);
    socket.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 9) {
        const len = buf.readUInt16BE(4) + 6;
        if (buf.length < len) break;
        const fc = buf.readUInt8(7);
        if (fc === 3) load.registers += buf.readUInt8(8) / 2;
        else load.bad++;
        load.requests++;
        inFlight--;
        buf = buf.subarray(len);
      }
      send();
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

export interface RawCeiling {
  registersPerSecond: number;
  requestsPerSecond: number;
  bad: number;
  seconds: number;
}

/**
 * The raw Modbus TCP ceiling of a running fleet: CONNECTIONS pipelined
 * connections reading `block`-register blocks of the first `units` units as
 * fast as the fleet answers.
 */
export async function rawCeiling(port: number, shape: Shape, seconds: number): Promise<RawCeiling> {
  const load: Load = { registers: 0, requests: 0, bad: 0 };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => pump(port, t0 + seconds * 1000, load, i * 7, shape)));
  const s = (Date.now() - t0) / 1000;
  return { registersPerSecond: load.registers / s, requestsPerSecond: load.requests / s, bad: load.bad, seconds: s };
}

export async function fleetScenario(ctx: BenchContext): Promise<Row[]> {
  const SECONDS = ctx.pick(10, 4, 1);
  const [modbusPort, opcuaPort, controlPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'simulators', 'dist', 'main.js'), '--fleet', '--devices', String(UNITS), '--points', String(POINTS), '--opcua-variables', '100', '--modbus-port', String(modbusPort), '--opcua-port', String(opcuaPort), '--control-port', String(controlPort), '--no-rtu', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 30_000;
    while (!(await fetch(`http://127.0.0.1:${controlPort}/api/sim/points`).then((r) => r.ok).catch(() => false))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('fleet simulators did not start');
      await delay(200);
    }
    const cpu0 = processStats(child.pid as number).cpuSeconds;
    const raw = await rawCeiling(modbusPort, { units: UNITS, points: POINTS, block: BLOCK }, SECONDS);
    const seconds = raw.seconds;
    const cpu = processStats(child.pid as number).cpuSeconds - cpu0;
    const rate = raw.registersPerSecond;
    const load = { requests: raw.requestsPerSecond * seconds, bad: raw.bad };
    return [
      {
        scenario: 'fleet Modbus TCP',
        metric: 'registers/s, pipelined raw client (protocol ceiling under the gateway)',
        value: fmt(rate),
        ceiling: '—',
        ratio: '—',
        notes: `${UNITS} units × ${POINTS} float32, ${BLOCK}-register reads, ${CONNECTIONS} connections × ${IN_FLIGHT} in flight, ${SECONDS} s; ${fmt(load.requests / seconds)} requests/s; ${load.bad} bad answers; simulator CPU ${((cpu / seconds) * 100).toFixed(0)} % of one core, peak RSS ${(peakRss(child.pid as number) / 1024 ** 2).toFixed(0)} MB`,
      },
    ];
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
