import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxStore } from '@park/server';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';

describe('InfluxDB module against a real influxd', () => {
  let influxd: TestInfluxd;
  let store: InfluxStore;
  const t0 = Date.UTC(2026, 10, 29, 8, 0, 0);

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    store = influxd.store('roundtrip');
    await store.ensureSchema({ rawDays: 30, rollupDays: 400, eventDays: 1095 });
  });
  afterAll(async () => {
    await influxd?.stop();
  });

  it('creates database, retention policies and (for shared data) the rollup query idempotently, following config changes', async () => {
    expect(await store.ping()).toBe(true);
    await store.ensureSchema({ rawDays: 45, rollupDays: 500, eventDays: 1095 }, 'continuous-query');
    await store.ensureSchema({ rawDays: 45, rollupDays: 500, eventDays: 1095 }, 'continuous-query');
    const res = await fetch(`${influxd.url}/query?q=${encodeURIComponent('SHOW RETENTION POLICIES ON "roundtrip"')}`);
    const body = (await res.json()) as { results: { series: { values: [string, string, string, number, boolean][] }[] }[] };
    const policies = body.results[0]?.series[0]?.values.map(([name, duration, , , isDefault]) => ({ name, duration, isDefault }));
    expect(policies).toEqual(expect.arrayContaining([
      { name: 'raw', duration: '1080h0m0s', isDefault: true },
      { name: 'rollup', duration: '12000h0m0s', isDefault: false },
    ]));
    const cqRes = await fetch(`${influxd.url}/query?q=${encodeURIComponent('SHOW CONTINUOUS QUERIES')}`);
    expect(await cqRes.text()).toContain('reading_rollup_1m');
  });

  it('reads long spans from the 1-minute rollup and short ones from raw points', async () => {
    const base = t0 + 3_600_000;
    await store.writeReadings([
      { id: 'h.t', ts: base, v: 1, q: 0, source: '', site: 'h' },
      { id: 'h.t', ts: base + 30_000, v: 3, q: 1, source: '', site: 'h' },
    ]);
    const raw = await store.queryHistory(['h.t'], base, base + 60_000, 40_000);
    expect(raw.map((r) => [r.mean, r.min, r.max, r.q])).toEqual([[2, 1, 3, 1]]);
    // What the continuous query writes, written here directly: the CQ itself runs on InfluxDB's clock.
    const write = await fetch(`${influxd.url}/write?db=roundtrip&rp=rollup&precision=ms`, { method: 'POST', body: `reading_1m,id=h.t mean=7,min=5,max=9,q=0 ${base}` });
    expect(write.status).toBe(204);
    const rolled = await store.queryHistory(['h.t'], base, base + 3_600_000, 3_600_000);
    expect(rolled.map((r) => [r.mean, r.min, r.max, r.q])).toEqual([[7, 5, 9, 0]]);
  });

  it('writes readings and reads them back with millisecond times', async () => {
    await store.writeReadings([
      { id: 'a.hs01.t101.level', ts: t0, v: 42.5, q: 0, source: 'hs01', site: 'a' },
      { id: 'a.hs01.t101.level', ts: t0 + 1, v: 42.75, q: 1, source: 'hs01', site: 'a' },
      { id: 'b.hs03.gd01', ts: t0 + 500, v: 3.25, q: 2, source: 'hs03', site: 'b' },
    ]);
    const rows = await store.queryReadings(['a.hs01.t101.level', 'b.hs03.gd01'], t0, t0 + 1000);
    expect(rows).toEqual([
      { id: 'a.hs01.t101.level', ts: t0, v: 42.5, q: 0 },
      { id: 'a.hs01.t101.level', ts: t0 + 1, v: 42.75, q: 1 },
      { id: 'b.hs03.gd01', ts: t0 + 500, v: 3.25, q: 2 },
    ]);
  });

  it('overwrites a replayed reading instead of doubling it', async () => {
    const r = { id: 'x.replay', ts: t0 + 10_000, v: 1, q: 0, source: '', site: 'x' };
    await store.writeReadings([r]);
    await store.writeReadings([{ ...r, v: 2 }]);
    expect(await store.queryReadings(['x.replay'], t0, t0 + 20_000)).toEqual([{ id: 'x.replay', ts: r.ts, v: 2, q: 0 }]);
  });

  it('never pastes a tag id into a query unescaped', async () => {
    const rows = await store.queryReadings([`a.hs01.t101.level' OR "id" =~ /.*/ OR 'x`], t0, t0 + 1000);
    expect(rows).toEqual([]);
  });

  it('surfaces a write to a missing database as an error', async () => {
    await expect(influxd.store('does_not_exist').writeReadings([{ id: 'a', ts: t0, v: 1, q: 0, source: '', site: '' }])).rejects.toThrow(/database not found/);
  });
});
