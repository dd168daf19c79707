import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage, MAX_MESSAGE_BYTES, MAX_READINGS_PER_MESSAGE } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

/** A small seeded generator: the same hostile messages on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// 1,000 malformed messages of every kind do not stop the ingest of good ones,
// and the counters say how many were dropped and why.
describe('server: hostile MQTT input', () => {
  let park: TestParkServer;
  beforeAll(async () => {
    park = await startParkServer();
  });
  afterAll(async () => {
    await park?.stop();
  });

  it('drops and counts 1,000 malformed messages while storing every good reading', async () => {
    const random = rng(42);
    const now = Date.now();
    const good = (seq: number): string => encodeDataMessage({ gateway: 'gw-h', seq, readings: [{ id: 'h.good', ts: now - 10_000 + seq, v: seq, q: 'good' }] });
    const base = JSON.parse(good(1)) as Record<string, unknown>;
    const mutate = (i: number): Buffer | string => {
      switch (i % 10) {
        case 0: // cut JSON
          return good(1).slice(0, 1 + Math.floor(random() * 40));
        case 1: // random bytes
          return Buffer.from(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
        case 2: // wrong types
          return JSON.stringify({ ...base, seq: 'one' });
        case 3:
          return JSON.stringify({ ...base, readings: [{ id: 'h.x', ts: now, v: 'NaN', q: 'good' }] });
        case 4: // unknown quality, extra fields
          return JSON.stringify({ ...base, readings: [{ id: 'h.x', ts: now, v: 1, q: 'ok' }] });
        case 5:
          return JSON.stringify({ ...base, extra: true });
        case 6: // oversized
          return 'x'.repeat(MAX_MESSAGE_BYTES + 1);
        case 7: // too many readings
          return JSON.stringify({ ...base, readings: Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, (_, k) => ({ id: 'h.x', ts: now, v: k, q: 'good' })) });
        case 8: // another gateway's name in the payload
          return JSON.stringify({ ...base, gateway: 'gw-other' });
        default: // a wrong topic level is tried below; here: an empty batch
          return JSON.stringify({ ...base, readings: [] });
      }
    };
    const c = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
    let seq = 0;
    for (let i = 0; i < 1000; i++) {
      await c.publishAsync(dataTopic('park/v1', 'gw-h'), mutate(i), { qos: 1 });
      if (i % 20 === 0) await c.publishAsync(dataTopic('park/v1', 'gw-h'), good(++seq), { qos: 1 });
    }
    await c.publishAsync('park/v1/gw-h/data/extra', good(++seq), { qos: 1 });
    await c.endAsync();

    const ingest = park.server.ingest;
    await expect.poll(() => Object.values(ingest.counters.rejected).reduce((a, b) => a + (b ?? 0), 0), { timeout: 20_000 }).toBe(1000);
    expect(ingest.counters.rejected).toEqual({ 'not-json': 200, schema: 400, 'too-large': 200, 'gateway-mismatch': 100, empty: 100 });
    // The last good message went to a wrong topic: subscriptions never deliver it.
    await expect.poll(() => ingest.counters.messages).toBe(seq - 1);
    expect(await ingest.drain()).toBe(true);
    const rows = await park.server.store.queryReadings(['h.good'], now - 10_000, now);
    expect(rows.map((r) => r.v)).toEqual(Array.from({ length: seq - 1 }, (_, k) => k + 1));
    const health = (await (await fetch(`${park.url}/api/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });
});
