/**
 * Rate of change over a window, in constant memory and without allocation
 * per sample (a rate-of-change alarm is evaluated on the ingest hot path).
 *
 * Definition: rate(t) = (v(t) − v(t − W)) / W, in units per minute, where
 * v(t − W) is the value held at the start of the window: the newest sample
 * at or before t − W (a gateway reports by exception, so a value stands
 * until the next report). While the history is shorter than W the oldest
 * sample stands in; that gives a lower bound of the rate (never a false
 * alarm from a short history, at most a late one in the first window).
 *
 * Samples are kept one per slot of W/16 (the latest of each slot), so the
 * reference is exact to one slot. A gap longer than `maxGapMs` between two
 * samples (communication loss), or a source clock stepping back, discards
 * the history: the value held across a gap is not known.
 */

/** Slots per window: resolution of the window start. */
export const RATE_SLOTS_PER_WINDOW = 16;
const CAPACITY = RATE_SLOTS_PER_WINDOW + 4;
const MS_PER_MIN = 60_000;

export class RateWindow {
  private readonly times = new Float64Array(CAPACITY);
  private readonly values = new Float64Array(CAPACITY);
  private readonly slotMs: number;
  private head = 0;
  private length = 0;

  constructor(
    readonly windowMs: number,
    readonly maxGapMs: number,
  ) {
    this.slotMs = windowMs / RATE_SLOTS_PER_WINDOW;
  }

  /** Forgets every sample. */
  reset(): void {
    this.head = 0;
    this.length = 0;
  }

  /** Adds a usable sample at source time `t` and returns the rate at `t` in units per minute. */
  add(t: number, v: number): number {
    if (this.length > 0) {
      const newest = (this.head + this.length - 1) % CAPACITY;
      const newestT = this.times[newest] as number;
      if (t < newestT || t - newestT > this.maxGapMs) {
        this.reset();
      } else if (Math.floor(newestT / this.slotMs) === Math.floor(t / this.slotMs)) {
        this.times[newest] = t;
        this.values[newest] = v;
        return this.rateAt(t, v);
      }
    }
    if (this.length === CAPACITY) {
      this.head = (this.head + 1) % CAPACITY;
      this.length--;
    }
    const at = (this.head + this.length) % CAPACITY;
    this.times[at] = t;
    this.values[at] = v;
    this.length++;
    return this.rateAt(t, v);
  }

  private rateAt(t: number, v: number): number {
    const start = t - this.windowMs;
    // Keep exactly one sample at or before the window start: the held value there.
    while (this.length >= 2 && (this.times[(this.head + 1) % CAPACITY] as number) <= start) {
      this.head = (this.head + 1) % CAPACITY;
      this.length--;
    }
    const ref = this.values[this.head] as number;
    return ((v - ref) * MS_PER_MIN) / this.windowMs;
  }
}
