import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { startParkServer } from '../harness/park-server.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';

// Issue 9: InfluxDB answering slowly under load. Every write takes over a
// second to be answered for a while; the server keeps accepting (the queue
// grows, spilling to disk if it must), its health says InfluxDB is slow or
// the backlog grows, and when InfluxDB is quick again every accepted reading
// is stored, none twice.
describe('server: InfluxDB answering slowly', () => {
  let influxd: TestInfluxd;
  // In front of InfluxDB, holding every answer `delayMs` (a busy disk, compaction, a slow network).
  let proxy: FaultProxy;
  beforeAll(async () => {
    influxd = await startTestInfluxd();
    const u = new URL(influxd.url);
    proxy = await startFaultProxy({ host: u.hostname, port: Number(u.port) });
  });
  afterAll(async () => {
    await proxy?.close();
    await influxd?.stop();
  });

  it('keeps accepting while writes take over a second, then stores every reading once', async () => {
    const server = await startParkServer({ influxd, config: { influx: { url: `http://127.0.0.1:${proxy.port}/park` } } });
    const client = await mqtt.connectAsync(server.mqttUrl, { reconnectPeriod: 0 });
    const ts0 = Date.now() - 20 * 60_000;
    const PER_MESSAGE = 100;
    let sent = 0;
    let acked = 0;
    const send = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const m = sent++;
        const readings = Array.from({ length: PER_MESSAGE }, (_, k) => ({ id: `slow.t${k}`, ts: ts0 + m, v: m * PER_MESSAGE + k, q: 'good' as const }));
        await client.publishAsync(dataTopic('park/v1', 'gw-slow'), encodeDataMessage({ gateway: 'gw-slow', seq: m + 1, readings }), { qos: 1 });
        acked++;
      }
    };
    const count = async (): Promise<number> => {
      const q = encodeURIComponent(`SELECT count("v") FROM "raw"."reading" WHERE time >= ${ts0}ms AND time < ${ts0 + sent}ms`);
      const res = (await (await fetch(`${influxd.url}/query?db=park&q=${q}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
      return res.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    };
    try {
      await send(50);
      await expect.poll(count, { timeout: 20_000 }).toBe(5000);

      // Slow: every answer from InfluxDB held 1.5 s. Publishing is not held up: every message is acknowledged.
      proxy.delayMs = 1500;
      await send(300);
      expect(acked).toBe(350);
      await expect.poll(() => server.server.ingest.backlog(), { timeout: 10_000 }).toBeGreaterThan(0);

      // Quick again: everything is written, once.
      proxy.delayMs = 0;
      await expect.poll(() => server.server.ingest.backlog(), { timeout: 60_000, interval: 250 }).toBe(0);
      await expect.poll(count, { timeout: 30_000, interval: 500 }).toBe(sent * PER_MESSAGE);
      const distinct = encodeURIComponent(`SELECT count(distinct("v")) FROM "raw"."reading" WHERE time >= ${ts0}ms AND time < ${ts0 + sent}ms`);
      const res = (await (await fetch(`${influxd.url}/query?db=park&q=${distinct}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
      expect(res.results[0]?.series?.[0]?.values[0]?.[1]).toBe(sent * PER_MESSAGE);
    } finally {
      proxy.delayMs = 0;
      await client.endAsync().catch(() => {});
      await server.stop();
    }
  }, 180_000);
});
