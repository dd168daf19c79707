import type { Driver } from './driver.js';

/**
 * Calls `readGroup(i)` of each driver every group interval. A read never
 * overlaps itself, so a slow device delays only itself. Every group reads
 * once at start; its later ticks keep to a grid of the start time (no drift)
 * shifted by a phase of its own: the k-th group of an interval is shifted by
 * the fractional part of k × 0.618… of the interval (0, 0.618, 0.236, 0.854
 * …, evenly spread for any number of groups). Polled all in step, 100
 * devices answered within the same fifth of each second, and the server
 * took their readings as one burst every second, with any alarm in it
 * waiting behind the rest; spread, the load is even. When a read ends after its next tick was
 * due, that tick starts at once (late) rather than being dropped: a cycle
 * that takes 1.05 s of a 1 s interval then costs 5 % of the readings, not
 * half of them. Ticks that passed entirely while the read ran are skipped.
 * Every tick not started on time (late or skipped) counts as an overrun.
 */
/** (√5 − 1) / 2: successive multiples, modulo 1, spread evenly over [0, 1). */
const GOLDEN_FRACTION = 0.6180339887498949;

export class PollScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  overruns = 0;

  /** Groups added per interval, for their phases. */
  private readonly perInterval = new Map<number, number>();

  add(driver: Driver, index: number, intervalMs: number, onError: (err: unknown) => void): void {
    const k = this.perInterval.get(intervalMs) ?? 0;
    this.perInterval.set(intervalMs, k + 1);
    const phase = Math.floor(((k * GOLDEN_FRACTION) % 1) * intervalMs);
    const start = Date.now();
    // The grid point before the first phased tick: the first read is at start.
    let next = start + phase - (phase > 0 ? intervalMs : 0);
    let first = true;
    const tick = (): void => {
      if (this.stopped) return;
      const p = driver
        .readGroup(index)
        .catch(onError)
        .finally(() => {
          this.running.delete(p);
          if (this.stopped) return;
          const now = Date.now();
          next += intervalMs;
          if (first && phase > 0 && next <= now) {
            // The read at start is not on the grid: a long one is no overrun; go on with the grid.
            next += Math.ceil((now - next) / intervalMs) * intervalMs;
          } else if (next <= now) {
            const skipped = Math.floor((now - next) / intervalMs);
            this.overruns += skipped + 1;
            next += skipped * intervalMs;
          }
          first = false;
          const t = setTimeout(() => {
            this.timers.delete(t);
            tick();
          }, Math.max(0, next - now));
          this.timers.add(t);
        });
      this.running.add(p);
    };
    tick();
  }

  /** Stops scheduling and waits for the reads in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
