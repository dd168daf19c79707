/*
 * Scenario 4 of the benchmark issue, and the gateway half of 6: the built
 * gateway (a child process, so /proc gives its own CPU and memory) polls the
 * simulator fleet over Modbus TCP, with block coalescing on (the default
 * plan: 62 float32 per 124-register read) and off (maxRegistersPerRead 2:
 * one read per tag), and subscribes to the fleet's OPC UA variables at 1 s.
 * Every fleet value changes once a second, so at a 1 s poll every reading is
 * new and is published (to a Mosquitto with no subscriber: the broker is not
 * what is measured here). The raw pipelined client of the fleet scenario
 * gives the protocol ceiling against the same fleet in the same run.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startTestMosquitto, type TestMosquitto } from '../../harness/brokers.js';
import { tempDir } from '../../harness/temp-dir.js';
import type { BenchContext } from '../context.js';
import { fetchMetrics, Sampler, type Usage } from '../lib/sampler.js';
import { startFleet, startGateway, writeBenchPark, type Fleet } from '../lib/parts.js';
import { fmt, type Row } from '../report.js';
import { rawCeiling, type RawCeiling } from './fleet.js';

/** A step counts as sustained when the gateway read at least this share of the offered tags/s. */
const SUSTAINED_SHARE = 0.95;

interface StepResult {
  tags: number;
  offered: number;
  samples: number;
  published: number;
  requests: number;
  overruns: number;
  dropped: number;
  errors: number;
  usage: Usage;
  startupMs: number;
  load: number;
}

const sustained = (r: StepResult): boolean => r.samples >= SUSTAINED_SHARE * r.offered && r.dropped === 0;
const cpuPer10k = (r: StepResult): number => r.usage.cpuPercent / (r.samples / 10_000);

async function measureGateway(
  dir: string,
  label: string,
  park: Parameters<typeof writeBenchPark>[1],
  broker: TestMosquitto,
  warmS: number,
  windowS: number,
  waitFull?: { items: number; timeoutS: number },
): Promise<StepResult & { fullAfterMs?: number }> {
  const stepDir = path.join(dir, label);
  mkdirSync(stepDir, { recursive: true });
  const { file, tags } = writeBenchPark(path.join(stepDir, 'park.json'), park);
  const gw = await startGateway(stepDir, file, broker.url);
  try {
    let fullAfterMs: number | undefined;
    if (waitFull) {
      // OPC UA: creating thousands of monitored items takes a while; measure from when they all deliver.
      const deadline = performance.now() + waitFull.timeoutS * 1000;
      let prev = (await fetchMetrics(gw.metricsUrl)).get('park_gateway_samples') ?? 0;
      for (;;) {
        await delay(1000);
        const now = (await fetchMetrics(gw.metricsUrl)).get('park_gateway_samples') ?? 0;
        if (now - prev >= 0.95 * waitFull.items) {
          fullAfterMs = performance.now() - gw.child.spawnedAt;
          break;
        }
        prev = now;
        if (performance.now() > deadline) break;
      }
    }
    await delay(warmS * 1000);
    const sampler = new Sampler([gw.child.pid]);
    const m0 = await fetchMetrics(gw.metricsUrl);
    sampler.begin();
    await delay(windowS * 1000);
    const m1 = await fetchMetrics(gw.metricsUrl);
    const usage = sampler.end().get(gw.child.pid) as Usage;
    const d = (name: string): number => (m1.get(name) ?? 0) - (m0.get(name) ?? 0);
    const s = usage.seconds;
    const pollMs = park.pollIntervalMs ?? 1000;
    return {
      tags,
      offered: park.devices > 0 ? (tags * 1000) / pollMs : tags,
      samples: d('park_gateway_samples') / s,
      published: d('park_gateway_readings_published') / s,
      requests: d('park_gateway_reads') / s,
      overruns: d('park_gateway_poll_overruns'),
      dropped: d('park_gateway_buffer_dropped'),
      errors: d('park_gateway_read_errors') + d('park_gateway_timeouts'),
      usage,
      startupMs: gw.startupMs,
      load: sampler.meanLoad(),
      ...(fullAfterMs !== undefined ? { fullAfterMs } : {}),
    };
  } finally {
    await gw.child.stop();
  }
}

/** Start-up time and RSS of a gateway with `tags` configured that polls once an hour: idle. */
async function idleGateway(dir: string, fleet: Fleet, broker: TestMosquitto, devices: number, points: number, settleS: number): Promise<{ startupMs: number; rssMb: number; tags: number }> {
  const stepDir = path.join(dir, 'idle');
  mkdirSync(stepDir, { recursive: true });
  const { file, tags } = writeBenchPark(path.join(stepDir, 'park.json'), { devices, points, opcuaVariables: 0, modbusPort: fleet.modbusPort, opcuaPort: fleet.opcuaPort, pollIntervalMs: 3_600_000 });
  const gw = await startGateway(stepDir, file, broker.url);
  try {
    await delay(settleS * 1000);
    const sampler = new Sampler([gw.child.pid]);
    sampler.begin();
    const usage = sampler.end().get(gw.child.pid) as Usage;
    return { startupMs: gw.startupMs, rssMb: usage.rssMb, tags };
  } finally {
    await gw.child.stop();
  }
}

const ratio = (a: number, b: number): string => (b > 0 ? `${((a / b) * 100).toFixed(1)} %` : '—');

export async function gatewayScenario(ctx: BenchContext): Promise<Row[]> {
  const points = ctx.pick(1000, 1000, 100);
  const onSteps = ctx.pick([10_000, 50_000, 100_000], [10_000], [500]);
  const offSteps = ctx.pick([10_000, 20_000], [5_000], [300]);
  const warmS = ctx.pick(5, 2, 1);
  const windowS = ctx.pick(15, 4, 2);
  const rawS = ctx.pick(5, 2, 1);
  const opcuaItems = ctx.pick(20_000, 1_000, 100);
  const idleTags = ctx.pick(10_000, 10_000, 500);
  const units = Math.max(...onSteps, ...offSteps, idleTags) / points;
  const modeNote = ctx.mode === 'full' ? '' : ` (${ctx.mode} run: short and small, not for comparison)`;

  const dir = tempDir('bench-gateway');
  const broker = await startTestMosquitto();
  const rows: Row[] = [];
  try {
    const fleet = await startFleet({ devices: units, points, opcuaVariables: 0 });
    let rawOn: RawCeiling;
    let rawOff: RawCeiling;
    const on: StepResult[] = [];
    const off: StepResult[] = [];
    let idle: Awaited<ReturnType<typeof idleGateway>>;
    try {
      rawOn = await rawCeiling(fleet.modbusPort, { units, points, block: 124 }, rawS);
      rawOff = await rawCeiling(fleet.modbusPort, { units, points, block: 2 }, rawS);
      idle = await idleGateway(dir.path, fleet, broker, idleTags / points, points, ctx.pick(3, 2, 1));
      for (const tags of onSteps) {
        const r = await measureGateway(dir.path, `on-${tags}`, { devices: tags / points, points, opcuaVariables: 0, modbusPort: fleet.modbusPort, opcuaPort: fleet.opcuaPort, pollIntervalMs: 1000 }, broker, warmS, windowS);
        on.push(r);
        if (!sustained(r)) break;
      }
      for (const tags of offSteps) {
        const r = await measureGateway(dir.path, `off-${tags}`, { devices: tags / points, points, opcuaVariables: 0, modbusPort: fleet.modbusPort, opcuaPort: fleet.opcuaPort, pollIntervalMs: 1000, maxRegistersPerRead: 2 }, broker, warmS, windowS);
        off.push(r);
        if (!sustained(r)) break;
      }
    } finally {
      await fleet.child.stop();
    }
    const rawOnTags = rawOn.registersPerSecond / 2;
    const rawOffTags = rawOff.registersPerSecond / 2;
    rows.push(
      { scenario: 'gateway raw ceiling', metric: 'Modbus TCP tags/s, raw pipelined client, 124-register reads', value: fmt(rawOnTags), ceiling: '—', ratio: '—', notes: `${units} units × ${points} float32; ${fmt(rawOn.requestsPerSecond)} requests/s, ${rawOn.bad} bad answers, ${rawS} s${modeNote}` },
      { scenario: 'gateway raw ceiling', metric: 'Modbus TCP tags/s, raw pipelined client, 2-register reads', value: fmt(rawOffTags), ceiling: '—', ratio: '—', notes: `one float32 per request; ${rawOff.bad} bad answers, ${rawS} s${modeNote}` },
    );
    const stepRow = (coalescing: 'on' | 'off', r: StepResult, ceiling: number): Row => ({
      scenario: 'gateway Modbus',
      metric: `tags/s read, coalescing ${coalescing}, ${fmt(r.tags)} tags @ 1 s (target ≥ 50,000 on ≤ 1 core)`,
      value: fmt(r.samples),
      ceiling: fmt(ceiling),
      ratio: ratio(r.samples, ceiling),
      notes:
        `${sustained(r) ? 'sustained' : 'NOT sustained'}: offered ${fmt(r.offered)}/s, published ${fmt(r.published)}/s, ${fmt(r.requests)} requests/s, ${r.overruns} poll overruns, ${r.dropped} dropped, ${r.errors} errors; ` +
        `gateway CPU ${r.usage.cpuPercent.toFixed(0)} % of one core = ${cpuPer10k(r).toFixed(1)} % per 10k tags/s; RSS ${r.usage.rssMb.toFixed(0)} MB (peak ${r.usage.peakRssMb.toFixed(0)}); start-up ${fmt(r.startupMs)} ms; ${windowS} s window; load avg ${r.load.toFixed(1)}${modeNote}`,
    });
    for (const r of on) rows.push(stepRow('on', r, rawOnTags));
    for (const r of off) rows.push(stepRow('off', r, rawOffTags));
    const withTenK = on.find((r) => r.tags >= 10_000);
    rows.push({
      scenario: 'gateway footprint',
      metric: `RSS idle, ${fmt(idle.tags)} Modbus tags configured (hourly poll)`,
      value: `${idle.rssMb.toFixed(0)} MB`,
      ceiling: '—',
      ratio: '—',
      notes: `start-up ${fmt(idle.startupMs)} ms (spawn → "gateway ready")${withTenK ? `; loaded with ${fmt(withTenK.tags)} tags @ 1 s: RSS ${withTenK.usage.rssMb.toFixed(0)} MB, peak ${withTenK.usage.peakRssMb.toFixed(0)} MB (target ≤ 150 MB)` : ''}${modeNote}`,
    });

    // OPC UA: a fleet of `opcuaItems` variables, every one changing once a second.
    const uaFleet = await startFleet({ devices: 0, points: 1, opcuaVariables: opcuaItems });
    try {
      const r = await measureGateway(
        dir.path,
        'opcua',
        { devices: 0, points: 1, opcuaVariables: opcuaItems, modbusPort: uaFleet.modbusPort, opcuaPort: uaFleet.opcuaPort, opcuaSamplingMs: 1000 },
        broker,
        warmS,
        windowS,
        { items: opcuaItems, timeoutS: ctx.pick(120, 60, 30) },
      );
      rows.push({
        scenario: 'gateway OPC UA',
        metric: `items delivered/s, ${fmt(opcuaItems)} monitored items @ 1 s (target 20,000 items)`,
        value: fmt(r.samples),
        ceiling: fmt(opcuaItems),
        ratio: ratio(r.samples, opcuaItems),
        notes:
          `${r.fullAfterMs !== undefined ? `all items delivering ${fmt(r.fullAfterMs)} ms after spawn` : 'never all items within the wait'}; published ${fmt(r.published)}/s, ${r.dropped} dropped, ${r.errors} errors; ` +
          `gateway CPU ${r.usage.cpuPercent.toFixed(0)} % of one core = ${cpuPer10k(r).toFixed(1)} % per 10k items/s; RSS ${r.usage.rssMb.toFixed(0)} MB (peak ${r.usage.peakRssMb.toFixed(0)}); simulator start-up ${fmt(uaFleet.startupMs)} ms; load avg ${r.load.toFixed(1)}${modeNote}`,
      });
    } finally {
      await uaFleet.child.stop();
    }
    return rows;
  } finally {
    await broker.stop();
    dir.remove();
  }
}
