import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage, QUALITY_CODE } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

describe('server: MQTT ingest into InfluxDB, health', () => {
  let park: TestParkServer;
  let gateway: MqttClient;

  beforeAll(async () => {
    park = await startParkServer();
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await gateway?.endAsync(true);
    await park?.stop();
  });

  it('reports every component healthy', async () => {
    const res = await fetch(`${park.url}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; components: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.components)).toEqual(expect.arrayContaining(['influxdb', 'mqtt', 'ingest']));
  });

  it('stores a published batch with its source and site, then counts and drops garbage without stopping', async () => {
    const ts = Date.now() - 1000;
    const ingest = park.server.ingest;
    const before = { ...ingest.counters, rejected: { ...ingest.counters.rejected } };

    await gateway.publishAsync('park/v1/gw-b/data', Buffer.from('{not json'), { qos: 1 });
    await gateway.publishAsync('park/v1/gw-b/data', JSON.stringify({ gateway: 'gw-b', seq: 1, readings: [{ id: 'b.hs03.gd01', ts, v: 'NaN', q: 'good' }] }), { qos: 1 });
    await gateway.publishAsync(
      dataTopic('park/v1', 'gw-b'),
      encodeDataMessage({ gateway: 'gw-b', seq: 2, readings: [{ id: 'b.hs03.gd01', ts, v: 12.5, q: 'good' }, { id: 'b.hs03.v201.level', ts, v: 0, q: 'bad', err: 'timeout' }] }),
      { qos: 1 },
    );

    await expect.poll(() => ingest.counters.written - before.written, { timeout: 10_000 }).toBe(2);
    expect(await ingest.drain()).toBe(true);
    expect(ingest.counters.rejected['not-json']).toBe((before.rejected['not-json'] ?? 0) + 1);
    expect(ingest.counters.rejected.schema).toBe((before.rejected.schema ?? 0) + 1);

    const rows = await park.server.store.queryReadings(['b.hs03.gd01', 'b.hs03.v201.level'], ts, ts);
    expect(rows).toEqual([
      { id: 'b.hs03.gd01', ts, v: 12.5, q: QUALITY_CODE.good },
      { id: 'b.hs03.v201.level', ts, v: 0, q: QUALITY_CODE.bad },
    ]);
    const res = await fetch(`${park.url}/api/health`);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });

  it('counts a gap in a gateway\'s sequence', async () => {
    const ingest = park.server.ingest;
    const gapsBefore = ingest.counters.seqGaps;
    const ts = Date.now();
    for (const seq of [10, 11, 14]) {
      await gateway.publishAsync(dataTopic('park/v1', 'gw-gap'), encodeDataMessage({ gateway: 'gw-gap', seq, readings: [{ id: 'x.gap', ts: ts + seq, v: seq, q: 'good' }] }), { qos: 1 });
    }
    await expect.poll(() => ingest.counters.seqGaps - gapsBefore, { timeout: 10_000 }).toBe(2);
    expect(ingest.perGateway.get('gw-gap')).toEqual({ lastSeq: 14, messages: 3, gaps: 2, gapsFilled: 0, duplicates: 0 });
    // The two missing messages arrive from the gateway's outbox: the gap is filled.
    for (const seq of [12, 13]) {
      await gateway.publishAsync(dataTopic('park/v1', 'gw-gap'), encodeDataMessage({ gateway: 'gw-gap', seq, replay: true, readings: [{ id: 'x.gap', ts: ts + seq, v: seq, q: 'good' }] }), { qos: 1 });
    }
    await expect.poll(() => ingest.perGateway.get('gw-gap')?.gapsFilled).toBe(2);
    expect(await (await fetch(`${park.url}/metrics`)).text()).toMatch(/^park_ingest_seq_gaps_total\{gateway="gw-gap"\} 2$/m);
  });

  it('answers unknown API paths with 404 JSON, not the web app', async () => {
    const res = await fetch(`${park.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found', path: '/api/nope' });
  });
});
