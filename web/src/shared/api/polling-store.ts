// A poller that lives outside React: it fetches every `intervalMs` while at
// least one subscriber is attached (useSyncExternalStore's subscribe), never
// overlaps requests, and keeps the last good value beside the latest error so
// the display can say how old its data is.

export interface PollState<T> {
  /** The last value fetched successfully, kept when later attempts fail. */
  readonly value: T | null;
  /** `Date.now()` when `value` arrived: for display. */
  readonly receivedAtWallMs: number | null;
  /** `performance.now()` when `value` arrived: for its age, unaffected by clock changes. */
  readonly receivedAtMonoMs: number | null;
  /** The failure of the latest attempt; `null` once an attempt succeeds. */
  readonly error: unknown;
}

export interface PollingStore<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): PollState<T>;
}

export interface PollingOptions<T> {
  readonly fetch: (signal: AbortSignal) => Promise<T>;
  readonly intervalMs: number;
}

export function createPollingStore<T>({ fetch, intervalMs }: PollingOptions<T>): PollingStore<T> {
  let state: PollState<T> = { value: null, receivedAtWallMs: null, receivedAtMonoMs: null, error: null };
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: AbortController | undefined;

  function commit(next: PollState<T>): void {
    state = next;
    for (const listener of listeners) listener();
  }

  async function poll(): Promise<void> {
    const controller = new AbortController();
    running = controller;
    const startedMs = performance.now();
    try {
      const value = await fetch(controller.signal);
      if (controller.signal.aborted) return;
      commit({ value, receivedAtWallMs: Date.now(), receivedAtMonoMs: performance.now(), error: null });
    } catch (error) {
      if (controller.signal.aborted) return;
      commit({ ...state, error });
    }
    // Keep the cadence: the next request starts `intervalMs` after this one started.
    timer = setTimeout(() => void poll(), Math.max(0, intervalMs - (performance.now() - startedMs)));
  }

  function start(): void {
    void poll();
  }

  function stop(): void {
    clearTimeout(timer);
    timer = undefined;
    running?.abort();
    running = undefined;
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    getSnapshot: () => state,
  };
}
