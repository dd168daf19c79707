import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  MAX_ERR_LENGTH,
  MAX_FUTURE_SKEW_MS,
  MAX_READINGS_PER_MESSAGE,
  MIN_TIMESTAMP_MS,
  parseDataMessage,
  validateDataMessage,
  type DataMessage,
  type RejectCode,
} from '@park/protocol';
import { NOW, clone, expectAccepted, expectRejected } from './helpers.js';

function good(): DataMessage {
  return {
    gateway: 'gw-a',
    seq: 7,
    readings: [
      { id: 'a.hs01.t101.level', ts: NOW - 1000, v: 4.2, q: 'good' },
      { id: 'a.hs01.t101.temp', ts: NOW - 1000, v: -21.5, q: 'uncertain', err: 'sensor-drift' },
      { id: 'a.hs01.xv101.open', ts: NOW, v: 1, q: 'bad', err: 'modbus-exception-2' },
    ],
  };
}

type Message = Record<string, unknown> & { readings: Record<string, unknown>[] };
type Edit = (m: Message) => unknown;

function reading(i: number, edit: (r: Record<string, unknown>) => void): Edit {
  return (m) => {
    edit(m.readings[i] as Record<string, unknown>);
    return m;
  };
}

function apply(edit: Edit): unknown {
  const m = clone(good()) as unknown as Message;
  const out = edit(m);
  return out === undefined ? m : out;
}

function batch(n: number): Message {
  const readings = Array.from({ length: n }, (_, i) => ({ id: `a.hs01.t${i}.level`, ts: NOW, v: i, q: 'good' }));
  return { gateway: 'gw-a', seq: 1, readings };
}

describe('data messages: accepted', () => {
  const cases: [string, Edit][] = [
    ['the example', (m) => m],
    ['a replay', (m) => ({ ...m, replay: true })],
    ['seq 0', (m) => ({ ...m, seq: 0 })],
    ['the largest safe seq', (m) => ({ ...m, seq: Number.MAX_SAFE_INTEGER })],
    ['ts at 2000-01-01', reading(0, (r) => (r.ts = MIN_TIMESTAMP_MS))],
    ['ts at the future skew limit', reading(0, (r) => (r.ts = NOW + MAX_FUTURE_SKEW_MS))],
    ['v of -0', reading(0, (r) => (r.v = -0))],
    ['v of 1e308', reading(0, (r) => (r.v = 1e308))],
    ['v of 5e-324', reading(0, (r) => (r.v = 5e-324))],
    ['the longest tag id', reading(0, (r) => (r.id = 't'.repeat(128)))],
    ['the longest err', reading(2, (r) => (r.err = 'e'.repeat(MAX_ERR_LENGTH)))],
    ['bad without err', reading(2, (r) => delete r.err)],
    ['one reading', () => batch(1)],
    ['the maximum batch', () => batch(MAX_READINGS_PER_MESSAGE)],
    ['the same tag twice', (m) => ({ ...m, readings: [m.readings[0], { ...m.readings[0], ts: NOW - 500 }] })],
    ['undefined optional fields (in memory)', (m) => ({ ...m, replay: undefined, readings: [{ ...m.readings[0], err: undefined }] })],
  ];

  it.each(cases)('%s', (_name, edit) => {
    const m = apply(edit);
    const value = expectAccepted(validateDataMessage(m, 'gw-a', NOW));
    expect(value).toBe(m); // no copy: the parsed object itself
    expectAccepted(parseDataMessage(JSON.stringify(m), 'gw-a', NOW));
  });

  it('accepts bytes', () => {
    const value = expectAccepted(parseDataMessage(new TextEncoder().encode(JSON.stringify(good())), 'gw-a', NOW));
    expect(value).toEqual(good());
  });

  it('does not check the gateway when no topic gateway is given', () => {
    expectAccepted(validateDataMessage({ ...good(), gateway: 'gw-z' }, undefined, NOW));
  });
});

describe('data messages: rejected', () => {
  const cases: [string, Edit, RejectCode, string][] = [
    // The message itself
    ['an array', () => [good()], 'schema', 'message: expected an object, got array'],
    ['null', () => null, 'schema', 'message: expected an object, got null'],
    ['a string', () => 'hello', 'schema', 'message: expected an object, got string "hello"'],
    ['a number', () => 42, 'schema', 'message: expected an object, got number 42'],
    ['an unknown top-level field', (m) => ({ ...m, foo: 1 }), 'schema', 'unknown field "foo" at top level'],
    ['a near miss of a field name', (m) => ({ gateway: m.gateway, seq: m.seq, reading: m.readings }), 'schema', 'unknown field "reading" at top level'],
    // gateway
    ['gateway missing', (m) => void delete m.gateway, 'schema', 'gateway: missing'],
    ['gateway a number', (m) => ({ ...m, gateway: 5 }), 'schema', 'gateway: expected a string, got number 5'],
    ['gateway null', (m) => ({ ...m, gateway: null }), 'schema', 'gateway: expected a string, got null'],
    ['gateway upper case', (m) => ({ ...m, gateway: 'GW-A' }), 'schema', 'gateway: invalid gateway id "GW-A" (expected ^[a-z0-9][a-z0-9_-]{0,63}$)'],
    ['gateway a wildcard', (m) => ({ ...m, gateway: '+' }), 'schema', 'gateway: invalid gateway id "+" (expected ^[a-z0-9][a-z0-9_-]{0,63}$)'],
    ['gateway with a slash', (m) => ({ ...m, gateway: 'gw/a' }), 'schema', 'gateway: invalid gateway id "gw/a" (expected ^[a-z0-9][a-z0-9_-]{0,63}$)'],
    ['gateway not the topic one', (m) => ({ ...m, gateway: 'gw-b' }), 'gateway-mismatch', 'gateway: "gw-b" does not match the topic\'s gateway "gw-a"'],
    // seq
    ['seq missing', (m) => void delete m.seq, 'schema', 'seq: missing'],
    ['seq a string', (m) => ({ ...m, seq: '7' }), 'schema', 'seq: expected a non-negative safe integer, got string "7"'],
    ['seq negative', (m) => ({ ...m, seq: -1 }), 'schema', 'seq: expected a non-negative safe integer, got number -1'],
    ['seq a fraction', (m) => ({ ...m, seq: 1.5 }), 'schema', 'seq: expected a non-negative safe integer, got number 1.5'],
    ['seq past safe integers', (m) => ({ ...m, seq: 2 ** 53 }), 'schema', 'seq: expected a non-negative safe integer, got number 9007199254740992'],
    ['seq null', (m) => ({ ...m, seq: null }), 'schema', 'seq: expected a non-negative safe integer, got null'],
    // readings
    ['readings missing', (m) => void delete (m as Record<string, unknown>).readings, 'schema', 'readings: missing'],
    ['readings an object', (m) => ({ ...m, readings: {} }), 'schema', 'readings: expected an array, got object'],
    ['readings null', (m) => ({ ...m, readings: null }), 'schema', 'readings: expected an array, got null'],
    ['readings empty', (m) => ({ ...m, readings: [] }), 'empty', 'readings: empty batch'],
    ['one reading too many', () => batch(MAX_READINGS_PER_MESSAGE + 1), 'too-large', `readings: ${MAX_READINGS_PER_MESSAGE + 1} readings exceed the maximum of ${MAX_READINGS_PER_MESSAGE}`],
    // replay
    ['replay false', (m) => ({ ...m, replay: false }), 'schema', 'replay: expected true or absent, got boolean false'],
    ['replay 1', (m) => ({ ...m, replay: 1 }), 'schema', 'replay: expected true or absent, got number 1'],
    ['replay "true"', (m) => ({ ...m, replay: 'true' }), 'schema', 'replay: expected true or absent, got string "true"'],
    // a reading itself
    ['a reading null', (m) => ({ ...m, readings: [m.readings[0], null] }), 'schema', 'readings[1]: expected an object, got null'],
    ['a reading a number', (m) => ({ ...m, readings: [5] }), 'schema', 'readings[0]: expected an object, got number 5'],
    ['a reading an array', (m) => ({ ...m, readings: [[]] }), 'schema', 'readings[0]: expected an object, got array'],
    ['an unknown reading field', reading(2, (r) => (r.foo = 1)), 'schema', 'unknown field "foo" at readings[2]'],
    ['a reading with "value" for "v"', reading(0, (r) => ((r.value = r.v), delete r.v)), 'schema', 'unknown field "value" at readings[0]'],
    // id
    ['id missing', reading(1, (r) => delete r.id), 'schema', 'readings[1].id: missing'],
    ['id a number', reading(1, (r) => (r.id = 101)), 'schema', 'readings[1].id: expected a string, got number 101'],
    ['id empty', reading(1, (r) => (r.id = '')), 'schema', 'readings[1].id: invalid tag id "" (expected ^[a-z0-9][a-z0-9_.-]{0,127}$)'],
    ['id upper case', reading(1, (r) => (r.id = 'A.HS01')), 'schema', 'readings[1].id: invalid tag id "A.HS01" (expected ^[a-z0-9][a-z0-9_.-]{0,127}$)'],
    ['id with a slash', reading(1, (r) => (r.id = 'a/b')), 'schema', 'readings[1].id: invalid tag id "a/b" (expected ^[a-z0-9][a-z0-9_.-]{0,127}$)'],
    ['id a wildcard', reading(1, (r) => (r.id = 'a.#')), 'schema', 'readings[1].id: invalid tag id "a.#" (expected ^[a-z0-9][a-z0-9_.-]{0,127}$)'],
    ['id too long (shortened in the reason)', reading(1, (r) => (r.id = 't'.repeat(129))), 'schema', `readings[1].id: invalid tag id "${'t'.repeat(64)}…" (expected ^[a-z0-9][a-z0-9_.-]{0,127}$)`],
    // ts
    ['ts missing', reading(0, (r) => delete r.ts), 'schema', 'readings[0].ts: missing'],
    ['ts a string', reading(0, (r) => (r.ts = '2025-01-15T08:00:00Z')), 'schema', 'readings[0].ts: expected an integer of epoch milliseconds, got string "2025-01-15T08:00:00Z"'],
    ['ts a fraction', reading(0, (r) => (r.ts = NOW + 0.5)), 'schema', `readings[0].ts: expected an integer of epoch milliseconds, got number ${NOW + 0.5}`],
    ['ts null', reading(0, (r) => (r.ts = null)), 'schema', 'readings[0].ts: expected an integer of epoch milliseconds, got null'],
    ['ts Infinity', reading(0, (r) => (r.ts = Infinity)), 'schema', 'readings[0].ts: expected an integer of epoch milliseconds, got Infinity'],
    ['ts before 2000', reading(0, (r) => (r.ts = MIN_TIMESTAMP_MS - 1)), 'timestamp', `readings[0].ts: ${MIN_TIMESTAMP_MS - 1} is before 2000-01-01T00:00:00.000Z`],
    ['ts in seconds', reading(0, (r) => (r.ts = NOW / 1000)), 'timestamp', `readings[0].ts: ${NOW / 1000} is before 2000-01-01T00:00:00.000Z (seconds instead of milliseconds?)`],
    ['ts negative', reading(0, (r) => (r.ts = -1)), 'timestamp', 'readings[0].ts: -1 is before 2000-01-01T00:00:00.000Z'],
    ['ts too far ahead', reading(2, (r) => (r.ts = NOW + MAX_FUTURE_SKEW_MS + 1)), 'timestamp', `readings[2].ts: ${NOW + MAX_FUTURE_SKEW_MS + 1} is ${MAX_FUTURE_SKEW_MS + 1} ms ahead of the receiver's clock (at most ${MAX_FUTURE_SKEW_MS} allowed)`],
    // v
    ['v missing', reading(0, (r) => delete r.v), 'schema', 'readings[0].v: missing'],
    ['v NaN', reading(0, (r) => (r.v = NaN)), 'schema', 'readings[0].v: expected a finite number, got NaN'],
    ['v Infinity', reading(0, (r) => (r.v = Infinity)), 'schema', 'readings[0].v: expected a finite number, got Infinity'],
    ['v -Infinity', reading(0, (r) => (r.v = -Infinity)), 'schema', 'readings[0].v: expected a finite number, got -Infinity'],
    ['v null', reading(0, (r) => (r.v = null)), 'schema', 'readings[0].v: expected a finite number, got null'],
    ['v "NaN"', reading(0, (r) => (r.v = 'NaN')), 'schema', 'readings[0].v: expected a finite number, got string "NaN"'],
    ['v a numeric string', reading(0, (r) => (r.v = '4.2')), 'schema', 'readings[0].v: expected a finite number, got string "4.2"'],
    ['v a boolean', reading(0, (r) => (r.v = true)), 'schema', 'readings[0].v: expected a finite number, got boolean true'],
    ['v an object', reading(0, (r) => (r.v = { value: 1 })), 'schema', 'readings[0].v: expected a finite number, got object'],
    ['v an array', reading(0, (r) => (r.v = [1])), 'schema', 'readings[0].v: expected a finite number, got array'],
    // q
    ['q missing', reading(0, (r) => delete r.q), 'schema', 'readings[0].q: missing'],
    ['q unknown', reading(0, (r) => (r.q = 'ok')), 'schema', 'readings[0].q: unknown quality "ok" (expected good, uncertain or bad)'],
    ['q upper case', reading(0, (r) => (r.q = 'GOOD')), 'schema', 'readings[0].q: unknown quality "GOOD" (expected good, uncertain or bad)'],
    ['q as its integer code', reading(0, (r) => (r.q = 0)), 'schema', 'readings[0].q: expected a quality (good, uncertain or bad), got number 0'],
    ['q null', reading(0, (r) => (r.q = null)), 'schema', 'readings[0].q: expected a quality (good, uncertain or bad), got null'],
    // err
    ['err on a good reading', reading(0, (r) => (r.err = 'timeout')), 'schema', 'readings[0].err: not allowed when q is "good"'],
    ['err a number', reading(2, (r) => (r.err = 2)), 'schema', 'readings[2].err: expected a string, got number 2'],
    ['err null', reading(2, (r) => (r.err = null)), 'schema', 'readings[2].err: expected a string, got null'],
    ['err empty', reading(2, (r) => (r.err = '')), 'schema', 'readings[2].err: must not be empty'],
    ['err too long', reading(2, (r) => (r.err = 'e'.repeat(MAX_ERR_LENGTH + 1))), 'schema', `readings[2].err: ${MAX_ERR_LENGTH + 1} characters exceed the maximum of ${MAX_ERR_LENGTH}`],
    // first problem wins
    ['two problems: the first is reported', (m) => ({ ...m, readings: [{ ...m.readings[0], v: null }, { ...m.readings[1], q: 'x' }] }), 'schema', 'readings[0].v: expected a finite number, got null'],
    ['a problem deep in a big batch', (m) => {
      const b = batch(MAX_READINGS_PER_MESSAGE);
      (b.readings[4321] as Record<string, unknown>).v = 'NaN';
      return { ...b, gateway: m.gateway };
    }, 'schema', 'readings[4321].v: expected a finite number, got string "NaN"'],
  ];

  it.each(cases)('%s', (_name, edit, code, reason) => {
    expectRejected(validateDataMessage(apply(edit), 'gw-a', NOW), code, reason);
  });

  // JSON turns NaN and ±Infinity into null: those rows are checked from text below.
  const survivesJson = ([, edit]: (typeof cases)[number]) => isDeepStrictEqual(JSON.parse(JSON.stringify(apply(edit))), apply(edit));

  it.each(cases.filter(survivesJson))('%s (parsed from text)', (_name, edit, code, reason) => {
    expectRejected(parseDataMessage(JSON.stringify(apply(edit)), 'gw-a', NOW), code, reason);
  });
});

describe('data messages: what only text can carry', () => {
  const cases: [string, string, RejectCode, string][] = [
    ['a number that overflows to Infinity', `{"gateway":"gw-a","seq":1,"readings":[{"id":"a.b","ts":${NOW},"v":1e999,"q":"good"}]}`, 'schema', 'readings[0].v: expected a finite number, got Infinity'],
    ['a negative overflow', `{"gateway":"gw-a","seq":1,"readings":[{"id":"a.b","ts":${NOW},"v":-1e999,"q":"good"}]}`, 'schema', 'readings[0].v: expected a finite number, got -Infinity'],
    ['a ts that overflows', `{"gateway":"gw-a","seq":1,"readings":[{"id":"a.b","ts":1e999,"v":1,"q":"good"}]}`, 'schema', 'readings[0].ts: expected an integer of epoch milliseconds, got Infinity'],
    ['a __proto__ field in a reading', `{"gateway":"gw-a","seq":1,"readings":[{"id":"a.b","ts":${NOW},"v":1,"q":"good","__proto__":{"x":1}}]}`, 'schema', 'unknown field "__proto__" at readings[0]'],
    ['a __proto__ field at top level', `{"gateway":"gw-a","seq":1,"readings":[],"__proto__":null}`, 'schema', 'unknown field "__proto__" at top level'],
  ];

  it.each(cases)('%s', (_name, text, code, reason) => {
    expectRejected(parseDataMessage(text, 'gw-a', NOW), code, reason);
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    const value = expectAccepted(parseDataMessage(`{"gateway":"gw-a","seq":1,"seq":2,"readings":[{"id":"a.b","ts":${NOW},"v":1,"q":"good"}]}`, 'gw-a', NOW));
    expect(value.seq).toBe(2);
  });
});
