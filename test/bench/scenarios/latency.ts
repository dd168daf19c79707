/*
 * Scenario 3 of the benchmark issue: alarm latency with the end-to-end chain
 * under a moderate load. Probe tags of the fleet carry an H limit above any
 * fleet value; the simulator's control API holds one above it, and four
 * instants are taken on this machine's clocks:
 *
 *   change   the PUT to the simulator is sent
 *   read     the timestamp of the crossing reading: the gateway stamps a
 *            Modbus reading with its own clock when the answer arrives, and
 *            publishes it at most publish.maxBatchDelayMs (100 ms) later
 *   publish  the PUBLISH carrying the crossing reading left the gateway:
 *            the gateway talks to the broker through a TCP relay in this
 *            process (lib/publish-tap.ts), which stamps each PUBLISH with
 *            the arrival of its last byte and hands the bytes on unchanged
 *   alarm    the `alarm` event (state unack) reaches a Socket.IO client
 *
 * publish → alarm is the target ("gateway publish → client", p99 ≤ 100 ms).
 * A subscriber of the data topic cannot give the publish time: the embedded
 * broker runs the server's ingest hook before it fans a message out, so
 * under load a subscriber gets the message after the alarm. The relay sees
 * the bytes before the broker, so its stamp always precedes the alarm; its
 * own forwarding lies inside the interval, a little pessimistic.
 * change → alarm includes the gateway's poll period (1 s); read → alarm adds
 * the gateway's batching to publish → alarm and is kept in the notes.
 *
 * A probe is released (DELETE to the control API) once its alarm is seen and
 * reused only when the release has been answered and its return to normal
 * has reached the client; otherwise a new hold could be taken for the old
 * one, or the old alarm for the new crossing. A probe whose alarm or return
 * to normal does not come in time is retired for the rest of the run.
 * A Socket.IO disconnect or a break of the gateway's MQTT connection stops
 * the run with an error: what follows could not be told from missed alarms.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { io as connectSocket } from 'socket.io-client';
import { dataTopic, type AlarmEvent } from '@park/protocol';
import { startTestInfluxd } from '../../harness/influxd.js';
import { tempDir } from '../../harness/temp-dir.js';
import type { BenchContext } from '../context.js';
import { GATEWAY_ID, PROBE_LIMIT_H, PROBE_SITE, startFleet, startGateway, startServer, writeBenchPark, type Fleet, type Gateway, type Server } from '../lib/parts.js';
import { POINTS_PER_UNIT, TOPIC_ROOT } from '../lib/pipeline.js';
import { startPublishTap, type PublishTap, type TappedPublish } from '../lib/publish-tap.js';
import { percentile, Sampler, type Usage } from '../lib/sampler.js';
import { fmt, type Row } from '../report.js';

const PROBES = 20;
const HELD_VALUE = 2 * PROBE_LIMIT_H;
/** A crossing whose alarm has not come by then counts as missed; a release not confirmed by then retires its probe. */
const CROSSING_TIMEOUT_MS = 10_000;

interface Crossing {
  id: string;
  /** 'holding' until its alarm, then 'releasing' until the release is answered and the return to normal seen. */
  phase: 'holding' | 'releasing';
  /** All instants on `clock()` (ms since the epoch, sub-millisecond). */
  changeAt: number;
  /** The crossing reading's own timestamp (the gateway's clock, ms since the epoch). */
  readTs?: number;
  publishAt?: number;
  alarmAt?: number;
  releaseAnswered: boolean;
  returnSeen: boolean;
}

interface DataMessage {
  readings: { id: string; ts: number; v: number }[];
}

/** Wall-clock ms with performance.now()'s resolution, aligned with Date.now() once, as the reading timestamps are. */
function makeClock(): () => number {
  const origin = Date.now() - performance.now();
  return () => origin + performance.now();
}

export async function latencyScenario(ctx: BenchContext): Promise<Row[]> {
  // The load: the highest end-to-end step this machine sustains (docs/BENCHMARKS.md); BENCH_LATENCY_TAGS overrides.
  const tags = Number(process.env.BENCH_LATENCY_TAGS) || ctx.pick(100_000, 5_000, 500);
  const crossings = ctx.pick(200, 40, 6);
  const spacingMs = 250;
  const warmS = ctx.pick(8, 4, 2);
  const modeNote = ctx.mode === 'full' ? '' : ` (${ctx.mode} run: short and small, not for comparison)`;
  const probes = Array.from({ length: PROBES }, (_, i) => `fleet.m001.p${String(i + 1).padStart(5, '0')}`);
  const clock = makeClock();
  const influxd = await startTestInfluxd();
  const dir = tempDir('bench-latency');
  let fleet: Fleet | undefined;
  let server: Server | undefined;
  let tap: PublishTap | undefined;
  let gateway: Gateway | undefined;
  try {
    // The chain of lib/pipeline.ts, with the relay between the gateway and the server's broker.
    const chainDir = path.join(dir.path, 'chain');
    mkdirSync(chainDir, { recursive: true });
    const devices = Math.max(1, Math.ceil(tags / POINTS_PER_UNIT));
    const points = Math.ceil(tags / devices);
    fleet = await startFleet({ devices, points, opcuaVariables: 0 });
    const park = writeBenchPark(path.join(chainDir, 'park.json'), { devices, points, opcuaVariables: 0, modbusPort: fleet.modbusPort, opcuaPort: fleet.opcuaPort, pollIntervalMs: 1000, probes });
    server = await startServer(chainDir, park.file, influxd.databaseUrl('latency'));
    tap = await startPublishTap(server.mqttUrl, clock);
    gateway = await startGateway(chainDir, park.file, tap.url);
    const controlUrl = fleet.controlUrl;

    /** The first fault that makes further figures meaningless; the loop throws it. */
    let failure: Error | undefined;
    const fail = (err: Error): void => {
      failure ??= err;
    };
    let watching = true;
    tap.onClose((connection, reason) => {
      if (watching) fail(new Error(`the gateway's MQTT connection ${connection} through the relay ended during the run (${reason}): its messages would come late, as replays, or not at all`));
    });

    const login = await fetch(`${server.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'demo-operator' }) });
    if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    // Scoped to the probes' site: the client gets their values and alarms, not the whole load's values.
    const socket = connectSocket(server.httpUrl, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie }, auth: { sites: [PROBE_SITE] }, reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('snapshot', () => resolve());
        socket.once('connect_error', reject);
      });
      const done: Crossing[] = [];
      let missed = 0;
      let unconfirmed = 0;
      /** Crossings between their hold and the confirmed return to normal, by probe. */
      const busy = new Map<string, Crossing>();
      /** Crossings whose reading has not passed the relay yet, by probe. */
      const awaitingRead = new Map<string, Crossing>();
      /** Probes whose last crossing was not seen through: never used again in this run. */
      const retired = new Set<string>();
      let released = 0;

      socket.on('disconnect', (reason) => {
        if (watching) fail(new Error(`Socket.IO client disconnected during the run (${reason}) after ${done.length} alarms, ${missed} missed: alarms after it cannot reach it, and would count as missed`));
      });

      const topic = dataTopic(TOPIC_ROOT, GATEWAY_ID);
      tap.onPublish((p: TappedPublish) => {
        if (awaitingRead.size === 0 || p.topic !== topic) return;
        let parsed: DataMessage | undefined;
        for (const c of awaitingRead.values()) {
          if (p.payload.indexOf(c.id) < 0) continue;
          parsed ??= JSON.parse(p.payload.toString()) as DataMessage;
          const r = parsed.readings.find((x) => x.id === c.id && x.v >= PROBE_LIMIT_H);
          if (r) {
            c.readTs = r.ts;
            c.publishAt = p.at;
            awaitingRead.delete(c.id);
          }
        }
      });

      const settle = (c: Crossing): void => {
        // Free for the next crossing only when the simulator has let go and the server has seen the value fall back.
        if (c.releaseAnswered && c.returnSeen && busy.get(c.id) === c) {
          busy.delete(c.id);
          released++;
        }
      };
      const release = async (id: string): Promise<void> => {
        const res = await fetch(`${controlUrl}/api/sim/points/${id}`, { method: 'DELETE' });
        if (!res.ok) throw new Error(`simulator release ${id}: ${res.status} ${await res.text()}`);
      };

      socket.on('alarm', (ev: AlarmEvent) => {
        const now = clock();
        const c = busy.get(ev.tagId);
        if (!c || ev.kind !== 'h') return; // the probe's bad-quality and stale alarms are not its crossing
        if (c.phase === 'holding' && ev.state === 'unack') {
          c.alarmAt = now;
          c.phase = 'releasing';
          done.push(c);
          release(c.id).then(
            () => {
              c.releaseAnswered = true;
              settle(c);
            },
            (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
          );
        } else if (c.phase === 'releasing' && (ev.state === 'rtn-unack' || ev.state === 'normal')) {
          c.returnSeen = true;
          settle(c);
        }
      });

      await delay(warmS * 1000);
      if (failure) throw failure;
      if (tap.connections !== 1) throw new Error(`the gateway connected ${tap.connections} times through the relay before the run: its link is not steady`);
      const sampler = new Sampler([server.child.pid, gateway.child.pid]);
      sampler.begin();
      let started = 0;
      const startedAt = performance.now();
      while (done.length + missed < crossings) {
        if (failure) throw failure;
        const now = clock();
        for (const c of [...busy.values()]) {
          if (c.phase === 'holding' && now - c.changeAt > CROSSING_TIMEOUT_MS) {
            // A late alarm for it must not be taken for a later crossing: the probe is not used again.
            missed++;
            busy.delete(c.id);
            awaitingRead.delete(c.id);
            retired.add(c.id);
            await release(c.id);
          } else if (c.phase === 'releasing' && now - (c.alarmAt as number) > CROSSING_TIMEOUT_MS) {
            unconfirmed++;
            busy.delete(c.id);
            retired.add(c.id);
          }
        }
        if (started < crossings) {
          const free = probes.find((id) => !busy.has(id) && !retired.has(id));
          if (free) {
            const c: Crossing = { id: free, phase: 'holding', changeAt: clock(), releaseAnswered: false, returnSeen: false };
            busy.set(free, c);
            awaitingRead.set(free, c);
            started++;
            const res = await fetch(`${controlUrl}/api/sim/points/${free}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: HELD_VALUE }) });
            if (!res.ok) throw new Error(`simulator hold ${free}: ${res.status} ${await res.text()}`);
          } else if (busy.size === 0) {
            throw new Error(`every probe retired after ${done.length} alarms, ${missed} missed, ${unconfirmed} returns to normal not seen within ${CROSSING_TIMEOUT_MS} ms`);
          }
        }
        await delay(spacingMs);
        if (performance.now() - startedAt > crossings * spacingMs + 60_000) break;
      }
      if (failure) throw failure;
      const open = [...busy.values()].filter((c) => c.phase === 'holding').length;
      watching = false;
      const usage = sampler.end();
      const load = sampler.meanLoad();
      const serverUsage = usage.get(server.child.pid) as Usage;
      const gwUsage = usage.get(gateway.child.pid) as Usage;
      if (done.length === 0) throw new Error(`no crossing raised its alarm (${missed} missed, ${open} still open)`);

      const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
      const published = done.filter((c) => c.publishAt !== undefined && c.readTs !== undefined);
      const fromPublish = sorted(published.map((c) => (c.alarmAt as number) - (c.publishAt as number)));
      const fromRead = sorted(published.map((c) => (c.alarmAt as number) - (c.readTs as number)));
      const readToPublish = sorted(published.map((c) => (c.publishAt as number) - (c.readTs as number)));
      const fromChange = sorted(done.map((c) => (c.alarmAt as number) - c.changeAt));
      const ms = (x: number): string => (x < 10 ? x.toFixed(1) : x.toFixed(0));
      // When the slowest crossings happened, in seconds from the first change: early ones point at
      // the chain still settling (first stale checks, the first backlog), spread ones at the load.
      const firstChange = Math.min(...done.map((c) => c.changeAt));
      const slowest = [...published]
        .sort((a, b) => (b.alarmAt as number) - (b.publishAt as number) - ((a.alarmAt as number) - (a.publishAt as number)))
        .slice(0, 3)
        .map((c) => `${ms((c.alarmAt as number) - (c.publishAt as number))} ms at +${((c.changeAt - firstChange) / 1000).toFixed(1)} s`)
        .join(', ');
      const q = (xs: number[]): string => `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 95))} / ${ms(percentile(xs, 99))} ms`;
      const max = (xs: number[]): string => `max ${ms(xs.length ? (xs[xs.length - 1] as number) : NaN)} ms`;
      const common = `${done.length} crossings over ${PROBES} probe tags, started at least ${spacingMs} ms apart, ${missed} missed${open ? `, ${open} still open at the deadline` : ''}; a probe reused only after its release was answered and its return to normal reached the client (${released} confirmed, ${unconfirmed} not within ${CROSSING_TIMEOUT_MS / 1000} s, ${retired.size} probes retired); load ${fmt(park.tags)} tags @ 1 s through the chain; server CPU ${serverUsage.cpuPercent.toFixed(0)} %, gateway CPU ${gwUsage.cpuPercent.toFixed(0)} % of one core; load avg ${load.toFixed(1)}${modeNote}`;
      return [
        {
          scenario: 'alarm latency',
          metric: 'gateway publish → Socket.IO alarm, p50 / p95 / p99 (target p99 ≤ 100 ms)',
          value: q(fromPublish),
          ceiling: '—',
          ratio: '—',
          notes:
            `${max(fromPublish)}; publish = arrival of the last byte of the PUBLISH holding the crossing reading (the probe's first reading at or above the limit, matched by id, its ts kept) at a TCP relay between gateway and broker, one loopback hop after the gateway wrote it; ` +
            `the relay's forwarding to the broker (one more loopback hop) is inside the interval, so the figure is slightly pessimistic; ${published.length} of ${done.length} crossing readings seen at the relay; ` +
            `slowest ${slowest}; gateway read → alarm ${q(fromRead)} (${max(fromRead)}), of it read → publish ${q(readToPublish)} (gateway batching, ≤ 100 ms); ${common}`,
        },
        {
          scenario: 'alarm latency',
          metric: 'simulator change → Socket.IO alarm, p50 / p95 / p99 (includes the 1 s poll)',
          value: q(fromChange),
          ceiling: '—',
          ratio: '—',
          notes: `${max(fromChange)}; ${common}`,
        },
      ];
    } finally {
      watching = false;
      socket.close();
    }
  } finally {
    // Gateway first, so that it flushes what it read; the relay after it, before the broker goes.
    await gateway?.child.stop();
    await tap?.close();
    await server?.child.stop();
    await fleet?.child.stop();
    dir.remove();
    await influxd.stop();
  }
}
