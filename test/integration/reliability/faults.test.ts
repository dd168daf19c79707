import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../../harness/park-server.js';

// Issue 9, the short fault run inside `npm test`: the server under a load of
// readings from a test publisher loses none while InfluxDB is stopped and
// started again, and the active alarms are the same before and after.
// Counted by querying InfluxDB, never by the server's own counters.
//
// The whole chain (simulators, gateway, Mosquitto, the server command) with
// kill -9 of the server and a broker restart: chain-faults.test.ts.

const GATEWAY = 'gw-fault';
const TAGS = 50;
const READINGS_PER_MESSAGE = 500;
/** Messages per phase: 40 × 500 = 20,000 readings per phase. */
const MESSAGES_PER_PHASE = 40;

describe('faults under load: InfluxDB outage (issue 9, short run)', () => {
  let park: TestParkServer;
  let publisher: MqttClient;
  let seq = 0;
  let generated = 0;
  const ts0 = Date.now() - 10 * 60_000;
  const ids = Array.from({ length: TAGS }, (_, k) => `f.t${k}`);

  /** Publishes `messages` data messages at QoS 1 as fast as the broker acknowledges them; every reading has its own (id, ts) and value. */
  const publish = async (messages: number): Promise<void> => {
    for (let m = 0; m < messages; m++) {
      seq++;
      const readings = Array.from({ length: READINGS_PER_MESSAGE }, (_, k) => {
        const n = generated + k;
        return { id: ids[n % TAGS] as string, ts: ts0 + Math.floor(n / TAGS), v: n, q: 'good' as const };
      });
      generated += readings.length;
      await publisher.publishAsync(dataTopic('park/v1', GATEWAY), encodeDataMessage({ gateway: GATEWAY, seq, readings }), { qos: 1 });
    }
  };

  const activeAlarms = async (cookie: string): Promise<string[]> =>
    ((await (await fetch(`${park.url}/api/alarms`, { headers: { cookie } })).json()) as { id: string }[]).map((a) => a.id).sort();

  beforeAll(async () => {
    park = await startParkServer();
    publisher = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await publisher?.endAsync(true);
    await park?.stop();
  });

  it('stores every reading generated across an InfluxDB stop and start, and keeps the active alarms', async () => {
    const login = await fetch(`${park.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: 'demo-viewer' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    // One standing alarm: 30 %LEL > h 25 on a park detector.
    await publisher.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq: 1, readings: [{ id: 'b.hs03.gd02', ts: Date.now(), v: 30, q: 'good' }] }), { qos: 1 });
    await expect.poll(() => activeAlarms(cookie), { timeout: 20_000 }).toContain('b.hs03.gd02:h');
    const before = await activeAlarms(cookie);

    await publish(MESSAGES_PER_PHASE);
    await park.influxd.pause();
    await publish(MESSAGES_PER_PHASE);
    // Held by the server while InfluxDB is away.
    await expect.poll(() => park.server.ingest.backlog(), { timeout: 30_000 }).toBeGreaterThan(0);
    const health = (await (await fetch(`${park.url}/api/health`)).json()) as { status: string };
    expect(health.status).toBe('degraded');
    await park.influxd.resume();
    await publish(MESSAGES_PER_PHASE);

    // The broker's PUBACK to the publisher does not mean the server has the message yet: wait until
    // everything has arrived and been written, then count.
    const stored = async (): Promise<{ generated: number; stored: number; distinct: number }> => {
      const rows = await park.influxd.store().queryReadings(ids, ts0, ts0 + Math.ceil(generated / TAGS));
      return { generated, stored: rows.length, distinct: new Set(rows.map((r) => r.v)).size };
    };
    await expect.poll(stored, { timeout: 30_000, interval: 250 }).toEqual({ generated, stored: generated, distinct: generated });
    expect(await park.server.ingest.drain()).toBe(true);
    expect(park.server.ingest.backlog()).toBe(0);
    expect(park.server.ingest.counters.rejected).toEqual({});
    expect(await activeAlarms(cookie)).toEqual(before);
    const after = (await (await fetch(`${park.url}/api/health`)).json()) as { status: string };
    expect(after.status).toBe('ok');
  });
});
