import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encodeDataMessage, type Reading } from '@park/protocol';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { createLogger } from '@park/server';
import { Ingest } from '../../server/src/ingest/ingest.js';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { DEMO_PARK_FILE } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

const ROOT = 'park/v1';
const RETENTION = { rawDays: 30, rollupDays: 400, eventDays: 1095 };
const park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;

async function influxql(url: string, db: string, q: string): Promise<{ results: { series?: { columns: string[]; values: unknown[][] }[]; error?: string }[] }> {
  const res = await fetch(`${url}/query?db=${db}&epoch=ms&q=${encodeURIComponent(q)}`, { method: 'POST' });
  return (await res.json()) as { results: { series?: { columns: string[]; values: unknown[][] }[] }[] };
}

describe('the 1-minute rollup', () => {
  let influxd: TestInfluxd;
  beforeAll(async () => {
    influxd = await startTestInfluxd();
  });
  afterAll(async () => {
    await influxd?.stop();
  });

  it('is made by the server, which drops a continuous query of an earlier run; with shared data it is a continuous query over the last two minutes', async () => {
    const store = influxd.store('cq');
    await store.ensureSchema(RETENTION, 'continuous-query');
    await influxql(influxd.url, 'cq', 'DROP CONTINUOUS QUERY reading_rollup_1m ON cq');
    await influxql(influxd.url, 'cq', 'CREATE CONTINUOUS QUERY reading_rollup_1m ON cq RESAMPLE EVERY 1m FOR 1h BEGIN SELECT mean("v") AS "mean" INTO "cq"."rollup"."reading_1m" FROM "cq"."raw"."reading" GROUP BY time(1m), * END');
    await store.ensureSchema(RETENTION, 'continuous-query');
    await store.ensureSchema(RETENTION, 'continuous-query');
    const shown = JSON.stringify(await influxql(influxd.url, 'cq', 'SHOW CONTINUOUS QUERIES'));
    expect(shown).toContain('RESAMPLE EVERY 1m FOR 2m');
    expect(shown).not.toContain('FOR 1h');
    expect(shown.match(/reading_rollup_1m/g)).toHaveLength(2); // name and INTO clause of the one query
    await store.ensureSchema(RETENTION);
    expect(JSON.stringify(await influxql(influxd.url, 'cq', 'SHOW CONTINUOUS QUERIES'))).not.toContain('reading_rollup_1m');
  });

  it('is summed by the server from live readings and written once the minute is over; the minutes after a stop are recomputed from raw points', async () => {
    const dir = tempDir('rollup-live');
    const stateFile = path.join(dir.path, 'rollup-state.json');
    const site = park.sites[0];
    const [a, b] = site?.devices[0]?.tags ?? [];
    if (!site || !a || !b) throw new Error('demo park without two tags');
    // The server's clock, moved by the test (from five minutes ago); timers run for real.
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000 + 20_000;
    vi.setSystemTime(start);
    const ingest = new Ingest({ store: influxd.store('live'), retention: RETENTION, park, log: createLogger('silent'), spoolDir: path.join(dir.path, 'spool'), rollupStateFile: stateFile, rollupQuietMs: 3_600_000 });
    try {
      await ingest.start();
      // Written at once: a restart within this minute recomputes it.
      expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual({ writtenThrough: start - 20_000 - 60_000 });
      const publish = (seq: number, readings: Reading[]): void => ingest.onPublish(ROOT, `${ROOT}/${site.gateway}/data`, Buffer.from(encodeDataMessage({ gateway: site.gateway, seq, readings })));
      // Began before the ingest; on the first run with this data folder nothing was stored before it, so it is summed live too.
      const first = start - 20_000;
      const full = first + 60_000;
      publish(1, [{ id: a.id, ts: start + 1_000, v: 100, q: 'good' }]);
      vi.setSystemTime(full + 10_000);
      publish(2, [
        { id: a.id, ts: full + 1_000, v: 1, q: 'good' },
        { id: b.id, ts: full + 1_000, v: 7, q: 'good' },
      ]);
      publish(3, [{ id: a.id, ts: full + 41_000, v: 5, q: 'bad' }]);
      expect(ingest.rollups.hasPending()).toBe(false);
      // A repeated seq is not summed twice: its minutes are recomputed from the stored readings.
      publish(3, [{ id: a.id, ts: full + 41_000, v: 5, q: 'bad' }]);
      expect(ingest.rollups.hasPending()).toBe(true);
      // Both minutes are over by the flush delay: both are written.
      vi.setSystemTime(full + 60_000 + 55_000);
      await expect.poll(() => ingest.liveRollupCounters.points, { timeout: 10_000 }).toBe(3);
      expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual({ writtenThrough: full });
      await ingest.rollUpLateNow();
      expect(ingest.rollups.hasPending()).toBe(false);
      const rows = await influxql(influxd.url, 'live', `SELECT "mean", "min", "max", "q", "id" FROM "rollup"."reading_1m" WHERE time >= ${first}ms AND time < ${full + 60_000}ms GROUP BY "id"`);
      const byId = Object.fromEntries((rows.results[0]?.series ?? []).map((s) => [(s as unknown as { tags: { id: string } }).tags.id, s.values]));
      // Both from the live sums; the backfill of the repeated message's minute agrees.
      expect(byId[a.id]).toEqual([
        [first, 100, 100, 100, 0, a.id],
        [full, 3, 1, 5, 2, a.id],
      ]);
      expect(byId[b.id]).toEqual([[full, 7, 7, 7, 0, b.id]]);
    } finally {
      await ingest.stop();
      vi.useRealTimers();
    }
    // The next start (on the real clock, minutes later) recomputes the minutes after the last one written.
    const again = new Ingest({ store: influxd.store('live'), retention: RETENTION, park, log: createLogger('silent'), spoolDir: path.join(dir.path, 'spool2'), rollupStateFile: stateFile, rollupQuietMs: 3_600_000 });
    try {
      await again.start();
      expect(again.rollups.hasPending()).toBe(true);
    } finally {
      await again.stop();
      dir.remove();
    }
  });

  it('takes readings stored late: a replay from a gateway outbox is rolled up once the writes have caught up', async () => {
    const dir = tempDir('rollup-late');
    const ingest = new Ingest({ store: influxd.store('late'), retention: RETENTION, park, log: createLogger('silent'), spoolDir: path.join(dir.path, 'spool'), rollupQuietMs: 0 });
    try {
      await ingest.start();
      const site = park.sites[0];
      const tag = site?.devices[0]?.tags[0];
      if (!site || !tag) throw new Error('demo park without a tag');
      // Ten minutes ago, two readings in one minute and one in the next: long past the continuous query's two minutes.
      const minute = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
      const readings: Reading[] = [
        { id: tag.id, ts: minute + 1_000, v: 10, q: 'good' },
        { id: tag.id, ts: minute + 31_000, v: 20, q: 'uncertain' },
        { id: tag.id, ts: minute + 61_000, v: 5, q: 'good' },
      ];
      ingest.onPublish(ROOT, `${ROOT}/${site.gateway}/data`, Buffer.from(encodeDataMessage({ gateway: site.gateway, seq: 1, readings, replay: true })));
      // A live message of now is not late and notes nothing more.
      ingest.onPublish(ROOT, `${ROOT}/${site.gateway}/data`, Buffer.from(encodeDataMessage({ gateway: site.gateway, seq: 2, readings: [{ id: tag.id, ts: Date.now(), v: 1, q: 'good' }] })));
      expect(ingest.counters.messages).toBe(2);
      expect(ingest.rollups.hasPending()).toBe(true);
      await ingest.rollUpLateNow();
      expect(ingest.rollups.hasPending()).toBe(false);
      expect(ingest.rollups.counters).toEqual({ ranges: 1, failures: 0 });
      const rows = await influxql(influxd.url, 'late', `SELECT "mean", "min", "max", "q" FROM "rollup"."reading_1m" WHERE "id" = '${tag.id}' AND time >= ${minute}ms AND time < ${minute + 120_000}ms`);
      expect(rows.results[0]?.series?.[0]?.values).toEqual([
        [minute, 15, 10, 20, 1],
        [minute + 60_000, 5, 5, 5, 0],
      ]);
    } finally {
      await ingest.stop();
      dir.remove();
    }
  });
});
