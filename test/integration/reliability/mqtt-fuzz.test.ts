import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage, MAX_MESSAGE_BYTES, MAX_READINGS_PER_MESSAGE, parseDataMessage, parseMetaMessage, parseStatusMessage, parseTopic, type RejectCode } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../../harness/park-server.js';
import { freePort } from '../../harness/ports.js';

// Issue 9, hostile MQTT input found by fuzzing: random bytes and JSON,
// mutations of valid data messages (wrong types, missing fields, huge
// numbers, NaN strings, deep nesting, oversized), wrong topics and a flood
// from one client, against the running server with its own embedded broker
// (no `mqtt.url`: the broker hands every publish to the ingest before it
// acknowledges it, as on a demo or small site).
// Good messages from another gateway are interleaved throughout. Checked:
// every good reading is in InfluxDB, every hostile message is counted under
// the reason the contract gives it, the server stays healthy, and the heap
// does not grow beyond a generous bound.
//
// Fixed seed and a bounded count in `npm test`; FUZZ_SEED and FUZZ_RUNS
// override them (`npm run chaos` runs far more with a new seed each time).
// A failure prints the seed: FUZZ_SEED=<seed> reproduces it.

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261129);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 1500);
/** The flood: as many hostile messages again, from one client without waiting for acknowledgements. */
const FLOOD = RUNS;
/** One good message after every GOOD_EVERY hostile ones. */
const GOOD_EVERY = 10;
const ROOT = 'park/v1';
const FUZZ_GATEWAY = 'gw-fz';
const GOOD_GATEWAY = 'gw-fz-good';
/** Generous: what the fuzzing itself may leave behind (accepted readings in InfluxDB's client, log throttling per gateway) is far below it; a leak per message is not. */
const HEAP_GROWTH_LIMIT_BYTES = 150 * 1024 * 1024;
const TEST_TIMEOUT_MS = 120_000 + RUNS * 100;

type Outcome = RejectCode | 'topic' | 'accepted-data' | 'accepted-other' | 'ignored' | 'unrouted';

/** A payload described, built only when published, so oversized ones are not all held at once. */
type Payload = { text: string } | { bytes: Uint8Array } | { oversized: number; valid: boolean };
interface Case {
  topic: string;
  payload: Payload;
}

function build(p: Payload): Buffer {
  if ('text' in p) return Buffer.from(p.text, 'utf8');
  if ('bytes' in p) return Buffer.from(p.bytes);
  // Oversized: a data message whose error text pads it past the limit (valid JSON), or plain filler.
  if (!p.valid) return Buffer.alloc(MAX_MESSAGE_BYTES + p.oversized, 0x7b);
  const head = `{"gateway":"${FUZZ_GATEWAY}","seq":1,"readings":[{"id":"fz.t1","ts":${Date.now()},"v":1,"q":"bad","err":"`;
  return Buffer.from(`${head}${'e'.repeat(MAX_MESSAGE_BYTES + p.oversized - head.length)}"}]}`, 'utf8');
}

/** What the server must do with it, by the contract (protocol/) and the server's subscriptions. */
function expectedOutcome(topic: string, payload: Buffer): Outcome {
  const levels = topic.split('/');
  const subscribed = levels.length === 4 && levels[0] === 'park' && levels[1] === 'v1' && ['data', 'status', 'meta'].includes(levels[3] as string);
  if (!subscribed) return 'unrouted';
  const t = parseTopic(ROOT, topic);
  if (!t) return 'topic';
  if (t.kind !== 'data' && payload.length === 0) return 'ignored';
  const r = t.kind === 'data' ? parseDataMessage(payload, t.gateway) : t.kind === 'status' ? parseStatusMessage(payload, t.gateway) : parseMetaMessage(payload, t.gateway);
  if (r.ok) return t.kind === 'data' ? 'accepted-data' : 'accepted-other';
  return r.code;
}

// ---------------------------------------------------------------- arbitraries

const RAW = '"\u0000raw\u0000"';

/** Values that do not belong where they are put. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>('NaN', 'Infinity', '-Infinity', 'nan', '1e999', '', ' ', '0x10', null, true, false, [], {}, -0, '\u0000', '\ud800'),
  fc.constantFrom<unknown>(1e308, -1e308, Number.MAX_SAFE_INTEGER * 1024, 2 ** 64, -(2 ** 63), 5e-324, 0.1, -1),
  fc.integer(),
  fc.double(),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** JSON number literals that JSON.parse turns into Infinity or loses precision on, and text that is not JSON at all. */
const rawLiteral = fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '0.0000000000000000000000000001e-400', 'NaN', 'Infinity', '-0', '1.', '01', '+1', 'undefined', 'null');

const FIELD_PATHS = [['gateway'], ['seq'], ['readings'], ['replay'], ['readings', 0], ['readings', 0, 'id'], ['readings', 0, 'ts'], ['readings', 0, 'v'], ['readings', 0, 'q'], ['readings', 1, 'err'], ['readings', 1]] as const;
type FieldPath = (typeof FIELD_PATHS)[number];

function baseMessage(ts: number): Record<string, unknown> {
  return { gateway: FUZZ_GATEWAY, seq: 7, readings: [{ id: 'fz.t1', ts, v: 12.5, q: 'good' }, { id: 'fz.t2', ts, v: 0, q: 'bad', err: 'timeout' }] };
}

function setAt(obj: Record<string, unknown>, path: FieldPath, value: unknown, remove = false): void {
  let parent: unknown = obj;
  for (const key of path.slice(0, -1)) {
    // An earlier mutation may have removed or replaced the container.
    if (parent === null || typeof parent !== 'object') return;
    parent = (parent as Record<string | number, unknown>)[key as string | number];
  }
  const last = path[path.length - 1] as string | number;
  if (parent === null || typeof parent !== 'object') return;
  if (remove) delete (parent as Record<string | number, unknown>)[last];
  else (parent as Record<string | number, unknown>)[last] = value;
}

type Mutation =
  | { kind: 'set'; path: FieldPath; value: unknown }
  | { kind: 'delete'; path: FieldPath }
  | { kind: 'raw'; path: FieldPath; literal: string }
  | { kind: 'nest'; path: FieldPath; depth: number; array: boolean }
  | { kind: 'extra'; where: 'top' | 'reading'; key: string; value: unknown }
  | { kind: 'many-readings'; count: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; byte: number };

const fieldPath = fc.constantFrom(...FIELD_PATHS);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), path: fieldPath, value: hostileValue }),
  fc.record({ kind: fc.constant('delete' as const), path: fieldPath }),
  fc.record({ kind: fc.constant('raw' as const), path: fieldPath, literal: rawLiteral }),
  fc.record({ kind: fc.constant('nest' as const), path: fieldPath, depth: fc.oneof(fc.integer({ min: 2, max: 50 }), fc.integer({ min: 1000, max: 200_000 })), array: fc.boolean() }),
  fc.record({ kind: fc.constant('extra' as const), where: fc.constantFrom('top' as const, 'reading' as const), key: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString')), value: hostileValue }),
  fc.record({ kind: fc.constant('many-readings' as const), count: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: MAX_READINGS_PER_MESSAGE - 1, max: MAX_READINGS_PER_MESSAGE + 50 })) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(mutations: readonly Mutation[], ts: number): Payload {
  const msg = baseMessage(ts);
  const raws: string[] = [];
  let cut: number | undefined;
  const flips: { at: number; byte: number }[] = [];
  for (const m of mutations) {
    switch (m.kind) {
      case 'set':
        setAt(msg, m.path, m.value);
        break;
      case 'delete':
        setAt(msg, m.path, undefined, true);
        break;
      case 'raw':
        setAt(msg, m.path, RAW);
        raws.push(m.literal);
        break;
      case 'nest':
        // Built as text below: a nested object this deep would overflow JSON.stringify.
        setAt(msg, m.path, RAW);
        raws.push(m.array ? `${'['.repeat(m.depth)}${']'.repeat(m.depth)}` : `${'{"a":'.repeat(m.depth)}1${'}'.repeat(m.depth)}`);
        break;
      case 'extra':
        if (m.where === 'top') Object.defineProperty(msg, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
        else {
          const r = (msg['readings'] as unknown[] | undefined)?.[0];
          if (r && typeof r === 'object') Object.defineProperty(r, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
        }
        break;
      case 'many-readings':
        msg['readings'] = Array.from({ length: m.count }, (_, k) => ({ id: `fz.t${k % 7}`, ts, v: k, q: 'good' }));
        break;
      case 'truncate':
        cut = m.at;
        break;
      case 'flip':
        flips.push(m);
        break;
    }
  }
  let text = JSON.stringify(msg) ?? 'undefined';
  for (const raw of raws) text = text.replace(JSON.stringify(RAW), raw);
  if (cut !== undefined) text = text.slice(0, cut % (text.length + 1));
  if (flips.length === 0) return { text };
  const bytes = Buffer.from(text, 'utf8');
  for (const f of flips) if (bytes.length > 0) bytes[f.at % bytes.length] = f.byte;
  return { bytes: new Uint8Array(bytes) };
}

/** One MQTT topic level that may or may not be a gateway id; never a wildcard, `/` or NUL (the broker would drop the client). */
const topicLevel = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 1, maxLength: 70 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[/+#\u0000]/g, 'x')),
  fc.constantFrom('', 'GW-UPPER', 'gw fz', '-gw', 'gw.fz', '\u7f51\u5173', 'gw-fz\u200b'),
);

const wrongTopic: fc.Arbitrary<string> = fc.oneof(
  topicLevel.map((g) => `${ROOT}/${g}/data`),
  topicLevel.map((g) => `${ROOT}/${g}/status`),
  fc.constantFrom(`${ROOT}/${FUZZ_GATEWAY}/data/extra`, `${ROOT}/${FUZZ_GATEWAY}`, `${ROOT}/${FUZZ_GATEWAY}/Data`, 'park/v2/gw-fz/data', 'park/v1', 'other/topic', `${ROOT}/${FUZZ_GATEWAY}/meta/`),
  topicLevel.map((k) => `${ROOT}/${FUZZ_GATEWAY}/${k}`),
);

const hostileCase: fc.Arbitrary<Case> = fc.oneof(
  { weight: 5, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => ({ topic: `${ROOT}/${FUZZ_GATEWAY}/data`, payload: mutate(ms, Date.now() - 60_000) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((bytes) => ({ topic: `${ROOT}/${FUZZ_GATEWAY}/data`, payload: { bytes } })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('data', 'status', 'meta'), fc.jsonValue({ maxDepth: 4 })).map(([kind, v]) => ({ topic: `${ROOT}/${FUZZ_GATEWAY}/${kind}`, payload: { text: JSON.stringify(v) ?? '' } })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('status', 'meta'), fc.array(mutation, { minLength: 1, maxLength: 2 })).map(([kind, ms]) => ({ topic: `${ROOT}/${FUZZ_GATEWAY}/${kind}`, payload: mutate(ms, Date.now()) })) },
  { weight: 2, arbitrary: fc.tuple(wrongTopic, fc.array(mutation, { maxLength: 1 })).map(([topic, ms]) => ({ topic, payload: mutate(ms, Date.now() - 60_000) })) },
  { weight: 1, arbitrary: fc.record({ oversized: fc.integer({ min: 1, max: 4096 }), valid: fc.boolean() }).map((payload) => ({ topic: `${ROOT}/${FUZZ_GATEWAY}/data`, payload })) },
);

/** `count` cases from the seed, in chunks so that only a chunk is held at a time. */
function* cases(seed: number, count: number): Generator<Case> {
  const CHUNK = 200;
  for (let done = 0, chunk = 0; done < count; chunk++) {
    const n = Math.min(CHUNK, count - done);
    yield* fc.sample(hostileCase, { seed: seed + chunk, numRuns: n });
    done += n;
  }
}

// ---------------------------------------------------------------- the test

function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

describe(`MQTT fuzzing of the server (seed ${SEED}, ${RUNS} messages and a flood of ${FLOOD})`, () => {
  let park: TestParkServer;
  let fuzzer: MqttClient;
  let good: MqttClient;
  const gc = collectGarbage();

  beforeAll(async () => {
    // `url` left out of the config: the server starts its embedded broker (the harness's own aedes stays unused).
    park = await startParkServer({ mqtt: { url: undefined, embedded: { host: '127.0.0.1', port: await freePort() } } });
    const url = park.server.mqttUrl;
    fuzzer = await mqtt.connectAsync(url, { clientId: `fuzzer-${process.pid}`, reconnectPeriod: 100 });
    fuzzer.on('error', () => undefined);
    good = await mqtt.connectAsync(url, { clientId: `fuzz-good-${process.pid}`, reconnectPeriod: 100 });
  });
  afterAll(async () => {
    await fuzzer?.endAsync(true);
    await good?.endAsync(true);
    await park?.stop();
  });

  it('stores every good reading, counts every hostile message by reason, stays healthy and keeps its heap bounded', async () => {
    const ingest = park.server.ingest;
    const ts0 = Date.now() - 30 * 60_000;
    let goodSeq = 0;
    const sendGood = (): Promise<unknown> => {
      goodSeq++;
      return good.publishAsync(dataTopic(ROOT, GOOD_GATEWAY), encodeDataMessage({ gateway: GOOD_GATEWAY, seq: goodSeq, readings: [{ id: 'fz.good', ts: ts0 + goodSeq, v: goodSeq, q: 'good' }] }), { qos: 1 });
    };
    const expected = new Map<Outcome, number>();
    const note = (o: Outcome): void => void expected.set(o, (expected.get(o) ?? 0) + 1);
    const examples = new Map<Outcome, string>();

    // Warm up the server's paths before the heap baseline.
    for (let i = 0; i < 20; i++) await sendGood();
    await expect.poll(() => ingest.counters.messages, { timeout: 20_000 }).toBe(goodSeq);
    expect(await ingest.drain()).toBe(true);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;

    // One message at a time, each acknowledged before the next.
    let i = 0;
    for (const c of cases(SEED, RUNS)) {
      const payload = build(c.payload);
      const outcome = expectedOutcome(c.topic, payload);
      note(outcome);
      if (!examples.has(outcome)) examples.set(outcome, `${c.topic} ${payload.subarray(0, 120).toString('utf8')}`);
      await fuzzer.publishAsync(c.topic, payload, { qos: 1 });
      if (++i % GOOD_EVERY === 0) await sendGood();
      if (i % 100 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }

    // The flood: one client, everything in flight at once, good messages still interleaved.
    const inFlight: Promise<unknown>[] = [];
    for (const c of cases(SEED + 1_000_003, FLOOD)) {
      if ('oversized' in c.payload) continue;
      const payload = build(c.payload);
      note(expectedOutcome(c.topic, payload));
      inFlight.push(fuzzer.publishAsync(c.topic, payload, { qos: 1 }));
      if (inFlight.length % GOOD_EVERY === 0) inFlight.push(sendGood());
    }
    await Promise.all(inFlight);
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);

    const rejectedExpected = Object.fromEntries([...expected].filter(([o]) => !['accepted-data', 'accepted-other', 'ignored', 'unrouted'].includes(o)).sort(([a], [b]) => (a < b ? -1 : 1)));
    const total = (r: Partial<Record<string, number>>): number => Object.values(r).reduce((a: number, b) => a + (b ?? 0), 0);
    const dataExpected = goodSeq + (expected.get('accepted-data') ?? 0);
    // Everything was acknowledged by the broker, which hands each message to the ingest first: no waiting needed, but a poll costs nothing.
    await expect.poll(() => total(ingest.counters.rejected) + ingest.counters.messages, { timeout: 20_000 }).toBe(total(rejectedExpected) + dataExpected);
    const context = `seed ${SEED}; first example of each outcome: ${JSON.stringify(Object.fromEntries(examples))}`;
    expect(Object.fromEntries(Object.entries(ingest.counters.rejected).sort(([a], [b]) => (a < b ? -1 : 1))), context).toEqual(rejectedExpected);
    expect(ingest.counters.messages, context).toBe(dataExpected);
    // Most of it is garbage; the fuzzing would be worthless if the mutations were mostly still valid.
    expect(expected.get('accepted-data') ?? 0).toBeLessThan((RUNS + FLOOD) / 5);
    expect(Object.keys(rejectedExpected).length).toBeGreaterThanOrEqual(4);

    // Every good reading is in InfluxDB.
    expect(await ingest.drain(30_000)).toBe(true);
    const rows = await park.server.store.queryReadings(['fz.good'], ts0, ts0 + goodSeq + 1);
    expect(rows.map((r) => r.v)).toEqual(Array.from({ length: goodSeq }, (_, k) => k + 1));

    // Still up and healthy: a fresh good message goes through, no consumer fault, health ok.
    await sendGood();
    await expect.poll(() => ingest.counters.messages, { timeout: 20_000 }).toBe(dataExpected + 1);
    expect(ingest.counters.consumerErrors).toBe(0);
    const health = (await (await fetch(`${park.url}/api/health`)).json()) as { status: string };
    expect(health.status, JSON.stringify(health)).toBe('ok');

    gc();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    if (process.env['CHAOS_VERBOSE'] || process.env['FUZZ_VERBOSE']) {
      console.log(JSON.stringify({ seed: SEED, runs: RUNS, flood: FLOOD, good: goodSeq, outcomes: Object.fromEntries(expected), rejected: ingest.counters.rejected, heapGrowthMB: Math.round(growth / 1e6), heapPeakMB: Math.round((heapPeak - heapBefore) / 1e6) }));
    }
    expect(growth, `heap grew by ${Math.round(growth / 1e6)} MB`).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
    expect(heapPeak - heapBefore, `heap peaked ${Math.round((heapPeak - heapBefore) / 1e6)} MB above the start`).toBeLessThan(4 * HEAP_GROWTH_LIMIT_BYTES);
  }, TEST_TIMEOUT_MS);
});
