import { createHash } from 'node:crypto';

/**
 * Hash chain over the entries of one InfluxDB measurement (the alarm
 * journal's measurements, the audit trail). Every entry carries two extra
 * fields: `chainSeq` (1, 2, 3, … per measurement) and `hash` =
 * sha256(previous entry's hash + "\n" + canonical form of this entry). An
 * entry edited in place in InfluxDB (a point written over with the same time
 * and tags) no longer matches its hash; one deleted leaves a gap in
 * `chainSeq`; one whose hash was recomputed breaks the link of the next.
 *
 * The order of the chain is `chainSeq`, not time: entries of different
 * series may share a millisecond, and InfluxDB's order for ties is not the
 * order they were written in.
 */

export const HASH_FIELD = 'hash';
export const SEQ_FIELD = 'chainSeq';
/** The "previous hash" of the first entry of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

export type ChainValue = string | number | boolean;

export interface ChainPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, ChainValue>;
  ts: number;
}

/**
 * The canonical form of an entry: measurement, time in ms and every tag and
 * field but `hash`, sorted by name. Tags and fields are taken together
 * because that is how InfluxDB returns a point (`SELECT *`). Empty strings,
 * null and undefined are left out: InfluxDB does not store an empty tag, and
 * returns null for a field that a point of the same measurement lacks, so
 * the form written and the form read back must not depend on them.
 */
export function canonicalEntry(measurement: string, ts: number, values: Readonly<Record<string, unknown>>): string {
  const pairs: [string, ChainValue][] = [];
  for (const key of Object.keys(values).sort()) {
    if (key === HASH_FIELD) continue;
    const v = values[key];
    if (v === null || v === undefined || v === '') continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new Error(`${measurement}: value of ${key} is not a string, number or boolean`);
    pairs.push([key, v]);
  }
  return JSON.stringify([measurement, ts, pairs]);
}

export function chainHash(previousHash: string, canonical: string): string {
  return createHash('sha256').update(previousHash).update('\n').update(canonical).digest('hex');
}

/** Where a chain ends: the last entry's sequence number and hash (0 and GENESIS_HASH when empty). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * Adds `chainSeq` and `hash` to the point's fields, linking it to `head`;
 * returns the new head. The point is changed in place.
 */
export function sealPoint(point: ChainPoint, head: ChainHead): ChainHead {
  const seq = head.seq + 1;
  point.fields[SEQ_FIELD] = seq;
  delete point.fields[HASH_FIELD];
  const hash = chainHash(head.hash, canonicalEntry(point.measurement, point.ts, { ...point.tags, ...point.fields }));
  point.fields[HASH_FIELD] = hash;
  return { seq, hash };
}

/** One entry as read back from InfluxDB: its time and every column but `time`. */
export interface StoredEntry {
  ts: number;
  values: Record<string, unknown>;
}

export type BrokenReason = 'hash-mismatch' | 'missing-entry' | 'duplicate-seq' | 'no-hash';

export interface BrokenLink {
  measurement: string;
  reason: BrokenReason;
  /** The sequence number where the chain breaks (for `missing-entry`, the first one missing). */
  seq: number;
  /** The entry found there, or for `missing-entry` the next stored one. */
  entry: StoredEntry;
  expectedHash?: string;
  storedHash?: string;
}

export interface ChainReport {
  measurement: string;
  /** Entries that carry a chain sequence number. */
  entries: number;
  /** Entries older than the first chained one (written before the chain existed). */
  unchained: number;
  /** The verified end of the chain. */
  head: ChainHead;
  firstSeq: number | undefined;
  broken?: BrokenLink;
}

/**
 * Verifies one measurement's chain from entries fed in any order (InfluxDB
 * returns them by time, the chain runs by `chainSeq`). Each entry is checked
 * against the stored hash of its predecessor as soon as both are in, so an
 * edited entry is reported itself and the entries after it stay intact. The
 * oldest entry's link is taken on trust unless it is the chain's first: the
 * retention policy deletes the start of every chain. Holds one hash per
 * entry, and the few entries still waiting for their predecessor.
 */
export class ChainVerifier {
  private readonly hashes = new Map<number, string>();
  /** Entries whose predecessor has not been seen yet, by the predecessor's seq. */
  private readonly waiting = new Map<number, StoredEntry>();
  private readonly unchained: StoredEntry[] = [];
  private readonly problems: BrokenLink[] = [];
  private entries = 0;
  private earliestChained: number | undefined;

  constructor(readonly measurement: string) {}

  /** Entries in any order; call `finish()` after the last. */
  add(batch: readonly StoredEntry[]): void {
    for (const e of batch) {
      const seq = e.values[SEQ_FIELD];
      if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
        this.unchained.push(e);
        continue;
      }
      this.entries++;
      if (this.earliestChained === undefined || e.ts < this.earliestChained) this.earliestChained = e.ts;
      const stored = e.values[HASH_FIELD];
      if (typeof stored !== 'string') {
        this.problems.push({ measurement: this.measurement, reason: 'no-hash', seq, entry: e });
        continue;
      }
      if (this.hashes.has(seq)) {
        this.problems.push({ measurement: this.measurement, reason: 'duplicate-seq', seq, entry: e });
        continue;
      }
      this.hashes.set(seq, stored);
      const previous = this.hashes.get(seq - 1);
      if (previous !== undefined) this.check(seq, e, previous);
      else this.waiting.set(seq - 1, e);
      const successor = this.waiting.get(seq);
      if (successor) {
        this.waiting.delete(seq);
        this.check(seq + 1, successor, stored);
      }
    }
  }

  finish(): ChainReport {
    let firstSeq: number | undefined;
    let last = 0;
    for (const seq of this.hashes.keys()) {
      if (firstSeq === undefined || seq < firstSeq) firstSeq = seq;
      if (seq > last) last = seq;
    }
    for (const [pred, e] of this.waiting) {
      const seq = pred + 1;
      if (seq === firstSeq) {
        if (seq === 1) this.check(1, e, GENESIS_HASH);
        continue;
      }
      let missing = pred;
      while (missing - 1 > (firstSeq as number) && !this.hashes.has(missing - 1)) missing--;
      this.problems.push({ measurement: this.measurement, reason: 'missing-entry', seq: missing, entry: e });
    }
    const firstChainedTs = this.earliestChained;
    for (const e of this.unchained) {
      // An entry without chain fields among chained ones was written by something other than the journal.
      if (firstChainedTs !== undefined && e.ts >= firstChainedTs) this.problems.push({ measurement: this.measurement, reason: 'no-hash', seq: NaN, entry: e });
    }
    const unchained = this.unchained.filter((e) => firstChainedTs === undefined || e.ts < firstChainedTs).length;
    // The earliest problem in time; for ties, the lowest seq.
    const broken = this.problems.sort((a, b) => a.entry.ts - b.entry.ts || (Number.isNaN(a.seq) ? 1 : Number.isNaN(b.seq) ? -1 : a.seq - b.seq))[0];
    const head: ChainHead = last > 0 ? { seq: last, hash: this.hashes.get(last) as string } : EMPTY_HEAD;
    return { measurement: this.measurement, entries: this.entries, unchained, head, firstSeq, ...(broken ? { broken } : {}) };
  }


  private check(seq: number, e: StoredEntry, previousHash: string): void {
    const stored = e.values[HASH_FIELD] as string;
    const expected = chainHash(previousHash, canonicalEntry(this.measurement, e.ts, e.values));
    if (expected !== stored) this.problems.push({ measurement: this.measurement, reason: 'hash-mismatch', seq, entry: e, expectedHash: expected, storedHash: stored });
  }
}
