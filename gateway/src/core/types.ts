import type { DeviceStatus, Reading } from '@park/protocol';

/**
 * What flows from drivers to the publisher: one value of one tag, already in
 * engineering units with its quality. The same shape as a contract reading;
 * `v` of a bad sample may be NaN (the report filter substitutes the last value).
 */
export type Sample = Reading;

export type { DeviceStatus };

/** Per-device health counters, since start. */
export interface DeviceCounters {
  /** Successful read requests (Modbus block reads, OPC UA reads or notifications). */
  reads: number;
  /** Failed reads of any kind (exceptions, timeouts, bad status). */
  errors: number;
  /** Of which timeouts. */
  timeouts: number;
}

export function newDeviceCounters(): DeviceCounters {
  return { reads: 0, errors: 0, timeouts: 0 };
}
