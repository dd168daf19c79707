import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage, encodeStatusMessage, parseDataMessage, parseStatusMessage, statusTopic, type DataMessage } from '@park/protocol';
import { startTestAedes, startTestMosquitto, type TestBroker } from '../harness/brokers.js';

const ROOT = 'park/v1';

// One suite, run against each broker the platform supports.
describe.each([
  ['embedded aedes', startTestAedes],
  ['Mosquitto', () => startTestMosquitto()],
])('contract messages through a real broker (%s)', (_name, start) => {
  let broker: TestBroker;
  const clients: MqttClient[] = [];
  const client = async (opts: mqtt.IClientOptions = {}): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, ...opts });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    broker = await start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker?.stop();
  });

  it('delivers a data batch at QoS 1 that validates to the same message', async () => {
    const sub = await client();
    await sub.subscribeAsync(`${ROOT}/+/data`, { qos: 1 });
    const received = new Promise<{ topic: string; payload: Buffer }>((resolve) => sub.once('message', (topic, payload) => resolve({ topic, payload })));
    const now = Date.now();
    const msg: DataMessage = {
      gateway: 'gw-a',
      seq: 7,
      readings: [
        { id: 'a.hs01.t101.level', ts: now, v: 55.5, q: 'good' },
        { id: 'a.hs01.gd01', ts: now, v: 0, q: 'bad', err: 'BadCommunicationError' },
      ],
    };
    const pub = await client();
    await pub.publishAsync(dataTopic(ROOT, 'gw-a'), encodeDataMessage(msg), { qos: 1 });
    const { topic, payload } = await received;
    expect(topic).toBe('park/v1/gw-a/data');
    const parsed = parseDataMessage(payload, 'gw-a');
    expect(parsed).toEqual({ ok: true, value: msg });
  });

  it('keeps the retained birth message and publishes the last will "offline"', async () => {
    const now = Date.now();
    const will = encodeStatusMessage({ gateway: 'gw-b', state: 'offline', ts: now, version: '0.1.0', devices: {} });
    const gw = await client({ clientId: 'gw-b-test', will: { topic: statusTopic(ROOT, 'gw-b'), payload: Buffer.from(will), qos: 1, retain: true } });
    await gw.publishAsync(statusTopic(ROOT, 'gw-b'), encodeStatusMessage({ gateway: 'gw-b', state: 'online', ts: now, version: '0.1.0', devices: { 'b-plc': 'connected' } }), { qos: 1, retain: true });

    // A late subscriber gets the retained birth.
    const late = await client();
    const births = new Promise<Buffer>((resolve) => late.once('message', (_t, p) => resolve(p)));
    await late.subscribeAsync(statusTopic(ROOT, 'gw-b'), { qos: 1 });
    const birth = parseStatusMessage(await births, 'gw-b');
    expect(birth.ok && birth.value.state).toBe('online');

    // An abrupt disconnect makes the broker publish the will.
    const offline = new Promise<Buffer>((resolve) => late.on('message', (_t, p) => resolve(p)));
    (gw as unknown as { stream: { destroy(): void } }).stream.destroy();
    const status = parseStatusMessage(await offline, 'gw-b');
    expect(status.ok && status.value.state).toBe('offline');
  });
});
