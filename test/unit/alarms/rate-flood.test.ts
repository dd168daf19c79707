import { describe, expect, it } from 'vitest';
import { FloodDetector } from '../../../server/src/alarms/flood.js';
import { RateWindow } from '../../../server/src/alarms/rate.js';
import { MIN, SEC, T0 } from './helpers.js';

describe('RateWindow: change over the window, in units per minute', () => {
  type Row = [string, [number, number][], number];
  const W = MIN;
  const rows: Row[] = [
    ['a single sample: 0', [[0, 5]], 0],
    ['history shorter than the window: change since the oldest sample, over the whole window', [[0, 5], [30 * SEC, 8]], 3],
    ['a full window: v(t) − v(t − W)', [[0, 0], [20 * SEC, 1], [40 * SEC, 2], [60 * SEC, 3], [80 * SEC, 4]], 3],
    ['a value held by report-by-exception counts from the last report before the window', [[0, 10], [100 * SEC, 10], [110 * SEC, 14]], 4],
    ['a step inside the window: the whole step', [[0, 10], [50 * SEC, 10], [55 * SEC, 20], [70 * SEC, 20]], 10],
    ['the step has left the window', [[0, 10], [50 * SEC, 10], [55 * SEC, 20], [70 * SEC, 20], [120 * SEC, 20]], 0],
    ['falling: negative', [[0, 50], [30 * SEC, 45], [60 * SEC, 40]], -10],
    ['a gap longer than maxGapMs starts over', [[0, 0], [10 * SEC, 1], [10 * SEC + 3 * MIN, 50]], 0],
    ['a source clock stepping back starts over', [[0, 0], [30 * SEC, 30], [20 * SEC, 31]], 0],
    // 12 per minute sampled every 50 ms: one sample per W/16 slot is kept, so the window start is exact to one slot (here 50 ms late: 12.01).
    ['many samples per slot keep the latest of each (bounded memory)', Array.from({ length: 1801 }, (_, i) => [i * 50, i * 0.01] as [number, number]), 12.01],
  ];
  it.each(rows)('%s', (_name, samples, rate) => {
    const w = new RateWindow(W, 2 * MIN);
    let last = Number.NaN;
    for (const [t, v] of samples) last = w.add(T0 + t, v);
    expect(last).toBeCloseTo(rate, 6);
  });
});

describe('FloodDetector: start above 10, end below 5, 10-minute window', () => {
  it('starts at the 11th annunciation and ends, at its exact time, when the 7th oldest leaves (4 remain)', () => {
    const f = new FloodDetector(10 * MIN, 10, 5);
    for (let i = 0; i < 11; i++) f.annunciated('a', T0 + i * SEC);
    expect(f.drain()).toEqual([{ type: 'flood-start', area: 'a', ts: T0 + 10 * SEC, count: 11, startedAt: T0 + 10 * SEC, peak: 11 }]);
    f.advance(T0 + 10 * MIN + 6 * SEC - 1);
    expect(f.drain()).toEqual([]);
    expect(f.count('a')).toBe(5);
    f.advance(T0 + 10 * MIN + 7 * SEC);
    expect(f.drain()).toEqual([{ type: 'flood-end', area: 'a', ts: T0 + 10 * MIN + 6 * SEC, count: 4, startedAt: T0 + 10 * SEC, peak: 11 }]);
  });

  it('an annunciation exactly one window later no longer counts', () => {
    const f = new FloodDetector(10 * MIN, 10, 5);
    f.annunciated('a', T0);
    f.advance(T0 + 10 * MIN - 1);
    expect(f.count()).toBe(1);
    f.advance(T0 + 10 * MIN);
    expect(f.count()).toBe(0);
  });

  it('a flood that ends and starts again is two floods', () => {
    const f = new FloodDetector(10 * MIN, 10, 5);
    for (let i = 0; i < 11; i++) f.annunciated('a', T0 + i);
    for (let i = 0; i < 11; i++) f.annunciated('a', T0 + 20 * MIN + i);
    expect(f.drain().map((e) => `${e.type} ${e.ts - T0}`)).toEqual(['flood-start 10', 'flood-end 600006', 'flood-start 1200010']);
    expect(f.status()).toEqual([{ area: 'a', inFlood: true, count: 11, since: T0 + 20 * MIN + 10, floods: 2 }]);
  });
});
