import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { InfluxWriteError } from '@park/server';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

// Points InfluxDB refuses for good (here: a field type conflict) are counted,
// reported and not retried forever; everything else keeps flowing.
describe('server: readings InfluxDB refuses', () => {
  let influxd: TestInfluxd;
  let park: TestParkServer;
  const old = Date.now() - 3 * 86_400_000;

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    park = await startParkServer({ influxd });
    // Someone wrote `q` as a float into the shard of three days ago.
    const res = await fetch(`${influxd.url}/write?db=park&rp=raw&precision=ms`, { method: 'POST', body: `reading,id=r.other v=1,q=0.5 ${old}` });
    expect(res.status).toBe(204);
  });
  afterAll(async () => {
    await park?.stop();
    await influxd?.stop();
  });

  it('the store says a conflicting write is permanent', async () => {
    const err = await influxd
      .store()
      .writeReadings([{ id: 'r.x', ts: old + 1, v: 1, q: 0, source: '', site: '' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfluxWriteError);
    expect((err as InfluxWriteError).permanent).toBe(true);
    expect((err as InfluxWriteError).message).toMatch(/field type conflict/);
  });

  it('counts refused readings, keeps writing the others, and reports it in health and metrics', async () => {
    const gw = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
    await gw.publishAsync(dataTopic('park/v1', 'gw-r'), encodeDataMessage({ gateway: 'gw-r', seq: 1, readings: [{ id: 'r.a', ts: old + 10, v: 1, q: 'good' }] }), { qos: 1 });
    await expect.poll(() => park.server.ingest.counters.refused).toBe(1);
    const now = Date.now();
    await gw.publishAsync(dataTopic('park/v1', 'gw-r'), encodeDataMessage({ gateway: 'gw-r', seq: 2, readings: [{ id: 'r.b', ts: now, v: 2, q: 'good' }] }), { qos: 1 });
    await gw.endAsync();
    await expect.poll(() => park.server.ingest.counters.written).toBe(1);
    expect(park.server.ingest.backlog()).toBe(0);
    expect(await influxd.store().queryReadings(['r.b'], now, now)).toEqual([{ id: 'r.b', ts: now, v: 2, q: 0 }]);
    const health = (await (await fetch(`${park.url}/api/health`)).json()) as { components: Record<string, { status: string; detail?: string }> };
    expect(health.components['ingest']).toMatchObject({ status: 'degraded', detail: expect.stringContaining('InfluxDB refused 1 readings') });
    expect(await (await fetch(`${park.url}/metrics`)).text()).toMatch(/^park_ingest_readings_refused_total 1$/m);
  });
});
