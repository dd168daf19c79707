/**
 * The 1-minute rollup of readings stored late. The live rollup (or, when
 * server instances share the data, the continuous query) takes a reading
 * that arrives within about a minute of its time. Later ones (replayed from
 * a gateway's outbox, recovered from the accept log after a crash, queued
 * while InfluxDB was away, minutes the live rollup saw only in part) are
 * not: their time ranges are noted here, per site, and once the writes have
 * caught up and no new range has come for a while, those minutes are rolled
 * up again from the stored readings, one query per site.
 *
 * The ranges live in memory: a server stopped before they are rolled up
 * leaves those minutes out of the rollup (the raw readings are stored;
 * history spans under a minute per point read them).
 */

/** Key of a range for every site (InfluxDB away: every tag is late). */
export const EVERY_SITE = '';

export interface RollupTarget {
  rollupRange(fromMs: number, toMs: number, site?: string): Promise<number>;
}

export class RollupBackfill {
  private readonly pending = new Map<string, { from: number; to: number }>();
  private lastNoteAt = Number.NEGATIVE_INFINITY;
  /** When the oldest pending range was noted. */
  private firstNoteAt = Number.NaN;
  private running: Promise<void> | undefined;
  /** Ranges rolled up, and queries that failed (tried again at the next chance). */
  readonly counters = { ranges: 0, failures: 0 };

  constructor(
    private readonly target: RollupTarget,
    /** Quiet time after the latest note before the rollup runs: a replay notes many ranges in a row. */
    private readonly quietMs = 10_000,
    /** Time one query rolls up at most. */
    private readonly chunkMs = 5 * 60_000,
    /**
     * Longest wait for a quiet time: a gateway whose clock is behind sends
     * late readings all the time, and its minutes must be rolled up all the same.
     */
    private readonly maxWaitMs = 60_000,
  ) {}

  note(site: string, fromMs: number, toMs: number, nowMs: number): void {
    if (!(fromMs <= toMs)) return;
    if (this.pending.size === 0) this.firstNoteAt = nowMs;
    const p = this.pending.get(site);
    if (p) {
      if (fromMs < p.from) p.from = fromMs;
      if (toMs > p.to) p.to = toMs;
    } else {
      this.pending.set(site, { from: fromMs, to: toMs });
    }
    this.lastNoteAt = nowMs;
  }

  hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Whether ranges wait, and none came within the quiet time or the oldest has waited the longest wait. */
  due(nowMs: number): boolean {
    return this.pending.size > 0 && this.running === undefined && (nowMs - this.lastNoteAt >= this.quietMs || nowMs - this.firstNoteAt >= this.maxWaitMs);
  }

  /**
   * Rolls up every pending range; what a failed query left stays pending,
   * noted again at `nowMs` (tried again after the quiet time). Resolves when
   * done (never rejects).
   */
  run(nowMs: number, onError: (site: string, err: Error) => void): Promise<void> {
    this.running ??= (async () => {
      try {
        for (const [site, range] of [...this.pending]) {
          this.pending.delete(site);
          // In pieces: after a day's outage one query over every tag would outlast any timeout.
          for (let from = range.from; from <= range.to; from += this.chunkMs) {
            try {
              await this.target.rollupRange(from, Math.min(range.to, from + this.chunkMs - 1), site === EVERY_SITE ? undefined : site);
            } catch (err) {
              this.counters.failures++;
              this.note(site, from, range.to, nowMs);
              onError(site, err as Error);
              break;
            }
          }
          if (!this.pending.has(site)) this.counters.ranges++;
        }
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Resolves once a rollup in progress is done. */
  async idle(): Promise<void> {
    await this.running;
  }
}
