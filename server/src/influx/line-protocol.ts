/**
 * InfluxDB 1.x line protocol for readings, built directly: the hot path of
 * ingest, so no per-point objects or generic escaping. `q` is an integer
 * field (`0i`), `v` a float; timestamps in milliseconds (`precision=ms`).
 */
import type { QueuedReading, StoredReading } from './influx-store.js';

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

/** Measurement and tags of a reading's point: the same for every reading of a tag. */
export function seriesKey(id: string, site: string, source: string): string {
  const parts = ['reading', `id=${escapeTag(id)}`];
  if (site) parts.push(`site=${escapeTag(site)}`);
  if (source) parts.push(`source=${escapeTag(source)}`);
  // `join` gives one flat string; kept per tag, a chain of concatenations would be walked again at every write.
  return parts.join(',');
}

/** One reading's line, without the newline. */
export function readingLine(r: StoredReading): string {
  return `${r.series ?? seriesKey(r.id, r.site, r.source)} v=${float(r.v)},q=${r.q}i ${r.ts}`;
}

export function readingLines(readings: readonly QueuedReading[]): string {
  let out = '';
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as QueuedReading;
    out += `${typeof r === 'string' ? r : readingLine(r)}\n`;
  }
  return out;
}
