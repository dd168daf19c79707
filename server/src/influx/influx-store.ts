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
