import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startTestMosquitto, type TestBroker } from '../harness/brokers.js';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

// The external-broker case (MQTT_URL): Mosquitto, and two server instances
// splitting the data load through a shared subscription.
describe('server with an external broker (Mosquitto)', () => {
  let mosquitto: TestBroker;
  let influxd: TestInfluxd;
  const servers: TestParkServer[] = [];

  beforeAll(async () => {
    mosquitto = await startTestMosquitto();
    influxd = await startTestInfluxd();
    for (const id of ['s1', 's2']) servers.push(await startParkServer({ broker: mosquitto, influxd, mqtt: { clientId: `park-${id}`, sharedGroup: 'ingest', protocolVersion: 5 } }));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await influxd?.stop();
    await mosquitto?.stop();
  });

  it('splits data messages between instances: each stored exactly once', async () => {
    const gw = await mqtt.connectAsync(mosquitto.url, { reconnectPeriod: 0 });
    const ts0 = Date.now() - 10_000;
    const MESSAGES = 40;
    for (let seq = 1; seq <= MESSAGES; seq++) {
      await gw.publishAsync(dataTopic('park/v1', 'gw-x'), encodeDataMessage({ gateway: 'gw-x', seq, readings: [{ id: 'x.shared', ts: ts0 + seq, v: seq, q: 'good' }] }), { qos: 1 });
    }
    await gw.endAsync();
    const handled = (): number => servers.reduce((n, s) => n + s.server.ingest.counters.messages, 0);
    await expect.poll(handled, { timeout: 10_000 }).toBe(MESSAGES);
    expect(servers.every((s) => s.server.ingest.counters.messages > 0)).toBe(true);
    for (const s of servers) expect(await s.server.ingest.drain()).toBe(true);
    const rows = await influxd.store().queryReadings(['x.shared'], ts0, ts0 + 1000);
    expect(rows.map((r) => r.v)).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
  });
});
