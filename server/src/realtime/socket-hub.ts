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
  type GatewayStatusEvent,
  type LiveReading,
  type RiskWarningEvent,
  type ServerToClientEvents,
} from '@park/protocol';
import type { Logger } from '../log.js';
import type { Catalogue } from '../catalogue.js';
import type { LiveValues } from '../live-values.js';
import type { Gateways } from '../gateways.js';
import { identify, type AuthContext, type Identity } from '../http/auth-routes.js';
import { can } from '../auth/permissions.js';

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
  /** How often changed values are pushed (coalesced per tag in between). */
  valuesIntervalMs?: number;
}

/** Every display that did not ask for particular sites. */
const ALL_ROOM = 'all';
/** Commanders (and admins): where escalations go. */
const COMMANDERS_ROOM = 'commanders';
const siteRoom = (site: string): string => `site:${site}`;

interface SocketData {
  identity: Identity;
  /** Sites this display subscribed to; undefined: all of the park. */
  sites?: string[];
}

/**
 * Socket.IO for displays: a `snapshot` on connect, then `values` batches,
 * `alarm` and `gateway` events. Only logged-in users connect (session
 * cookie, or a bearer token in `auth.token`); acknowledging and shelving
 * check the role on every request.
 */
export class SocketHub {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  private readonly timer: NodeJS.Timeout;

  constructor(httpServer: HttpServer, private readonly d: SocketHubDeps) {
    this.io = new Server(httpServer, { path: '/socket.io/', serveClient: false, maxHttpBufferSize: 64 * 1024 });
    this.io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const who = identify(d.auth, { cookie: socket.handshake.headers.cookie, authorization: typeof token === 'string' ? `Bearer ${token}` : undefined });
      if (!who) return next(new Error('not logged in'));
      socket.data.identity = { ...who, address: socket.handshake.address };
      // A display may watch some sites only: `auth: { sites: ['a'] }`.
      const sites = (socket.handshake.auth as { sites?: unknown } | undefined)?.sites;
      if (sites !== undefined) {
        const known = new Set(d.catalogue.park.sites.map((x) => x.id));
        if (!Array.isArray(sites) || sites.length === 0 || !sites.every((x) => typeof x === 'string' && known.has(x))) {
          return next(new Error(`sites: expected a list of site ids (${[...known].join(', ')})`));
        }
        socket.data.sites = sites as string[];
      }
      next();
    });
    this.io.on('connection', (socket) => {
      const sites = socket.data.sites;
      void socket.join(sites ? sites.map(siteRoom) : [ALL_ROOM]);
      if (socket.data.identity.role === 'commander' || socket.data.identity.role === 'admin') void socket.join(COMMANDERS_ROOM);
      const wanted = sites ? new Set(sites) : undefined;
      const tags = d.catalogue.list().filter((t) => !wanted || (t.site !== undefined && wanted.has(t.site)));
      const tagIds = new Set(tags.map((t) => t.id));
      socket.emit('snapshot', {
        ts: Date.now(),
        park: d.catalogue.park,
        tags,
        values: d.live.all().filter((v) => !wanted || tagIds.has(v.id)),
        alarms: d.alarms.active().filter((a) => !wanted || wanted.has(d.alarmSite(a.id) ?? '')),
        floods: d.alarms.activeFloods().filter((f) => !wanted || wanted.has(f.area)),
        escalations: ['commander', 'admin'].includes(socket.data.identity.role) ? d.alarms.openEscalations() : [],
        risks: d.risks().filter((r) => !wanted || wanted.has(r.site)),
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

  private pushValues(): void {
    const readings = this.d.live.takeChanged();
    if (readings.length === 0 || this.io.engine.clientsCount === 0) return;
    const ts = Date.now();
    this.io.to(ALL_ROOM).emit('values', { ts, readings });
    const rooms = this.io.sockets.adapter.rooms;
    if (!this.d.catalogue.park.sites.some((s) => rooms.has(siteRoom(s.id)))) return;
    const bySite = new Map<string, LiveReading[]>();
    for (const r of readings) {
      const site = this.d.catalogue.get(r.id)?.site;
      if (site === undefined || !rooms.has(siteRoom(site))) continue;
      let list = bySite.get(site);
      if (!list) bySite.set(site, (list = []));
      list.push(r);
    }
    for (const [site, list] of bySite) this.io.to(siteRoom(site)).emit('values', { ts, readings: list });
  }

  gateway(event: GatewayStatusEvent): void {
    this.io.emit('gateway', event);
  }

  alarm(event: AlarmEvent): void {
    const site = this.d.alarmSite(event.id);
    this.io.to(site ? [ALL_ROOM, siteRoom(site)] : ALL_ROOM).emit('alarm', event);
  }

  /** To commanders only: operators already see the unacknowledged alarm itself. */
  escalation(event: AlarmEscalationEvent): void {
    this.io.to(COMMANDERS_ROOM).emit('escalation', event);
  }

  risk(event: RiskWarningEvent): void {
    this.io.to([ALL_ROOM, siteRoom(event.site)]).emit('risk', event);
  }

  flood(event: AlarmFloodEvent): void {
    this.io.to([ALL_ROOM, siteRoom(event.area)]).emit('flood', event);
  }

  clients(): number {
    return this.io.engine.clientsCount;
  }

  close(): void {
    clearInterval(this.timer);
    // The engine only: the HTTP server belongs to fastify, which closes it.
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}
