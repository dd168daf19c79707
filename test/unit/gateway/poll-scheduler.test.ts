import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Driver } from '../../../gateway/src/drivers/driver.js';
import { PollScheduler } from '../../../gateway/src/drivers/poll-scheduler.js';

const T0 = 1_750_000_000_000;

/** A driver whose reads take `durations[i]` ms (the last one repeated); records when each read started. */
function slowDriver(durations: number[]): { driver: Driver; starts: number[] } {
  const starts: number[] = [];
  const driver = {
    readGroup: () => {
      const ms = durations[Math.min(starts.length, durations.length - 1)] ?? 0;
      starts.push(Date.now() - T0);
      return new Promise<void>((resolve) => setTimeout(resolve, ms));
    },
  } as unknown as Driver;
  return { driver, starts };
}

/** Stops the scheduler, letting a read in progress end (stop waits for it). */
async function stop(s: PollScheduler): Promise<void> {
  const stopped = s.stop();
  await vi.advanceTimersByTimeAsync(10_000);
  await stopped;
}

describe('poll scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps reads that fit their interval on the grid of the start time, without overruns', async () => {
    const s = new PollScheduler();
    const { driver, starts } = slowDriver([300]);
    s.add(driver, 0, 1000, () => {});
    await vi.advanceTimersByTimeAsync(3500);
    expect(starts).toEqual([0, 1000, 2000, 3000]);
    expect(s.overruns).toBe(0);
    await stop(s);
  });

  it('starts a tick that fell due during a slightly long read at once instead of dropping it', async () => {
    const s = new PollScheduler();
    const { driver, starts } = slowDriver([1050]);
    s.add(driver, 0, 1000, () => {});
    await vi.advanceTimersByTimeAsync(4000);
    // Back to back (a timer of 0 fires after 1 ms): every cycle is read, 5 % late, not one cycle in two.
    expect(starts).toEqual([0, 1051, 2102, 3153]);
    expect(s.overruns).toBe(3);
    await stop(s);
  });

  it('skips the ticks that passed entirely during a long read, counts them, and returns to the grid', async () => {
    const s = new PollScheduler();
    const { driver, starts } = slowDriver([2500, 100]);
    s.add(driver, 0, 1000, () => {});
    await vi.advanceTimersByTimeAsync(4500);
    // The tick of 1000 is skipped, the one of 2000 starts late once the read ends, then 3000 and 4000 on time.
    expect(starts).toEqual([0, 2501, 3000, 4000]);
    expect(s.overruns).toBe(2);
    await stop(s);
  });

  it('polls devices independently: a slow one does not delay a fast one', async () => {
    const s = new PollScheduler();
    const slow = slowDriver([5000]);
    const fast = slowDriver([10]);
    s.add(slow.driver, 0, 1000, () => {});
    s.add(fast.driver, 0, 1000, () => {});
    await vi.advanceTimersByTimeAsync(3500);
    // The second group of the interval keeps to its own phase (618 ms).
    expect(fast.starts).toEqual([0, 618, 1618, 2618]);
    expect(slow.starts).toEqual([0]);
    await stop(s);
    expect(slow.starts).toEqual([0]);
    expect(fast.starts).toHaveLength(4);
  });

  it('spreads the groups of an interval over it after their first read, each on its own grid', async () => {
    const s = new PollScheduler();
    const groups = Array.from({ length: 4 }, () => slowDriver([10]));
    for (const g of groups) s.add(g.driver, 0, 1000, () => {});
    const other = slowDriver([10]);
    s.add(other.driver, 0, 60_000, () => {});
    await vi.advanceTimersByTimeAsync(2100);
    expect(groups.map((g) => g.starts)).toEqual([
      [0, 1000, 2000],
      [0, 618, 1618],
      [0, 236, 1236],
      [0, 854, 1854],
    ]);
    // The first group of another interval is not shifted; all read at once at start.
    expect(other.starts).toEqual([0]);
    expect(s.overruns).toBe(0);
    await stop(s);
  });

  it('goes on with its grid when the first read of a shifted group outlasts its phase, without counting an overrun', async () => {
    const s = new PollScheduler();
    s.add(slowDriver([10]).driver, 0, 1000, () => {});
    const g = slowDriver([700, 10]);
    s.add(g.driver, 0, 1000, () => {});
    await vi.advanceTimersByTimeAsync(2700);
    expect(g.starts).toEqual([0, 1618, 2618]);
    expect(s.overruns).toBe(0);
    await stop(s);
  });
});
