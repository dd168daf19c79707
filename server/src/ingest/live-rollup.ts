/**
 * The 1-minute rollup (mean, min, max and worst quality per tag, the points
 * of `rollup.reading_1m`) made from the readings as they are ingested,
 * instead of by a continuous query reading them back from InfluxDB. At
 * 100,000 tags a second the continuous query cost InfluxDB a third of a core
 * or more, in bursts every minute that stalled the writes of everything
 * else (docs/BENCHMARKS.md); summing here costs a few array updates per
 * reading and InfluxDB one point per tag a minute.
 *
 * Up to three minutes are open at a time per tag (columns indexed by the
 * tag slot's number, one set per minute modulo 3: the one before, the one
 * being read, the next for a clock a little ahead); a set is needed again
 * only three minutes later, which leaves a closed minute a minute to be
 * written out unhurried. A minute is written
 * `flushDelayMs` after it ends; a reading that comes later than that, or for
 * a minute not open, is refused and the caller notes its range for the
 * rollup backfill, which recomputes those minutes from the raw points. So is
 * a minute that began before this rollup existed (a server start sees only
 * part of it).
 */

import { BodyWriter } from '../influx/line-protocol.js';

/**
 * A piece of a closed minute: its points as line protocol (`reading_1m`
 * with the reading's tags), at most the `maxPoints` asked for, so that
 * 100,000 tags are written in pieces between other work rather than in one
 * block of the event loop (alarms wait behind it).
 */
export interface RollupChunk {
  minute: number;
  /** Line protocol of `points` points; empty for a partial minute. */
  body: Buffer;
  points: number;
  /** The minute began before this rollup existed: its sums are partial, recompute it instead. */
  partial: boolean;
  /** The minute's last piece. */
  last: boolean;
}

const MINUTE_MS = 60_000;

class MinuteColumns {
  minute = Number.NaN;
  /** Being written out, from `touched[closedUpTo]` on: takes no more readings. */
  closing = false;
  closedUpTo = 0;
  /** Slot numbers with a reading in this minute, in first-seen order. */
  touched: number[] = [];
  count: Uint32Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  q: Uint8Array;

  constructor(size: number) {
    this.count = new Uint32Array(size);
    this.sum = new Float64Array(size);
    this.min = new Float64Array(size);
    this.max = new Float64Array(size);
    this.q = new Uint8Array(size);
  }

  grow(size: number): void {
    const grown = <T extends Uint32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.count = grown(this.count, (n) => new Uint32Array(n));
    this.sum = grown(this.sum, (n) => new Float64Array(n));
    this.min = grown(this.min, (n) => new Float64Array(n));
    this.max = grown(this.max, (n) => new Float64Array(n));
    this.q = grown(this.q, (n) => new Uint8Array(n));
  }
}

export class LiveRollup {
  private readonly columns: [MinuteColumns, MinuteColumns, MinuteColumns];
  /** Series key per slot number (the rollup point's tags are the reading's). */
  private readonly series: string[] = [];
  private size: number;
  /** The latest minute written or given up: readings for it or older are refused. */
  private flushedThrough = Number.NEGATIVE_INFINITY;

  constructor(
    /** When this rollup began: a minute starting earlier is only partly seen. */
    private readonly startedAt: number,
    /** How long after its end a minute is written (the ingest notes readings later than this as late). */
    readonly flushDelayMs: number,
    initialSize = 1024,
  ) {
    this.size = Math.max(16, initialSize);
    this.columns = [new MinuteColumns(this.size), new MinuteColumns(this.size), new MinuteColumns(this.size)];
  }

  /**
   * Adds a reading of the tag numbered `slot` (series key `series`). False
   * when its minute is not open (written already, older, or too far ahead
   * of `now`): the caller notes it for the backfill.
   */
  add(slot: number, series: string, ts: number, v: number, q: number, now: number): boolean {
    const minute = ts - (ts % MINUTE_MS);
    if (minute <= this.flushedThrough) return false;
    const nowMinute = now - (now % MINUTE_MS);
    // A gateway clock a little ahead may send the next minute; beyond that the
    // sets would be taken by minutes still open.
    if (minute > nowMinute + MINUTE_MS || minute < nowMinute - MINUTE_MS) return false;
    const c = this.columns[(minute / MINUTE_MS) % 3] as MinuteColumns;
    if (c.closing) return false;
    if (c.minute !== minute) {
      if (c.touched.length > 0) return false; // the minute three before is not written yet
      c.minute = minute;
    }
    if (slot >= this.size) this.grow(slot + 1);
    if (this.series[slot] === undefined) this.series[slot] = series;
    const n = c.count[slot] as number;
    if (n === 0) {
      c.touched.push(slot);
      c.sum[slot] = v;
      c.min[slot] = v;
      c.max[slot] = v;
      c.q[slot] = q;
    } else {
      c.sum[slot] = (c.sum[slot] as number) + v;
      if (v < (c.min[slot] as number)) c.min[slot] = v;
      if (v > (c.max[slot] as number)) c.max[slot] = v;
      if (q > (c.q[slot] as number)) c.q[slot] = q;
    }
    c.count[slot] = n + 1;
    return true;
  }

  /**
   * The next piece of the minutes due at `now` (ended at least
   * `flushDelayMs` ago), oldest first: at most `maxPoints` points, or
   * undefined when nothing is due. Call again until undefined.
   */
  flush(now: number, maxPoints = 5000): RollupChunk | undefined {
    const due = this.columns.filter((c) => !Number.isNaN(c.minute) && (c.closing || now >= c.minute + MINUTE_MS + this.flushDelayMs)).sort((a, b) => a.minute - b.minute)[0];
    return due === undefined ? undefined : this.piece(due, maxPoints, false);
  }

  /** Every open minute at once, due or not (the server stops): partial unless complete by `now`. */
  flushAll(now: number): RollupChunk[] {
    const open = this.columns.filter((c) => !Number.isNaN(c.minute)).sort((a, b) => a.minute - b.minute);
    return open.map((c) => this.piece(c, Number.POSITIVE_INFINITY, now < c.minute + MINUTE_MS + this.flushDelayMs));
  }

  private piece(c: MinuteColumns, maxPoints: number, incomplete: boolean): RollupChunk {
    const minute = c.minute;
    if (!c.closing) {
      c.closing = true;
      if (minute > this.flushedThrough) this.flushedThrough = minute;
    }
    const partial = incomplete || minute < this.startedAt;
    const end = partial ? c.touched.length : Math.min(c.touched.length, c.closedUpTo + maxPoints);
    let body = EMPTY;
    if (!partial) {
      const w = new BodyWriter((end - c.closedUpTo) * 160);
      const at = String(minute);
      for (let i = c.closedUpTo; i < end; i++) {
        const s = c.touched[i] as number;
        writeRollupLine(w, this.series[s] as string, (c.sum[s] as number) / (c.count[s] as number), c.min[s] as number, c.max[s] as number, c.q[s] as number, at);
      }
      body = w.buf.subarray(0, w.at);
    }
    for (let i = c.closedUpTo; i < end; i++) c.count[c.touched[i] as number] = 0;
    const points = partial ? 0 : end - c.closedUpTo;
    c.closedUpTo = end;
    const last = end >= c.touched.length;
    if (last) {
      c.touched = [];
      c.minute = Number.NaN;
      c.closing = false;
      c.closedUpTo = 0;
    }
    return { minute, body, points, partial, last };
  }

  private grow(atLeast: number): void {
    let size = this.size;
    while (size < atLeast) size *= 2;
    for (const c of this.columns) c.grow(size);
    this.size = size;
  }
}

const EMPTY: Buffer = Buffer.alloc(0);
const MEASUREMENT_PREFIX = 'reading_1m';

/** One rollup point: the reading's series key under `reading_1m`, an integer quality, the minute's start. */
export function writeRollupLine(w: BodyWriter, series: string, mean: number, min: number, max: number, q: number, minuteText: string): void {
  // The series key begins with the measurement `reading`: its tags follow.
  w.text(MEASUREMENT_PREFIX);
  w.long(series.slice(7));
  w.text(` mean=${mean},min=${min},max=${max},q=${q}i `);
  w.text(minuteText);
  w.byte(0x0a);
}
