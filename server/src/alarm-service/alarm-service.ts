import type { AckResult, AlarmAckRequest, AlarmEscalationEvent, AlarmEvent, AlarmFloodEvent, AlarmShelveRequest, DataMessage, StatusMessage } from '@park/protocol';
import type { Logger } from '../log.js';
import type { ActionErrorCode, AlarmEngine, AlarmSlot, AlarmTransition, ActionResult } from '../alarms/engine.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Identity } from '../http/auth-routes.js';
import type { AlarmJournal } from './alarm-journal.js';
import type { EscalationNotifier } from './escalation-notifier.js';

/**
 * Puts the pure alarm engine to work: readings and gateway states in, a
 * tick every second (delays, stale, shelving expiry, escalation, floods),
 * operator actions with their audit entries; every transition journalled
 * first and then announced.
 *
 * Replayed readings (from a gateway's outbox after an outage) are history:
 * they are stored but not evaluated, so nobody is asked to acknowledge an
 * alarm about the past; the gateway-offline alarm covered the outage.
 */
/** The acknowledgement callback's result, with the engine's reason code for HTTP status mapping. */
export type ActionOutcome = AckResult | { ok: false; error: string; code: ActionErrorCode };

export interface AlarmAnnouncer {
  alarm(event: AlarmEvent): void;
  escalation(event: AlarmEscalationEvent): void;
  flood(event: AlarmFloodEvent): void;
}

export interface AlarmServiceOptions {
  engine: AlarmEngine;
  journal: AlarmJournal;
  audit: AuditLog;
  log: Logger;
  /** How far back the journal is read to rebuild active alarms at start. */
  restoreWindowMs: number;
  /** Pages commanders outside the display (webhook), when configured. */
  notifier?: EscalationNotifier;
  /** The site (area) of an alarm. */
  areaOf: (alarmId: string) => string | undefined;
  /**
   * Called with the active alarms once after restore, then after transitions:
   * once per turn of the event loop however many batches it held.
   */
  afterChange?: (active: readonly AlarmEvent[], nowMs: number) => void;
  tickMs?: number;
}

export class AlarmService {
  private timer: NodeJS.Timeout | undefined;
  private changed: NodeJS.Immediate | undefined;
  private announcer: AlarmAnnouncer | undefined;
  /** Floods going on, by area: for the snapshot of a display that connects mid-flood. */
  private readonly floods = new Map<string, AlarmFloodEvent>();
  /** Escalations whose alarm still waits for acknowledgement. */
  private readonly escalations = new Map<string, AlarmEscalationEvent>();

  constructor(private readonly o: AlarmServiceOptions) {}

  /** The event as displays get it: with its site. */
  private withArea(e: AlarmEvent): AlarmEvent {
    const area = this.o.areaOf(e.id);
    return area ? { ...e, area } : e;
  }

  /** Rebuilds active alarms from the journal (announcing nothing), then starts the clock. */
  async start(): Promise<void> {
    const since = Date.now() - this.o.restoreWindowMs;
    try {
      const events = await this.o.journal.latest(since);
      const escalations = await this.o.journal.escalations(since);
      const latestById = new Map(events.map((e) => [e.id, e]));
      // Escalated during the alarm's current raise: do not page commanders again.
      const escalated = escalations.filter((x) => x.annunciatedAt >= (latestById.get(x.alarmId)?.raisedAt ?? Infinity)).map((x) => x.alarmId);
      const report = this.o.engine.restore(events, { escalated });
      this.o.log.info({ restored: report.restored, active: this.o.engine.active().length, unknown: report.unknown.length, invalid: report.invalid }, 'alarms restored from the journal');
    } catch (err) {
      // A duplicate notification later beats a lost alarm: start from the live data.
      this.o.log.error({ err: (err as Error).message }, 'alarm journal unreadable; active alarms will be raised again from live data');
    }
    this.o.afterChange?.(this.active(), Date.now());
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 1000);
  }

  /** Where announcements go (the Socket.IO hub); set once it exists. */
  announceTo(announcer: AlarmAnnouncer): void {
    this.announcer = announcer;
  }

  /** `slots`: the ingest's per-tag record of each reading, so the engine needs no lookup (see `AlarmSlot`). */
  onData(msg: DataMessage, slots?: readonly (AlarmSlot | undefined)[]): void {
    if (msg.replay) return;
    const now = Date.now();
    const readings = msg.readings;
    for (let i = 0; i < readings.length; i++) {
      const t = this.o.engine.onReading(readings[i] as DataMessage['readings'][number], now, false, slots?.[i]);
      if (t.length > 0) this.handle(t);
    }
  }

  onGatewayStatus(status: StatusMessage): void {
    const t = this.o.engine.onGatewayStatus(status.gateway, status.state === 'online', Date.now());
    if (t.length > 0) this.handle(t);
  }

  private tick(): void {
    const r = this.o.engine.tick(Date.now());
    if (r.transitions.length > 0) this.handle(r.transitions);
    for (const x of r.escalations) {
      this.o.journal.recordEscalation(x);
      this.o.log.warn({ alarm: x.event.id, unackedForS: Math.round(x.unackedForMs / 1000) }, 'critical alarm unacknowledged: escalated to commanders');
      const event = { alarm: this.withArea(x.event), ts: x.ts, unackedForMs: x.unackedForMs };
      this.escalations.set(x.event.id, event);
      this.announcer?.escalation(event);
      this.o.notifier?.notify(event);
    }
    for (const f of r.floods) {
      this.o.journal.recordFlood(f);
      this.o.log.warn({ area: f.area, type: f.type, count: f.count }, f.type === 'flood-start' ? 'alarm flood' : 'alarm flood over');
      const event: AlarmFloodEvent = { type: f.type, area: f.area, ts: f.ts, count: f.count, startedAt: f.startedAt, peak: f.peak };
      if (f.type === 'flood-start') this.floods.set(f.area, event);
      else this.floods.delete(f.area);
      this.announcer?.flood(event);
    }
  }

  private handle(transitions: readonly AlarmTransition[]): void {
    for (const t of transitions) {
      if (t.event.state !== 'unack' && t.event.state !== 'rtn-unack') this.escalations.delete(t.event.id);
      this.o.journal.record(t);
      this.announcer?.alarm(this.withArea(t.event));
    }
    if (transitions.length > 0) this.afterChange();
  }

  /**
   * `afterChange` walks every active alarm, so it must not run per
   * transition: a wave of instrument faults (5,000 tags turning bad in one
   * poll) would make ingest quadratic, and the server would answer no PUBACK
   * and no Socket.IO ping for over a minute while alarms of other tags wait
   * behind it. Once per turn of the event loop instead: it still runs before
   * the next request is read, so a request that follows an acknowledgement
   * sees its effect.
   */
  private afterChange(): void {
    if (this.o.afterChange === undefined || this.changed !== undefined) return;
    this.changed = setImmediate(() => {
      this.changed = undefined;
      this.o.afterChange?.(this.active(), Date.now());
    });
  }

  active(): AlarmEvent[] {
    return this.o.engine.active().map((e) => this.withArea(e));
  }

  activeFloods(): AlarmFloodEvent[] {
    return [...this.floods.values()];
  }

  openEscalations(): AlarmEscalationEvent[] {
    return [...this.escalations.values()];
  }

  unshelve(who: Identity, id: string, comment: string | undefined): ActionOutcome {
    return this.act('alarm-unshelve', who, id, comment ?? '', () => this.o.engine.unshelve(id, who.user, comment, Date.now()));
  }

  ack(who: Identity, req: AlarmAckRequest): ActionOutcome {
    return this.act('alarm-ack', who, req.id, req.comment ?? '', () => this.o.engine.ack(req.id, who.user, req.comment, Date.now()));
  }

  shelve(who: Identity, req: AlarmShelveRequest): ActionOutcome {
    return this.act('alarm-shelve', who, req.id, `${req.minutes} min: ${req.reason}`, () => this.o.engine.shelve(req.id, who.user, req.minutes, req.reason, Date.now()));
  }

  /** Runs an operator action, journals and announces its transitions, and audits it either way. */
  private act(action: string, who: Identity, alarmId: string, detail: string, run: () => ActionResult): ActionOutcome {
    const r = run();
    const from = who.address ? ` (from ${who.address})` : '';
    this.o.audit.record({ action, user: who.user, target: alarmId, ok: r.ok, detail: r.ok ? `${detail}${from}` : `${detail}${from} — refused: ${r.error}` });
    if (!r.ok) return { ok: false, error: r.error, code: r.code };
    this.handle(r.transitions);
    return { ok: true };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.changed) clearImmediate(this.changed);
    this.o.notifier?.stop();
    await this.o.journal.drain();
    this.o.journal.close();
  }
}
