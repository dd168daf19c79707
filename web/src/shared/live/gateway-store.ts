import type { GatewayStatusEvent } from '@park/protocol';

// The latest status of every gateway the server knows: from the snapshot,
// each `gateway` push (state or devices changed) and, while the gateways
// screen is open, `GET /api/gateways` (the counters change without a push).
// The newest status of a gateway wins, whichever way it came.

export interface GatewayStore {
  applyList(list: readonly GatewayStatusEvent[]): void;
  apply(event: GatewayStatusEvent): void;
  clear(): void;
  subscribe(listener: () => void): () => void;
  /** Gateway id → its latest status; a new map object after every change. */
  getSnapshot(): ReadonlyMap<string, GatewayStatusEvent>;
}

export function createGatewayStore(): GatewayStore {
  let byId: ReadonlyMap<string, GatewayStatusEvent> = new Map();
  const listeners = new Set<() => void>();

  function commit(next: Map<string, GatewayStatusEvent>): void {
    byId = next;
    for (const listener of listeners) listener();
  }

  function merge(into: Map<string, GatewayStatusEvent>, event: GatewayStatusEvent): boolean {
    const current = into.get(event.gateway);
    if (current && current.receivedAt > event.receivedAt) return false;
    if (current && JSON.stringify(current) === JSON.stringify(event)) return false;
    into.set(event.gateway, event);
    return true;
  }

  return {
    applyList(list) {
      const next = new Map(byId);
      let changed = false;
      for (const event of list) changed = merge(next, event) || changed;
      if (changed) commit(next);
    },
    apply(event) {
      const next = new Map(byId);
      if (merge(next, event)) commit(next);
    },
    clear() {
      commit(new Map());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => byId,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function isCounters(value: unknown): value is Record<string, number> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'number');
}

/** The fields the display reads; a malformed entry is dropped, never guessed at. */
export function isGatewayStatus(value: unknown): value is GatewayStatusEvent {
  return (
    isRecord(value) &&
    typeof value.gateway === 'string' &&
    (value.state === 'online' || value.state === 'offline') &&
    typeof value.receivedAt === 'number' &&
    typeof value.ts === 'number' &&
    isStringRecord(value.devices) &&
    (value.counters === undefined || isCounters(value.counters)) &&
    (value.lastKnown === undefined || (isRecord(value.lastKnown) && isStringRecord(value.lastKnown.devices) && typeof value.lastKnown.receivedAt === 'number'))
  );
}
