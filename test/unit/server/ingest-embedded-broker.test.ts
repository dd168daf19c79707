import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage, encodeStatusMessage, statusTopic, type StatusMessage } from '@park/protocol';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { createLogger, startEmbeddedBroker, type EmbeddedBroker } from '@park/server';
import type { StoredReading } from '../../../server/src/influx/influx-store.js';
import { Ingest, isSubscribedTopic } from '../../../server/src/ingest/ingest.js';
import { DEMO_PARK_FILE } from '../../harness/park-server.js';
import { memoryStore } from '../../harness/memory-store.js';
import { tempDir } from '../../harness/temp-dir.js';

const ROOT = 'park/v1';
const park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;

function acceptLogBytes(dir: string): Buffer {
  return Buffer.concat(
    readdirSync(dir)
      .filter((n) => n.endsWith('.log'))
      .sort()
      .map((n) => readFileSync(path.join(dir, n))),
  );
}

describe('isSubscribedTopic', () => {
  it('matches the topics of the server subscriptions, as a broker would', () => {
    expect(isSubscribedTopic(ROOT, 'park/v1/gw-a/data')).toBe(true);
    expect(isSubscribedTopic(ROOT, 'park/v1/gw-a/status')).toBe(true);
    expect(isSubscribedTopic(ROOT, 'park/v1/gw-a/meta')).toBe(true);
    // `+` matches any one level, even an invalid gateway id: the ingest counts that one.
    expect(isSubscribedTopic(ROOT, 'park/v1/GW!/data')).toBe(true);
    expect(isSubscribedTopic(ROOT, 'park/v1/gw-a/data/extra')).toBe(false);
    expect(isSubscribedTopic(ROOT, 'park/v1/gw-a/other')).toBe(false);
    expect(isSubscribedTopic(ROOT, 'park/v1/data')).toBe(false);
    expect(isSubscribedTopic(ROOT, 'park/v10/gw-a/data')).toBe(false);
    expect(isSubscribedTopic(ROOT, 'other/gw-a/data')).toBe(false);
  });
});

describe('ingest behind the embedded broker', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(): Promise<{
    ingest: Ingest;
    broker: EmbeddedBroker;
    acceptDir: string;
    written: StoredReading[];
    statuses: StatusMessage[];
    client(opts?: mqtt.IClientOptions): Promise<MqttClient>;
  }> {
    const dir = tempDir('ingest-embedded');
    cleanups.push(() => dir.remove());
    const written: StoredReading[] = [];
    const statuses: StatusMessage[] = [];
    const acceptDir = path.join(dir.path, 'accept');
    const ingest = new Ingest({
      store: memoryStore(written),
      retention: { rawDays: 30, rollupDays: 400, eventDays: 1095 },
      spoolDir: path.join(dir.path, 'spool'),
      acceptLogDir: acceptDir,
      park,
      log: createLogger('silent'),
      onStatus: (s) => statuses.push(s),
    });
    await ingest.start();
    cleanups.push(() => ingest.stop());
    const broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      beforeAcknowledge: (topic, payload) => ingest.onPublish(ROOT, topic, payload),
    });
    cleanups.push(() => broker.close());
    const client = async (opts: mqtt.IClientOptions = {}): Promise<MqttClient> => {
      const c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, ...opts });
      cleanups.push(() => c.endAsync(true));
      return c;
    };
    return { ingest, broker, acceptDir, written, statuses, client };
  }

  it('has a data message in the accept log when its PUBACK arrives, and takes it once', async () => {
    const { ingest, acceptDir, written, client } = await setUp();
    const gw = await client();
    const ts = Date.now();
    for (let seq = 1; seq <= 3; seq++) {
      const payload = Buffer.from(encodeDataMessage({ gateway: 'gw-e', seq, readings: [{ id: 'e.t', ts: ts + seq, v: seq, q: 'good' }] }));
      await gw.publishAsync(dataTopic(ROOT, 'gw-e'), payload, { qos: 1 });
      expect(acceptLogBytes(acceptDir).includes(payload)).toBe(true);
    }
    expect(await ingest.drain()).toBe(true);
    expect(written.map((r) => r.v)).toEqual([1, 2, 3]);
    expect(ingest.counters).toMatchObject({ messages: 3, readings: 3, seqDuplicates: 0, seqGaps: 0 });
  });

  it('counts and drops invalid messages, acknowledges them and keeps the publisher connected', async () => {
    const { ingest, written, client } = await setUp();
    const gw = await client();
    let closed = false;
    gw.on('close', () => (closed = true));
    const ts = Date.now();
    await gw.publishAsync(dataTopic(ROOT, 'gw-e'), '{not json', { qos: 1 });
    await gw.publishAsync(dataTopic(ROOT, 'gw-e'), JSON.stringify({ gateway: 'gw-e', seq: 'one', readings: [] }), { qos: 1 });
    await gw.publishAsync(dataTopic(ROOT, 'gw-e'), encodeDataMessage({ gateway: 'gw-other', seq: 1, readings: [{ id: 'e.t', ts, v: 1, q: 'good' }] }), { qos: 1 });
    await gw.publishAsync('park/v1/GW!/data', encodeDataMessage({ gateway: 'gw-e', seq: 1, readings: [{ id: 'e.t', ts, v: 1, q: 'good' }] }), { qos: 1 });
    // Not a topic the server subscribes to: neither taken nor counted.
    await gw.publishAsync('park/v1/gw-e/data/extra', encodeDataMessage({ gateway: 'gw-e', seq: 1, readings: [{ id: 'e.t', ts, v: 1, q: 'good' }] }), { qos: 1 });
    await gw.publishAsync('site/anything', 'x', { qos: 1 });
    await gw.publishAsync(dataTopic(ROOT, 'gw-e'), encodeDataMessage({ gateway: 'gw-e', seq: 2, readings: [{ id: 'e.t', ts, v: 2, q: 'good' }] }), { qos: 1 });
    expect(ingest.counters.rejected).toEqual({ 'not-json': 1, schema: 1, 'gateway-mismatch': 1, topic: 1 });
    expect(ingest.counters.messages).toBe(1);
    expect(await ingest.drain()).toBe(true);
    expect(written.map((r) => r.v)).toEqual([2]);
    expect(closed).toBe(false);
    expect(gw.connected).toBe(true);
  });

  it('still delivers every message to other subscribers', async () => {
    const { client } = await setUp();
    const sub = await client();
    const received: string[] = [];
    sub.on('message', (topic) => received.push(topic));
    await sub.subscribeAsync(`${ROOT}/#`, { qos: 1 });
    const gw = await client();
    await gw.publishAsync(dataTopic(ROOT, 'gw-e'), encodeDataMessage({ gateway: 'gw-e', seq: 1, readings: [{ id: 'e.t', ts: Date.now(), v: 1, q: 'good' }] }), { qos: 1 });
    await gw.publishAsync(dataTopic(ROOT, 'gw-e'), '{not json', { qos: 1 });
    await expect.poll(() => received).toEqual([dataTopic(ROOT, 'gw-e'), dataTopic(ROOT, 'gw-e')]);
  });

  it('takes status messages and a gateway\'s last will', async () => {
    const { statuses, client } = await setUp();
    const status = (state: 'online' | 'offline'): StatusMessage => ({ gateway: 'gw-e', state, ts: Date.now(), version: '0.1.0', devices: {} });
    const gw = await client({ will: { topic: statusTopic(ROOT, 'gw-e'), payload: Buffer.from(encodeStatusMessage(status('offline'))), qos: 1, retain: true } });
    await gw.publishAsync(statusTopic(ROOT, 'gw-e'), encodeStatusMessage(status('online')), { qos: 1, retain: true });
    expect(statuses.map((s) => s.state)).toEqual(['online']);
    // Gone without a DISCONNECT: the broker publishes the will.
    gw.stream.destroy();
    await expect.poll(() => statuses.map((s) => s.state)).toEqual(['online', 'offline']);
  });

  it('does not acknowledge a data message it cannot log, and disconnects its publisher', async () => {
    const { ingest, client } = await setUp();
    const gw = await client();
    await ingest.stop(); // its accept log is closed: appends fail
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    let acknowledged = false;
    gw.publish(dataTopic(ROOT, 'gw-e'), encodeDataMessage({ gateway: 'gw-e', seq: 1, readings: [{ id: 'e.t', ts: Date.now(), v: 1, q: 'good' }] }), { qos: 1 }, (err) => {
      if (!err) acknowledged = true;
    });
    await closed;
    expect(acknowledged).toBe(false);
    expect(ingest.counters.messages).toBe(0);
  });

  it('refuses $SYS topics, as aedes does by default', async () => {
    const { client } = await setUp();
    const gw = await client();
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    gw.publish('$SYS/fake', 'x', { qos: 1 });
    await closed;
    expect(gw.connected).toBe(false);
  });
});
