// The state of the display's link to the server, as visible state (never a
// console message): the header shows it, and every live panel greys its
// values when it is anything but `connected`.

export type ConnectionState =
  /** Started, no snapshot yet and no failure yet. */
  | { readonly kind: 'connecting' }
  /** The snapshot of this connection has arrived; values are live. */
  | { readonly kind: 'connected'; readonly sinceWallMs: number }
  /** Lost (or never made); the client is retrying. `sinceWallMs`: when the link was lost or first failed. */
  | { readonly kind: 'reconnecting'; readonly sinceWallMs: number; readonly attempt: number; readonly error: string | null }
  /** Not retrying: logged out, or the server refused the session. */
  | { readonly kind: 'disconnected'; readonly sinceWallMs: number; readonly reason: 'stopped' | 'refused'; readonly error: string | null };

export interface ConnectionStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): ConnectionState;
  set(next: ConnectionState): void;
  /** Wall-clock time (ms) of the last message from the server, for "last known values as of". */
  lastMessageWallMs(): number | null;
  noteMessage(): void;
}

export function createConnectionStore(): ConnectionStore {
  let state: ConnectionState = { kind: 'connecting' };
  let lastMessage: number | null = null;
  const listeners = new Set<() => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => state,
    set(next) {
      state = next;
      for (const listener of listeners) listener();
    },
    lastMessageWallMs: () => lastMessage,
    noteMessage() {
      lastMessage = Date.now();
    },
  };
}

/** Whether values on screen may be presented as current. */
export function isLive(state: ConnectionState): boolean {
  return state.kind === 'connected';
}
