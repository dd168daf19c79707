import { MAX_FUTURE_SKEW_MS, MIN_TIMESTAMP_MS } from './limits.js';

/**
 * The timestamp rule every validator applies: an integer of epoch
 * milliseconds, not before 2000-01-01 and at most MAX_FUTURE_SKEW_MS ahead of
 * `nowMs`. A gateway uses it to replace an implausible source time by its own
 * clock before publishing (a rejected timestamp loses the whole batch).
 */
export function isTimestampInWindow(ts: number, nowMs: number = Date.now()): boolean {
  return Number.isSafeInteger(ts) && ts >= MIN_TIMESTAMP_MS && ts <= nowMs + MAX_FUTURE_SKEW_MS;
}
