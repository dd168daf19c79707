import type { Driver } from './driver.js';

/**
 * Calls `readGroup(i)` of each driver every group interval. A read never
 * overlaps itself, so a slow device delays only itself. Ticks are aligned to
 * the start time to avoid drift. When a read ends after its next tick was
 * due, that tick starts at once (late) rather than being dropped: a cycle
 * that takes 1.05 s of a 1 s interval then costs 5 % of the readings, not
 * half of them. Ticks that passed entirely while the read ran are skipped.
 * Every tick not started on time (late or skipped) counts as an overrun.
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
            const skipped = Math.floor((now - next) / intervalMs);
            this.overruns += skipped + 1;
            next += skipped * intervalMs;
          }
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
