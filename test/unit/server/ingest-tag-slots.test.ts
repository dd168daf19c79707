import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { encodeDataMessage, type Reading } from '@park/protocol';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { createLogger } from '@park/server';
import type { InfluxStore, StoredReading } from '../../../server/src/influx/influx-store.js';
import { Ingest } from '../../../server/src/ingest/ingest.js';
import type { TagSlot } from '../../../server/src/tag-slots.js';
import { DEMO_PARK_FILE } from '../../harness/park-server.js';
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
    const store: Pick<InfluxStore, 'ensureSchema' | 'writeReadings'> = {
      ensureSchema: () => Promise.resolve(),
      writeReadings: (rows) => {
        // These tests keep the backlog in memory: a reading read back from the disk spool (a line) would be a surprise.
        for (const r of rows) {
          if (typeof r === 'string') return Promise.reject(new Error(`unexpected spilled reading ${r}`));
          written.push(r);
        }
        return Promise.resolve();
      },
    };
    const ingest = new Ingest({
      store: store as InfluxStore,
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
      expect(r.series).toBe(p ? `reading,id=${r.id},site=${p.site}${p.source ? `,source=${p.source}` : ''}` : undefined);
    }
    // The consumers get each reading's slot in the same order; none for a tag outside the park model.
    expect(handed.flat()).toEqual(sent.map((id) => (place.has(id as string) ? id : undefined)));
  });
});
