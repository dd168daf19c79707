/**
 * InfluxDB 1.x line protocol for readings, built directly: the hot path of
 * ingest, so no per-point objects or generic escaping. `q` is an integer
 * field (`0i`), `v` a float; timestamps in milliseconds (`precision=ms`).
 */
import { ByteWriter } from '@park/protocol';
import type { StoredReading } from './influx-store.js';

// Tag values escape commas, equals signs and spaces. Ids match the contract's
// pattern and never need it; the check keeps that an assumption, not a bug.
const NEEDS_ESCAPE = /[,= \\\n]/;

export function escapeTag(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\,= ]/g, '\\$&').replace(/\n/g, '\\n') : value;
}

/** Formats a finite number as a float field value (integers get no `i`, so they stay floats). */
function float(v: number): string {
  return String(v);
}

/** Measurement and tags of a reading's point: the same for every reading of a tag. */
export function seriesKey(id: string, site: string, source: string): string {
  const parts = ['reading', `id=${escapeTag(id)}`];
  if (site) parts.push(`site=${escapeTag(site)}`);
  if (source) parts.push(`source=${escapeTag(source)}`);
  // `join` gives one flat string; kept per tag, a chain of concatenations would be walked again at every write.
  return parts.join(',');
}

/** One reading's line, without the newline. */
export function readingLine(r: StoredReading): string {
  return `${r.series ?? seriesKey(r.id, r.site, r.source)} v=${float(r.v)},q=${r.q}i ${r.ts}`;
}

// Node's own UTF-8 writer, without `Buffer#write`'s argument handling (a
// third of the cost of writing a series key); `write` where it is missing.
const utf8Write: (this: Buffer, s: string, at: number) => number =
  (Buffer.prototype as unknown as { utf8Write?: (this: Buffer, s: string, at: number) => number }).utf8Write ??
  function (this: Buffer, s: string, at: number): number {
    return this.write(s, at, 'utf8');
  };

/** Request bodies: Node buffers, and series keys copied by Node's UTF-8 writer. */
export class BodyWriter extends ByteWriter {
  declare buf: Buffer;

  constructor(size: number) {
    super(size, (n) => Buffer.allocUnsafe(n));
  }

  /** A long string (a series key): one native copy beats a loop past a few dozen characters. */
  long(s: string): void {
    // The writer stops silently at the end of the buffer: measure exactly only when it may not fit.
    if (this.at + 3 * s.length > this.buf.length) this.ensure(Buffer.byteLength(s));
    this.at += utf8Write.call(this.buf, s, this.at);
  }
}

/** Bytes a line usually takes beyond its series key: ` v=` float `,q=` int `i ` ms `\n`. */
const LINE_TAIL = 3 + 18 + 3 + 1 + 2 + 13 + 1;

/**
 * One reading's line, newline included, written in place. `tsText` is the
 * timestamp's text: the readings of one block share it, so a caller makes
 * it once per timestamp.
 */
export function writeReadingLine(w: BodyWriter, series: string, v: number, q: number, tsText: string): void {
  w.long(series);
  w.text(' v=');
  w.text(float(v));
  // The quality codes are single digits.
  if (q >= 0 && q <= 9) {
    w.text(',q=');
    w.byte(0x30 + q);
  } else w.text(`,q=${q}`);
  w.text('i ');
  w.text(tsText);
  w.byte(0x0a);
}

/**
 * The request body of `readings`: the bytes of `readingLines`, built in
 * place. (Ingest writes the lines of each message as it takes it, see
 * ingest/line-slabs.ts; this is for readings written directly.)
 */
export function readingLinesBody(readings: readonly StoredReading[]): Buffer {
  let size = 0;
  for (let i = 0; i < readings.length; i++) size += ((readings[i] as StoredReading).series?.length ?? 96) + LINE_TAIL;
  const w = new BodyWriter(size);
  let lastTs = Number.NaN;
  let tsText = '';
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as StoredReading;
    if (r.ts !== lastTs) {
      lastTs = r.ts;
      tsText = String(r.ts);
    }
    writeReadingLine(w, r.series ?? seriesKey(r.id, r.site, r.source), r.v, r.q, tsText);
  }
  return w.buf.subarray(0, w.at);
}

export function readingLines(readings: readonly StoredReading[]): string {
  let out = '';
  for (let i = 0; i < readings.length; i++) out += `${readingLine(readings[i] as StoredReading)}\n`;
  return out;
}
