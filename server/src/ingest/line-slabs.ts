import { BodyWriter } from '../influx/line-protocol.js';

/**
 * Readings as InfluxDB line protocol, waiting to be written: `count` lines,
 * each ending in a newline. The ingest turns a message into its lines as it
 * takes it, so nothing of the message outlives it on the JavaScript heap.
 * Kept as objects (a row per reading, up to the moment the write succeeded)
 * the readings lived through several young-generation collections at
 * 100,000 a second, were copied each time and promoted, and the full
 * collections that followed every few seconds held the event loop, and the
 * alarms behind it, for tens of milliseconds at a time.
 */
export interface Lines {
  readonly bytes: Buffer;
  readonly count: number;
  /** The slab the bytes lie in; none when they have a buffer of their own (read back from the spool). */
  readonly slab: Slab | undefined;
  /** Set once the slab has been told these lines are done with: never twice. */
  released: boolean;
}

/**
 * A piece of memory that lines are written into one message after another.
 * Counts the `Lines` still in it; once none is left (all written to
 * InfluxDB or spilled to disk) it is used again. Reused memory instead of a
 * buffer per message: buffers coming and going at megabytes a second make
 * V8 run full collections for their external memory.
 */
export class Slab {
  /** `Lines` in this slab not yet released. */
  refs = 0;
  /** Bytes written so far. */
  at = 0;
  constructor(
    readonly buf: Buffer,
    private readonly pool: LineSlabs,
  ) {}

  release(): void {
    if (this.refs <= 0) throw new Error('line slab released more often than it was used: queued readings could be overwritten');
    if (--this.refs === 0) this.pool.emptied(this);
  }
}

/** Default slab size: about 11,000 readings of the usual length. */
export const SLAB_BYTES = 1 << 20;

/** Bytes a line takes at most beyond its series key: ` v=` float (25) `,q=` int (11) `i ` ms (20) newline. */
export const LINE_TAIL_MAX = 3 + 25 + 3 + 11 + 2 + 20 + 1;

export class LineSlabs {
  private current: Slab;
  private readonly free: Slab[] = [];
  private readonly writer = new BodyWriter(64);
  private start = 0;
  /** Slabs made since the start (reused ones not counted): how much the pool had to grow. */
  made = 0;

  constructor(
    private readonly slabBytes = SLAB_BYTES,
    /** Empty slabs kept for reuse; more are left to the garbage collector. */
    private readonly keepFree = 16,
  ) {
    this.current = this.make(slabBytes);
  }

  /**
   * A writer for the lines of one message that take at most `maxBytes`;
   * write them, then `finish` with their number before the next `begin`.
   */
  begin(maxBytes: number): BodyWriter {
    if (this.current.at + maxBytes > this.current.buf.length) this.next(maxBytes);
    const w = this.writer;
    w.buf = this.current.buf;
    w.at = this.current.at;
    this.start = w.at;
    return w;
  }

  finish(count: number): Lines {
    const w = this.writer;
    const slab = this.current;
    if (w.buf !== slab.buf) {
      // The bound was too small and the writer grew into a buffer of its own: keep that (never expected).
      return { bytes: w.buf.subarray(this.start, w.at), count, slab: undefined, released: false };
    }
    slab.at = w.at;
    slab.refs++;
    return { bytes: slab.buf.subarray(this.start, w.at), count, slab, released: false };
  }

  /** Called by a slab whose last lines were released. */
  emptied(slab: Slab): void {
    if (slab === this.current) return;
    slab.at = 0;
    if (slab.buf.length === this.slabBytes && this.free.length < this.keepFree) this.free.push(slab);
  }

  /** Slabs waiting for reuse (for tests and metrics). */
  freeSlabs(): number {
    return this.free.length;
  }

  private next(maxBytes: number): void {
    const old = this.current;
    this.current = maxBytes > this.slabBytes ? this.make(maxBytes) : (this.free.pop() ?? this.make(this.slabBytes));
    if (old.refs === 0) this.emptied(old);
  }

  private make(bytes: number): Slab {
    this.made++;
    return new Slab(Buffer.allocUnsafeSlow(bytes), this);
  }
}

/** Lines whose bytes are their own (read from a spool file, made in a test). */
export function ownLines(bytes: Buffer, count: number): Lines {
  return { bytes, count, slab: undefined, released: false };
}

/** Tells the slab of `lines` they are done with (written or spilled). */
export function releaseLines(lines: Lines): void {
  if (lines.released) throw new Error('queued lines released twice: their slab could be overwritten while still queued');
  lines.released = true;
  lines.slab?.release();
}

/**
 * Splits after the first `n` lines (0 < n < lines.count). The original is
 * replaced by the two parts, each released in its turn; as `views`, the
 * parts only look at the bytes (for a request body) and the original stays
 * the one to release.
 */
export function cutLines(lines: Lines, n: number, views = false): [Lines, Lines] {
  const b = lines.bytes;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const nl = b.indexOf(0x0a, at);
    if (nl < 0) throw new Error(`queued lines hold fewer than ${n} lines`);
    at = nl + 1;
  }
  const slab = views ? undefined : lines.slab;
  // Two parts now stand for the one: the slab counts one more.
  if (slab) slab.refs++;
  return [
    { bytes: b.subarray(0, at), count: n, slab, released: false },
    { bytes: b.subarray(at), count: lines.count - n, slab, released: false },
  ];
}

/** Total readings in `runs`. */
export function countLines(runs: readonly Lines[]): number {
  let n = 0;
  for (const r of runs) n += r.count;
  return n;
}

/**
 * One request body of `runs`. Lines of consecutive messages usually lie one
 * after the other in a slab: then the body is a view of them, no copy.
 */
export function linesBody(runs: readonly Lines[]): Buffer {
  if (runs.length === 0) return Buffer.alloc(0);
  const first = (runs[0] as Lines).bytes;
  let end = first.byteOffset + first.length;
  let contiguous = true;
  let total = first.length;
  for (let i = 1; i < runs.length; i++) {
    const b = (runs[i] as Lines).bytes;
    if (contiguous && (b.buffer !== first.buffer || b.byteOffset !== end)) contiguous = false;
    end = b.byteOffset + b.length;
    total += b.length;
  }
  if (contiguous) return Buffer.from(first.buffer, first.byteOffset, total);
  return Buffer.concat(
    runs.map((r) => r.bytes),
    total,
  );
}
