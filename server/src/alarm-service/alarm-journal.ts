import type { AlarmEvent, RiskWarningEvent } from '@park/protocol';
import type { Logger } from '../log.js';
import { EVENTS_POLICY, type InfluxStore } from '../influx/influx-store.js';
import { influxString } from '../influx/influxql.js';
import { RetryingWriter } from '../influx/retrying-writer.js';
import { JournalChains } from '../journal-chain/journal-chains.js';
import type { AlarmEscalation, AlarmTransition, RestoreEvent } from '../alarms/engine.js';
import type { FloodEvent } from '../alarms/flood.js';
import type { EscalationAttempt } from './escalation-notifier.js';

/**
 * The alarm journal in InfluxDB (retention policy `events`): one point per
 * transition in `alarm` (series per alarm, point time = the transition's
 * `ts`, strictly rising per alarm), escalations in `alarm_escalation`,
 * flood edges in `alarm_flood`. Active alarms are rebuilt from the latest
 * point per alarm after a restart. Every point is sealed into its
 * measurement's hash chain as it is written (journal-chain/), so an entry
 * changed afterwards in InfluxDB is found by `park-server verify-journal`.
 */

type Point = { measurement: string; tags: Record<string, string>; fields: Record<string, string | number | boolean>; ts: number };

export interface JournalQuery {
  fromMs: number;
  toMs: number;
  tagId?: string;
  area?: string;
  user?: string;
  kind?: string;
  priority?: string;
  state?: string;
  limit: number;
}

export interface JournalEntry extends AlarmEvent {
  previous: string;
  cause: string;
  user?: string;
  area: string;
}

const MEASUREMENT = 'alarm';

export class AlarmJournal {
  private readonly writer: RetryingWriter<Point>;

  constructor(
    private readonly store: InfluxStore,
    log: Logger,
    private readonly areaOf: (alarmId: string) => string,
  ) {
    const chains = new JournalChains(store);
    this.writer = new RetryingWriter('alarm-journal', (batch) => chains.write(batch), log, { delayMs: 10 });
  }

  record(t: AlarmTransition): void {
    const e = t.event;
    const fields: Point['fields'] = { state: e.state, previous: t.previous, cause: t.cause, message: e.message, raisedAt: e.raisedAt };
    if (e.value !== null) fields['value'] = e.value;
    if (e.limit !== null) fields['limit'] = e.limit;
    if (t.user !== undefined) fields['user'] = t.user;
    if (e.ackedAt !== undefined) fields['ackedAt'] = e.ackedAt;
    if (e.ackedBy !== undefined) fields['ackedBy'] = e.ackedBy;
    if (e.comment !== undefined) fields['comment'] = e.comment;
    if (e.shelvedUntil !== undefined) fields['shelvedUntil'] = e.shelvedUntil;
    if (t.sourceTs !== undefined) fields['sourceTs'] = t.sourceTs;
    if (e.firstOut === true) fields['firstOut'] = true;
    this.writer.push({ measurement: MEASUREMENT, tags: { alarmId: e.id, tagId: e.tagId, kind: e.kind, priority: e.priority, area: this.areaOf(e.id) }, fields, ts: e.ts });
  }

  recordEscalation(x: AlarmEscalation): void {
    this.writer.push({ measurement: 'alarm_escalation', tags: { alarmId: x.event.id }, fields: { annunciatedAt: x.annunciatedAt, unackedForMs: x.unackedForMs, priority: x.event.priority }, ts: x.ts });
  }

  recordEscalationAttempt(a: EscalationAttempt): void {
    this.writer.push({ measurement: 'alarm_escalation_attempt', tags: { alarmId: a.alarmId }, fields: { attempt: a.attempt, ok: a.ok, status: a.status, error: a.error }, ts: a.ts });
  }

  /** A change of an installation's risk early-warning colour. */
  recordRisk(r: RiskWarningEvent): void {
    this.writer.push({ measurement: 'risk_warning', tags: { hazardSource: r.hazardSource, site: r.site }, fields: { colour: r.colour, previous: r.previous, reasons: JSON.stringify(r.reasons) }, ts: r.ts });
  }

  recordFlood(f: FloodEvent): void {
    this.writer.push({ measurement: 'alarm_flood', tags: { area: f.area }, fields: { type: f.type, count: f.count, peak: f.peak, startedAt: f.startedAt }, ts: f.ts });
  }

  pending(): number {
    return this.writer.pending();
  }

  async drain(timeoutMs = 5000): Promise<boolean> {
    return this.writer.drain(timeoutMs);
  }

  close(): void {
    this.writer.close();
  }

  /** The latest record of every alarm journalled within `sinceMs`, for AlarmEngine.restore. */
  async latest(sinceMs: number): Promise<RestoreEvent[]> {
    const rows = await this.store.query<Row>(`SELECT * FROM "${EVENTS_POLICY}"."${MEASUREMENT}" WHERE time >= ${Math.trunc(sinceMs)}ms GROUP BY "alarmId" ORDER BY time DESC LIMIT 1`);
    return rows.map((r) => toEntry(r));
  }

  /** Alarms escalated since `sinceMs` with the start of the annunciation they escalated. */
  async escalations(sinceMs: number): Promise<{ alarmId: string; annunciatedAt: number }[]> {
    const rows = await this.store.query<{ alarmId: string; annunciatedAt: number }>(`SELECT "annunciatedAt", "alarmId" FROM "${EVENTS_POLICY}"."alarm_escalation" WHERE time >= ${Math.trunc(sinceMs)}ms`);
    return rows.map((r) => ({ alarmId: r.alarmId, annunciatedAt: r.annunciatedAt }));
  }

  /** Flood starts and ends in [fromMs, toMs], oldest first. */
  async floodEdges(fromMs: number, toMs: number): Promise<{ type: 'flood-start' | 'flood-end'; area: string; ts: number; peak: number }[]> {
    const rows = await this.store.query<{ type: 'flood-start' | 'flood-end'; area: string; peak: number }>(
      `SELECT "type", "area", "peak" FROM "${EVENTS_POLICY}"."alarm_flood" WHERE time >= ${Math.trunc(fromMs)}ms AND time <= ${Math.trunc(toMs)}ms ORDER BY time ASC`,
    );
    return rows.map((r) => ({ type: r.type, area: r.area, ts: r.time.getTime(), peak: r.peak }));
  }

  /** Journal search, newest first. Every value is escaped, never pasted. */
  async search(q: JournalQuery): Promise<JournalEntry[]> {
    const where = [`time >= ${Math.trunc(q.fromMs)}ms`, `time <= ${Math.trunc(q.toMs)}ms`];
    if (q.tagId !== undefined) where.push(`"tagId" = ${influxString(q.tagId)}`);
    if (q.area !== undefined) where.push(`"area" = ${influxString(q.area)}`);
    if (q.kind !== undefined) where.push(`"kind" = ${influxString(q.kind)}`);
    if (q.priority !== undefined) where.push(`"priority" = ${influxString(q.priority)}`);
    if (q.state !== undefined) where.push(`"state" = ${influxString(q.state)}`);
    if (q.user !== undefined) where.push(`("user" = ${influxString(q.user)} OR "ackedBy" = ${influxString(q.user)})`);
    const rows = await this.store.query<Row>(`SELECT * FROM "${EVENTS_POLICY}"."${MEASUREMENT}" WHERE ${where.join(' AND ')} ORDER BY time DESC LIMIT ${Math.trunc(q.limit)}`);
    return rows.map((r) => toEntry(r));
  }
}

interface Row {
  alarmId: string;
  tagId: string;
  kind: string;
  priority: string;
  area: string;
  state: string;
  previous: string;
  cause: string;
  message: string;
  raisedAt: number;
  value: number | null;
  limit: number | null;
  user: string | null;
  ackedAt: number | null;
  ackedBy: string | null;
  comment: string | null;
  shelvedUntil: number | null;
  firstOut: boolean | null;
}

function toEntry(r: Row & { time: Date }): JournalEntry {
  const e = {
    id: r.alarmId,
    tagId: r.tagId,
    kind: r.kind,
    priority: r.priority,
    state: r.state,
    value: r.value ?? null,
    limit: r.limit ?? null,
    message: r.message,
    raisedAt: r.raisedAt,
    ts: r.time.getTime(),
    previous: r.previous,
    cause: r.cause,
    area: r.area,
    ...(r.ackedAt !== null && r.ackedAt !== undefined ? { ackedAt: r.ackedAt } : {}),
    ...(r.ackedBy ? { ackedBy: r.ackedBy } : {}),
    ...(r.comment ? { comment: r.comment } : {}),
    ...(r.shelvedUntil !== null && r.shelvedUntil !== undefined ? { shelvedUntil: r.shelvedUntil } : {}),
    ...(r.user ? { user: r.user } : {}),
    ...(r.firstOut === true ? { firstOut: true } : {}),
  };
  return e as JournalEntry;
}
