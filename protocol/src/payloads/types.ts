/**
 * MQTT payload types (v1). All timestamps (`ts`) are milliseconds since the
 * epoch, UTC. The validators reject unknown fields, so a value that passes is
 * exactly one of these shapes.
 */

import type { Quality } from '../quality.js';

/** `online` while the gateway is connected; `offline` is also its MQTT last will. */
export type GatewayState = 'online' | 'offline';
export const GATEWAY_STATES: readonly GatewayState[] = ['online', 'offline'];

/**
 * The link state of one device as the gateway sees it:
 * - `connecting`: not yet connected since start-up, or reconnecting after a
 *   loss (in backoff, no error to report yet);
 * - `connected`: reads succeed at the transport level (single points may
 *   still be bad; that is reported per reading);
 * - `error: <reason>`: the last attempt failed, e.g. `error: ECONNREFUSED 10.0.0.5:502`.
 */
export type DeviceStatus = 'connected' | 'connecting' | `error: ${string}`;

/** Retained on `{root}/{gateway}/status`. */
export interface StatusMessage {
  gateway: string;
  state: GatewayState;
  /**
   * When the gateway built the message. For the last will it is the time the
   * gateway connected (the will is registered then); use the receive time to
   * know when it went offline.
   */
  ts: number;
  /** Gateway software version, e.g. `0.1.0`. */
  version: string;
  /** Device id → link state. May be empty (the last will carries none). */
  devices: Record<string, DeviceStatus>;
  /**
   * Optional health counters since the gateway started: name
   * (COUNTER_NAME_PATTERN) → non-negative integer, e.g. `{"published": 1042,
   * "outboxDropped": 0}`. The names are the gateway's to choose.
   */
  counters?: Record<string, number>;
}

export type TagKind = 'analog' | 'discrete';
export const TAG_KINDS: readonly TagKind[] = ['analog', 'discrete'];

/** One point in a gateway's catalogue. */
export interface MetaTag {
  /** Tag id (TAG_ID_PATTERN), e.g. `a.hs01.t101.level`. */
  id: string;
  /** Device id (DEVICE_ID_PATTERN) within this gateway; a key of the status `devices`. */
  device: string;
  /** `discrete` points carry 0 or 1 as `v`. */
  kind: TagKind;
  /** Engineering unit, e.g. `m`, `%LEL`, `MPa`; may be empty (discrete points). */
  unit: string;
  /** Human description, one string (may be Chinese, may be empty). */
  description: string;
  /** The address at the source, e.g. `opcua:ns=2;s=T101.Level` or `modbus:plc-b/3/hr/100`. Non-empty. */
  source: string;
}

/** Retained on `{root}/{gateway}/meta`: the whole catalogue of the gateway. */
export interface MetaMessage {
  gateway: string;
  ts: number;
  tags: MetaTag[];
}

/** One value of one tag. */
export interface Reading {
  id: string;
  /** Source time where the protocol gives one, else the gateway's read time. */
  ts: number;
  /**
   * The value in engineering units; always a finite number (discrete: 0 or
   * 1). When `q` is `bad` it is the last value read (0 if none) and must not
   * be used.
   */
  v: number;
  q: Quality;
  /**
   * Why the quality is not good: `timeout`, `modbus-exception-2`, an OPC UA
   * status name. Only allowed when `q` is `uncertain` or `bad`.
   */
  err?: string;
}

/** Published (not retained) on `{root}/{gateway}/data`. */
export interface DataMessage {
  gateway: string;
  /**
   * Rises by one per message per gateway and survives restarts, so the
   * server can count gaps and duplicates. A replayed message keeps its seq.
   */
  seq: number;
  /** 1 to MAX_READINGS_PER_MESSAGE readings. */
  readings: Reading[];
  /** Present (and true) only on messages sent from the disk outbox after an outage. */
  replay?: true;
}
