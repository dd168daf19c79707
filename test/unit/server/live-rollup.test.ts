import { afterEach, describe, expect, it, vi } from 'vitest';
import path from 'node:path';
import { encodeDataMessage, type Reading } from '@park/protocol';
import { loadConfigFile, parkSchema, type ParkConfig } from '@park/protocol/config';
import { createLogger } from '@park/server';
import { Ingest, type IngestOptions } from '../../../server/src/ingest/ingest.js';
import { LiveRollup } from '../../../server/src/ingest/live-rollup.js';
import type { InfluxStore, StoredReading } from '../../../server/src/influx/influx-store.js';
import { DEMO_PARK_FILE } from '../../harness/park-server.js';
import { memoryStore } from '../../harness/memory-store.js';
import { tempDir } from '../../harness/temp-dir.js';

const M = 60_000;
const T = 1_800_000_000_000 - (1_800_000_000_000 % M); // a minute's start
const DELAY = 55_000;

type Chunk = NonNullable<ReturnType<LiveRollup['flush']>>;
const lines = (c: Chunk): string[] => c.body.toString('utf8').split('\n').filter(Boolean);
const drain = (r: LiveRollup, now: number, maxPoints?: number): Chunk[] => {
  const out: Chunk[] = [];
  for (let c = r.flush(now, maxPoints); c !== undefined; c = r.flush(now, maxPoints)) out.push(c);
  return out;
};

describe('live rollup', () => {
  it('gives mean, min, max and worst quality per tag and minute, once the minute is over by the delay', () => {
    const r = new LiveRollup(T - 5 * M, DELAY, 2);
    const now = T + 30_000;
    expect(r.add(0, 'reading,id=a', T + 1000, 1, 0, now)).toBe(true);
    expect(r.add(0, 'reading,id=a', T + 2000, 5, 1, now)).toBe(true);
    expect(r.add(0, 'reading,id=a', T + 3000, 3, 0, now)).toBe(true);
    // Slot 7 is past the initial size: the columns grow.
    expect(r.add(7, 'reading,id=b,site=s', T + 59_999, -2.5, 2, now)).toBe(true);
    // The next minute, read while this one is still open.
    expect(r.add(0, 'reading,id=a', T + M, 10, 0, T + M + 1)).toBe(true);
    expect(r.flush(T + M + DELAY - 1)).toBeUndefined();
    const first = drain(r, T + M + DELAY);
    expect(first.map((c) => [c.minute, c.points, c.partial, c.last])).toEqual([[T, 2, false, true]]);
    expect(lines(first[0] as Chunk)).toEqual([`reading_1m,id=a mean=3,min=1,max=5,q=1i ${T}`, `reading_1m,id=b,site=s mean=-2.5,min=-2.5,max=-2.5,q=2i ${T}`]);
    const second = drain(r, T + 2 * M + DELAY);
    expect(second.flatMap(lines)).toEqual([`reading_1m,id=a mean=10,min=10,max=10,q=0i ${T + M}`]);
  });

  it('writes a large minute in pieces, taking no reading for it meanwhile', () => {
    const r = new LiveRollup(T - 5 * M, DELAY);
    for (let s = 0; s < 12; s++) r.add(s, `reading,id=t${s}`, T + 1, s, 0, T + 10);
    const a = r.flush(T + M + DELAY, 5) as Chunk;
    expect([a.points, a.last]).toEqual([5, false]);
    expect(r.add(0, 'reading,id=t0', T + 2, 1, 0, T + M + DELAY)).toBe(false);
    const rest = drain(r, T + M + DELAY, 5);
    expect(rest.map((c) => [c.points, c.last])).toEqual([[5, false], [2, true]]);
    expect([a, ...rest].flatMap(lines).map((l) => l.split(' ')[0])).toEqual(Array.from({ length: 12 }, (_, s) => `reading_1m,id=t${s}`));
    // The set is free again for the minute three later.
    expect(r.add(0, 'reading,id=t0', T + 3 * M, 1, 0, T + 3 * M)).toBe(true);
  });

  it('refuses what it cannot sum: a minute written already, too far from now, or whose set is still taken', () => {
    const r = new LiveRollup(T - 5 * M, DELAY);
    expect(r.add(0, 'reading,id=a', T + 1, 1, 0, T + 10)).toBe(true);
    drain(r, T + M + DELAY);
    expect(r.add(0, 'reading,id=a', T + 2, 1, 0, T + M + DELAY)).toBe(false); // its minute is written
    expect(r.add(0, 'reading,id=a', T + 3 * M, 1, 0, T + M)).toBe(false); // two minutes ahead of now
    expect(r.add(0, 'reading,id=a', T + 3 * M, 1, 0, T + 5 * M)).toBe(false); // two minutes behind now
    expect(r.add(0, 'reading,id=a', T + 2 * M, 1, 0, T + 2 * M)).toBe(true);
    // Minute T + 5M needs the set of T + 2M, which is not written yet.
    expect(r.add(0, 'reading,id=a', T + 5 * M, 1, 0, T + 4 * M + 30_000)).toBe(false);
    expect(r.add(0, 'reading,id=a', T + 4 * M, 1, 0, T + 4 * M + 30_000)).toBe(true);
  });

  it('marks a minute that began before it existed as partial, and on a stop every minute not yet complete', () => {
    const r = new LiveRollup(T + 20_000, DELAY);
    r.add(0, 'reading,id=a', T + 30_000, 1, 0, T + 30_000);
    r.add(0, 'reading,id=a', T + M + 1, 2, 0, T + M + 1);
    expect(drain(r, T + M + DELAY).map((c) => [c.minute, c.partial, c.points, c.body.length])).toEqual([[T, true, 0, 0]]);
    expect(r.flushAll(T + M + 30_000).map((c) => [c.minute, c.partial, c.last])).toEqual([[T + M, true, true]]);
  });
});

/** The demo park, its first site and that site's first tag. */
function demoTag() {
  const park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
  const site = park.sites[0];
  const tag = site?.devices[0]?.tags[0];
  if (!site || !tag) throw new Error('demo park without a tag');
  return { park, site, tag };
}

/** An ingest with the live rollup, spooling into `dir`; late minutes wait for `rollupQuietMs` (an hour unless given). */
function liveIngest(store: InfluxStore, dir: string, park: ParkConfig, options: Partial<IngestOptions> = {}): Ingest {
  return new Ingest({ store, retention: { rawDays: 30, rollupDays: 400, eventDays: 1095 }, park, log: createLogger('silent'), spoolDir: path.join(dir, 'spool'), rollupQuietMs: 3_600_000, ...options });
}

/**
 * The clock (Date only) set a second before the next minute, which the
 * ingest will then see whole, and an ingest of the demo park writing into
 * memory: readings to `written`, rollup lines to `lines`.
 */
function ingestBeforeNextMinute(dirName: string) {
  const { park } = demoTag();
  const dir = tempDir(dirName);
  vi.useFakeTimers({ toFake: ['Date'] });
  const minute = Math.floor(Date.now() / M) * M + M;
  vi.setSystemTime(minute - 1000);
  const lines: string[] = [];
  const written: StoredReading[] = [];
  const ingest = liveIngest(memoryStore(written, lines), dir.path, park);
  return { dir, minute, lines, written, ingest };
}

describe('ingest with the live rollup', () => {
  afterEach(() => vi.useRealTimers());

  it('sums each live reading once: a repeated seq is left to the backfill, and a replay too', async () => {
    const { site, tag } = demoTag();
    const { dir, minute, lines, written, ingest } = ingestBeforeNextMinute('live-rollup');
    try {
      await ingest.start();
      const publish = (seq: number, readings: Reading[], replay = false): void =>
        ingest.onPublish('park/v1', `park/v1/${site.gateway}/data`, Buffer.from(encodeDataMessage({ gateway: site.gateway, seq, readings, ...(replay ? { replay } : {}) })));
      vi.setSystemTime(minute + 5000);
      publish(1, [{ id: tag.id, ts: minute + 1000, v: 2, q: 'good' }]);
      publish(2, [{ id: tag.id, ts: minute + 2000, v: 4, q: 'good' }]);
      expect(ingest.rollups.hasPending()).toBe(false);
      publish(2, [{ id: tag.id, ts: minute + 2000, v: 4, q: 'good' }]);
      publish(9, [{ id: tag.id, ts: minute + 3000, v: 40, q: 'good' }], true);
      expect(ingest.rollups.hasPending()).toBe(true);
      vi.setSystemTime(minute + M + 55_000);
      await vi.waitFor(() => expect(lines.length).toBe(1), { timeout: 5000 });
      expect(lines[0]).toMatch(new RegExp(` mean=3,min=2,max=4,q=0i ${minute}$`));
      expect(written).toHaveLength(4);
    } finally {
      await ingest.stop();
      dir.remove();
    }
  });

  it('rolls up the readings the server derives itself (environment averages) as it does a gateway\'s', async () => {
    const { dir, minute, lines, written, ingest } = ingestBeforeNextMinute('live-rollup-local');
    try {
      await ingest.start();
      vi.setSystemTime(minute + 5000);
      ingest.acceptLocal({ gateway: 'server', seq: 0, readings: [{ id: 'env.avg.pm25', ts: minute + 1000, v: 30, q: 'good' }] });
      ingest.acceptLocal({ gateway: 'server', seq: 0, readings: [{ id: 'env.avg.pm25', ts: minute + 31_000, v: 50, q: 'good' }] });
      vi.setSystemTime(minute + M + 55_000);
      await vi.waitFor(() => expect(lines.length).toBe(1), { timeout: 5000 });
      expect(lines[0]).toMatch(new RegExp(`^reading_1m,id=env\\.avg\\.pm25 mean=40,min=30,max=50,q=0i ${minute}$`));
      expect(written.map((r) => r.v)).toEqual([30, 50]);
      expect(ingest.rollups.hasPending()).toBe(false);
    } finally {
      await ingest.stop();
      dir.remove();
    }
  });

  it('rolls up late readings while a steady load keeps a few readings queued all the time', async () => {
    const { park, site, tag } = demoTag();
    const dir = tempDir('live-rollup-steady');
    const ranges: [number, number][] = [];
    const store = { ...memoryStore([]), rollupRange: (from: number, to: number) => (ranges.push([from, to]), Promise.resolve(1)) } as unknown as InfluxStore;
    // Readings wait for a full batch (or a minute): the queue is never empty, as under a steady load.
    const ingest = liveIngest(store, dir.path, park, { rollupQuietMs: 0, batchSize: 10_000, flushIntervalMs: 60_000 });
    try {
      await ingest.start();
      const old = Date.now() - 10 * M;
      ingest.onPublish('park/v1', `park/v1/${site.gateway}/data`, Buffer.from(encodeDataMessage({ gateway: site.gateway, seq: 7, replay: true, readings: [{ id: tag.id, ts: old, v: 1, q: 'good' }] })));
      expect(ingest.backlog()).toBe(1);
      await vi.waitFor(() => expect(ranges.length).toBeGreaterThan(0), { timeout: 5000, interval: 50 });
      expect(ranges[0]?.[0]).toBe(old);
      expect(ingest.backlog()).toBe(1);
    } finally {
      await ingest.stop();
      dir.remove();
    }
  });
});
