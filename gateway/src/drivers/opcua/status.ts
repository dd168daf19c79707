import type { Quality } from '@park/protocol';
import { isTimestampInWindow } from '@park/protocol';

/**
 * OPC UA status codes and values → contract readings. The severity is the
 * top two bits of the code (00 good, 01 uncertain, 10/11 bad); the status
 * name (`BadSensorFailure`, `UncertainLastUsableValue`) goes into `err` for
 * anything not good.
 */
export function qualityOf(code: number): Quality {
  const severity = code >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

/** A variant value as a number: numbers, booleans (1/0), 64-bit integers; undefined otherwise. */
export function numericValue(value: unknown, discrete: boolean): number | undefined {
  let v: number | undefined;
  if (typeof value === 'number') v = value;
  else if (typeof value === 'boolean') v = value ? 1 : 0;
  else if (typeof value === 'bigint') v = Number(value);
  else if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number') v = value[0] * 0x1_0000_0000 + value[1]; // node-opcua Int64 [high, low]
  if (v === undefined || !Number.isFinite(v)) return undefined;
  return discrete ? (v !== 0 ? 1 : 0) : v;
}

/** Source time when plausible, else server time, else the gateway's clock. */
export function pickTimestamp(source: Date | null | undefined, server: Date | null | undefined, now: number): number {
  const s = source?.getTime();
  if (s !== undefined && isTimestampInWindow(s, now)) return s;
  const t = server?.getTime();
  if (t !== undefined && isTimestampInWindow(t, now)) return t;
  return now;
}
