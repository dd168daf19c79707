import { io, type Socket } from 'socket.io-client';
import {
  ALARM_PRIORITIES,
  ALARM_STATES,
  type AlarmEscalationEvent,
  type AlarmEvent,
  type AlarmFloodEvent,
  type ClientToServerEvents,
  type Reading,
  type ServerToClientEvents,
  type Snapshot,
  type ValuesEvent,
} from '@park/protocol';
import type { AlarmStore } from './alarm-store';
import type { ConnectionStore } from './connection-store';
import { isGatewayStatus, type GatewayStore } from './gateway-store';
import type { LiveStore } from './live-store';

// The one Socket.IO connection of the page, outside React (after Zigbee2MQTT
// WindFront's WebSocketManager): it feeds the live store and reports the
// link state. React never sees the socket.
//
//   socket ──snapshot──> liveStore.applySnapshot, alarmStore.applySnapshot (at once)
//          ──values────> liveStore.applyValues (committed at once; tiles told per animation frame)
//          ──alarm / escalation / flood──> alarmStore (queued, committed per animation frame;
//                                          the tone for a new critical/high alarm at once)
//          ──connect/disconnect/errors──> connectionStore
//
// Authentication is the session cookie (same origin). A refusal by the
// server's middleware (`not logged in`) is not retried: the session is gone,
// and `onAuthLost` lets the app check it and show the login screen.

export const SOCKET_PATH = '/socket.io/';
const RECONNECT_DELAY_MS = 1_000;
const RECONNECT_DELAY_MAX_MS = 5_000;

export interface LiveConnectionOptions {
  readonly store: LiveStore;
  readonly alarms: AlarmStore;
  readonly connection: ConnectionStore;
  /** Gateway states (snapshot and `gateway` pushes); optional for displays that show none. */
  readonly gateways?: GatewayStore;
  readonly onAuthLost: () => void;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// The server validates what it sends; these checks only keep a malformed
// message (a version mismatch) from breaking the display: it is dropped.
function isReading(value: unknown): value is Reading {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.ts === 'number' &&
    typeof value.v === 'number' &&
    (value.q === 'good' || value.q === 'uncertain' || value.q === 'bad')
  );
}

function isAlarmEvent(value: unknown): value is AlarmEvent {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.tagId === 'string' &&
    // Any kind word: a newer server's new kind must not make an alarm vanish (shown by its raw name).
    typeof value.kind === 'string' &&
    (ALARM_PRIORITIES as readonly unknown[]).includes(value.priority) &&
    (ALARM_STATES as readonly unknown[]).includes(value.state) &&
    typeof value.ts === 'number' &&
    typeof value.raisedAt === 'number' &&
    typeof value.message === 'string' &&
    (value.value === null || typeof value.value === 'number') &&
    (value.limit === null || typeof value.limit === 'number')
  );
}

function isEscalation(value: unknown): value is AlarmEscalationEvent {
  return isRecord(value) && isAlarmEvent(value.alarm) && typeof value.ts === 'number' && typeof value.unackedForMs === 'number';
}

function isFlood(value: unknown): value is AlarmFloodEvent {
  return (
    isRecord(value) &&
    (value.type === 'flood-start' || value.type === 'flood-end') &&
    typeof value.area === 'string' &&
    typeof value.ts === 'number' &&
    typeof value.count === 'number' &&
    typeof value.startedAt === 'number' &&
    typeof value.peak === 'number'
  );
}

function isSnapshot(value: unknown): value is Snapshot {
  return (
    isRecord(value) &&
    typeof value.ts === 'number' &&
    Array.isArray(value.tags) &&
    value.tags.every((tag) => isRecord(tag) && typeof tag.id === 'string') &&
    Array.isArray(value.values) &&
    value.values.every(isReading) &&
    // Older servers send no alarms: treated as none (validated when present).
    (value.alarms === undefined || (Array.isArray(value.alarms) && value.alarms.every(isAlarmEvent)))
  );
}

function isValuesEvent(value: unknown): value is ValuesEvent {
  return isRecord(value) && typeof value.ts === 'number' && Array.isArray(value.readings) && value.readings.every(isReading);
}

/** Connects now; returns a function that disconnects for good. */
export function startLiveConnection({ store, alarms, connection, gateways, onAuthLost }: LiveConnectionOptions): () => void {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
    path: SOCKET_PATH,
    withCredentials: true,
    reconnectionDelay: RECONNECT_DELAY_MS,
    reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
  });
  let stopped = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  connection.set({ kind: 'connecting' });

  /** Keeps the time the link was first lost across failed attempts. */
  function lost(error: string | null): void {
    const current = connection.getSnapshot();
    const sinceWallMs = current.kind === 'reconnecting' || current.kind === 'disconnected' ? current.sinceWallMs : Date.now();
    const attempt = current.kind === 'reconnecting' ? current.attempt : 0;
    connection.set({ kind: 'reconnecting', sinceWallMs, attempt, error: error ?? (current.kind === 'reconnecting' ? current.error : null) });
  }

  socket.on('snapshot', (snapshot: unknown) => {
    if (!isSnapshot(snapshot)) {
      console.warn('socket: malformed snapshot dropped');
      return;
    }
    connection.noteMessage();
    store.applySnapshot(snapshot);
    // Older servers send no floods or escalations; malformed entries are dropped one by one.
    const partial = snapshot as Partial<Snapshot>;
    alarms.applySnapshot(partial.alarms ?? [], {
      floods: Array.isArray(partial.floods) ? partial.floods.filter(isFlood) : [],
      escalations: Array.isArray(partial.escalations) ? partial.escalations.filter(isEscalation) : [],
    });
    if (Array.isArray(partial.gateways)) gateways?.applyList(partial.gateways.filter(isGatewayStatus));
    connection.set({ kind: 'connected', sinceWallMs: Date.now() });
  });

  socket.on('alarm', (event: unknown) => {
    if (!isAlarmEvent(event)) {
      console.warn('socket: malformed alarm event dropped');
      return;
    }
    connection.noteMessage();
    alarms.applyEvent(event);
  });

  socket.on('escalation', (event: unknown) => {
    if (!isEscalation(event)) {
      console.warn('socket: malformed escalation event dropped');
      return;
    }
    connection.noteMessage();
    alarms.applyEscalation(event);
  });

  socket.on('flood', (event: unknown) => {
    if (!isFlood(event)) {
      console.warn('socket: malformed flood event dropped');
      return;
    }
    connection.noteMessage();
    alarms.applyFlood(event);
  });

  socket.on('gateway', (event: unknown) => {
    if (!isGatewayStatus(event)) {
      console.warn('socket: malformed gateway event dropped');
      return;
    }
    connection.noteMessage();
    gateways?.apply(event);
  });

  socket.on('values', (batch: unknown) => {
    if (!isValuesEvent(batch)) {
      console.warn('socket: malformed values batch dropped');
      return;
    }
    connection.noteMessage();
    store.applyValues(batch);
  });

  socket.on('disconnect', (reason) => {
    if (stopped) return;
    lost(reason);
    // After a server-side disconnect the client does not retry by itself
    // (e.g. the server is restarting): retry once here; the manager's backoff
    // applies from there.
    if (reason === 'io server disconnect') {
      clearTimeout(restartTimer);
      restartTimer = setTimeout(() => {
        if (!stopped) socket.connect();
      }, RECONNECT_DELAY_MS);
    }
  });

  socket.on('connect_error', (error) => {
    if (stopped) return;
    if (!socket.active) {
      // Refused by the server's middleware (no automatic retry): let the app
      // check the session. If the session is gone the app stops this
      // connection for the login screen; if not, try again later.
      const current = connection.getSnapshot();
      const sinceWallMs = current.kind === 'reconnecting' || current.kind === 'disconnected' ? current.sinceWallMs : Date.now();
      connection.set({ kind: 'disconnected', sinceWallMs, reason: 'refused', error: error.message });
      onAuthLost();
      clearTimeout(restartTimer);
      restartTimer = setTimeout(() => {
        if (!stopped) socket.connect();
      }, RECONNECT_DELAY_MAX_MS);
      return;
    }
    lost(error.message);
  });

  socket.io.on('reconnect_attempt', (attempt) => {
    if (stopped) return;
    const current = connection.getSnapshot();
    if (current.kind === 'reconnecting') connection.set({ ...current, attempt });
  });

  const stopStaleTimer = store.start();

  return () => {
    stopped = true;
    clearTimeout(restartTimer);
    stopStaleTimer();
    socket.removeAllListeners();
    socket.io.removeAllListeners();
    socket.disconnect();
    connection.set({ kind: 'disconnected', sinceWallMs: Date.now(), reason: 'stopped', error: null });
  };
}
