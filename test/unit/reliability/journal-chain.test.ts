import { describe, expect, it } from 'vitest';
import {
  canonicalEntry,
  chainHash,
  ChainVerifier,
  EMPTY_HEAD,
  GENESIS_HASH,
  HASH_FIELD,
  SEQ_FIELD,
  sealPoint,
  type ChainHead,
  type ChainPoint,
  type StoredEntry,
} from '../../../server/src/journal-chain/chain.js';
import { JournalChains, readHead, type ChainStore } from '../../../server/src/journal-chain/journal-chains.js';
import { parseServerArgs } from '../../../server/src/cli-args.js';

// The tamper-evident journals (issue 9): every alarm-journal and audit entry
// carries chainSeq and a sha256 linked to the previous entry's hash.

const T0 = Date.UTC(2026, 10, 29, 8, 0, 0);

function auditPoint(k: number, ts = T0 + k * 1000): ChainPoint {
  return { measurement: 'audit', tags: { action: k % 2 ? 'login' : 'alarm-ack' }, fields: { user: `u${k}`, target: k % 3 ? `a.t${k}:h` : '', ok: k % 5 !== 0, detail: `from 10.0.0.${k}` }, ts };
}

function sealAll(points: ChainPoint[], head: ChainHead = EMPTY_HEAD): ChainHead {
  let h = head;
  for (const p of points) h = sealPoint(p, h);
  return h;
}

/** A point as `SELECT *` returns it: tags and fields in one row, null for fields the point lacks, no empty tags. */
function asStored(p: ChainPoint, extraColumns: string[] = ['comment']): StoredEntry {
  const values: Record<string, unknown> = {};
  for (const c of extraColumns) values[c] = null;
  for (const [k, v] of Object.entries(p.tags)) if (v !== '') values[k] = v;
  Object.assign(values, p.fields);
  return { ts: p.ts, values };
}

function verify(entries: StoredEntry[], measurement = 'audit') {
  const v = new ChainVerifier(measurement);
  v.add(entries);
  return v.finish();
}

/** A fixed shuffle: InfluxDB returns entries by time, not by chain order. */
function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('journal chain: canonical form and hash', () => {
  it('does not depend on key order, null or empty values, nor on the stored hash', () => {
    const a = canonicalEntry('alarm', T0, { b: 1, a: 'x', c: true });
    expect(canonicalEntry('alarm', T0, { c: true, a: 'x', b: 1, d: null, e: '', [HASH_FIELD]: 'f'.repeat(64) })).toBe(a);
  });

  it('changes with every value, its type, the time and the measurement', () => {
    const base = canonicalEntry('alarm', T0, { v: 5, s: 'x' });
    expect(canonicalEntry('alarm', T0, { v: '5', s: 'x' })).not.toBe(base);
    expect(canonicalEntry('alarm', T0, { v: 5.000001, s: 'x' })).not.toBe(base);
    expect(canonicalEntry('alarm', T0 + 1, { v: 5, s: 'x' })).not.toBe(base);
    expect(canonicalEntry('audit', T0, { v: 5, s: 'x' })).not.toBe(base);
    expect(canonicalEntry('alarm', T0, { v: 5, s: 'x', extra: false })).not.toBe(base);
  });

  it('seals with seq 1, 2, 3 and each hash over the previous one', () => {
    const points = [auditPoint(1), auditPoint(2), auditPoint(3)];
    const head = sealAll(points);
    expect(points.map((p) => p.fields[SEQ_FIELD])).toEqual([1, 2, 3]);
    const first = points[0] as ChainPoint;
    const { [HASH_FIELD]: firstHash, ...firstFields } = first.fields;
    expect(firstHash).toBe(chainHash(GENESIS_HASH, canonicalEntry('audit', first.ts, { ...first.tags, ...firstFields })));
    expect(head).toEqual({ seq: 3, hash: points[2]?.fields[HASH_FIELD] });
    expect(new Set(points.map((p) => p.fields[HASH_FIELD])).size).toBe(3);
  });
});

describe('journal chain: verification', () => {
  const chain = (n: number): ChainPoint[] => {
    const points = Array.from({ length: n }, (_, k) => auditPoint(k + 1));
    sealAll(points);
    return points;
  };

  it('finds an intact chain intact, read back in any order with nulls and without empty tags', () => {
    const points = chain(50);
    const r = verify(shuffled(points.map((p) => asStored(p))));
    expect(r.broken).toBeUndefined();
    expect({ entries: r.entries, firstSeq: r.firstSeq, head: r.head }).toEqual({ entries: 50, firstSeq: 1, head: { seq: 50, hash: points[49]?.fields[HASH_FIELD] } });
  });

  it('reports exactly the entry whose field was changed in place', () => {
    const stored = chain(20).map((p) => asStored(p));
    const edited = stored[11] as StoredEntry;
    edited.values['detail'] = 'nothing happened';
    const r = verify(shuffled(stored));
    expect(r.broken).toMatchObject({ reason: 'hash-mismatch', seq: 12, entry: { ts: edited.ts } });
    expect(r.broken?.entry.values['detail']).toBe('nothing happened');
  });

  it('reports the next entry when the edited entry was given a recomputed hash', () => {
    const points = chain(10);
    const stored = points.map((p) => asStored(p));
    const e = stored[4] as StoredEntry;
    e.values['ok'] = true;
    e.values['user'] = 'someone-else';
    const prev = String(stored[3]?.values[HASH_FIELD]);
    e.values[HASH_FIELD] = chainHash(prev, canonicalEntry('audit', e.ts, e.values));
    expect(verify(stored).broken).toMatchObject({ reason: 'hash-mismatch', seq: 6 });
  });

  it('reports a deleted entry as missing, with the next stored one', () => {
    const stored = chain(10).map((p) => asStored(p));
    const [removed] = stored.splice(6, 2);
    const r = verify(stored);
    expect(r.broken).toMatchObject({ reason: 'missing-entry', seq: 7, entry: { ts: (stored[6] as StoredEntry).ts } });
    expect(removed?.values[SEQ_FIELD]).toBe(7);
  });

  it('reports a sequence number used twice', () => {
    const stored = chain(5).map((p) => asStored(p));
    stored.push({ ts: T0 + 99_000, values: { ...(stored[2] as StoredEntry).values } });
    expect(verify(stored).broken).toMatchObject({ reason: 'duplicate-seq', seq: 3 });
  });

  it('reports an entry without a hash among chained ones, and accepts older unchained entries', () => {
    const stored = chain(5).map((p) => asStored(p));
    const old: StoredEntry = { ts: T0 - 60_000, values: { action: 'login', user: 'x', target: '', ok: true, detail: '' } };
    const clean = verify([old, ...stored]);
    expect(clean.broken).toBeUndefined();
    expect(clean.unchained).toBe(1);
    const intruder: StoredEntry = { ts: T0 + 2500, values: { action: 'login', user: 'x', target: '', ok: true, detail: 'inserted' } };
    expect(verify([...stored, intruder]).broken).toMatchObject({ reason: 'no-hash', entry: { ts: T0 + 2500 } });
  });

  it('accepts a chain whose start the retention policy removed, but checks the true first entry against the genesis hash', () => {
    const stored = chain(10).map((p) => asStored(p));
    expect(verify(stored.slice(4)).broken).toBeUndefined();
    expect(verify(stored.slice(4)).firstSeq).toBe(5);
    (stored[0] as StoredEntry).values['user'] = 'changed';
    expect(verify(stored).broken).toMatchObject({ reason: 'hash-mismatch', seq: 1 });
  });
});

/** A store that keeps points in memory like InfluxDB: one point per (measurement, tags, time), later writes merging fields. */
class MemoryStore implements ChainStore {
  points = new Map<string, ChainPoint>();
  failQueries = 0;
  queries: string[] = [];
  async query<T>(influxql: string): Promise<(T & { time: Date })[]> {
    this.queries.push(influxql);
    if (this.failQueries > 0) {
      this.failQueries--;
      throw new Error('connect ECONNREFUSED');
    }
    const m = /FROM "events"\."([a-z_]+)"/.exec(influxql)?.[1];
    const mine = [...this.points.values()].filter((p) => p.measurement === m && typeof p.fields[SEQ_FIELD] === 'number');
    if (mine.length === 0) return [];
    const last = mine.reduce((a, b) => ((a.fields[SEQ_FIELD] as number) > (b.fields[SEQ_FIELD] as number) ? a : b));
    return [{ time: new Date(last.ts), seq: last.fields[SEQ_FIELD], hash: last.fields[HASH_FIELD] } as unknown as T & { time: Date }];
  }
  async writeEventPoints(points: readonly ChainPoint[]): Promise<void> {
    for (const p of points) {
      const key = JSON.stringify([p.measurement, p.tags, p.ts]);
      const old = this.points.get(key);
      this.points.set(key, { ...p, fields: { ...old?.fields, ...p.fields } });
    }
  }
  stored(measurement: string): StoredEntry[] {
    return [...this.points.values()].filter((p) => p.measurement === measurement).map((p) => asStored(p, []));
  }
}

describe('journal chains: sealing as points are written', () => {
  it('goes on from the head stored in InfluxDB after a restart', async () => {
    const store = new MemoryStore();
    await new JournalChains(store).write([auditPoint(1), auditPoint(2)]);
    // A new process: its chain starts from what the store holds.
    const next = new JournalChains(store);
    await next.write([auditPoint(3)]);
    expect(next.head('audit')?.seq).toBe(3);
    const r = verify(store.stored('audit'));
    expect(r.broken).toBeUndefined();
    expect(r.head.seq).toBe(3);
    expect(await readHead(store, 'audit')).toEqual(r.head);
  });

  it('keeps one chain per measurement', async () => {
    const store = new MemoryStore();
    const chains = new JournalChains(store);
    const alarm: ChainPoint = { measurement: 'alarm', tags: { alarmId: 'a.t1:h' }, fields: { state: 'unack' }, ts: T0 };
    await chains.write([auditPoint(1), alarm, auditPoint(2)]);
    expect([chains.head('audit')?.seq, chains.head('alarm')?.seq]).toEqual([2, 1]);
    expect(verify(store.stored('alarm'), 'alarm').broken).toBeUndefined();
  });

  it('writes nothing while the head cannot be read, then seals once: a retried batch keeps its seal', async () => {
    const store = new MemoryStore();
    const chains = new JournalChains(store);
    const batch = [auditPoint(1), auditPoint(2)];
    store.failQueries = 1;
    await expect(chains.write(batch)).rejects.toThrow(/ECONNREFUSED/);
    expect(store.points.size).toBe(0);
    expect(batch[0]?.fields[SEQ_FIELD]).toBeUndefined();
    await chains.write(batch);
    const sealed = batch.map((p) => ({ ...p.fields }));
    await chains.write(batch);
    expect(batch.map((p) => p.fields)).toEqual(sealed);
    expect(chains.head('audit')?.seq).toBe(2);
    expect(verify(store.stored('audit')).broken).toBeUndefined();
  });

  it('moves a second entry of one series in the same millisecond by 1 ms, so that neither overwrites the other', async () => {
    const store = new MemoryStore();
    const chains = new JournalChains(store);
    const same = (user: string): ChainPoint => ({ measurement: 'audit', tags: { action: 'login-failed' }, fields: { user, target: '', ok: false, detail: '' }, ts: T0 });
    const other: ChainPoint = { measurement: 'audit', tags: { action: 'login' }, fields: { user: 'c', target: '', ok: true, detail: '' }, ts: T0 };
    const points = [same('a'), same('b'), other];
    await chains.write(points);
    expect(points.map((p) => p.ts)).toEqual([T0, T0 + 1, T0]);
    expect(store.points.size).toBe(3);
    expect(verify(store.stored('audit')).broken).toBeUndefined();
  });
});

describe('park-server verify-journal arguments', () => {
  it('takes --config FILE or --influx URL, not both and not neither', () => {
    expect(parseServerArgs(['verify-journal', '--config', 's.yaml'])).toEqual({ command: 'verify-journal', config: 's.yaml' });
    expect(parseServerArgs(['verify-journal', '--influx=http://127.0.0.1:8086/park'])).toEqual({ command: 'verify-journal', influx: 'http://127.0.0.1:8086/park' });
    expect(parseServerArgs(['verify-journal'])).toHaveProperty('error');
    expect(parseServerArgs(['verify-journal', '--config', 's.yaml', '--influx', 'http://x/park'])).toHaveProperty('error');
    expect(parseServerArgs(['--influx', 'http://x/park'])).toHaveProperty('error');
    expect(parseServerArgs(['--config', 's.yaml'])).toEqual({ command: 'run', config: 's.yaml' });
  });
});
