import type { Logger } from 'pino';
import type { DeviceConfig } from '@park/protocol/config';
import type { DeviceCounters, DeviceStatus, Sample } from '../core/types.js';

/**
 * The south side of the gateway: one driver instance per device. Drivers know
 * nothing of MQTT; they hand samples and link states to their context.
 *
 * Lifecycle: `init()` validates and plans without I/O (a problem is a
 * configuration error that stops start-up); `start()` begins connecting in
 * the background and never throws; the poll scheduler then calls
 * `readGroup(i)` every `plan.groups[i].intervalMs` (never twice at once for a
 * device); `stop()` closes everything within its timeout.
 *
 * Error tiers (STYLE.md): a failed read of a tag or block is data (a bad
 * sample with `err`); a lost connection is the driver's reconnect policy and
 * a device state (`error: …`), never an exception out of the driver.
 */
export interface Driver {
  readonly device: DeviceConfig;
  init(): DriverPlan;
  start(ctx: DriverContext): Promise<void>;
  readGroup(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface DriverPlan {
  /** Polled groups; empty for a push-driven driver (OPC UA subscriptions). */
  groups: { intervalMs: number; description: string }[];
  /** One line per block/subscription, logged at start. */
  summary: string[];
}

export interface DriverContext {
  log: Logger;
  /** Every sample read (the report filter decides what is published). */
  emit(samples: readonly Sample[]): void;
  /** The device's link state, as shown in the status message. */
  state(status: DeviceStatus): void;
  counters: DeviceCounters;
  /** This gateway's state folder (OPC UA PKI lives under it). */
  dataDir: string;
}

/** Thrown by `init()`: names the device and the problem; start-up stops with exit code 2. */
export class DriverConfigError extends Error {
  override name = 'DriverConfigError';
}

/** Protocol name → factory (asynchronous: a protocol's stack is loaded when first needed). */
export type DriverFactory = (device: DeviceConfig) => Promise<Driver>;
