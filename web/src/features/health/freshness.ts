import type { PollState } from '../../shared/api/polling-store';

/** How often the panel asks the server. */
export const HEALTH_POLL_INTERVAL_MS = 5_000;
/** An answer older than this is not live, even without an error (e.g. a hung request, a throttled tab). */
export const HEALTH_MAX_AGE_MS = 15_000;

export type Freshness =
  | { readonly kind: 'live'; readonly ageMs: number }
  /** No answer yet and no failure yet: the first request is on its way. */
  | { readonly kind: 'connecting' }
  /** The latest attempt failed; `ageMs` is the age of the last good answer, if any. */
  | { readonly kind: 'error'; readonly error: unknown; readonly ageMs: number | null }
  /** The last good answer is older than HEALTH_MAX_AGE_MS. */
  | { readonly kind: 'stale'; readonly ageMs: number };

/**
 * Whether the display may present the data as current. An operator must
 * never mistake stale for fresh: any doubt is "not live".
 */
export function assessFreshness(state: PollState<unknown>, nowMonoMs: number, maxAgeMs = HEALTH_MAX_AGE_MS): Freshness {
  const ageMs = state.receivedAtMonoMs === null ? null : Math.max(0, nowMonoMs - state.receivedAtMonoMs);
  if (state.error !== null) return { kind: 'error', error: state.error, ageMs };
  if (ageMs === null) return { kind: 'connecting' };
  if (ageMs > maxAgeMs) return { kind: 'stale', ageMs };
  return { kind: 'live', ageMs };
}
