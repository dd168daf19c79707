import http from 'node:http';
import https from 'node:https';
import { InfluxDB, escape } from 'influx';
import type { InfluxTarget } from './influx-url.js';
import { influxString } from './influxql.js';
import { readingLinesBody } from './line-protocol.js';

/**
 * A write InfluxDB answered with an error. `permanent` when retrying cannot
 * help (4xx: unparsable points, a field type conflict, a series limit); the
 * points are then refused and must be counted, not retried forever.
 */
export class InfluxWriteError extends Error {
  override name = 'InfluxWriteError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && !/database not found|retention policy not found/.test(this.message);
  }
}

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
  /**
   * The point's measurement and tags as line protocol
   * (`reading,id=…,site=…,source=…`, see `seriesKey`), when already known:
   * ingest keeps one per tag instead of escaping three tags per reading.
   */
  series?: string;
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

export interface RetentionSettings {
  rawDays: number;
  rollupDays: number;
  /** Alarm journal and audit trail. */
  eventDays: number;
}

export const RAW_POLICY = 'raw';
export const ROLLUP_POLICY = 'rollup';
/** Alarm journal and audit trail: kept far longer than raw readings (standing alarms, investigations). */
export const EVENTS_POLICY = 'events';
export const ROLLUP_MEASUREMENT = 'reading_1m';
export const ROLLUP_CQ = 'reading_rollup_1m';
/**
 * Who makes the 1-minute rollup: the server from the readings it ingests
 * (LiveRollup), or InfluxDB's continuous query when several server instances
 * share the data and none sees every reading.
 */
export type RollupBy = 'server' | 'continuous-query';
/**
 * How far back the continuous query (when used) recomputes each minute:
 * readings up to a minute late are in it. Later ones are rolled up by
 * RollupBackfill.
 */
export const ROLLUP_RESAMPLE_FOR = '2m';
/** History intervals at least this long are read from the 1-minute rollup. */
export const ROLLUP_INTERVAL_MS = 60_000;

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

/** Keep-alive connections of the line-protocol writes idle longer than this are closed. */
const IDLE_CONNECTION_MS = 4000;
/** Bytes of an error answer kept for the message. */
const MAX_ERROR_BODY = 16_384;

export class InfluxStore {
  readonly database: string;
  private readonly client: InfluxDB;

  private readonly writeUrl: URL;
  private readonly rollupWriteUrl: URL;
  private readonly authHeader: string | undefined;
  private readonly requestTimeoutMs: number;
  /**
   * The line-protocol writes go over `node:http` with connections kept open,
   * not `fetch`: fetch copies every request body into a new ArrayBuffer and
   * builds streams, signals and promises around it. At 100,000 readings a
   * second that was megabytes a second of buffers outliving the young
   * generation (a write takes tens of milliseconds), held until the next
   * full collection: the server's memory under load grew by 50 MB of them.
   */
  private readonly request: typeof http.request;
  private readonly agent: http.Agent;

  constructor(target: InfluxTarget, options: { requestTimeoutMs?: number } = {}) {
    this.database = target.database;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    this.writeUrl = new URL(`${target.protocol}://${host}:${target.port}/write?db=${encodeURIComponent(target.database)}&rp=${RAW_POLICY}&precision=ms`);
    this.rollupWriteUrl = new URL(`${target.protocol}://${host}:${target.port}/write?db=${encodeURIComponent(target.database)}&rp=${ROLLUP_POLICY}&precision=ms`);
    // Idle connections are closed after a few seconds, before a proxy in front of InfluxDB could close them under a write.
    const agentOptions = { keepAlive: true, timeout: IDLE_CONNECTION_MS };
    this.request = target.protocol === 'https' ? https.request : http.request;
    this.agent = target.protocol === 'https' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.authHeader = target.username !== undefined ? `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}` : undefined;
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

  /**
   * Database and retention policies, created or brought in line with the
   * configured durations on every start (idempotent), and the rollup's
   * continuous query when `rollupBy` is `continuous-query` (several server
   * instances share the data, none sees every reading). When the server rolls
   * up itself, a continuous query of an earlier run is dropped: it would read
   * every point back again.
   */
  async ensureSchema(retention: RetentionSettings, rollupBy: RollupBy = 'server'): Promise<void> {
    await this.ensureDatabase();
    const existing = new Map((await this.client.showRetentionPolicies(this.database)).map((p) => [p.name, p]));
    const policies: [string, number, boolean][] = [
      [RAW_POLICY, retention.rawDays, true],
      [ROLLUP_POLICY, retention.rollupDays, false],
      [EVENTS_POLICY, retention.eventDays, false],
    ];
    for (const [name, days, isDefault] of policies) {
      const options = { database: this.database, duration: `${days}d`, replication: 1, isDefault };
      if (existing.has(name)) await this.client.alterRetentionPolicy(name, options);
      else await this.client.createRetentionPolicy(name, options);
    }
    const cqs = await this.client.showContinousQueries(this.database);
    const cq = cqs.find((c) => c.name === ROLLUP_CQ);
    if (rollupBy === 'server') {
      if (cq) await this.client.dropContinuousQuery(ROLLUP_CQ, this.database);
      return;
    }
    if (cq?.query.includes(`FOR ${ROLLUP_RESAMPLE_FOR}`)) return;
    // An earlier version resampled the last hour every minute: with 100,000
    // tags at 1 s that is 360 million points read a minute. It is replaced.
    if (cq) await this.client.dropContinuousQuery(ROLLUP_CQ, this.database);
    await this.client.createContinuousQuery(ROLLUP_CQ, `${this.rollupSelect()} GROUP BY time(1m), *`, this.database, `RESAMPLE EVERY 1m FOR ${ROLLUP_RESAMPLE_FOR}`);
  }

  private rollupSelect(): string {
    const db = escape.quoted(this.database);
    return `SELECT mean("v") AS "mean", min("v") AS "min", max("v") AS "max", max("q") AS "q" INTO ${db}."${ROLLUP_POLICY}"."${ROLLUP_MEASUREMENT}" FROM ${db}."${RAW_POLICY}"."reading"`;
  }

  /**
   * Computes the 1-minute rollup of the whole minutes touching
   * [fromMs, toMs], of one site's tags or of all: for readings stored after
   * the continuous query last looked at their minutes (see RollupBackfill).
   * Returns the points written to the rollup.
   */
  async rollupRange(fromMs: number, toMs: number, site?: string): Promise<number> {
    const from = Math.floor(fromMs / ROLLUP_INTERVAL_MS) * ROLLUP_INTERVAL_MS;
    const to = (Math.floor(toMs / ROLLUP_INTERVAL_MS) + 1) * ROLLUP_INTERVAL_MS;
    const where = `time >= ${from}ms AND time < ${to}ms${site !== undefined ? ` AND "site" = ${influxString(site)}` : ''}`;
    const rows = await this.client.query<{ written: number }>(`${this.rollupSelect()} WHERE ${where} GROUP BY time(1m), *`, { precision: 'ms', database: this.database });
    return rows.reduce((n, r) => n + (r.written ?? 0), 0);
  }

  /** Writes readings as line protocol to the raw policy; throws InfluxWriteError when InfluxDB refuses. */
  async writeReadings(readings: readonly StoredReading[]): Promise<void> {
    if (readings.length === 0) return;
    await this.writeLines(readingLinesBody(readings));
  }

  /** Readings already in line protocol (the ingest's, see ingest/line-slabs.ts) into the raw policy. */
  async writeLines(body: Buffer): Promise<void> {
    if (body.length === 0) return;
    await this.postLines(this.writeUrl, body, 'the write');
  }

  /** Rollup points (`reading_1m` line protocol, see LiveRollup) into the rollup policy. */
  async writeRollupBody(body: Buffer): Promise<void> {
    await this.postLines(this.rollupWriteUrl, body, 'rollup points');
  }

  /** One line-protocol request; InfluxDB's own reason in the error when it refuses. */
  private postLines(url: URL, body: Buffer, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const settle = (err: Error | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length };
      if (this.authHeader) headers.authorization = this.authHeader;
      const req = this.request(url, { method: 'POST', agent: this.agent, headers }, (res) => {
        const status = res.statusCode ?? 0;
        if (status === 204) {
          // Settled already: a connection lost after the answer is the agent's business, not an error to throw.
          res.on('error', () => undefined);
          res.resume();
          settle(undefined);
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // InfluxDB's reasons are short; a proxy's error page need not be kept whole.
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('error', (err) => settle(new Error(`InfluxDB's answer to ${what} was cut off: ${err.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let message = text;
          try {
            message = (JSON.parse(text) as { error?: string }).error ?? text;
          } catch {
            // not JSON: keep the text
          }
          settle(new InfluxWriteError(`InfluxDB refused ${what} (${status}): ${message.slice(0, 300)}`, status));
        });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.requestTimeoutMs} ms`)), this.requestTimeoutMs);
      req.on('error', (err) => settle(new Error(`InfluxDB at ${url.host} not reachable for ${what}: ${err.message}`)));
      req.end(body);
    });
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
      { precision: 'ms', database: this.database, retentionPolicy: EVENTS_POLICY },
    );
  }

  /** Writes points of the events policy (alarm journal, escalations, floods). */
  async writeEventPoints(points: readonly { measurement: string; tags: Record<string, string>; fields: Record<string, string | number | boolean>; ts: number }[]): Promise<void> {
    if (points.length === 0) return;
    await this.client.writePoints(
      points.map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.ts })),
      { precision: 'ms', database: this.database, retentionPolicy: EVENTS_POLICY },
    );
  }

  /** Runs an InfluxQL query built by the caller with `influxString` for every value; rows with times in ms. */
  async query<T>(influxql: string): Promise<(T & { time: Date })[]> {
    return (await this.client.query<T & { time: Date }>(influxql, { precision: 'ms', database: this.database })) as (T & { time: Date })[];
  }

  async queryAudit(fromMs: number, toMs: number, limit = 1000): Promise<AuditEntry[]> {
    const query = `SELECT "action", "user", "target", "ok", "detail" FROM "${EVENTS_POLICY}"."audit" WHERE time >= ${Math.trunc(fromMs)}ms AND time <= ${Math.trunc(toMs)}ms ORDER BY time DESC LIMIT ${Math.trunc(limit)}`;
    const rows = await this.client.query<{ time: Date; action: string; user: string; target: string; ok: boolean; detail: string }>(query, { precision: 'ms', database: this.database });
    return rows.map((r) => ({ ts: r.time.getTime(), action: r.action, user: r.user, target: r.target, ok: r.ok, detail: r.detail }));
  }

  /**
   * History of some tags in [fromMs, toMs] as mean/min/max per interval of
   * `intervalMs` (at least 1 ms). Empty intervals are left out.
   */
  async queryHistory(ids: readonly string[], fromMs: number, toMs: number, intervalMs: number): Promise<HistoryRow[]> {
    if (ids.length === 0) return [];
    const idList = ids.map((id) => `"id" = ${influxString(id)}`).join(' OR ');
    const every = Math.max(1, Math.trunc(intervalMs));
    // Long spans read the rollup (a minute behind), short ones the raw points.
    const select =
      every >= ROLLUP_INTERVAL_MS
        ? `SELECT mean("mean") AS "mean", min("min") AS "min", max("max") AS "max", max("q") AS "q" FROM "${ROLLUP_POLICY}"."${ROLLUP_MEASUREMENT}"`
        : `SELECT mean("v") AS "mean", min("v") AS "min", max("v") AS "max", max("q") AS "q" FROM "${RAW_POLICY}"."reading"`;
    const query = `${select} WHERE (${idList}) AND time >= ${Math.trunc(fromMs)}ms AND time <= ${Math.trunc(toMs)}ms GROUP BY time(${every}ms), "id" fill(none)`;
    const rows = await this.client.query<{ time: Date; id: string; mean: number | null; min: number | null; max: number | null; q: number | null }>(query, { precision: 'ms', database: this.database });
    return rows.map((r) => ({ id: r.id, ts: r.time.getTime(), mean: r.mean, min: r.min, max: r.max, q: r.q })).sort((a, b) => (a.id === b.id ? a.ts - b.ts : a.id < b.id ? -1 : 1));
  }

  /** Raw readings of some tags in [fromMs, toMs], oldest first. Ids and times are escaped, never pasted. */
  async queryReadings(ids: readonly string[], fromMs: number, toMs: number): Promise<ReadingRow[]> {
    if (ids.length === 0) return [];
    const idList = ids.map((id) => `"id" = ${influxString(id)}`).join(' OR ');
    const query = `SELECT "v", "q", "id" FROM "${RAW_POLICY}"."reading" WHERE (${idList}) AND time >= ${Math.trunc(fromMs)}ms AND time <= ${Math.trunc(toMs)}ms ORDER BY time ASC`;
    const rows = await this.client.query<{ time: Date; v: number; q: number; id: string }>(query, { precision: 'ms', database: this.database });
    return rows.map((r) => ({ id: r.id, ts: r.time.getTime(), v: r.v, q: r.q }));
  }
}

