import type { AlarmEvent, IncidentChangeEvent, Quality } from '@park/protocol';
import type { Logger } from '../log.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Identity } from '../http/auth-routes.js';
import { valveState, type EmergencyCard, type ValvePosition } from './cards.js';
import type { CardBook } from './card-book.js';
import { StrictClock, type EmergencyJournal, type EmergencyPoint } from './emergency-journal.js';

/**
 * The incident record: opened from an alarm (by a person, or by itself when
 * a card with `autoOpen` matches a new raise) or by hand with a card; then a
 * timeline of the alarm transitions of the installation, valve position
 * changes of the card's valves, steps ticked (user and time) and notes,
 * until it is closed. Every record is written to the journal (`incident`,
 * `incident_event`, see emergency-journal.ts) and every action by a person
 * goes to the audit trail, refused or not. `restore` rebuilds the record
 * from the journal at start.
 *
 * Time stamps: every timeline entry's `ts` is when the server recorded it
 * (strictly rising per incident); an alarm entry also carries the alarm
 * transition's own time in `alarmTs`.
 */

/** Who acts when the server opens an incident by itself. */
export const SYSTEM_USER = 'system';
/** Notes, close summaries and step comments: at most this many characters. */
export const TEXT_MAX = 2000;

export type TimelineType = 'opened' | 'alarm' | 'valve' | 'step' | 'note' | 'closed';

export interface TimelineEntry {
  ts: number;
  type: TimelineType;
  /** Who did it; absent for what the plant did (alarm transitions, valve moves). */
  user?: string;
  text: string;
  alarmId?: string;
  alarmTs?: number;
  /** Alarm state after the transition. */
  state?: string;
  seq?: number;
  done?: boolean;
  tagId?: string;
  valve?: string;
  position?: ValvePosition;
}

export interface IncidentStep {
  seq: number;
  done: boolean;
  doneAt?: number;
  doneBy?: string;
}

export interface Incident {
  id: string;
  state: 'open' | 'closed';
  cardId: string;
  cardVersion: number;
  hazardSource: string;
  /** The alarm it was opened from. */
  alarmId?: string;
  openedAt: number;
  openedBy: string;
  closedAt?: number;
  closedBy?: string;
  steps: IncidentStep[];
  timeline: TimelineEntry[];
}

export type IncidentResult<T> = { ok: true; value: T } | { ok: false; status: 400 | 404 | 409; error: string; incidentId?: string };

export interface IncidentBookOptions {
  cards: CardBook;
  journal: EmergencyJournal;
  audit: Pick<AuditLog, 'record'>;
  log: Logger;
  /** The park model's hazard source of a tag. */
  hazardSourceOf: (tagId: string) => string | undefined;
  /** The latest reading of a tag (the live value table). */
  read: (tagId: string) => { v: number; q: Quality; ts: number } | undefined;
  /** Incident ids; default `inc-YYYYMMDD-HHMMSS-xxxx` (UTC, random suffix). */
  newId?: (nowMs: number) => string;
}

export class IncidentBook {
  private readonly incidents = new Map<string, Incident>();
  private readonly clock = new StrictClock();
  /** Last known position of each valve of each open incident: `${incidentId}\u0000${valveId}`. */
  private readonly valvePositions = new Map<string, ValvePosition>();
  private readonly listeners = new Set<(e: IncidentChangeEvent) => void>();

  constructor(private readonly o: IncidentBookOptions) {}

  /** Calls `listener` when an incident is opened, a step ticked or un-ticked, a note added, or it is closed; returns the unsubscribe. */
  onChange(listener: (e: IncidentChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private announce(inc: Incident, type: IncidentChangeEvent['type']): void {
    if (this.listeners.size === 0) return;
    const entry = [...inc.timeline].reverse().find((e) => e.type === type);
    const event: IncidentChangeEvent = {
      type,
      incidentId: inc.id,
      state: inc.state,
      cardId: inc.cardId,
      cardVersion: inc.cardVersion,
      hazardSource: inc.hazardSource,
      ts: entry?.ts ?? Date.now(),
      ...(entry?.user !== undefined ? { user: entry.user } : {}),
      text: entry?.text ?? '',
      ...(entry?.seq !== undefined ? { seq: entry.seq } : {}),
      ...(entry?.done !== undefined ? { done: entry.done } : {}),
      stepsDone: inc.steps.filter((st) => st.done).length,
      stepCount: inc.steps.length,
    };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.o.log.warn({ incident: inc.id, err: (err as Error).message }, 'incident change listener failed');
      }
    }
  }

  /** Rebuilds incidents recorded since `sinceMs` from the journal. Throws when the journal cannot be read. */
  async restore(sinceMs: number): Promise<{ incidents: number; open: number }> {
    for (const p of await this.o.journal.read('incident', sinceMs)) this.applyIncidentPoint(p);
    for (const p of await this.o.journal.read('incident_event', sinceMs)) this.applyEventPoint(p);
    for (const inc of this.incidents.values()) {
      inc.timeline.sort((a, b) => a.ts - b.ts);
      if (inc.state === 'open') this.primeValves(inc);
    }
    return { incidents: this.incidents.size, open: this.open().length };
  }

  list(): Incident[] {
    return [...this.incidents.values()].sort((a, b) => b.openedAt - a.openedAt).map((i) => structuredClone(i));
  }

  open(): Incident[] {
    return this.list().filter((i) => i.state === 'open');
  }

  get(id: string): Incident | undefined {
    const i = this.incidents.get(id);
    return i ? structuredClone(i) : undefined;
  }

  /** Opens an incident with a card: the one given, else the best card for the alarm. */
  openIncident(who: Identity, req: { cardId?: string | undefined; alarmId?: string | undefined; note?: string | undefined }, nowMs = Date.now()): IncidentResult<Incident> {
    const target = req.cardId ?? req.alarmId ?? '';
    const refuse = (status: 400 | 404 | 409, error: string, incidentId?: string): IncidentResult<Incident> => {
      this.o.audit.record({ action: 'incident-open', user: who.user, target, ok: false, detail: error });
      return { ok: false, status, error, ...(incidentId !== undefined ? { incidentId } : {}) };
    };
    let card: EmergencyCard | undefined;
    if (req.cardId !== undefined) {
      card = this.o.cards.get(req.cardId);
      if (!card) return refuse(404, `no card "${req.cardId}"`);
    } else if (req.alarmId !== undefined) {
      card = this.o.cards.match(req.alarmId, this.o.hazardSourceOf)[0]?.card;
      if (!card) return refuse(409, `no card matches alarm "${req.alarmId}": give cardId`);
    } else return refuse(400, 'give cardId or alarmId');
    const already = [...this.incidents.values()].find((i) => i.state === 'open' && i.cardId === card.card.id);
    if (already) return refuse(409, `incident ${already.id} is already open with card "${card.card.id}"`, already.id);
    const inc = this.create(card, who.user, req.alarmId, nowMs);
    if (req.note !== undefined && req.note !== '') this.addEntry(inc, { type: 'note', user: who.user, text: req.note }, nowMs);
    this.o.audit.record({ action: 'incident-open', user: who.user, target: inc.id, ok: true, detail: `card ${card.card.id} v${card.card.version}${req.alarmId ? ` from alarm ${req.alarmId}` : ''}${who.address ? ` from ${who.address}` : ''}` });
    this.announce(inc, 'opened');
    return { ok: true, value: structuredClone(inc) };
  }

  /** Ticks (or, with `done: false`, un-ticks) step `seq`. */
  tickStep(who: Identity, id: string, seq: number, req: { done: boolean; comment?: string | undefined }, nowMs = Date.now()): IncidentResult<Incident> {
    const refuse = (status: 400 | 404 | 409, error: string): IncidentResult<Incident> => {
      this.o.audit.record({ action: 'incident-step', user: who.user, target: `${id}#${seq}`, ok: false, detail: error });
      return { ok: false, status, error };
    };
    const inc = this.incidents.get(id);
    if (!inc) return refuse(404, `no incident "${id}"`);
    if (inc.state !== 'open') return refuse(409, `incident ${id} is closed`);
    const step = inc.steps.find((s) => s.seq === seq);
    if (!step) return refuse(404, `incident ${id} has steps 1 to ${inc.steps.length}, not ${seq}`);
    if (step.done === req.done) return refuse(409, `step ${seq} is already ${req.done ? `done (by ${step.doneBy ?? '?'})` : 'not done'}`);
    const card = this.o.cards.get(inc.cardId, inc.cardVersion);
    const action = card?.steps[seq - 1]?.action.zh;
    const text = `${req.done ? '完成' : '撤销'} 步骤 ${seq}${action ? `：${action}` : ''}${req.comment ? ` — ${req.comment}` : ''}`;
    this.addEntry(inc, { type: 'step', user: who.user, seq, done: req.done, text }, nowMs);
    this.o.audit.record({ action: 'incident-step', user: who.user, target: `${id}#${seq}`, ok: true, detail: req.done ? 'done' : 'undone' });
    this.announce(inc, 'step');
    return { ok: true, value: structuredClone(inc) };
  }

  addNote(who: Identity, id: string, note: string, nowMs = Date.now()): IncidentResult<Incident> {
    const inc = this.incidents.get(id);
    const refuse = (status: 404 | 409, error: string): IncidentResult<Incident> => {
      this.o.audit.record({ action: 'incident-note', user: who.user, target: id, ok: false, detail: error });
      return { ok: false, status, error };
    };
    if (!inc) return refuse(404, `no incident "${id}"`);
    if (inc.state !== 'open') return refuse(409, `incident ${id} is closed`);
    this.addEntry(inc, { type: 'note', user: who.user, text: note }, nowMs);
    this.o.audit.record({ action: 'incident-note', user: who.user, target: id, ok: true, detail: note.slice(0, 200) });
    this.announce(inc, 'note');
    return { ok: true, value: structuredClone(inc) };
  }

  close(who: Identity, id: string, summary: string | undefined, nowMs = Date.now()): IncidentResult<Incident> {
    const inc = this.incidents.get(id);
    const refuse = (status: 404 | 409, error: string): IncidentResult<Incident> => {
      this.o.audit.record({ action: 'incident-close', user: who.user, target: id, ok: false, detail: error });
      return { ok: false, status, error };
    };
    if (!inc) return refuse(404, `no incident "${id}"`);
    if (inc.state !== 'open') return refuse(409, `incident ${id} is already closed (by ${inc.closedBy ?? '?'})`);
    const ts = this.addEntry(inc, { type: 'closed', user: who.user, text: summary ?? '' }, nowMs);
    inc.state = 'closed';
    inc.closedAt = ts;
    inc.closedBy = who.user;
    this.writeIncident(inc, ts + 1);
    for (const key of [...this.valvePositions.keys()]) if (key.startsWith(`${id}\u0000`)) this.valvePositions.delete(key);
    const open = inc.steps.filter((s) => !s.done).map((s) => s.seq);
    this.o.audit.record({ action: 'incident-close', user: who.user, target: id, ok: true, detail: open.length > 0 ? `closed with steps ${open.join(', ')} not done` : 'all steps done' });
    this.announce(inc, 'closed');
    return { ok: true, value: structuredClone(inc) };
  }

  /**
   * Feed every alarm transition here (after it is journalled). It is added
   * to the open incidents of the alarm's installation; a new raise that a
   * card with `autoOpen` matches opens an incident when that card has none open.
   */
  onAlarm(e: AlarmEvent, nowMs = Date.now()): void {
    const hs = this.o.hazardSourceOf(e.tagId);
    for (const inc of this.incidents.values()) {
      if (inc.state !== 'open' || (inc.hazardSource !== hs && inc.alarmId !== e.id)) continue;
      const by = e.state === 'acked' && e.ackedBy ? ` (${e.ackedBy})` : '';
      // An acknowledgement is a person's act: the entry names them.
      this.addEntry(inc, { type: 'alarm', ...(by ? { user: e.ackedBy } : {}), alarmId: e.id, alarmTs: e.ts, state: e.state, text: `${e.message} → ${e.state}${by}` }, nowMs);
    }
    if (e.state !== 'unack' || e.ts !== e.raisedAt) return;
    const match = this.o.cards.match(e.id, this.o.hazardSourceOf).find((m) => m.reason !== 'hazard-source' && m.card.card.autoOpen);
    if (!match) return;
    if ([...this.incidents.values()].some((i) => i.state === 'open' && i.cardId === match.card.card.id)) return;
    const inc = this.create(match.card, SYSTEM_USER, e.id, nowMs);
    this.addEntry(inc, { type: 'alarm', alarmId: e.id, alarmTs: e.ts, state: e.state, text: `${e.message} → ${e.state}` }, nowMs);
    this.o.audit.record({ action: 'incident-open', user: SYSTEM_USER, target: inc.id, ok: true, detail: `card ${match.card.card.id} v${match.card.card.version} opened by alarm ${e.id}` });
    this.o.log.warn({ incident: inc.id, card: match.card.card.id, alarm: e.id }, 'incident opened by alarm');
    this.announce(inc, 'opened');
  }

  /**
   * Feed tag ids whose live value changed (after the live value table took
   * them): a change of position of an open incident's card valve goes to its timeline.
   */
  onValues(tagIds: Iterable<string>, nowMs = Date.now()): void {
    const changed = new Set(tagIds);
    if (changed.size === 0) return;
    for (const inc of this.incidents.values()) {
      if (inc.state !== 'open') continue;
      const card = this.o.cards.get(inc.cardId, inc.cardVersion);
      for (const valve of card?.valves ?? []) {
        if (!changed.has(valve.openTag) && (valve.closedTag === undefined || !changed.has(valve.closedTag))) continue;
        const state = valveState(valve, this.o.read);
        const key = `${inc.id}\u0000${valve.id}`;
        if (this.valvePositions.get(key) === state.position) continue;
        this.valvePositions.set(key, state.position);
        this.addEntry(inc, { type: 'valve', valve: valve.id, tagId: valve.openTag, position: state.position, text: `${valve.name.zh} → ${state.position}` }, nowMs);
      }
    }
  }

  private create(card: EmergencyCard, user: string, alarmId: string | undefined, nowMs: number): Incident {
    let id = (this.o.newId ?? defaultIncidentId)(nowMs);
    while (this.incidents.has(id)) id = (this.o.newId ?? defaultIncidentId)(nowMs);
    const ts = this.clock.next(id, nowMs);
    const inc: Incident = {
      id,
      state: 'open',
      cardId: card.card.id,
      cardVersion: card.card.version,
      hazardSource: card.card.hazardSource,
      ...(alarmId !== undefined ? { alarmId } : {}),
      openedAt: ts,
      openedBy: user,
      steps: card.steps.map((s) => ({ seq: s.seq, done: false })),
      timeline: [],
    };
    this.incidents.set(id, inc);
    this.writeIncident(inc, ts);
    this.addEntry(inc, { type: 'opened', user, text: `${card.card.title.zh} v${card.card.version}${alarmId ? ` (${alarmId})` : ''}` }, nowMs);
    this.primeValves(inc);
    return inc;
  }

  /** Remembers the valves' current positions, so only later moves are recorded. */
  private primeValves(inc: Incident): void {
    const card = this.o.cards.get(inc.cardId, inc.cardVersion);
    for (const valve of card?.valves ?? []) this.valvePositions.set(`${inc.id}\u0000${valve.id}`, valveState(valve, this.o.read).position);
  }

  private addEntry(inc: Incident, entry: Omit<TimelineEntry, 'ts'>, nowMs: number): number {
    const ts = this.clock.next(inc.id, nowMs);
    const e: TimelineEntry = { ts, ...entry };
    inc.timeline.push(e);
    if (e.type === 'step' && e.seq !== undefined) this.applyStep(inc, e);
    const fields: EmergencyPoint['fields'] = { text: e.text };
    if (e.user !== undefined) fields['user'] = e.user;
    for (const k of ['alarmId', 'alarmTs', 'state', 'seq', 'done', 'tagId', 'valve', 'position'] as const) {
      const v = e[k];
      if (v !== undefined) fields[k] = v;
    }
    this.o.journal.write({ measurement: 'incident_event', tags: { incidentId: inc.id, type: e.type }, fields, ts });
    return ts;
  }

  private applyStep(inc: Incident, e: TimelineEntry): void {
    const step = inc.steps.find((s) => s.seq === e.seq);
    if (!step) return;
    step.done = e.done === true;
    if (step.done) {
      step.doneAt = e.ts;
      if (e.user !== undefined) step.doneBy = e.user;
    } else {
      delete step.doneAt;
      delete step.doneBy;
    }
  }

  private writeIncident(inc: Incident, ts: number): void {
    const fields: EmergencyPoint['fields'] = { state: inc.state, cardId: inc.cardId, cardVersion: inc.cardVersion, hazardSource: inc.hazardSource, stepCount: inc.steps.length, openedAt: inc.openedAt, openedBy: inc.openedBy };
    if (inc.alarmId !== undefined) fields['alarmId'] = inc.alarmId;
    if (inc.closedAt !== undefined) fields['closedAt'] = inc.closedAt;
    if (inc.closedBy !== undefined) fields['closedBy'] = inc.closedBy;
    this.clock.seen(inc.id, ts);
    this.o.journal.write({ measurement: 'incident', tags: { incidentId: inc.id }, fields, ts });
  }

  private applyIncidentPoint(p: EmergencyPoint): void {
    const id = p.tags['incidentId'];
    const f = p.fields;
    if (id === undefined || typeof f['cardId'] !== 'string' || typeof f['openedAt'] !== 'number') return;
    this.clock.seen(id, p.ts);
    const stepCount = typeof f['stepCount'] === 'number' ? f['stepCount'] : 0;
    const prev = this.incidents.get(id);
    const inc: Incident = {
      id,
      state: f['state'] === 'closed' ? 'closed' : 'open',
      cardId: f['cardId'],
      cardVersion: typeof f['cardVersion'] === 'number' ? f['cardVersion'] : 1,
      hazardSource: typeof f['hazardSource'] === 'string' ? f['hazardSource'] : '',
      ...(typeof f['alarmId'] === 'string' ? { alarmId: f['alarmId'] } : {}),
      openedAt: f['openedAt'],
      openedBy: typeof f['openedBy'] === 'string' ? f['openedBy'] : '?',
      ...(typeof f['closedAt'] === 'number' ? { closedAt: f['closedAt'] } : {}),
      ...(typeof f['closedBy'] === 'string' ? { closedBy: f['closedBy'] } : {}),
      steps: prev?.steps ?? Array.from({ length: stepCount }, (_, i) => ({ seq: i + 1, done: false })),
      timeline: prev?.timeline ?? [],
    };
    this.incidents.set(id, inc);
  }

  private applyEventPoint(p: EmergencyPoint): void {
    const inc = this.incidents.get(p.tags['incidentId'] ?? '');
    const type = p.tags['type'] as TimelineType | undefined;
    if (!inc || type === undefined) return;
    this.clock.seen(inc.id, p.ts);
    const f = p.fields;
    const e: TimelineEntry = { ts: p.ts, type, text: typeof f['text'] === 'string' ? f['text'] : '' };
    if (typeof f['user'] === 'string') e.user = f['user'];
    if (typeof f['alarmId'] === 'string') e.alarmId = f['alarmId'];
    if (typeof f['alarmTs'] === 'number') e.alarmTs = f['alarmTs'];
    if (typeof f['state'] === 'string') e.state = f['state'];
    if (typeof f['seq'] === 'number') e.seq = f['seq'];
    if (typeof f['done'] === 'boolean') e.done = f['done'];
    if (typeof f['tagId'] === 'string') e.tagId = f['tagId'];
    if (typeof f['valve'] === 'string') e.valve = f['valve'];
    if (typeof f['position'] === 'string') e.position = f['position'] as ValvePosition;
    inc.timeline.push(e);
    if (type === 'step') this.applyStep(inc, e);
  }
}

function defaultIncidentId(nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `inc-${stamp}-${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`;
}
