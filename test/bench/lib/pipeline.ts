import { mkdirSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { statusTopic } from '@park/protocol';
import type { TestInfluxd } from '../../harness/influxd.js';
import { influxCount, startFleet, startGateway, startServer, writeBenchPark, GATEWAY_ID, type Fleet, type Gateway, type Server } from './parts.js';
import { fetchMetrics } from './sampler.js';
import { processStats } from '../process-stats.js';

/**
 * The whole chain on this machine, as deployed: simulator fleet → gateway →
 * the server's embedded broker → server → InfluxDB, each part its own
 * process. Started server first (the broker must be there), stopped
 * gateway first (so that it flushes what it read).
 */

export const TOPIC_ROOT = 'park/v1';
export const POINTS_PER_UNIT = 1000;

export interface Pipeline {
  fleet: Fleet;
  server: Server;
  gateway: Gateway;
  tags: number;
  db: string;
  /** The server's RSS once started with the park loaded, before any gateway connected. */
  serverIdleRssMb: number;
  /** Gateway and server counters, and the readings on their way between them. */
  snapshot(): Promise<Snapshot>;
  /** Stops the gateway (it flushes and sends its final status), waits for the server to store what it accepted, and counts. */
  drain(timeoutMs: number): Promise<Drained>;
  stop(): Promise<void>;
}

export interface Snapshot {
  at: number;
  gwSamples: number;
  gwPublished: number;
  gwDropped: number;
  srvAccepted: number;
  srvWritten: number;
  /** Readings read by the gateway and not yet written to InfluxDB. */
  backlog: number;
  /** The server's JavaScript heap in use and reserved, and its memory outside the heap, bytes. */
  srvHeapUsed: number;
  srvHeapTotal: number;
  srvExternal: number;
}

export interface Drained {
  gwPublished: number;
  srvAccepted: number;
  srvWritten: number;
  stored: number;
  seqGapsOpen: number;
  srvDropped: number;
  srvRefused: number;
  rejected: number;
}

export async function startPipeline(dir: string, influxd: TestInfluxd, o: { tags: number; db: string; probes?: readonly string[] }): Promise<Pipeline> {
  mkdirSync(dir, { recursive: true });
  const devices = Math.max(1, Math.ceil(o.tags / POINTS_PER_UNIT));
  const points = Math.ceil(o.tags / devices);
  let fleet: Fleet | undefined;
  let server: Server | undefined;
  try {
    fleet = await startFleet({ devices, points, opcuaVariables: 0 });
    const { file, tags } = writeBenchPark(path.join(dir, 'park.json'), { devices, points, opcuaVariables: 0, modbusPort: fleet.modbusPort, opcuaPort: fleet.opcuaPort, pollIntervalMs: 1000, ...(o.probes ? { probes: o.probes } : {}) });
    server = await startServer(dir, file, influxd.databaseUrl(o.db));
    await new Promise((r) => setTimeout(r, 1000));
    const serverIdleRssMb = processStats(server.child.pid).rssBytes / 2 ** 20;
    const gateway = await startGateway(dir, file, server.mqttUrl);
    const f = fleet;
    const s = server;
    const snapshot = async (): Promise<Snapshot> => {
      const [g, m] = await Promise.all([fetchMetrics(gateway.metricsUrl), fetchMetrics(`${s.httpUrl}/metrics`)]);
      const gv = (k: string): number => g.get(`park_gateway_${k}`) ?? 0;
      const sv = (k: string): number => m.get(`park_ingest_${k}`) ?? 0;
      const inTransit = Math.max(0, gv('readings_published') - sv('readings_total'));
      return {
        at: performance.now(),
        gwSamples: gv('samples'),
        gwPublished: gv('readings_published'),
        gwDropped: gv('buffer_dropped') + gv('outbox_dropped_readings'),
        srvAccepted: sv('readings_total'),
        srvWritten: sv('readings_written_total'),
        backlog: gv('buffered_readings') + gv('outbox_readings') + inTransit + sv('backlog_readings'),
        srvHeapUsed: m.get('park_process_heap_used_bytes') ?? 0,
        srvHeapTotal: m.get('park_process_heap_total_bytes') ?? 0,
        srvExternal: m.get('park_process_external_memory_bytes') ?? 0,
      };
    };
    return {
      fleet: f,
      server: s,
      gateway,
      tags,
      db: o.db,
      serverIdleRssMb,
      snapshot,
      drain: async (timeoutMs) => {
        await gateway.child.stop();
        // The final status is retained: its counters are the gateway's last word.
        const client = await mqtt.connectAsync(s.mqttUrl, { reconnectPeriod: 0 });
        const status = await new Promise<{ counters?: Record<string, number> }>((resolve) => {
          const t = setTimeout(() => resolve({}), 5000);
          client.on('message', (_topic, payload) => {
            const msg = JSON.parse(payload.toString()) as { state?: string; counters?: Record<string, number> };
            if (msg.state === 'offline' && msg.counters) {
              clearTimeout(t);
              resolve(msg);
            }
          });
          void client.subscribeAsync(statusTopic(TOPIC_ROOT, GATEWAY_ID), { qos: 1 });
        });
        await client.endAsync();
        const deadline = performance.now() + timeoutMs;
        let m = await fetchMetrics(`${s.httpUrl}/metrics`);
        let last = -1;
        let stableSince = performance.now();
        for (;;) {
          const written = m.get('park_ingest_readings_written_total') ?? 0;
          const done = (m.get('park_ingest_backlog_readings') ?? 0) === 0 && written >= (m.get('park_ingest_readings_total') ?? 0);
          if (written !== last) {
            last = written;
            stableSince = performance.now();
          }
          if (done || performance.now() > deadline || performance.now() - stableSince > 15_000) break;
          await new Promise((r) => setTimeout(r, 250));
          m = await fetchMetrics(`${s.httpUrl}/metrics`);
        }
        return {
          gwPublished: status.counters?.['readingsPublished'] ?? NaN,
          srvAccepted: m.get('park_ingest_readings_total') ?? 0,
          srvWritten: m.get('park_ingest_readings_written_total') ?? 0,
          stored: await influxCount(influxd.url, o.db),
          seqGapsOpen: (m.get('park_ingest_seq_gaps_total') ?? 0) - (m.get('park_ingest_seq_gaps_filled_total') ?? 0),
          srvDropped: m.get('park_ingest_readings_dropped_total') ?? 0,
          srvRefused: m.get('park_ingest_readings_refused_total') ?? 0,
          rejected: m.get('park_ingest_rejected_total') ?? 0,
        };
      },
      stop: async () => {
        await gateway.child.stop();
        await s.child.stop();
        await f.child.stop();
      },
    };
  } catch (err) {
    await server?.child.stop();
    await fleet?.child.stop();
    throw err;
  }
}
