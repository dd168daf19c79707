import { describe, expect, it } from 'vitest';
import {
  ByteWriter,
  encodeDataMessage,
  encodeMetaMessage,
  encodeReading,
  encodeStatusMessage,
  parseDataMessage,
  parseMetaMessage,
  parseStatusMessage,
  type DataMessage,
  type MetaMessage,
  type Reading,
  type StatusMessage,
  writeReading,
} from '@park/protocol';
import { NOW, expectAccepted } from './helpers.js';

const data: DataMessage = {
  gateway: 'gw-a',
  seq: 42,
  readings: [
    { id: 'a.hs01.t101.level', ts: NOW, v: 4.25, q: 'good' },
    { id: 'a.hs01.gd01.lel', ts: NOW + 1, v: 0, q: 'bad', err: 'timeout' },
  ],
};

const status: StatusMessage = {
  gateway: 'gw-a',
  state: 'online',
  ts: NOW,
  version: '0.1.0',
  devices: { 'plc-b': 'error: "quoted" \\ reason', 'opcua-tankfarm': 'connected' },
  counters: { published: 3 },
};

const meta: MetaMessage = {
  gateway: 'gw-a',
  ts: NOW,
  tags: [{ id: 'a.hs01.t101.level', device: 'opcua-tankfarm', kind: 'analog', unit: 'm', description: 'T101 液位', source: 'opcua:ns=2;s=T101.Level' }],
};

describe('encoders', () => {
  it('write the exact data JSON', () => {
    expect(encodeDataMessage(data)).toBe(
      `{"gateway":"gw-a","seq":42,"readings":[{"id":"a.hs01.t101.level","ts":${NOW},"v":4.25,"q":"good"},{"id":"a.hs01.gd01.lel","ts":${NOW + 1},"v":0,"q":"bad","err":"timeout"}]}`,
    );
    expect(encodeDataMessage({ ...data, readings: [data.readings[0]!], replay: true })).toBe(
      `{"gateway":"gw-a","seq":42,"readings":[{"id":"a.hs01.t101.level","ts":${NOW},"v":4.25,"q":"good"}],"replay":true}`,
    );
  });

  it('write the exact status JSON', () => {
    expect(encodeStatusMessage(status)).toBe(
      `{"gateway":"gw-a","state":"online","ts":${NOW},"version":"0.1.0","devices":{"plc-b":"error: \\"quoted\\" \\\\ reason","opcua-tankfarm":"connected"},"counters":{"published":3}}`,
    );
    const { counters: _, ...will } = status;
    expect(encodeStatusMessage({ ...will, state: 'offline', devices: {} })).toBe(`{"gateway":"gw-a","state":"offline","ts":${NOW},"version":"0.1.0","devices":{}}`);
  });

  it('write the exact meta JSON', () => {
    expect(encodeMetaMessage(meta)).toBe(
      `{"gateway":"gw-a","ts":${NOW},"tags":[{"id":"a.hs01.t101.level","device":"opcua-tankfarm","kind":"analog","unit":"m","description":"T101 液位","source":"opcua:ns=2;s=T101.Level"}]}`,
    );
  });

  it('leave out undefined optional fields', () => {
    expect(encodeReading({ id: 'a.b', ts: NOW, v: 1, q: 'good', err: undefined })).toBe(`{"id":"a.b","ts":${NOW},"v":1,"q":"good"}`);
    expect(encodeDataMessage({ ...data, replay: undefined })).toBe(JSON.stringify(data));
    expect(encodeStatusMessage({ ...status, counters: undefined })).not.toContain('counters');
  });

  it('agree with JSON.stringify of an object in contract order', () => {
    expect(encodeDataMessage(data)).toBe(JSON.stringify(data));
    expect(encodeStatusMessage(status)).toBe(JSON.stringify(status));
    expect(encodeMetaMessage(meta)).toBe(JSON.stringify(meta));
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('refuse to encode %s (JSON would write null)', (name, v) => {
    const readings = [data.readings[0]!, { ...data.readings[0]!, v }];
    expect(() => encodeDataMessage({ ...data, readings })).toThrow(new RangeError(`readings[1].v: cannot encode ${name} as JSON`));
    expect(() => encodeReading({ ...data.readings[0]!, ts: v })).toThrow(new RangeError(`reading.ts: cannot encode ${name} as JSON`));
    expect(() => encodeStatusMessage({ ...status, counters: { published: v } })).toThrow(new RangeError(`counters["published"]: cannot encode ${name} as JSON`));
  });
});

describe('round trip: encode → parse', () => {
  it('data', () => {
    expect(expectAccepted(parseDataMessage(encodeDataMessage(data), 'gw-a', NOW))).toEqual(data);
    const replay: DataMessage = { ...data, replay: true };
    expect(expectAccepted(parseDataMessage(new TextEncoder().encode(encodeDataMessage(replay)), 'gw-a', NOW))).toEqual(replay);
  });

  it('status', () => {
    expect(expectAccepted(parseStatusMessage(encodeStatusMessage(status), 'gw-a', NOW))).toEqual(status);
  });

  it('meta', () => {
    expect(expectAccepted(parseMetaMessage(encodeMetaMessage(meta), 'gw-a', NOW))).toEqual(meta);
  });

  it('keeps every double exactly', () => {
    const values = [0.1, -0.000123, 1e-300, 123456789.123456789, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2];
    const m: DataMessage = { gateway: 'gw-a', seq: 0, readings: values.map((v, i) => ({ id: `t${i}`, ts: NOW, v, q: 'good' })) };
    expect(expectAccepted(parseDataMessage(encodeDataMessage(m), 'gw-a', NOW)).readings.map((r) => r.v)).toEqual(values);
  });
});

describe('writeReading', () => {
  const readings: Reading[] = [
    { id: 'a.hs01.t101.level', ts: NOW, v: 4.25, q: 'good' },
    { id: 'a.hs01.t101.level', ts: NOW, v: -0.000123, q: 'uncertain' },
    { id: 'b.x', ts: NOW + 1, v: 0, q: 'bad', err: 'timeout' },
    { id: 'b.y', ts: NOW + 1, v: 1e21, q: 'bad', err: '设备通信超时 "quoted" \\ back\nline\u0001 \ud800 lone' },
    { id: 'odd"id\\é', ts: 0, v: 2 ** 53 + 2, q: 'good' },
  ];

  it('writes exactly the UTF-8 bytes of encodeReading, growing a small buffer as needed', () => {
    const w = new ByteWriter(1);
    readings.forEach((r, i) => {
      const before = w.at;
      writeReading(w, r, i);
      expect(Buffer.from(w.bytes().subarray(before)).toString('utf8')).toBe(encodeReading(r, i));
    });
    expect(Buffer.from(w.bytes()).equals(Buffer.from(readings.map((r, i) => encodeReading(r, i)).join('')))).toBe(true);
  });

  it('refuses a value JSON cannot carry, naming the reading', () => {
    expect(() => writeReading(new ByteWriter(64), { id: 'a', ts: NOW, v: Number.NaN, q: 'bad' }, 3)).toThrow(/readings\[3\]\.v/);
  });
});
