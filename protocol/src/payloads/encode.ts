/**
 * Encoders: the exact JSON of each payload, fields in the order the contract
 * lists them, optional fields left out when undefined. They do not validate
 * (run the validators in tests, or on input you do not control), except that
 * a non-finite number throws a RangeError: JSON cannot carry NaN or Infinity
 * and JSON.stringify would silently write `null`.
 */

import type { ByteWriter } from '../bytes.js';
import type { DataMessage, MetaMessage, MetaTag, Reading, StatusMessage } from './types.js';

const str = JSON.stringify as (s: string) => string;

function num(x: number, path: string): string {
  if (!Number.isFinite(x)) throw new RangeError(`${path}: cannot encode ${x} as JSON`);
  return JSON.stringify(x);
}

function numberMap(o: Record<string, number>, path: string): string {
  let out = '{';
  let first = true;
  for (const key in o) {
    const value = o[key];
    if (value === undefined) continue;
    out += `${first ? '' : ','}${str(key)}:${num(value, `${path}[${str(key)}]`)}`;
    first = false;
  }
  return `${out}}`;
}

function stringMap(o: Record<string, string>): string {
  let out = '{';
  let first = true;
  for (const key in o) {
    const value = o[key];
    if (value === undefined) continue;
    out += `${first ? '' : ','}${str(key)}:${str(value)}`;
    first = false;
  }
  return `${out}}`;
}

/** `{"gateway","state","ts","version","devices"[,"counters"]}` */
export function encodeStatusMessage(m: StatusMessage): string {
  let out = `{"gateway":${str(m.gateway)},"state":${str(m.state)},"ts":${num(m.ts, 'ts')},"version":${str(m.version)},"devices":${stringMap(m.devices)}`;
  if (m.counters !== undefined) out += `,"counters":${numberMap(m.counters, 'counters')}`;
  return `${out}}`;
}

function encodeTag(t: MetaTag): string {
  return `{"id":${str(t.id)},"device":${str(t.device)},"kind":${str(t.kind)},"unit":${str(t.unit)},"description":${str(t.description)},"source":${str(t.source)}}`;
}

/** `{"gateway","ts","tags":[{"id","device","kind","unit","description","source"}]}` */
export function encodeMetaMessage(m: MetaMessage): string {
  let out = `{"gateway":${str(m.gateway)},"ts":${num(m.ts, 'ts')},"tags":[`;
  for (let i = 0; i < m.tags.length; i++) {
    if (i > 0) out += ',';
    out += encodeTag(m.tags[i] as MetaTag);
  }
  return `${out}]}`;
}

function readingNumber(x: number, field: string, index: number | undefined): string {
  if (Number.isFinite(x)) return JSON.stringify(x);
  return num(x, `${index === undefined ? 'reading' : `readings[${index}]`}.${field}`);
}

/**
 * The latest timestamp encoded, and its text: the readings of one block
 * read share their time, and turning a millisecond timestamp (beyond the
 * small-integer range) into text is a third of the cost of a reading.
 */
let lastTs = Number.NaN;
let lastTsText = '';

function timestamp(ts: number, index: number | undefined): string {
  if (ts !== lastTs) {
    lastTsText = readingNumber(ts, 'ts', index);
    lastTs = ts;
  }
  return lastTsText;
}

function quality(q: string): string {
  return q === 'good' ? '"good"' : q === 'bad' ? '"bad"' : q === 'uncertain' ? '"uncertain"' : str(q);
}

/**
 * `{"id","ts","v","q"[,"err"]}`: one reading, e.g. to measure a batch's size
 * while filling it. `index` only names the reading in an error.
 */
export function encodeReading(r: Reading, index?: number): string {
  const err = r.err === undefined ? '' : `,"err":${str(r.err)}`;
  return `{"id":${str(r.id)},"ts":${timestamp(r.ts, index)},"v":${readingNumber(r.v, 'v', index)},"q":${quality(r.q)}${err}}`;
}

/**
 * A string as JSON, written into `w`: the bytes of `JSON.stringify(s)`.
 * Printable ASCII other than `"` and `\` (every id) is copied as it is.
 */
function writeJsonString(w: ByteWriter, s: string): void {
  const n = s.length;
  w.ensure(n + 2);
  const buf = w.buf;
  let at = w.at;
  buf[at++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      w.utf8(str(s));
      return;
    }
    buf[at++] = c;
  }
  buf[at++] = 0x22;
  w.at = at;
}

/** `encodeReading`, written into `w` instead of returned: the same bytes, nothing built to be copied. */
export function writeReading(w: ByteWriter, r: Reading, index?: number): void {
  w.text('{"id":');
  writeJsonString(w, r.id);
  w.text(',"ts":');
  w.text(timestamp(r.ts, index));
  w.text(',"v":');
  w.text(readingNumber(r.v, 'v', index));
  w.text(',"q":');
  w.text(quality(r.q));
  if (r.err !== undefined) {
    w.text(',"err":');
    writeJsonString(w, r.err);
  }
  w.byte(0x7d);
}

/** `{"gateway","seq","readings":[…][,"replay":true]}` */
export function encodeDataMessage(m: DataMessage): string {
  let out = `{"gateway":${str(m.gateway)},"seq":${num(m.seq, 'seq')},"readings":[`;
  for (let i = 0; i < m.readings.length; i++) {
    if (i > 0) out += ',';
    out += encodeReading(m.readings[i] as Reading, i);
  }
  out += ']';
  if (m.replay === true) out += ',"replay":true';
  return `${out}}`;
}
