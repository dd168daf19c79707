import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { startParkServer } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

/** INFLUX_OUTAGE_S shortens the outage while working on this file; the issue asks for 60 s. */
const OUTAGE_MS = Number(process.env['INFLUX_OUTAGE_S'] ?? 60) * 1000;
/** 50 messages of 100 readings a second: 5,000 readings/s, so the 60 s outage outgrows the in-memory queue and spills. */
const PER_MESSAGE = 100;
const MESSAGES_PER_S = 50;

// Readings accepted while InfluxDB is away are written when it returns, also
// across a restart of the server in the middle of the outage.
describe('server: InfluxDB outage loses nothing', () => {
  let influxd: TestInfluxd;
  const data = tempDir('outage');
  beforeAll(async () => {
    influxd = await startTestInfluxd();
  });
  afterAll(async () => {
    await influxd?.stop();
    data.remove();
  });

  const publish = async (mqttUrl: string, seqFrom: number, ts0: number, count: number): Promise<void> => {
    const c = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
    for (let i = 0; i < count; i++) {
      const readings = Array.from({ length: 100 }, (_, k) => ({ id: `o.t${k}`, ts: ts0 + i, v: (seqFrom + i) * 100 + k, q: 'good' as const }));
      await c.publishAsync(dataTopic('park/v1', 'gw-o'), encodeDataMessage({ gateway: 'gw-o', seq: seqFrom + i, readings }), { qos: 1 });
    }
    await c.endAsync();
  };

  it('queues, spools through a server restart, and writes everything when InfluxDB returns', async () => {
    const ts0 = Date.now() - 60_000;
    const first = await startParkServer({ influxd, dataDir: data.path });
    await influxd.pause();
    await publish(first.mqttUrl, 1, ts0, 20);
    await expect.poll(() => first.server.ingest.backlog()).toBe(2000);
    const health = (await (await fetch(`${first.url}/api/health`)).json()) as { status: string; components: Record<string, { status: string; detail?: string }> };
    expect(health.status).toBe('degraded');
    expect(health.components['influxdb']?.status).toBe('down');
    await first.stop();

    // A new server on the same data folder, InfluxDB still away: the spool is kept.
    const second = await startParkServer({ influxd, dataDir: data.path });
    expect(second.server.ingest.backlog()).toBe(2000);
    await publish(second.mqttUrl, 21, ts0 + 20, 10);
    await expect.poll(() => second.server.ingest.backlog()).toBe(3000);

    await influxd.resume();
    await expect.poll(() => second.server.ingest.backlog(), { timeout: 30_000 }).toBe(0);
    const rows = await influxd.store().queryReadings(Array.from({ length: 100 }, (_, k) => `o.t${k}`), ts0, ts0 + 100);
    expect(rows).toHaveLength(3000);
    expect(new Set(rows.map((r) => r.v)).size).toBe(3000);
    await second.stop();
  });

  it('InfluxDB stopped for 60 s under load, then started: every accepted reading is stored', async () => {
    const dir = tempDir('outage-load');
    const server = await startParkServer({ influxd, dataDir: dir.path });
    const client = await mqtt.connectAsync(server.mqttUrl, { reconnectPeriod: 0 });
    const ts0 = Date.now() - 10 * 60_000;
    let sent = 0;
    let acked = 0;
    let failed: unknown;
    // A steady publisher: one message every 1000 / MESSAGES_PER_S ms, each resolved on its PUBACK.
    const timer = setInterval(() => {
      const m = sent++;
      const readings = Array.from({ length: PER_MESSAGE }, (_, k) => ({ id: `ol.t${k}`, ts: ts0 + m, v: m * PER_MESSAGE + k, q: 'good' as const }));
      client.publishAsync(dataTopic('park/v1', 'gw-ol'), encodeDataMessage({ gateway: 'gw-ol', seq: m + 1, readings }), { qos: 1 }).then(
        () => void acked++,
        (err: unknown) => void (failed ??= err),
      );
    }, 1000 / MESSAGES_PER_S);
    const count = async (): Promise<number> => {
      const q = encodeURIComponent(`SELECT count("v") FROM "raw"."reading" WHERE time >= ${ts0}ms AND time < ${ts0 + sent}ms`);
      const res = (await (await fetch(`${influxd.url}/query?db=park&q=${q}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
      return res.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    };
    try {
      await expect.poll(count, { timeout: 20_000 }).toBeGreaterThan(0);
      await influxd.pause();
      const ackedBefore = acked;
      // The outage itself lasts OUTAGE_MS; the load keeps coming.
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const backlog = server.server.ingest.backlog();
      const ackedDuring = acked - ackedBefore;
      // Everything acknowledged while InfluxDB was away is waiting, in memory or spilled to disk.
      expect(ackedDuring).toBeGreaterThan(0);
      expect(backlog).toBeGreaterThanOrEqual(ackedDuring * PER_MESSAGE);
      const health = (await (await fetch(`${server.url}/api/health`)).json()) as { components: Record<string, { status: string }> };
      expect(health.components['influxdb']?.status).toBe('down');
      await influxd.resume();
      // Load keeps flowing while the backlog drains.
      await expect.poll(() => server.server.ingest.backlog(), { timeout: 120_000, interval: 500 }).toBeLessThan(backlog / 10);
      clearInterval(timer);
      await expect.poll(() => acked, { timeout: 20_000 }).toBe(sent);
      expect(failed).toBeUndefined();
      await expect.poll(() => server.server.ingest.backlog(), { timeout: 60_000, interval: 250 }).toBe(0);
      expect(sent * PER_MESSAGE).toBeGreaterThan(backlog);
      await expect.poll(count, { timeout: 30_000, interval: 500 }).toBe(acked * PER_MESSAGE);
    } finally {
      clearInterval(timer);
      await client.endAsync().catch(() => {});
      await server.stop();
      dir.remove();
    }
  }, OUTAGE_MS + 240_000);
});
