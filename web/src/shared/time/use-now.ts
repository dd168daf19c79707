import { useSyncExternalStore } from 'react';

// One shared clock for the whole page, ticking just after each wall-clock
// second, so every clock and every "n s ago" changes together. It runs only
// while something is subscribed.

export interface Now {
  /** `Date.now()`: for display. */
  readonly wallMs: number;
  /** `performance.now()`: for ages and timeouts, unaffected by clock changes. */
  readonly monoMs: number;
}

const TICK_OFFSET_MS = 20;

let current: Now = read();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setTimeout> | undefined;

function read(): Now {
  return { wallMs: Date.now(), monoMs: performance.now() };
}

function tick(): void {
  current = read();
  for (const listener of listeners) listener();
  schedule();
}

function schedule(): void {
  clearTimeout(timer);
  timer = setTimeout(tick, 1000 - (Date.now() % 1000) + TICK_OFFSET_MS);
}

// A hidden tab's timers are throttled: catch up at once when it is shown.
function onVisibilityChange(): void {
  if (document.visibilityState === 'visible') tick();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (listeners.size === 1) {
    document.addEventListener('visibilitychange', onVisibilityChange);
    tick();
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearTimeout(timer);
      timer = undefined;
      document.removeEventListener('visibilitychange', onVisibilityChange);
    }
  };
}

function getSnapshot(): Now {
  return current;
}

export function useNow(): Now {
  return useSyncExternalStore(subscribe, getSnapshot);
}
