import type { DeviceStatus, Quality } from '@park/protocol';
import type { ClockSyncResult } from '../clock-sync.js';

/**
 * What `park-gateway check` found: the data behind the printed table and
 * `--json`. Field names are stable (engineers keep the JSON with the
 * commissioning record).
 */

export interface CheckReport {
  gateway: string;
  version: string;
  configFile: string;
  /** ms since the epoch, this box's clock. */
  startedAt: number;
  durationMs: number;
  /** `pass`: every device reachable, every tag good or uncertain, broker reachable. */
  result: 'pass' | 'fail';
  /** Why it failed, one line each. */
  failures: string[];
  /** Worth a look, not a failure (uncertain tags, clock not synchronised, …). */
  warnings: string[];
  devices: DeviceCheck[];
  /** Modbus read plan: one row per block, in poll order. */
  plan: PlanRow[];
  /** Every tag of every device, in configuration order. */
  tags: TagCheck[];
  /** OPC UA tags whose node or browse path the server does not know. */
  unresolved: UnresolvedNode[];
  clock: ClockSyncResult;
  broker: BrokerCheck;
  /** Warnings and errors the drivers logged during the check. */
  notes: { device: string; level: 'info' | 'warn' | 'error'; text: string }[];
  /** Readings published (only with `--publish`). */
  published: number;
}

export interface DeviceCheck {
  id: string;
  protocol: 'opcua' | 'modbus-tcp' | 'modbus-rtu';
  /** `127.0.0.1:5020 unit 1`, `/dev/ttyUSB0 9600 8N1 unit 3`, `opc.tcp://…`. */
  address: string;
  reachable: boolean;
  /** The driver's last link state. */
  state: DeviceStatus;
  /** Why not reachable (or why some tags are bad), in words. */
  reason: string;
  tags: number;
  good: number;
  uncertain: number;
  bad: number;
}

export interface PlanRow {
  device: string;
  unit: number;
  intervalMs: number;
  /** `hr`, `ir`, `co`, `di`. */
  table: string;
  start: number;
  count: number;
  tags: string[];
}

export interface TagCheck {
  id: string;
  device: string;
  kind: 'analog' | 'discrete';
  unit: string;
  /** The first value read; null when bad or never read. */
  value: number | null;
  q: Quality;
  err?: string;
  /** Timestamp of the value (source time where the protocol gives one), ms since the epoch; null when never read. */
  ts: number | null;
  /** `modbus:b-plc/1/hr/0`, `opcua:ns=1;s=…`. */
  source: string;
  description: string;
}

export interface UnresolvedNode {
  device: string;
  tag: string;
  /** The node id or browse path that did not resolve. */
  node: string;
  /** The server's status name, e.g. `BadNodeIdUnknown`. */
  reason: string;
}

export interface BrokerCheck {
  url: string;
  reachable: boolean;
  /** Error text when not reachable. */
  reason: string;
  /** Time to CONNACK. */
  connectMs: number | null;
}

/** Exit codes of `park-gateway check`. */
export const CHECK_EXIT = { pass: 0, fail: 1, config: 2 } as const;
