import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { encodeDataMessage, type Reading } from '@park/protocol';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { createLogger } from '@park/server';
import type { InfluxStore, StoredReading } from '../../../server/src/influx/influx-store.js';
import { Ingest } from '../../../server/src/ingest/ingest.js';
import type { TagSlot } from '../../../server/src/tag-slots.js';
import { DEMO_PARK_FILE } from '../../harness/park-server.js';
import { memoryStore } from '../../harness/memory-store.js';
import { tempDir } from '../../harness/temp-dir.js';

const ROOT = 'park/v1';
const park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;

describe('ingest: the tag of each reading', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('is found whatever the order of the readings, with tags outside the park model among them', async () => {
    const dir = tempDir('ingest-slots');
    cleanups.push(() => dir.remove());
    const written: StoredReading[] = [];
    const handed: (string | undefined)[][] = [];
    const ingest = new Ingest({
      store: memoryStore(written),
      retention: { rawDays: 30, rollupDays: 400, eventDays: 1095 },
      spoolDir: path.join(dir.path, 'spool'),
      park,
      log: createLogger('silent'),
      onData: (_msg, _at, slots) => handed.push(slots.map((s: TagSlot | undefined) => s?.id)),
    });
    await ingest.start();
    cleanups.push(() => ingest.stop());

    // Where each park tag belongs, straight from the park model.
    const place = new Map<string, { site: string; source: string }>();
    for (const site of park.sites) for (const device of site.devices) for (const tag of device.tags) place.set(tag.id, { site: site.id, source: tag.hazardSource ?? '' });
    const ids = [...place.keys()].slice(0, 40);
    expect(ids.length).toBe(40);
    const orders = [ids, ids, [...ids].reverse(), [...ids.slice(20), 'not.in.park', ...ids.slice(0, 20)], [ids[5], ids[5], ids[6], 'not.in.park', ids[5]], ids];
    let seq = 0;
    const t0 = Date.now() - 60_000;
    for (const order of orders) {
      const readings: Reading[] = order.map((id, i) => ({ id: id as string, ts: t0 + seq * 1000 + i, v: i, q: 'good' }));
      ingest.onPublish(ROOT, `${ROOT}/gw-a/data`, Buffer.from(encodeDataMessage({ gateway: 'gw-a', seq: ++seq, readings })));
    }
    expect(ingest.counters).toMatchObject({ messages: orders.length, readings: orders.flat().length });
    expect(ingest.counters.rejected).toEqual({});
    expect(await ingest.drain()).toBe(true);
    const sent = orders.flat();
    expect(written.map((r) => r.id)).toEqual(sent);
    for (const r of written) {
      const p = place.get(r.id);
      expect([r.id, r.site, r.source]).toEqual([r.id, p?.site ?? '', p?.source ?? '']);
      expect(r.series).toBe(p ? `reading,id=${r.id},site=${p.site}${p.source ? `,source=${p.source}` : ''}` : `reading,id=${r.id}`);
    }
    // The consumers get each reading's slot in the same order, a tag outside the park model one of its own.
    expect(handed.flat()).toEqual(sent);
  });

  it('gives at most 100,000 tags outside the park model a slot of their own; readings of more are stored all the same', async () => {
    const dir = tempDir('ingest-slots');
    cleanups.push(() => dir.remove());
    let written = 0;
    const lines: string[] = [];
    const store: Pick<InfluxStore, 'ensureSchema' | 'writeLines'> = {
      ensureSchema: () => Promise.resolve(),
      writeLines: (body) => {
        for (const line of body.toString('utf8').split('\n')) {
          if (line === '') continue;
          written++;
          if (line.startsWith('reading,id=x.')) lines.push(line);
        }
        return Promise.resolve();
      },
    };
    let withSlot = 0;
    let withoutSlot = 0;
    const ingest = new Ingest({
      store: store as InfluxStore,
      retention: { rawDays: 30, rollupDays: 400, eventDays: 1095 },
      spoolDir: path.join(dir.path, 'spool'),
      memoryLimit: 1_000_000,
      park,
      log: createLogger('silent'),
      onData: (_msg, _at, slots) => {
        for (const s of slots) if (s === undefined) withoutSlot++;
        else withSlot++;
      },
    });
    await ingest.start();
    cleanups.push(() => ingest.stop());
    const ts = Date.now();
    const n = 100_500;
    for (let k = 0; k < n; k += 500) {
      const readings: Reading[] = Array.from({ length: Math.min(500, n - k) }, (_, i) => ({ id: `u.${k + i}`, ts, v: 1, q: 'good' }));
      ingest.onPublish(ROOT, `${ROOT}/gw-a/data`, Buffer.from(encodeDataMessage({ gateway: 'gw-a', seq: k / 500 + 1, readings })));
    }
    ingest.onPublish(ROOT, `${ROOT}/gw-a/data`, Buffer.from(encodeDataMessage({ gateway: 'gw-a', seq: 1000, readings: [{ id: 'x.last', ts, v: 2, q: 'good' }] })));
    expect(await ingest.drain()).toBe(true);
    expect([withSlot, withoutSlot]).toEqual([100_000, 501]);
    expect(written).toBe(n + 1);
    expect(lines).toEqual([`reading,id=x.last v=2,q=0i ${ts}`]);
  });
});
