/**
 * @park/protocol: the one message contract between gateway, server, web and
 * tests (MQTT topics and payloads, quality codes, Socket.IO events, alarm
 * vocabulary, REST types) with hand-written runtime validation. No runtime
 * dependencies: the web app and the edge gateway import it. The shared
 * configuration loader is the separate entry `@park/protocol/config`.
 * Described in docs/protocol.md.
 */

export const PROTOCOL_VERSION = 1;

export * from './limits.js';
export * from './ids.js';
export * from './quality.js';
export * from './topics.js';
export * from './result.js';
export { decodePayload, utf8ByteLength } from './json.js';
export { ByteWriter } from './bytes.js';
export { isTimestampInWindow } from './timestamps.js';

export * from './payloads/types.js';
export { COUNTER_NAME_PATTERN, isDeviceStatus, parseStatusMessage, validateStatusMessage } from './payloads/status.js';
export { parseMetaMessage, validateMetaMessage } from './payloads/meta.js';
export { parseDataMessage, validateDataMessage } from './payloads/data.js';
export { encodeDataMessage, encodeMetaMessage, encodeReading, encodeStatusMessage, writeReading } from './payloads/encode.js';

export * from './alarms.js';
export type * from './socket/events.js';
export * from './rest.js';
export {
  validateAlarmAckBody,
  validateAlarmAckRequest,
  validateAlarmShelveBody,
  validateAlarmShelveRequest,
  validateLoginRequest,
} from './requests.js';
