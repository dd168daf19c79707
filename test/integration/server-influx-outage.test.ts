import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { startParkServer } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

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
});
