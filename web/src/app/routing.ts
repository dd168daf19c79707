import { useSyncExternalStore } from 'react';
import type { Role } from '@park/protocol';

// Hash routing: `#/alarms`, `#/journal`, `#/trends`, `#/command`, `#/kpis`,
// `#/hazards` (and `#/hazards/{unit}`), `#/environment`, `#/gateways`, `#/incident/{id}`; an empty or unknown hash is the
// role's landing screen (the commander's view for commanders, the overview
// for everyone else). No router dependency; the address can be bookmarked
// per screen (a wall showing the alarm list, a phone opening the command view).

/** The screens in the navigation. */
export const NAV_ROUTES = ['overview', 'command', 'alarms', 'journal', 'trends', 'kpis', 'hazards', 'environment', 'gateways'] as const;
export type NavRoute = (typeof NAV_ROUTES)[number];
/** Every route: the navigation's, and pages reached from a screen (`#/incident/{id}` from the command view). */
export const ROUTES = [...NAV_ROUTES, 'incident'] as const;
export type Route = (typeof ROUTES)[number];

/** The screen a role lands on when the address names none. */
export function landingRoute(role: Role): Route {
  return role === 'commander' ? 'command' : 'overview';
}

function segments(hash: string): string[] {
  return hash.replace(/^#\/?/, '').split('?')[0]?.split('/') ?? [];
}

export function routeOf(hash: string, fallback: Route = 'overview'): Route {
  const name = segments(hash)[0] ?? '';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : fallback;
}

/** The path segment after the route (`#/hazards/hs01` → `hs01`), decoded; null when none. */
export function routeParamOf(hash: string): string | null {
  const param = segments(hash)[1];
  if (param === undefined || param === '') return null;
  try {
    return decodeURIComponent(param);
  } catch {
    return null;
  }
}

export function hrefOf(route: Route, param?: string): string {
  return param === undefined ? `#/${route}` : `#/${route}/${encodeURIComponent(param)}`;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

export function useRoute(fallback: Route = 'overview'): Route {
  return useSyncExternalStore(subscribe, () => routeOf(window.location.hash, fallback));
}

export function useRouteParam(): string | null {
  return useSyncExternalStore(subscribe, () => routeParamOf(window.location.hash));
}
