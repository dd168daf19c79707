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
  /** How often changed values are pushed (coalesced per tag in between). */
  valuesIntervalMs?: number;
}

interface SocketData {
  identity: Identity;
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
      socket.data.identity = who;
      next();
    });
    this.io.on('connection', (socket) => {
      socket.emit('snapshot', { ts: Date.now(), park: d.catalogue.park, tags: d.catalogue.list(), values: d.live.all(), alarms: d.alarms.active(), gateways: d.gateways.list() });
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
    if (readings.length > 0 && this.io.engine.clientsCount > 0) this.io.emit('values', { ts: Date.now(), readings });
  }

  gateway(event: GatewayStatusEvent): void {
    this.io.emit('gateway', event);
  }

  alarm(event: AlarmEvent): void {
    this.io.emit('alarm', event);
  }

  escalation(event: AlarmEscalationEvent): void {
    this.io.emit('escalation', event);
  }

  flood(event: AlarmFloodEvent): void {
    this.io.emit('flood', event);
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
