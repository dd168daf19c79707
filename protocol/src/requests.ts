/**
 * Validators for what clients send (Socket.IO `alarm:ack` / `alarm:shelve`
 * and the REST bodies): untrusted input, checked strictly (unknown fields are
 * rejected). They check form only; permissions are the server's.
 */

import { checkFields, checkObject, checkString, expected } from './fields.js';
import { ALARM_ID_PATTERN, isAlarmId } from './ids.js';
import {
  MAX_COMMENT_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_SHELVE_MINUTES,
  MAX_SHELVE_REASON_LENGTH,
  MAX_USERNAME_LENGTH,
  MIN_SHELVE_MINUTES,
} from './limits.js';
import { quote } from './describe.js';
import { reject, type Rejection, type ValidationResult } from './result.js';
import type { AlarmAckBody, AlarmShelveBody, LoginRequest } from './rest.js';
import type { AlarmAckRequest, AlarmShelveRequest } from './socket/events.js';

type Fields = Record<string, unknown>;

function checkAlarmId(x: unknown): Rejection | null {
  if (isAlarmId(x)) return null;
  if (typeof x !== 'string') return expected('id', 'a string', x);
  return reject('schema', `id: invalid alarm id ${quote(x)} (expected ${ALARM_ID_PATTERN.source})`);
}

function checkComment(x: unknown): Rejection | null {
  return x === undefined ? null : checkString(x, 'comment', 0, MAX_COMMENT_LENGTH);
}

function checkMinutes(x: unknown): Rejection | null {
  if (typeof x === 'number' && Number.isInteger(x) && x >= MIN_SHELVE_MINUTES && x <= MAX_SHELVE_MINUTES) return null;
  return expected('minutes', `an integer number of minutes from ${MIN_SHELVE_MINUTES} to ${MAX_SHELVE_MINUTES}`, x);
}

function checkReason(x: unknown): Rejection | null {
  return checkString(x, 'reason', 1, MAX_SHELVE_REASON_LENGTH) ?? ((x as string).trim() === '' ? reject('schema', 'reason: must not be blank') : null);
}

function validate<T>(x: unknown, fields: readonly string[], check: (o: Fields) => Rejection | null): ValidationResult<T> {
  const notObject = checkObject(x, '');
  if (notObject) return notObject;
  const o = x as Fields;
  return checkFields(o, fields, '') ?? check(o) ?? { ok: true, value: o as T };
}

/** Socket.IO `alarm:ack`: `{id, comment?}`. */
export function validateAlarmAckRequest(x: unknown): ValidationResult<AlarmAckRequest> {
  return validate(x, ['id', 'comment'], (o) => checkAlarmId(o.id) ?? checkComment(o.comment));
}

/** Socket.IO `alarm:shelve`: `{id, minutes, reason}`. */
export function validateAlarmShelveRequest(x: unknown): ValidationResult<AlarmShelveRequest> {
  return validate(x, ['id', 'minutes', 'reason'], (o) => checkAlarmId(o.id) ?? checkMinutes(o.minutes) ?? checkReason(o.reason));
}

/** `POST /api/alarms/{id}/ack` body: `{comment?}` (the id is in the path: check it with isAlarmId). */
export function validateAlarmAckBody(x: unknown): ValidationResult<AlarmAckBody> {
  return validate(x, ['comment'], (o) => checkComment(o.comment));
}

/** `POST /api/alarms/{id}/shelve` body: `{minutes, reason}`. */
export function validateAlarmShelveBody(x: unknown): ValidationResult<AlarmShelveBody> {
  return validate(x, ['minutes', 'reason'], (o) => checkMinutes(o.minutes) ?? checkReason(o.reason));
}

/** A password's problem, never quoting the value (reasons end up in logs). */
function checkPassword(x: unknown): Rejection | null {
  if (x === undefined) return reject('schema', 'password: missing');
  if (typeof x !== 'string') return reject('schema', `password: expected a string, got ${x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x}`);
  return checkString(x, 'password', 1, MAX_PASSWORD_LENGTH);
}

/** `POST /api/login` body: `{username, password}`, both non-empty. */
export function validateLoginRequest(x: unknown): ValidationResult<LoginRequest> {
  return validate(x, ['username', 'password'], (o) => checkString(o.username, 'username', 1, MAX_USERNAME_LENGTH) ?? checkPassword(o.password));
}
