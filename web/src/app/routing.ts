import { useSyncExternalStore } from 'react';

// Hash routing: `#/alarms`, `#/journal`, `#/trends`, anything else the
// overview. No router dependency; the address can be bookmarked per screen
// (a wall showing the alarm list, a phone opening the alarms).

export const ROUTES = ['overview', 'alarms', 'journal', 'trends'] as const;
export type Route = (typeof ROUTES)[number];

export function routeOf(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'overview';
}

export function hrefOf(route: Route): string {
  return `#/${route}`;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, () => routeOf(window.location.hash));
}
