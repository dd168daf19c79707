/**
 * The 1-minute rollup (mean, min, max and worst quality per tag, the points
 * of `rollup.reading_1m`) made from the readings as they are ingested,
 * instead of by a continuous query reading them back from InfluxDB. At
 * 100,000 tags a second the continuous query cost InfluxDB a third of a core
 * or more, in bursts every minute that stalled the writes of everything
 * else (docs/BENCHMARKS.md); summing here costs a few array updates per
 * reading and InfluxDB one point per tag a minute.
 *
 * Two minutes are open at a time per tag (columns indexed by the tag slot's
 * number, one set per parity of the minute). A minute is written
 * `flushDelayMs` after it ends; a reading that comes later than that, or for
 * a minute not open, is refused and the caller notes its range for the
 * rollup backfill, which recomputes those minutes from the raw points. So is
 * a minute that began before this rollup existed (a server start sees only
 * part of it).
 */

/** One rollup point: the tag's series key (as for `reading`) and its minute's figures. */
export interface RollupPoint {
  series: string;
  minute: number;
  mean: number;
  min: number;
  max: number;
  q: number;
}

/** What a flush gives: points to write, and minutes only partly seen (to be recomputed from raw points). */
export interface RollupFlush {
  minute: number;
  points: RollupPoint[];
  /** The minute began before this rollup existed: its points are partial, recompute it instead. */
  partial: boolean;
}

const MINUTE_MS = 60_000;

class MinuteColumns {
  minute = Number.NaN;
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
  private readonly columns: [MinuteColumns, MinuteColumns];
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
    this.columns = [new MinuteColumns(this.size), new MinuteColumns(this.size)];
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
    // A gateway clock a little ahead may send the next minute; beyond that both
    // parities would be taken by minutes still open.
    if (minute > nowMinute + MINUTE_MS || minute < nowMinute - MINUTE_MS) return false;
    const c = this.columns[(minute / MINUTE_MS) & 1] as MinuteColumns;
    if (c.minute !== minute) {
      if (c.touched.length > 0) return false; // the other minute of this parity is not written yet
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

  /** The minutes due at `now` (ended at least `flushDelayMs` ago), oldest first; they are closed. */
  flush(now: number): RollupFlush[] {
    const out: RollupFlush[] = [];
    const due = this.columns.filter((c) => !Number.isNaN(c.minute) && now >= c.minute + MINUTE_MS + this.flushDelayMs).sort((a, b) => a.minute - b.minute);
    for (const c of due) out.push(this.close(c));
    return out;
  }

  /** Every open minute, due or not (the server stops): partial unless complete by `now`. */
  flushAll(now: number): RollupFlush[] {
    const open = this.columns.filter((c) => !Number.isNaN(c.minute)).sort((a, b) => a.minute - b.minute);
    return open.map((c) => {
      const f = this.close(c);
      if (now < f.minute + MINUTE_MS + this.flushDelayMs) f.partial = true;
      return f;
    });
  }

  private close(c: MinuteColumns): RollupFlush {
    const minute = c.minute;
    const points: RollupPoint[] = new Array<RollupPoint>(c.touched.length);
    for (let i = 0; i < c.touched.length; i++) {
      const s = c.touched[i] as number;
      const n = c.count[s] as number;
      points[i] = { series: this.series[s] as string, minute, mean: (c.sum[s] as number) / n, min: c.min[s] as number, max: c.max[s] as number, q: c.q[s] as number };
      c.count[s] = 0;
    }
    c.touched = [];
    c.minute = Number.NaN;
    if (minute > this.flushedThrough) this.flushedThrough = minute;
    return { minute, points, partial: minute < this.startedAt };
  }

  private grow(atLeast: number): void {
    let size = this.size;
    while (size < atLeast) size *= 2;
    for (const c of this.columns) c.grow(size);
    this.size = size;
  }
}

/** A rollup point as line protocol: the reading's tags under `reading_1m`. */
export function rollupLine(p: RollupPoint): string {
  // The series key begins with the measurement `reading`.
  return `reading_1m${p.series.slice('reading'.length)} mean=${p.mean},min=${p.min},max=${p.max},q=${p.q}i ${p.minute}`;
}
