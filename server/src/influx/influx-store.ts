import { InfluxDB, escape } from 'influx';
import type { InfluxTarget } from './influx-url.js';

/**
 * The project's InfluxDB 1.x module: database set-up and the `reading`
 * measurement (tags `id`, `source`, `site`; fields `v` float, `q` integer).
 * Points are written with millisecond precision so that a replayed reading
 * (same series, same timestamp) overwrites instead of doubling.
 */

export interface StoredReading {
  id: string;
  /** Epoch milliseconds, UTC. */
  ts: number;
  v: number;
  /** Integer quality code of the contract. */
  q: number;
  source: string;
  site: string;
}

export interface ReadingRow {
  id: string;
  ts: number;
  v: number;
  q: number;
}

/** One audit entry: who did what, when, to what, and whether it was allowed. */
export interface AuditEntry {
  ts: number;
  /** e.g. `login`, `login-failed`, `alarm-ack`, `alarm-shelve`, `config-change`. */
  action: string;
  user: string;
  /** What it was done to (an alarm id, a card id); empty when none. */
  target: string;
  ok: boolean;
  detail: string;
}

/** Aggregated history: one row per interval per tag. */
export interface HistoryRow {
  id: string;
  ts: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Worst quality code in the interval. */
  q: number | null;
}

export class InfluxStore {
  readonly database: string;
  private readonly client: InfluxDB;

  constructor(target: InfluxTarget, options: { requestTimeoutMs?: number } = {}) {
    this.database = target.database;
    this.client = new InfluxDB({
      protocol: target.protocol,
      host: target.host,
      port: target.port,
      database: target.database,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      pool: { requestTimeout: options.requestTimeoutMs ?? 10_000, maxRetries: 0 },
    });
  }

  /** True when InfluxDB answers `/ping`. */
  async ping(timeoutMs = 2000): Promise<boolean> {
    const hosts = await this.client.ping(timeoutMs);
    return hosts.some((h) => h.online);
  }

  /** Creates the database when missing. Safe to call on every start. */
  async ensureDatabase(): Promise<void> {
    await this.client.createDatabase(this.database);
  }

  async writeReadings(readings: readonly StoredReading[]): Promise<void> {
    if (readings.length === 0) return;
    await this.client.writePoints(
      readings.map((r) => ({
        measurement: 'reading',
        tags: readingTags(r),
        fields: { v: r.v, q: r.q },
        timestamp: r.ts,
      })),
      { precision: 'ms', database: this.database },
    );
  }

  async writeAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.client.writePoints(
      entries.map((e) => ({
        measurement: 'audit',
        tags: { action: e.action },
        fields: { user: e.user, target: e.target, ok: e.ok, detail: e.detail },
        timestamp: e.ts,
      })),
      { precision: 'ms', database: this.database },
    );
  }

  async queryAudit(fromMs: number, toMs: number, limit = 1000): Promise<AuditEntry[]> {
    const query = `SELECT "action", "user", "target", "ok", "detail" FROM "audit" WHERE time >= ${Math.trunc(fromMs)}ms AND time <= ${Math.trunc(toMs)}ms ORDER BY time DESC LIMIT ${Math.trunc(limit)}`;
    const rows = await this.client.query<{ time: Date; action: string; user: string; target: string; ok: boolean; detail: string }>(query, { precision: 'ms', database: this.database });
    return rows.map((r) => ({ ts: r.time.getTime(), action: r.action, user: r.user, target: r.target, ok: r.ok, detail: r.detail }));
  }

  /**
   * History of some tags in [fromMs, toMs] as mean/min/max per interval of
   * `intervalMs` (at least 1 ms). Empty intervals are left out.
   */
  async queryHistory(ids: readonly string[], fromMs: number, toMs: number, intervalMs: number): Promise<HistoryRow[]> {
    if (ids.length === 0) return [];
    const idList = ids.map((id) => `"id" = ${escape.stringLit(id)}`).join(' OR ');
    const every = Math.max(1, Math.trunc(intervalMs));
    const query = `SELECT mean("v") AS "mean", min("v") AS "min", max("v") AS "max", max("q") AS "q" FROM "reading" WHERE (${idList}) AND time >= ${Math.trunc(fromMs)}ms AND time <= ${Math.trunc(toMs)}ms GROUP BY time(${every}ms), "id" fill(none)`;
    const rows = await this.client.query<{ time: Date; id: string; mean: number | null; min: number | null; max: number | null; q: number | null }>(query, { precision: 'ms', database: this.database });
    return rows.map((r) => ({ id: r.id, ts: r.time.getTime(), mean: r.mean, min: r.min, max: r.max, q: r.q })).sort((a, b) => (a.id === b.id ? a.ts - b.ts : a.id < b.id ? -1 : 1));
  }

  /** Raw readings of some tags in [fromMs, toMs], oldest first. Ids and times are escaped, never pasted. */
  async queryReadings(ids: readonly string[], fromMs: number, toMs: number): Promise<ReadingRow[]> {
    if (ids.length === 0) return [];
    const idList = ids.map((id) => `"id" = ${escape.stringLit(id)}`).join(' OR ');
    const query = `SELECT "v", "q", "id" FROM "reading" WHERE (${idList}) AND time >= ${Math.trunc(fromMs)}ms AND time <= ${Math.trunc(toMs)}ms ORDER BY time ASC`;
    const rows = await this.client.query<{ time: Date; v: number; q: number; id: string }>(query, { precision: 'ms', database: this.database });
    return rows.map((r) => ({ id: r.id, ts: r.time.getTime(), v: r.v, q: r.q }));
  }
}

/** Line protocol has no empty tag values: an unknown place is left out. */
function readingTags(r: StoredReading): Record<string, string> {
  const tags: Record<string, string> = { id: r.id };
  if (r.source) tags['source'] = r.source;
  if (r.site) tags['site'] = r.site;
  return tags;
}
