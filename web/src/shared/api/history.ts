import { ApiError, getJson } from './client';

// GET /api/history: downsampled by the server into `intervalMs` buckets
// (raw points for short spans, the 1-minute rollup for long ones).

export interface HistoryPoint {
  readonly ts: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** Worst quality in the bucket: 0 good, 1 uncertain, 2 bad (or the word). */
  readonly q: number | string;
}

export interface HistorySeries {
  readonly id: string;
  readonly unit: string;
  readonly points: readonly HistoryPoint[];
}

export interface HistoryResponse {
  readonly from: number;
  readonly to: number;
  readonly intervalMs: number;
  readonly series: readonly HistorySeries[];
}

/** The server caps one request at 20 tags. */
export const MAX_HISTORY_TAGS = 20;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}

function parse(body: unknown): HistoryResponse | string {
  if (!isRecord(body)) return 'not an object';
  const from = toMs(body.from);
  const to = toMs(body.to);
  if (from === null || to === null) return 'from/to: not times';
  if (!Array.isArray(body.series)) return 'series: not a list';
  const series: HistorySeries[] = [];
  for (const s of body.series) {
    if (!isRecord(s) || typeof s.id !== 'string' || !Array.isArray(s.points)) return 'series: malformed entry';
    const points: HistoryPoint[] = [];
    for (const p of s.points) {
      if (!isRecord(p)) continue;
      const ts = toMs(p.ts);
      if (ts === null || typeof p.mean !== 'number') continue;
      points.push({
        ts,
        mean: p.mean,
        min: typeof p.min === 'number' ? p.min : p.mean,
        max: typeof p.max === 'number' ? p.max : p.mean,
        q: typeof p.q === 'number' || typeof p.q === 'string' ? p.q : 0,
      });
    }
    points.sort((a, b) => a.ts - b.ts);
    series.push({ id: s.id, unit: typeof s.unit === 'string' ? s.unit : '', points });
  }
  return { from, to, intervalMs: typeof body.intervalMs === 'number' ? body.intervalMs : 0, series };
}

export async function fetchHistory(ids: readonly string[], fromMs: number, toMs: number, maxPoints: number, signal?: AbortSignal): Promise<HistoryResponse> {
  const params = new URLSearchParams({
    ids: ids.join(','),
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    maxPoints: String(Math.max(2, Math.min(10_000, Math.round(maxPoints)))),
  });
  const path = `/api/history?${params.toString()}`;
  const response = await getJson(path, { timeoutMs: 20_000, ...(signal ? { signal } : {}) });
  const body = response.body;
  if (!response.ok) {
    const reason = isRecord(body) && typeof body.error === 'string' ? body.error : `HTTP ${response.httpStatus}`;
    throw new ApiError('http', reason, response.httpStatus);
  }
  const parsed = parse(body);
  if (typeof parsed === 'string') throw new ApiError('invalid-response', `GET /api/history: ${parsed}`);
  return parsed;
}
