import { describe, expect, it } from 'vitest';
import { EVERY_SITE, RollupBackfill } from '../../../server/src/ingest/rollup-backfill.js';

describe('rollup of late readings', () => {
  it('merges the ranges of a site, waits for a quiet time, and keeps a range whose rollup failed', async () => {
    const calls: [number, number, string | undefined][] = [];
    let fail = true;
    const backfill = new RollupBackfill(
      {
        rollupRange: (from, to, site) => {
          calls.push([from, to, site]);
          return fail && site === 'b' ? Promise.reject(new Error('InfluxDB away')) : Promise.resolve(1);
        },
      },
      10_000,
    );
    expect(backfill.due(0)).toBe(false);
    backfill.note('a', 5_000, 6_000, 100_000);
    backfill.note('a', 1_000, 2_000, 101_000);
    backfill.note('b', 7_000, 8_000, 102_000);
    backfill.note(EVERY_SITE, 3_000, 3_500, 103_000);
    backfill.note('a', 9_000, 8_000, 103_000); // not a range: ignored
    expect(backfill.due(112_999)).toBe(false);
    expect(backfill.due(113_000)).toBe(true);
    const errors: string[] = [];
    await backfill.run(114_000, (site, err) => errors.push(`${site}: ${err.message}`));
    expect(calls).toEqual([
      [1_000, 6_000, 'a'],
      [7_000, 8_000, 'b'],
      [3_000, 3_500, undefined],
    ]);
    expect(errors).toEqual(['b: InfluxDB away']);
    expect(backfill.counters).toEqual({ ranges: 2, failures: 1 });
    expect(backfill.hasPending()).toBe(true);
    // Tried again only after the quiet time from the failure.
    expect(backfill.due(123_999)).toBe(false);
    expect(backfill.due(124_000)).toBe(true);
    fail = false;
    await backfill.run(124_000, () => undefined);
    expect(calls.at(-1)).toEqual([7_000, 8_000, 'b']);
    expect(backfill.hasPending()).toBe(false);
  });

  it('rolls a long range up in pieces, and after a failure keeps only what is left', async () => {
    const calls: [number, number][] = [];
    let failAt = 3;
    const backfill = new RollupBackfill(
      {
        rollupRange: (from, to) => {
          calls.push([from, to]);
          return calls.length === failAt ? Promise.reject(new Error('timeout')) : Promise.resolve(1);
        },
      },
      0,
      1_000,
    );
    backfill.note('a', 0, 4_500, 0);
    await backfill.run(0, () => undefined);
    expect(calls).toEqual([
      [0, 999],
      [1_000, 1_999],
      [2_000, 2_999],
    ]);
    expect(backfill.counters).toEqual({ ranges: 0, failures: 1 });
    failAt = 0;
    await backfill.run(0, () => undefined);
    expect(calls.slice(3)).toEqual([
      [2_000, 2_999],
      [3_000, 3_999],
      [4_000, 4_500],
    ]);
    expect(backfill.counters).toEqual({ ranges: 1, failures: 1 });
    expect(backfill.hasPending()).toBe(false);
  });

  it('runs without a quiet time once the oldest range has waited the longest wait', () => {
    const backfill = new RollupBackfill({ rollupRange: () => Promise.resolve(1) }, 10_000, 300_000, 60_000);
    // A gateway whose clock is behind: a late range every second.
    for (let t = 0; t < 59_000; t += 1000) backfill.note('a', t, t + 500, t);
    expect(backfill.due(59_000)).toBe(false);
    backfill.note('a', 59_000, 59_500, 59_000);
    expect(backfill.due(60_000)).toBe(true);
  });
});
