import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import {
  validateAlarmAckRequest,
  validateAlarmShelveRequest,
  type AckResult,
  type AlarmAckRequest,
  type AlarmEscalationEvent,
  type AlarmEvent,
  type AlarmFloodEvent,
  type AlarmShelveRequest,
  type ClientToServerEvents,
  type EscalationDuty,
  type EscalationStepEvent,
  type IncidentChangeEvent,
  type GatewayStatusEvent,
  type LiveReading,
  type ParkServerToClientEvents,
  type RiskWarningEvent,
  type Role,
} from '@park/protocol';
import type { Logger } from '../log.js';
import type { Catalogue } from '../catalogue.js';
import type { ChangedEntries, LiveEntry, LiveValues } from '../live-values.js';
import type { Gateways } from '../gateways.js';
import { identify, type AuthContext, type Identity } from '../http/auth-routes.js';
import { can } from '../auth/permissions.js';
import { ESCALATION_DUTIES } from '../alarm-service/escalation-chain.js';

export interface AlarmActions {
  active(): AlarmEvent[];
  activeFloods(): AlarmFloodEvent[];
  openEscalations(): AlarmEscalationEvent[];
  ack(who: Identity, req: AlarmAckRequest): AckResult;
  shelve(who: Identity, req: AlarmShelveRequest): AckResult;
}

export interface SocketHubDeps {
  auth: AuthContext;
  catalogue: Catalogue;
  live: LiveValues;
  gateways: Gateways;
  alarms: AlarmActions;
  log: Logger;
  /** The risk early-warning colour of every installation. */
  risks: () => RiskWarningEvent[];
  /** The site (flood area) of an alarm, for per-site subscriptions. */
  alarmSite: (alarmId: string) => string | undefined;
  /** The hazard source of an alarm, for per-installation subscriptions. */
  alarmHazardSource: (alarmId: string) => string | undefined;
  /** How often changed values are pushed (coalesced per tag in between). */
  valuesIntervalMs?: number;
}

/** Every display that did not ask for particular sites. */
const ALL_ROOM = 'all';
/** Commanders (and admins): where escalations go. */
const COMMANDERS_ROOM = 'commanders';
const siteRoom = (site: string): string => `site:${site}`;
/** Escalation chain steps go to the room of their duty (docs/emergency.md "Escalation chain"). */
const dutyRoom = (duty: EscalationDuty): string => `duty:${duty}`;

/**
 * The duties a display takes: operators the operator's, commanders and
 * admins the commander's; a shift leader (a post, not a role) asks with
 * `auth: { duty: ['shift-leader'] }`. Only roles that may acknowledge
 * alarms can take a duty.
 */
function dutiesOf(auth: unknown, role: Role): EscalationDuty[] | { error: string } {
  const asked = (auth ?? {}) as { duty?: unknown };
  const out = new Set<EscalationDuty>();
  if (role === 'operator') out.add('operator');
  if (role === 'commander' || role === 'admin') out.add('commander');
  if (asked.duty === undefined) return [...out];
  const known = ESCALATION_DUTIES as readonly string[];
  if (!Array.isArray(asked.duty) || asked.duty.length === 0 || !asked.duty.every((x) => typeof x === 'string' && known.includes(x))) return { error: `duty: expected a list of duties (${known.join(', ')})` };
  if (!can(role, 'ack')) return { error: `duty: role "${role}" may not take an escalation duty` };
  for (const x of asked.duty as EscalationDuty[]) out.add(x);
  return [...out];
}
const hazardSourceRoom = (hs: string): string => `hs:${hs}`;

/** Reads `auth.sites` / `auth.hazardSources`: lists of known ids, or an error naming the valid ones. */
function scopeOf(auth: unknown, park: { sites: { id: string; hazardSources: { id: string }[] }[] }): Scope | undefined | { error: string } {
  const a = (auth ?? {}) as { sites?: unknown; hazardSources?: unknown };
  if (a.sites === undefined && a.hazardSources === undefined) return undefined;
  const list = (value: unknown, known: string[], name: string): Set<string> | { error: string } => {
    if (value === undefined) return new Set();
    if (!Array.isArray(value) || value.length === 0 || !value.every((x) => typeof x === 'string' && known.includes(x))) return { error: `${name}: expected a list of ${name === 'sites' ? 'site' : 'hazard source'} ids (${known.join(', ')})` };
    return new Set(value as string[]);
  };
  const sites = list(a.sites, park.sites.map((x) => x.id), 'sites');
  if ('error' in sites) return sites;
  const hazardSources = list(a.hazardSources, park.sites.flatMap((x) => x.hazardSources.map((h) => h.id)), 'hazardSources');
  if ('error' in hazardSources) return hazardSources;
  return { sites, hazardSources };
}

interface SocketData {
  identity: Identity;
  /** The escalation duties whose steps this display receives. */
  duties?: EscalationDuty[];
  /** What this display watches; undefined: all of the park. */
  scope?: Scope;
}

/** A display's subscription: some sites and/or some hazard sources (major hazard installations). */
interface Scope {
  sites: Set<string>;
  hazardSources: Set<string>;
}

/** Readings per `values` message; a larger push is sent in several, one per turn of the event loop. */
const VALUES_CHUNK = 2000;

/**
 * Socket.IO for displays: a `snapshot` on connect, then `values` batches,
 * `alarm` and `gateway` events. Only logged-in users connect (session
 * cookie, or a bearer token in `auth.token`); acknowledging and shelving
 * check the role on every request.
 */
export class SocketHub {
  readonly io: Server<ClientToServerEvents, ParkServerToClientEvents, Record<string, never>, SocketData>;
  private readonly timer: NodeJS.Timeout;
  private readonly valuePushes: { ts: number; list: ChangedEntries; offset: number }[] = [];
  private sendingValues = false;
  /** Room names of sites and installations, made once each rather than once per reading. */
  private readonly roomNames = { site: new Map<string, string>(), hs: new Map<string, string>() };

  constructor(httpServer: HttpServer, private readonly d: SocketHubDeps) {
    this.io = new Server(httpServer, { path: '/socket.io/', serveClient: false, maxHttpBufferSize: 64 * 1024 });
    this.io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const who = identify(d.auth, { cookie: socket.handshake.headers.cookie, authorization: typeof token === 'string' ? `Bearer ${token}` : undefined });
      if (!who) return next(new Error('not logged in'));
      socket.data.identity = { ...who, address: socket.handshake.address };
      // A display may watch some sites or installations only: `auth: { sites: ['a'] }`, `auth: { hazardSources: ['hs01'] }`.
      const scope = scopeOf(socket.handshake.auth, d.catalogue.park);
      if (scope && 'error' in scope) return next(new Error(scope.error));
      if (scope) socket.data.scope = scope;
      const duties = dutiesOf(socket.handshake.auth, who.role);
      if ('error' in duties) return next(new Error(duties.error));
      socket.data.duties = duties;
      next();
    });
    this.io.on('connection', (socket) => {
      const scope = socket.data.scope;
      void socket.join(scope ? [...[...scope.sites].map(siteRoom), ...[...scope.hazardSources].map(hazardSourceRoom)] : [ALL_ROOM]);
      if (socket.data.identity.role === 'commander' || socket.data.identity.role === 'admin') void socket.join(COMMANDERS_ROOM);
      if (socket.data.duties && socket.data.duties.length > 0) void socket.join(socket.data.duties.map(dutyRoom));
      const inScope = (site: string | undefined, hs: string | undefined): boolean => !scope || (site !== undefined && scope.sites.has(site)) || (hs !== undefined && scope.hazardSources.has(hs));
      const tags = d.catalogue.list().filter((t) => inScope(t.site, t.hazardSource));
      const tagIds = new Set(tags.map((t) => t.id));
      socket.emit('snapshot', {
        ts: Date.now(),
        park: d.catalogue.park,
        tags,
        values: d.live.all().filter((v) => tagIds.has(v.id)),
        alarms: d.alarms.active().filter((a) => inScope(d.alarmSite(a.id), d.alarmHazardSource(a.id))),
        floods: d.alarms.activeFloods().filter((f) => inScope(f.area, undefined)),
        escalations: ['commander', 'admin'].includes(socket.data.identity.role) ? d.alarms.openEscalations() : [],
        risks: d.risks().filter((r) => inScope(r.site, r.hazardSource)),
        gateways: d.gateways.list(),
      });
      socket.on('alarm:ack', (raw, callback) => {
        if (typeof callback !== 'function') return;
        const who = socket.data.identity;
        if (!can(who.role, 'ack')) return callback({ ok: false, error: `role "${who.role}" may not acknowledge alarms` });
        const req = validateAlarmAckRequest(raw);
        callback(req.ok ? d.alarms.ack(who, req.value) : { ok: false, error: req.reason });
      });
      socket.on('alarm:shelve', (raw, callback) => {
        if (typeof callback !== 'function') return;
        const who = socket.data.identity;
        if (!can(who.role, 'shelve')) return callback({ ok: false, error: `role "${who.role}" may not shelve alarms` });
        const req = validateAlarmShelveRequest(raw);
        callback(req.ok ? d.alarms.shelve(who, req.value) : { ok: false, error: req.reason });
      });
    });
    this.timer = setInterval(() => this.pushValues(), d.valuesIntervalMs ?? 250);
  }

  /**
   * Every `valuesIntervalMs`, the tags changed since the last push go out
   * as `values`, VALUES_CHUNK readings per message and one message per turn
   * of the event loop: at 100,000 tags/s a push is 25,000 readings, and
   * copying, routing and encoding them in one piece held the event loop
   * (and any alarm arriving meanwhile) for tens of milliseconds. Between
   * slices the alarm goes first. Slices stay in order; each carries the
   * latest value of its tags when it is sent.
   */
  private pushValues(): void {
    const list = this.d.live.takeChangedEntries();
    if (list.count === 0 || this.io.engine.clientsCount === 0) {
      this.d.live.giveBack(list);
      return;
    }
    this.valuePushes.push({ ts: Date.now(), list, offset: 0 });
    if (!this.sendingValues) {
      this.sendingValues = true;
      setImmediate(() => this.sendValueSlice());
    }
  }

  private sendValueSlice(): void {
    const push = this.valuePushes[0];
    if (push === undefined) {
      this.sendingValues = false;
      return;
    }
    const end = Math.min(push.offset + VALUES_CHUNK, push.list.count);
    this.emitValues(push.ts, push.list.entries, push.offset, end);
    push.offset = end;
    if (push.offset >= push.list.count) {
      this.valuePushes.shift();
      this.d.live.giveBack(push.list);
    }
    if (this.valuePushes.length > 0) setImmediate(() => this.sendValueSlice());
    else this.sendingValues = false;
  }

  /**
   * Sends `entries[from..to)` to the rooms that want them. A reading is
   * copied only when some room takes it: a display scoped to one site must
   * not cost a copy of every reading of the park (at 100,000 readings a
   * second those copies were most of what the server allocated).
   */
  private emitValues(ts: number, entries: readonly LiveEntry[], from: number, to: number): void {
    if (to <= from) return;
    const rooms = this.io.sockets.adapter.rooms;
    const live = this.d.live;
    // Socket.IO encodes a broadcast before it looks who is in the room: an empty room still costs a full encode.
    const toAll = rooms.has(ALL_ROOM);
    let copies: LiveReading[] | undefined;
    if (toAll) {
      copies = new Array<LiveReading>(to - from);
      for (let i = from; i < to; i++) copies[i - from] = live.snapshotOf(entries[i] as LiveEntry);
      this.io.to(ALL_ROOM).emit('values', { ts, readings: copies });
    }
    // Only rooms someone is in are filled: without scoped displays this costs one check.
    if (!this.d.catalogue.park.sites.some((s) => rooms.has(siteRoom(s.id)) || s.hazardSources.some((h) => rooms.has(hazardSourceRoom(h.id))))) return;
    const byRoom = new Map<string, LiveReading[]>();
    for (let i = from; i < to; i++) {
      const entry = entries[i] as LiveEntry;
      const tag = this.d.catalogue.get(entry.id);
      if (tag === undefined) continue;
      const siteR = tag.site !== undefined ? this.roomName('site', tag.site) : undefined;
      const hsR = tag.hazardSource !== undefined ? this.roomName('hs', tag.hazardSource) : undefined;
      const toSite = siteR !== undefined && rooms.has(siteR);
      const toHs = hsR !== undefined && rooms.has(hsR);
      if (!toSite && !toHs) continue;
      const r = copies !== undefined ? (copies[i - from] as LiveReading) : live.snapshotOf(entry);
      // A display in both a site and one of its installations gets a reading twice: harmless, the latest wins.
      if (toSite) this.addTo(byRoom, siteR, r);
      if (toHs) this.addTo(byRoom, hsR as string, r);
    }
    for (const [room, list] of byRoom) this.io.to(room).emit('values', { ts, readings: list });
  }

  private addTo(byRoom: Map<string, LiveReading[]>, room: string, r: LiveReading): void {
    let list = byRoom.get(room);
    if (!list) byRoom.set(room, (list = []));
    list.push(r);
  }

  private roomName(kind: 'site' | 'hs', id: string): string {
    const names = this.roomNames[kind];
    let name = names.get(id);
    if (name === undefined) names.set(id, (name = kind === 'site' ? siteRoom(id) : hazardSourceRoom(id)));
    return name;
  }

  gateway(event: GatewayStatusEvent): void {
    this.io.emit('gateway', event);
  }

  alarm(event: AlarmEvent): void {
    const site = this.d.alarmSite(event.id);
    const hs = this.d.alarmHazardSource(event.id);
    this.io.to([ALL_ROOM, ...(site ? [siteRoom(site)] : []), ...(hs ? [hazardSourceRoom(hs)] : [])]).emit('alarm', event);
  }

  /** To commanders only: operators already see the unacknowledged alarm itself. */
  escalation(event: AlarmEscalationEvent): void {
    this.io.to(COMMANDERS_ROOM).emit('escalation', event);
  }

  /**
   * A step of an escalation chain, to its duty's room. The commander's step
   * also goes out as the plain `escalation` to the commanders' room, so a
   * display built for the single-step escalation shows it.
   */
  escalationStep(event: EscalationStepEvent): void {
    this.io.to(dutyRoom(event.duty)).emit('escalation:step', event);
    if (event.duty === 'commander') this.io.to(COMMANDERS_ROOM).emit('escalation', { alarm: event.alarm, ts: event.ts, unackedForMs: event.unackedForMs });
  }

  /** Incident changes go to commanders (and admins). */
  incident(event: IncidentChangeEvent): void {
    this.io.to(COMMANDERS_ROOM).emit('incident', event);
  }

  risk(event: RiskWarningEvent): void {
    this.io.to([ALL_ROOM, siteRoom(event.site), hazardSourceRoom(event.hazardSource)]).emit('risk', event);
  }

  flood(event: AlarmFloodEvent): void {
    this.io.to([ALL_ROOM, siteRoom(event.area)]).emit('flood', event);
  }

  clients(): number {
    return this.io.engine.clientsCount;
  }

  close(): void {
    clearInterval(this.timer);
    this.valuePushes.length = 0;
    // The engine only: the HTTP server belongs to fastify, which closes it.
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}
