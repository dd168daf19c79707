/**
 * The outcome of every validator: the value, or why it was rejected. The
 * validators never throw.
 */

/**
 * Why a message was rejected: a small closed set, usable as a Prometheus
 * label value (`reason` gives the detail, for logs).
 *
 * - `too-large`: more bytes than MAX_MESSAGE_BYTES, or more readings, tags,
 *   devices or counters than their maximum;
 * - `not-json`: not UTF-8, or not JSON;
 * - `empty`: a zero-length payload (clears a retained topic) or an empty
 *   readings batch;
 * - `schema`: a missing field, a value of the wrong type or form, an unknown
 *   field, a duplicate tag id;
 * - `timestamp`: a well-formed timestamp outside the accepted window (clock
 *   trouble rather than a malformed message);
 * - `gateway-mismatch`: the payload's `gateway` is not the topic's.
 */
export type RejectCode = 'too-large' | 'not-json' | 'empty' | 'schema' | 'timestamp' | 'gateway-mismatch';

export const REJECT_CODES: readonly RejectCode[] = ['too-large', 'not-json', 'empty', 'schema', 'timestamp', 'gateway-mismatch'];

export interface Rejection {
  ok: false;
  /** One line naming the path, e.g. `readings[3].v: expected a finite number, got NaN`. */
  reason: string;
  code: RejectCode;
}

export type ValidationResult<T> = { ok: true; value: T } | Rejection;

export function reject(code: RejectCode, reason: string): Rejection {
  return { ok: false, reason, code };
}
