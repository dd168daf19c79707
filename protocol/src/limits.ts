/**
 * Every limit of the v1 contract, in one place. Producers (gateway, web) must
 * stay within them; the server rejects messages that do not. Units are in the
 * names. Changing a limit is a contract change: update docs/protocol.md.
 */

/**
 * Largest MQTT payload accepted, in bytes, checked before JSON.parse.
 * 1,000,000 rather than 1 MiB so that payload + topic + MQTT header still fit
 * under the 1 MiB default `max_packet_size` of EMQX (Mosquitto has no default
 * limit).
 */
export const MAX_MESSAGE_BYTES = 1_000_000;

/** Most readings in one data message. A gateway splits larger batches. */
export const MAX_READINGS_PER_MESSAGE = 5000;

/** Most tags in one meta message (the whole catalogue of one gateway). */
export const MAX_TAGS_PER_META = 5000;

/** Most entries in a status message's `devices` map. */
export const MAX_DEVICES_PER_STATUS = 1000;

/** Most entries in a status message's `counters` map. */
export const MAX_COUNTERS_PER_STATUS = 64;

/** Earliest accepted timestamp: 2000-01-01T00:00:00.000Z, in ms since the epoch. */
export const MIN_TIMESTAMP_MS = 946_684_800_000;

/**
 * How far a timestamp may lie in the future of the validator's clock, in ms.
 * Covers ordinary clock skew between instruments, gateway and server; a
 * gateway should replace a source time outside the window by its own clock
 * (see `isTimestampInWindow`).
 */
export const MAX_FUTURE_SKEW_MS = 10 * 60_000;

/** String lengths, in UTF-16 code units (JavaScript `length`). */
export const MAX_VERSION_LENGTH = 64;
/** A whole device status string, including the `error: ` prefix. */
export const MAX_DEVICE_STATUS_LENGTH = 256;
/** A reading's `err` text. */
export const MAX_ERR_LENGTH = 200;
export const MAX_UNIT_LENGTH = 32;
export const MAX_DESCRIPTION_LENGTH = 256;
export const MAX_SOURCE_LENGTH = 256;

/** Client requests (Socket.IO and REST). */
export const MAX_COMMENT_LENGTH = 500;
export const MAX_SHELVE_REASON_LENGTH = 500;
/** Shelving always expires (ISA-18.2); at most one 12-hour shift. */
export const MIN_SHELVE_MINUTES = 1;
export const MAX_SHELVE_MINUTES = 720;
export const MAX_USERNAME_LENGTH = 64;
export const MAX_PASSWORD_LENGTH = 256;
