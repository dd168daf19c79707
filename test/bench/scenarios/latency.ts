/*
 * Scenario 3 of the benchmark issue: alarm latency with the end-to-end chain
 * under a moderate load. Probe tags of the fleet carry an H limit above any
 * fleet value; the simulator's control API holds one above it, and three
 * instants are taken on this machine's one clock:
 *
 *   change   the PUT to the simulator is sent
 *   read     the timestamp of the crossing reading: the gateway stamps a
 *            Modbus reading with its own clock when the answer arrives, and
 *            publishes it at most publish.maxBatchDelayMs (100 ms) later
 *   alarm    the `alarm` event (state unack) reaches a Socket.IO client
 *
 * read → alarm is the gateway's batching and publish, the broker, the server
 * and Socket.IO: an upper bound of "gateway publish → alarm" (target p99 ≤
 * 100 ms). The crossing reading is found by a subscriber of the gateway's
 * data topic; the broker hands it to subscribers only after the server's
 * ingest hook has run, so under load that subscriber often gets it after
 * the alarm: its arrival time cannot stand for the publish. change → alarm
 * includes the gateway's poll period (1 s). The held probe is
 * released once its alarm is seen and reused after it has returned to
 * normal; crossings are started a fixed interval apart over several probes,
 * so the server sees alarms while it ingests the load.
 */
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import mqtt from 'mqtt';
import { io as connectSocket } from 'socket.io-client';
import { dataTopic, type AlarmEvent } from '@park/protocol';
import { startTestInfluxd } from '../../harness/influxd.js';
import { tempDir } from '../../harness/temp-dir.js';
import type { BenchContext } from '../context.js';
import { GATEWAY_ID, PROBE_LIMIT_H, PROBE_SITE } from '../lib/parts.js';
import { startPipeline, TOPIC_ROOT } from '../lib/pipeline.js';
import { percentile, Sampler, type Usage } from '../lib/sampler.js';
import { fmt, type Row } from '../report.js';

const PROBES = 20;
const HELD_VALUE = 2 * PROBE_LIMIT_H;
/** A crossing whose alarm has not come by then counts as missed. */
const CROSSING_TIMEOUT_MS = 10_000;

interface Crossing {
  id: string;
  /** Wall clock (ms since the epoch), comparable with reading timestamps. */
  changeAt: number;
  readTs?: number;
  /** The data message reached the subscriber after the alarm reached the client. */
  seenAfterAlarm?: boolean;
  alarmAt?: number;
  clearing: boolean;
  releasedAt?: number;
}

export async function latencyScenario(ctx: BenchContext): Promise<Row[]> {
  const tags = ctx.pick(20_000, 5_000, 500);
  const crossings = ctx.pick(200, 40, 6);
  const spacingMs = 250;
  const warmS = ctx.pick(8, 4, 2);
  const modeNote = ctx.mode === 'full' ? '' : ` (${ctx.mode} run: short and small, not for comparison)`;
  const probes = Array.from({ length: PROBES }, (_, i) => `fleet.m001.p${String(i + 1).padStart(5, '0')}`);
  const influxd = await startTestInfluxd();
  const dir = tempDir('bench-latency');
  try {
    const p = await startPipeline(path.join(dir.path, 'chain'), influxd, { tags, db: 'latency', probes });
    const monitor = await mqtt.connectAsync(p.server.mqttUrl, { reconnectPeriod: 0 });
    const login = await fetch(`${p.server.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'demo-operator' }) });
    if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    // Scoped to the probes' site: the client gets their values and alarms, not the whole load's values.
    const socket = connectSocket(p.server.httpUrl, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie }, auth: { sites: [PROBE_SITE] }, reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('snapshot', () => resolve());
        socket.once('connect_error', reject);
      });
      const active = new Map<string, Crossing>();
      /** Crossings whose reading has not been seen yet, by tag (a probe is reused only after its alarm returned to normal). */
      const awaitingRead = new Map<string, Crossing>();
      const done: Crossing[] = [];
      let missed = 0;
      monitor.on('message', (_topic, payload: Buffer) => {
        let parsed: { readings: { id: string; ts: number; v: number }[] } | undefined;
        for (const c of awaitingRead.values()) {
          if (payload.indexOf(c.id) < 0) continue;
          parsed ??= JSON.parse(payload.toString()) as { readings: { id: string; ts: number; v: number }[] };
          const r = parsed.readings.find((x) => x.id === c.id && x.v >= PROBE_LIMIT_H);
          if (r) {
            c.readTs = r.ts;
            c.seenAfterAlarm = c.alarmAt !== undefined;
            awaitingRead.delete(c.id);
          }
        }
      });
      await monitor.subscribeAsync(dataTopic(TOPIC_ROOT, GATEWAY_ID), { qos: 0 });
      socket.on('alarm', (ev: AlarmEvent) => {
        const now = Date.now();
        const c = active.get(ev.tagId);
        if (!c || ev.kind !== 'h') return; // the probe's bad-quality and stale alarms are not its crossing
        if (!c.clearing && ev.state === 'unack') {
          c.alarmAt = now;
          c.clearing = true;
          done.push(c);
          c.releasedAt = now;
          void fetch(`${p.fleet.controlUrl}/api/sim/points/${c.id}`, { method: 'DELETE' });
        } else if (c.clearing && (ev.state === 'rtn-unack' || ev.state === 'normal')) {
          active.delete(c.id);
        }
      });
      await delay(warmS * 1000);
      const sampler = new Sampler([p.server.child.pid, p.gateway.child.pid]);
      sampler.begin();
      let started = 0;
      const startedAt = performance.now();
      while (done.length + missed < crossings) {
        const now = Date.now();
        for (const c of [...active.values()]) {
          const since = c.clearing ? (c.releasedAt ?? c.changeAt) : c.changeAt;
          if (now - since > CROSSING_TIMEOUT_MS) {
            active.delete(c.id);
            if (!c.clearing) {
              missed++;
              void fetch(`${p.fleet.controlUrl}/api/sim/points/${c.id}`, { method: 'DELETE' });
            }
          }
        }
        if (started < crossings) {
          const free = probes.find((id) => !active.has(id));
          if (free) {
            const c: Crossing = { id: free, changeAt: Date.now(), clearing: false };
            active.set(free, c);
            awaitingRead.set(free, c);
            started++;
            const res = await fetch(`${p.fleet.controlUrl}/api/sim/points/${free}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: HELD_VALUE }) });
            if (!res.ok) throw new Error(`simulator hold ${free}: ${res.status} ${await res.text()}`);
          }
        }
        await delay(spacingMs);
        if (performance.now() - startedAt > crossings * spacingMs + 60_000) break;
      }
      const usage = sampler.end();
      const load = sampler.meanLoad();
      const serverUsage = usage.get(p.server.child.pid) as Usage;
      const gwUsage = usage.get(p.gateway.child.pid) as Usage;
      const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
      const withRead = done.filter((c) => c.readTs !== undefined);
      const fromPublish = sorted(withRead.map((c) => (c.alarmAt as number) - (c.readTs as number)));
      const seenLate = withRead.filter((c) => c.seenAfterAlarm).length;
      const fromChange = sorted(done.map((c) => (c.alarmAt as number) - c.changeAt));
      const q = (xs: number[]): string => `${percentile(xs, 50).toFixed(0)} / ${percentile(xs, 95).toFixed(0)} / ${percentile(xs, 99).toFixed(0)} ms`;
      const common = `${done.length} crossings over ${PROBES} probe tags, one every ${spacingMs} ms, ${missed} missed; load ${fmt(p.tags)} tags @ 1 s through the chain; server CPU ${serverUsage.cpuPercent.toFixed(0)} %, gateway CPU ${gwUsage.cpuPercent.toFixed(0)} % of one core; load avg ${load.toFixed(1)}${modeNote}`;
      return [
        {
          scenario: 'alarm latency',
          metric: 'gateway read (≤ 100 ms before its publish) → Socket.IO alarm, p50 / p95 / p99 (target p99 ≤ 100 ms from publish)',
          value: q(fromPublish),
          ceiling: '—',
          ratio: '—',
          notes: `max ${Math.max(...fromPublish).toFixed(0)} ms; ${fromPublish.length} crossing readings found on the broker, ${seenLate} of them only after the alarm had reached the client; ${common}`,
        },
        {
          scenario: 'alarm latency',
          metric: 'simulator change → Socket.IO alarm, p50 / p95 / p99 (includes the 1 s poll)',
          value: q(fromChange),
          ceiling: '—',
          ratio: '—',
          notes: `max ${Math.max(...fromChange).toFixed(0)} ms; ${common}`,
        },
      ];
    } finally {
      socket.close();
      await monitor.endAsync();
      await p.stop();
    }
  } finally {
    dir.remove();
    await influxd.stop();
  }
}
