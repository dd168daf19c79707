import { EVENTS_POLICY } from '../influx/influx-store.js';
import { ChainVerifier, EMPTY_HEAD, HASH_FIELD, SEQ_FIELD, sealPoint, type ChainHead, type ChainPoint, type ChainReport, type StoredEntry } from './chain.js';

/** What the chains need of InfluxStore. */
export interface ChainStore {
  query<T>(influxql: string): Promise<(T & { time: Date })[]>;
  writeEventPoints(points: readonly ChainPoint[]): Promise<void>;
}

/** Every measurement of the events policy that carries a hash chain. */
export const CHAINED_MEASUREMENTS = ['alarm', 'alarm_escalation', 'alarm_escalation_attempt', 'alarm_flood', 'risk_warning', 'audit'] as const;

const MEASUREMENT_NAME = /^[a-z_]+$/;

function measurementRef(measurement: string): string {
  // Names come from this module's constants, never from a request; checked all the same since they are pasted.
  if (!MEASUREMENT_NAME.test(measurement)) throw new Error(`invalid measurement name ${JSON.stringify(measurement)}`);
  return `"${EVENTS_POLICY}"."${measurement}"`;
}

/**
 * Seals journal points into one chain per measurement right before they are
 * written (called from the RetryingWriter's write, so the order of the chain
 * is the order of writing). The head of each chain is read from InfluxDB
 * before its first point of this process is sealed, so the chain goes on
 * across restarts; if that read fails the write fails too and is retried,
 * and nothing is written unchained. A point keeps its seal across retries.
 *
 * One writer per database: two servers journalling into the same database
 * would fork the chains.
 */
export class JournalChains {
  private readonly heads = new Map<string, ChainHead>();
  private readonly lastTs = new Map<string, number>();
  private readonly sealed = new WeakSet<ChainPoint>();

  constructor(private readonly store: ChainStore) {}

  /** Seals and writes; for RetryingWriter. */
  async write(points: readonly ChainPoint[]): Promise<void> {
    await this.seal(points);
    await this.store.writeEventPoints(points);
  }

  async seal(points: readonly ChainPoint[]): Promise<void> {
    for (const p of points) {
      if (!this.sealed.has(p) && !this.heads.has(p.measurement)) this.heads.set(p.measurement, await readHead(this.store, p.measurement));
    }
    for (const p of points) {
      if (this.sealed.has(p)) continue;
      // Two points of one series in the same millisecond would overwrite each other in InfluxDB and lose an entry of the chain.
      const key = seriesKey(p);
      const last = this.lastTs.get(key);
      if (last !== undefined && p.ts <= last) p.ts = last + 1;
      this.lastTs.set(key, p.ts);
      this.heads.set(p.measurement, sealPoint(p, this.heads.get(p.measurement) ?? EMPTY_HEAD));
      this.sealed.add(p);
    }
  }

  head(measurement: string): ChainHead | undefined {
    return this.heads.get(measurement);
  }
}

function seriesKey(p: ChainPoint): string {
  return JSON.stringify([p.measurement, Object.keys(p.tags).sort().map((k) => [k, p.tags[k]])]);
}

/** The last sealed entry of a measurement in InfluxDB (EMPTY_HEAD when there is none). */
export async function readHead(store: Pick<ChainStore, 'query'>, measurement: string): Promise<ChainHead> {
  const rows = await store.query<{ seq: number | null; hash: string | null }>(`SELECT max("${SEQ_FIELD}") AS "seq", "${HASH_FIELD}" AS "hash" FROM ${measurementRef(measurement)}`);
  const r = rows[0];
  if (!r || typeof r.seq !== 'number' || typeof r.hash !== 'string') return EMPTY_HEAD;
  return { seq: r.seq, hash: r.hash };
}

const DAY_MS = 86_400_000;

/**
 * Reads a measurement window by window (a day at a time, so no single answer
 * holds the whole journal) and verifies its chain.
 */
export async function verifyMeasurement(store: Pick<ChainStore, 'query'>, measurement: string, windowMs = DAY_MS): Promise<ChainReport> {
  const ref = measurementRef(measurement);
  const verifier = new ChainVerifier(measurement);
  const first = (await store.query<Record<string, unknown>>(`SELECT * FROM ${ref} ORDER BY time ASC LIMIT 1`))[0];
  const last = (await store.query<Record<string, unknown>>(`SELECT * FROM ${ref} ORDER BY time DESC LIMIT 1`))[0];
  if (first && last) {
    const end = last.time.getTime();
    for (let from = first.time.getTime(); from <= end; from += windowMs) {
      const rows = await store.query<Record<string, unknown>>(`SELECT * FROM ${ref} WHERE time >= ${from}ms AND time < ${from + windowMs}ms`);
      verifier.add(rows.map(toStoredEntry));
    }
  }
  return verifier.finish();
}

function toStoredEntry(row: Record<string, unknown> & { time: Date }): StoredEntry {
  const { time, ...values } = row;
  return { ts: time.getTime(), values };
}

/** Every chained measurement, in the order of CHAINED_MEASUREMENTS. */
export async function verifyJournals(store: Pick<ChainStore, 'query'>): Promise<ChainReport[]> {
  const reports: ChainReport[] = [];
  for (const m of CHAINED_MEASUREMENTS) reports.push(await verifyMeasurement(store, m));
  return reports;
}

/** Human-readable lines of a verification, and whether every chain is intact. */
export function formatReports(reports: readonly ChainReport[]): { ok: boolean; text: string } {
  const lines: string[] = [];
  let ok = true;
  for (const r of reports) {
    const before = r.unchained > 0 ? `, ${r.unchained} older entries without a hash (written before the chain existed)` : '';
    if (!r.broken) {
      lines.push(`${r.measurement}: intact, ${r.entries} entries${r.entries > 0 ? ` (seq ${r.firstSeq}…${r.head.seq}), head ${r.head.hash}` : ''}${before}`);
      continue;
    }
    ok = false;
    const b = r.broken;
    const at = new Date(b.entry.ts).toISOString();
    const what =
      b.reason === 'hash-mismatch'
        ? `entry seq ${b.seq} does not match its hash (stored ${b.storedHash}, computed ${b.expectedHash})`
        : b.reason === 'missing-entry'
          ? `entry seq ${b.seq} is missing; the next stored entry follows`
          : b.reason === 'duplicate-seq'
            ? `seq ${b.seq} appears more than once`
            : 'an entry without a chain hash among chained entries';
    lines.push(`${r.measurement}: BROKEN at ${at}: ${what}`);
    lines.push(`  entry: ${JSON.stringify({ time: at, ...b.entry.values })}`);
  }
  return { ok, text: lines.join('\n') };
}
