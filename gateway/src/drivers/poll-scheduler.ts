import type { Driver } from './driver.js';

/**
 * Calls `readGroup(i)` of each driver every group interval. A read never
 * overlaps itself: when one takes longer than its interval, the missed
 * ticks are skipped (and counted as overruns), so a slow device delays only
 * itself. Ticks are aligned to the start time to avoid drift.
 */
export class PollScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  overruns = 0;

  add(driver: Driver, index: number, intervalMs: number, onError: (err: unknown) => void): void {
    let next = Date.now();
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
          if (next <= now) {
            const missed = Math.ceil((now - next) / intervalMs);
            this.overruns += missed;
            next += missed * intervalMs;
            if (next <= now) next += intervalMs;
          }
          const t = setTimeout(() => {
            this.timers.delete(t);
            tick();
          }, next - now);
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
