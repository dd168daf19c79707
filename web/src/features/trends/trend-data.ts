import type { HistoryPoint } from '../../shared/api/history';

// Pure helpers of the trends page: ranges, series bookkeeping, axis per unit.

export const TREND_RANGES = [
  { key: '15m', ms: 15 * 60_000 },
  { key: '1h', ms: 3_600_000 },
  { key: '8h', ms: 8 * 3_600_000 },
  { key: '24h', ms: 86_400_000 },
  { key: '7d', ms: 7 * 86_400_000 },
  { key: '30d', ms: 30 * 86_400_000 },
] as const;
export type TrendRangeKey = (typeof TREND_RANGES)[number]['key'];

export function rangeMs(key: TrendRangeKey): number {
  return TREND_RANGES.find((r) => r.key === key)?.ms ?? 3_600_000;
}

/** At most this many tags on one chart (the server allows 20 per request; a chart stays readable with fewer). */
export const MAX_TREND_TAGS = 8;

/** Appends a live point when it is newer than the series' last; drops what fell out of the window. */
export function appendLive(points: readonly HistoryPoint[], point: HistoryPoint, fromMs: number): HistoryPoint[] {
  const last = points[points.length - 1];
  if (last && point.ts <= last.ts) return points as HistoryPoint[];
  let start = 0;
  while (start < points.length && (points[start]?.ts ?? 0) < fromMs) start++;
  return [...points.slice(start), point];
}

/** Units in first-seen order: one Y axis each. */
export function unitsOf(units: readonly string[]): string[] {
  const out: string[] = [];
  for (const unit of units) if (!out.includes(unit)) out.push(unit);
  return out;
}

/** Line colours for trends: distinct, and none of the alarm priority colours (red, orange, yellow, cyan). */
export const SERIES_COLOURS = ['#6ea8fe', '#b48ead', '#8fd18f', '#e6edf3', '#f78fb3', '#9aa5ff', '#a3be8c', '#c9a27e'] as const;
