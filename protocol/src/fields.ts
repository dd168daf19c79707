/**
 * Field checks shared by the validators (internal: not re-exported). Each
 * returns null when the field is fine, or the Rejection naming its path.
 * Reason strings are only built on failure.
 */

import { at, describeValue, quote } from './describe.js';
import { GATEWAY_ID_PATTERN, isGatewayId } from './ids.js';
import { MAX_FUTURE_SKEW_MS, MIN_TIMESTAMP_MS } from './limits.js';
import { reject, type Rejection } from './result.js';

export type Fields = Record<string, unknown>;

/** A non-null, non-array object (JSON.parse only makes plain ones). */
export function isFields(x: unknown): x is Fields {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function missing(path: string): Rejection {
  return reject('schema', `${path}: missing`);
}

/** `path: expected WHAT, got DESCRIPTION` (or `path: missing` for undefined). */
export function expected(path: string, what: string, x: unknown): Rejection {
  return x === undefined ? missing(path) : reject('schema', `${path}: expected ${what}, got ${describeValue(x)}`);
}

export function unknownField(key: string, path: string): Rejection {
  return reject('schema', `unknown field ${quote(key)} ${at(path)}`);
}

/** The first own key of `o` that is not in `allowed`, as a Rejection. */
export function checkFields(o: Fields, allowed: readonly string[], path: string): Rejection | null {
  for (const key in o) {
    if (!allowed.includes(key)) return unknownField(key, path);
  }
  return null;
}

/** An object at `path` (`message` names the top level). */
export function checkObject(x: unknown, path: string): Rejection | null {
  return isFields(x) ? null : expected(path === '' ? 'message' : path, 'an object', x);
}

export function checkString(x: unknown, path: string, minLength: number, maxLength: number): Rejection | null {
  if (typeof x !== 'string') return expected(path, 'a string', x);
  if (x.length < minLength) return reject('schema', minLength === 1 ? `${path}: must not be empty` : `${path}: shorter than ${minLength} characters`);
  if (x.length > maxLength) return reject('schema', `${path}: ${x.length} characters exceed the maximum of ${maxLength}`);
  return null;
}

/** One of a few string literals: `path: unknown NOUN "x" (expected a, b or c)`. */
export function checkEnum(x: unknown, path: string, noun: string, allowed: readonly string[]): Rejection | null {
  if (typeof x === 'string' && allowed.includes(x)) return null;
  const list = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}` : allowed.join('');
  if (typeof x === 'string') return reject('schema', `${path}: unknown ${noun} ${quote(x)} (expected ${list})`);
  return expected(path, `a ${noun} (${list})`, x);
}

export function checkUint(x: unknown, path: string): Rejection | null {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? null : expected(path, 'a non-negative safe integer', x);
}

/**
 * An integer of epoch milliseconds, not before 2000-01-01 and at most
 * MAX_FUTURE_SKEW_MS after `nowMs`. A wrong type is `schema`; a value outside
 * the window is `timestamp`.
 */
export function checkTimestamp(x: unknown, path: string, nowMs: number): Rejection | null {
  if (typeof x !== 'number' || !Number.isSafeInteger(x)) return expected(path, 'an integer of epoch milliseconds', x);
  if (x < MIN_TIMESTAMP_MS) {
    const hint = x * 1000 >= MIN_TIMESTAMP_MS && x * 1000 <= nowMs + MAX_FUTURE_SKEW_MS ? ' (seconds instead of milliseconds?)' : '';
    return reject('timestamp', `${path}: ${x} is before 2000-01-01T00:00:00.000Z${hint}`);
  }
  if (x > nowMs + MAX_FUTURE_SKEW_MS) {
    return reject('timestamp', `${path}: ${x} is ${x - nowMs} ms ahead of the receiver's clock (at most ${MAX_FUTURE_SKEW_MS} allowed)`);
  }
  return null;
}

/** The payload's `gateway`: a valid id, and the topic's when one is expected. */
export function checkGateway(x: unknown, expectedGateway: string | undefined): Rejection | null {
  if (!isGatewayId(x)) {
    if (typeof x !== 'string') return expected('gateway', 'a string', x);
    return reject('schema', `gateway: invalid gateway id ${quote(x)} (expected ${GATEWAY_ID_PATTERN.source})`);
  }
  if (expectedGateway !== undefined && x !== expectedGateway) {
    return reject('gateway-mismatch', `gateway: ${quote(x)} does not match the topic's gateway ${quote(expectedGateway)}`);
  }
  return null;
}

/** An id that failed its `is…Id` check. */
export function badId(x: unknown, path: string, noun: string, pattern: RegExp): Rejection {
  if (typeof x !== 'string') return expected(path, 'a string', x);
  return reject('schema', `${path}: invalid ${noun} ${quote(x)} (expected ${pattern.source})`);
}
