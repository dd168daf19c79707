import { ALARM_PRIORITIES, type AlarmPriority } from '@park/protocol';
import { ApiError, getJson } from './client';

// Alarm-system KPIs per area (`GET /api/alarms/kpis?from&to&area`; DOMAIN.md
// §7.3, computed by the server from the journal). These types restate the
// parts of server/src/alarms/kpis.ts the display reads (the web cannot import
// the server); the answer is checked for the fields used.

/** EEMUA 191: ≤ 1 annunciated alarm per 10 min is acceptable (the guide line). */
export const KPI_GUIDE_PER_10_MIN = 1;
/** The server refuses a longer period (`KPI_MAX_SPAN_DAYS`). */
export const KPI_MAX_SPAN_DAYS = 31;

export interface KpiBucket {
  readonly start: number;
  readonly count: number;
}

export interface AreaKpis {
  readonly area: string;
  readonly annunciated: {
    readonly total: number;
    readonly buckets: readonly KpiBucket[];
    readonly averagePerBucket: number;
    readonly maxPerBucket: number;
    readonly bucketsAboveGuide: number;
    readonly bucketsAboveFlood: number;
    readonly rating: 'acceptable' | 'manageable' | 'over';
  };
  readonly floods: {
    readonly count: number;
    readonly totalMs: number;
    readonly timeInFloodPct: number;
    readonly longestMs: number;
    readonly peak: number | null;
    readonly intervals: readonly { readonly start: number; readonly end: number; readonly durationMs: number; readonly ongoing: boolean }[];
  };
  readonly standing: readonly { readonly id: string; readonly tagId: string; readonly kind: string; readonly priority: AlarmPriority; readonly activeSince: number; readonly activeForMs: number; readonly ongoing: boolean }[];
  readonly chattering: readonly { readonly id: string; readonly tagId: string; readonly episodes: number; readonly changes: number }[];
  readonly top: readonly { readonly id: string; readonly tagId: string; readonly kind: string; readonly priority: AlarmPriority; readonly count: number; readonly sharePct: number; readonly cumulativePct: number }[];
  readonly priority: {
    readonly counts: Readonly<Record<AlarmPriority, number>>;
    readonly pct: Readonly<Record<AlarmPriority, number>>;
    readonly groups: readonly { readonly group: 'high' | 'medium' | 'low'; readonly priorities: readonly AlarmPriority[]; readonly count: number; readonly pct: number; readonly targetPct: number }[];
  };
}

export interface KpiAnswer {
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  readonly areas: readonly AreaKpis[];
  /** The period held more journal points than the server reads: the numbers are a lower bound. */
  readonly truncated: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isArea(value: unknown): value is AreaKpis {
  if (!isRecord(value) || typeof value.area !== 'string') return false;
  const a = value.annunciated;
  const f = value.floods;
  const p = value.priority;
  return (
    isRecord(a) &&
    typeof a.total === 'number' &&
    Array.isArray(a.buckets) &&
    isRecord(f) &&
    typeof f.timeInFloodPct === 'number' &&
    Array.isArray(value.standing) &&
    Array.isArray(value.chattering) &&
    Array.isArray(value.top) &&
    isRecord(p) &&
    isRecord(p.counts) &&
    ALARM_PRIORITIES.every((k) => typeof (p.counts as Record<string, unknown>)[k] === 'number') &&
    Array.isArray(p.groups)
  );
}

export interface KpiQuery {
  readonly fromMs: number;
  readonly toMs: number;
  readonly area?: string;
}

/** `GET /api/alarms/kpis`. Rejects with ApiError (a 400 carries the server's reason). */
export async function fetchAlarmKpis(query: KpiQuery, signal?: AbortSignal): Promise<KpiAnswer> {
  const params = new URLSearchParams({ from: new Date(query.fromMs).toISOString(), to: new Date(query.toMs).toISOString() });
  if (query.area) params.set('area', query.area);
  const path = `/api/alarms/kpis?${params.toString()}`;
  const response = await getJson(path, { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
  if (!response.ok) {
    const body = response.body;
    throw new ApiError('http', isRecord(body) && typeof body.error === 'string' ? body.error : `HTTP ${response.httpStatus}`, response.httpStatus);
  }
  const body = response.body;
  if (!isRecord(body) || typeof body.from !== 'number' || typeof body.to !== 'number' || typeof body.bucketMs !== 'number' || !Array.isArray(body.areas) || !body.areas.every(isArea)) {
    throw new ApiError('invalid-response', `GET ${path}: not a KPI report`);
  }
  return { ...(body as unknown as KpiAnswer), truncated: body.truncated === true };
}
