/**
 * How long and how hard a run measures. `full` is `npm run bench`; `quick`
 * (`--quick`) shortens every scenario so the whole run stays within two
 * minutes; `smoke` (`--smoke`) is a tiny load for a few seconds, for the
 * test that keeps the benchmark code working. Only `full` figures belong in
 * docs/BENCHMARKS.md; the others say so in their notes.
 */
export type BenchMode = 'full' | 'quick' | 'smoke';

export interface BenchContext {
  mode: BenchMode;
  /** The value for the current mode. */
  pick<T>(full: T, quick: T, smoke: T): T;
}

export function benchContext(mode: BenchMode): BenchContext {
  return { mode, pick: (full, quick, smoke) => (mode === 'full' ? full : mode === 'quick' ? quick : smoke) };
}
