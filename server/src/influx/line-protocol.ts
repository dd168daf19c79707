/**
 * InfluxDB 1.x line protocol for readings, built directly: the hot path of
 * ingest, so no per-point objects or generic escaping. `q` is an integer
 * field (`0i`), `v` a float; timestamps in milliseconds (`precision=ms`).
 */
import type { StoredReading } from './influx-store.js';

// Tag values escape commas, equals signs and spaces. Ids match the contract's
// pattern and never need it; the check keeps that an assumption, not a bug.
const NEEDS_ESCAPE = /[,= \\\n]/;

export function escapeTag(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\,= ]/g, '\\$&').replace(/\n/g, '\\n') : value;
}

/** Formats a finite number as a float field value (integers get no `i`, so they stay floats). */
function float(v: number): string {
  return String(v);
}

export function readingLines(readings: readonly StoredReading[]): string {
  let out = '';
  for (const r of readings) {
    out += `reading,id=${escapeTag(r.id)}`;
    if (r.site) out += `,site=${escapeTag(r.site)}`;
    if (r.source) out += `,source=${escapeTag(r.source)}`;
    out += ` v=${float(r.v)},q=${r.q}i ${r.ts}\n`;
  }
  return out;
}
