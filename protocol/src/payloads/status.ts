/** Validation of `{root}/{gateway}/status` payloads. */

import { entry, quote } from '../describe.js';
import { checkEnum, checkFields, checkGateway, checkObject, checkString, checkTimestamp, checkUint, expected } from '../fields.js';
import { DEVICE_ID_PATTERN, isDeviceId } from '../ids.js';
import { decodePayload } from '../json.js';
import { MAX_COUNTERS_PER_STATUS, MAX_DEVICE_STATUS_LENGTH, MAX_DEVICES_PER_STATUS, MAX_VERSION_LENGTH } from '../limits.js';
import { reject, type Rejection, type ValidationResult } from '../result.js';
import { GATEWAY_STATES, type StatusMessage } from './types.js';

/** A health counter name, e.g. `outboxDropped` or `modbus_timeouts`. */
export const COUNTER_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const STATUS_FIELDS = ['gateway', 'state', 'ts', 'version', 'devices', 'counters'];
const ERROR_PREFIX = 'error: ';

/** `connected`, `connecting`, or `error: ` followed by a non-empty reason. */
export function isDeviceStatus(x: unknown): x is StatusMessage['devices'][string] {
  if (typeof x !== 'string') return false;
  if (x === 'connected' || x === 'connecting') return true;
  return x.startsWith(ERROR_PREFIX) && x.length > ERROR_PREFIX.length && x.length <= MAX_DEVICE_STATUS_LENGTH;
}

function checkDevices(x: unknown): Rejection | null {
  const notObject = checkObject(x, 'devices');
  if (notObject) return notObject;
  const devices = x as Record<string, unknown>;
  let count = 0;
  for (const id in devices) {
    if (++count > MAX_DEVICES_PER_STATUS) {
      return reject('too-large', `devices: ${Object.keys(devices).length} devices exceed the maximum of ${MAX_DEVICES_PER_STATUS}`);
    }
    if (!isDeviceId(id)) return reject('schema', `devices: invalid device id ${quote(id)} (expected ${DEVICE_ID_PATTERN.source})`);
    const status = devices[id];
    if (!isDeviceStatus(status)) {
      if (typeof status === 'string' && status.length > MAX_DEVICE_STATUS_LENGTH) {
        return reject('schema', `${entry('devices', id)}: ${status.length} characters exceed the maximum of ${MAX_DEVICE_STATUS_LENGTH}`);
      }
      return expected(entry('devices', id), '"connected", "connecting" or "error: <reason>"', status);
    }
  }
  return null;
}

function checkCounters(x: unknown): Rejection | null {
  const notObject = checkObject(x, 'counters');
  if (notObject) return notObject;
  const counters = x as Record<string, unknown>;
  let count = 0;
  for (const name in counters) {
    if (++count > MAX_COUNTERS_PER_STATUS) {
      return reject('too-large', `counters: ${Object.keys(counters).length} counters exceed the maximum of ${MAX_COUNTERS_PER_STATUS}`);
    }
    if (!COUNTER_NAME_PATTERN.test(name)) {
      return reject('schema', `counters: invalid counter name ${quote(name)} (expected ${COUNTER_NAME_PATTERN.source})`);
    }
    const bad = checkUint(counters[name], entry('counters', name));
    if (bad) return bad;
  }
  return null;
}

/**
 * Checks an already parsed status payload. `expectedGateway` is the topic's
 * gateway; `nowMs` is the receiver's clock (tests pass a fixed one).
 */
export function validateStatusMessage(value: unknown, expectedGateway?: string, nowMs: number = Date.now()): ValidationResult<StatusMessage> {
  const notObject = checkObject(value, '');
  if (notObject) return notObject;
  const m = value as Record<string, unknown>;
  const bad =
    checkFields(m, STATUS_FIELDS, '') ??
    checkGateway(m.gateway, expectedGateway) ??
    checkEnum(m.state, 'state', 'state', GATEWAY_STATES) ??
    checkTimestamp(m.ts, 'ts', nowMs) ??
    checkString(m.version, 'version', 1, MAX_VERSION_LENGTH) ??
    checkDevices(m.devices) ??
    (m.counters === undefined ? null : checkCounters(m.counters));
  return bad ?? { ok: true, value: m as unknown as StatusMessage };
}

/** Decodes and checks a status payload (bytes or text). Never throws. */
export function parseStatusMessage(input: Uint8Array | string, expectedGateway?: string, nowMs?: number): ValidationResult<StatusMessage> {
  const decoded = decodePayload(input);
  return decoded.ok ? validateStatusMessage(decoded.value, expectedGateway, nowMs) : decoded;
}
