import type { Logger } from '../log.js';
import { EVENTS_POLICY, type InfluxStore } from '../influx/influx-store.js';
import { RetryingWriter } from '../influx/retrying-writer.js';

/**
 * Where emergency records live: InfluxDB, retention policy `events` (kept as
 * long as the alarm journal and the audit trail), through a RetryingWriter so
 * recording never blocks or fails the commander's action.
 *
 *   emergency_card   tags cardId              fields version, user, card (the whole card as JSON)
 *   incident         tags incidentId          fields state, cardId, cardVersion, hazardSource, stepCount, openedAt, openedBy, alarmId?, closedAt?, closedBy?
 *   incident_event   tags incidentId, type    fields user, text, seq?, done?, alarmId?, state?, tagId?, position?
 *
 * Point times rise strictly per card and per incident (the caller's clock
 * adds 1 ms on a tie), so no two records of one series share a timestamp and
 * InfluxDB never overwrites one with another.
 */

export type EmergencyMeasurement = 'emergency_card' | 'incident' | 'incident_event';

export interface EmergencyPoint {
  measurement: EmergencyMeasurement;
  tags: Record<string, string>;
  fields: Record<string, string | number | boolean>;
  ts: number;
}

export interface EmergencyJournal {
  write(p: EmergencyPoint): void;
  /** Every point of a measurement since `sinceMs`, oldest first. */
  read(measurement: EmergencyMeasurement, sinceMs: number): Promise<EmergencyPoint[]>;
  /** Waits until everything written so far is stored; true when it is. */
  drain(timeoutMs?: number): Promise<boolean>;
  pending(): number;
  close(): void;
}

const TAG_KEYS: Record<EmergencyMeasurement, readonly string[]> = {
  emergency_card: ['cardId'],
  incident: ['incidentId'],
  incident_event: ['incidentId', 'type'],
};

export class InfluxEmergencyJournal implements EmergencyJournal {
  private readonly writer: RetryingWriter<EmergencyPoint>;

  constructor(
    private readonly store: Pick<InfluxStore, 'writeEventPoints' | 'query'>,
    log: Logger,
  ) {
    this.writer = new RetryingWriter('emergency-journal', (batch) => store.writeEventPoints(batch), log, { delayMs: 10 });
  }

  write(p: EmergencyPoint): void {
    this.writer.push(p);
  }

  async read(measurement: EmergencyMeasurement, sinceMs: number): Promise<EmergencyPoint[]> {
    const rows = await this.store.query<Record<string, unknown>>(`SELECT * FROM "${EVENTS_POLICY}"."${measurement}" WHERE time >= ${Math.trunc(sinceMs)}ms ORDER BY time ASC`);
    const tagKeys = TAG_KEYS[measurement];
    return rows.map((r) => {
      const tags: Record<string, string> = {};
      const fields: Record<string, string | number | boolean> = {};
      for (const [k, v] of Object.entries(r)) {
        if (k === 'time' || v === null || v === undefined) continue;
        if (tagKeys.includes(k)) tags[k] = String(v);
        else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
      }
      return { measurement, tags, fields, ts: r.time.getTime() };
    });
  }

  drain(timeoutMs = 5000): Promise<boolean> {
    return this.writer.drain(timeoutMs);
  }

  pending(): number {
    return this.writer.pending();
  }

  close(): void {
    this.writer.close();
  }
}

/** Keeps the records in memory: for tests and for a server run without InfluxDB. Same overwrite rule as InfluxDB (series + time). */
export class MemoryEmergencyJournal implements EmergencyJournal {
  readonly points: EmergencyPoint[] = [];

  write(p: EmergencyPoint): void {
    const key = seriesKey(p);
    const at = this.points.findIndex((q) => q.ts === p.ts && seriesKey(q) === key);
    if (at >= 0) this.points[at] = structuredClone(p);
    else this.points.push(structuredClone(p));
  }

  async read(measurement: EmergencyMeasurement, sinceMs: number): Promise<EmergencyPoint[]> {
    return this.points
      .filter((p) => p.measurement === measurement && p.ts >= sinceMs)
      .sort((a, b) => a.ts - b.ts)
      .map((p) => structuredClone(p));
  }

  async drain(): Promise<boolean> {
    return true;
  }

  pending(): number {
    return 0;
  }

  close(): void {}
}

function seriesKey(p: EmergencyPoint): string {
  return `${p.measurement},${TAG_KEYS[p.measurement].map((k) => `${k}=${p.tags[k] ?? ''}`).join(',')}`;
}

/** Times that rise strictly per key: `next(key, now)` is `now`, or 1 ms past the key's previous time. */
export class StrictClock {
  private readonly last = new Map<string, number>();

  next(key: string, nowMs: number): number {
    const prev = this.last.get(key);
    const ts = prev !== undefined && nowMs <= prev ? prev + 1 : nowMs;
    this.last.set(key, ts);
    return ts;
  }

  /** Records a time seen in the journal, so new records come after it. */
  seen(key: string, ts: number): void {
    const prev = this.last.get(key);
    if (prev === undefined || ts > prev) this.last.set(key, ts);
  }
}
