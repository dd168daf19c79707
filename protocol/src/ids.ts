/**
 * Identifier syntax. Ids travel inside MQTT topics, InfluxDB tags, URLs and
 * Prometheus labels, so they are lower-case ASCII and can never contain `/`,
 * the MQTT wildcards `+` and `#`, spaces or quotes.
 *
 * The regular expressions are the documentation (and usable in config
 * schemas); the `is…` functions are equivalent char-code loops for hot paths.
 */

/** A gateway id: one MQTT topic level, e.g. `gw-tankfarm-a`. */
export const GATEWAY_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A device id (an OPC UA endpoint or Modbus unit within a gateway), e.g. `plc-b`. */
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** A tag id, dotted park → site → hazard source → point, e.g. `a.hs01.t101.level`. */
export const TAG_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
/**
 * An alarm id as issued by the server, e.g. `a.hs01.t101.level:hh`. Upper
 * case is allowed (UUIDs); it must stay safe in a URL path segment.
 */
export const ALARM_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

const MAX_GATEWAY_ID_LENGTH = 64;
const MAX_DEVICE_ID_LENGTH = 64;
const MAX_TAG_ID_LENGTH = 128;

// Char codes.
const C_0 = 48;
const C_9 = 57;
const C_A_LOWER = 97;
const C_Z_LOWER = 122;
const C_DASH = 45;
const C_UNDERSCORE = 95;
const C_DOT = 46;

/** `[a-z0-9]` first, then `[a-z0-9_-]` (plus `.` when dots allowed), up to maxLength. */
function isLowerId(s: unknown, maxLength: number, allowDot: boolean): boolean {
  if (typeof s !== 'string') return false;
  const n = s.length;
  if (n === 0 || n > maxLength) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c >= C_A_LOWER && c <= C_Z_LOWER) || (c >= C_0 && c <= C_9)) continue;
    if (i > 0 && (c === C_DASH || c === C_UNDERSCORE || (allowDot && c === C_DOT))) continue;
    return false;
  }
  return true;
}

/** Same as `GATEWAY_ID_PATTERN.test(s)`. */
export function isGatewayId(s: unknown): s is string {
  return isLowerId(s, MAX_GATEWAY_ID_LENGTH, false);
}

/** Same as `DEVICE_ID_PATTERN.test(s)`. */
export function isDeviceId(s: unknown): s is string {
  return isLowerId(s, MAX_DEVICE_ID_LENGTH, true);
}

/** Same as `TAG_ID_PATTERN.test(s)`. */
export function isTagId(s: unknown): s is string {
  return isLowerId(s, MAX_TAG_ID_LENGTH, true);
}

/** Same as `ALARM_ID_PATTERN.test(s)`. Not on a hot path. */
export function isAlarmId(s: unknown): s is string {
  return typeof s === 'string' && ALARM_ID_PATTERN.test(s);
}
