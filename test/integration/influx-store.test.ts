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
    await store.ensureDatabase();
  });
  afterAll(async () => {
    await influxd?.stop();
  });

  it('answers ping and creates its database idempotently', async () => {
    expect(await store.ping()).toBe(true);
    await store.ensureDatabase();
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
