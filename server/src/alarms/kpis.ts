/**
 * Alarm-system KPIs (DOMAIN.md §7.3, EEMUA 191 / ISA-18.2) per area, as pure
 * functions over journal records and flood edges: no I/O, no clock. The
 * server reads the journal for a period and hands it here; an API route
 * serves the report. Described in docs/alarms.md ("KPIs").
 *
 * Input order does not matter: records and edges are sorted by `ts` here
 * (the journal API returns newest first). Records before `from` are used
 * only to know which alarms were already active (standing alarms); nothing
 * before `from` or at/after `to` is counted.
 *
 * "Annunciated" is the engine's definition: a record with `state === 'unack'`
 * and `previous !== 'unack'` (a raise, or a return from shelving,
 * suppression or out of service while active). Shelved, suppressed and
 * out-of-service condition changes are not annunciated and are not counted.
 */

import { ALARM_PRIORITIES, type AlarmPriority, type AlarmState } from '@park/protocol';

/** One journal record (`alarm` measurement point), as the journal query returns it. */
export interface KpiJournalRecord {
  id: string;
  tagId: string;
  kind: string;
  priority: AlarmPriority;
  /** Flood/KPI area (the site id). */
  area: string;
  /** State after the transition. */
  state: AlarmState;
  previous: string;
  /** `condition`, `ack`, `shelve`…, as in AlarmTransition.cause. */
  cause: string;
  /** Transition time (engine clock, ms). */
  ts: number;
  /**
   * The event's `raisedAt`, if the query returns it: needed only to tell a
   * raise from a clear while shelved or suppressed (`raisedAt === ts` is a
   * raise). Without it those changes leave the active state as it was.
   */
  raisedAt?: number;
}

/** A flood edge (`alarm_flood` measurement), as FloodEvent / AlarmFloodEvent. */
export interface KpiFloodEdge {
  type: 'flood-start' | 'flood-end';
  area: string;
  ts: number;
  /** Most annunciations in the window during the flood (on the edge). */
  peak?: number;
}

export interface KpiOptions {
  /** Period start (inclusive), ms. */
  from: number;
  /** Period end (exclusive), ms; must be after `from`. */
  to: number;
  bucketMs?: number;
  standingAfterMs?: number;
  chatterWindowMs?: number;
  chatterChanges?: number;
  topN?: number;
}

/**
 * Defaults and guide values, in one place (DOMAIN.md §7.3): EEMUA 191 "< 1
 * alarm per 10 min" is acceptable and 1–2 manageable; standing = active over
 * 24 h; chattering = ≥ 3 raises/clears within 60 s (vendor definition ⚠️);
 * the top-10 most frequent (bad actors); flood time target < 1 %.
 */
export const KPI_DEFAULTS = {
  bucketMs: 10 * 60_000,
  acceptablePerBucket: 1,
  manageablePerBucket: 2,
  /** ISA-18.2's "more than 10 alarms in 10 minutes" (DOMAIN.md §7.3). */
  floodPerBucket: 10,
  standingAfterMs: 24 * 3_600_000,
  chatterWindowMs: 60_000,
  chatterChanges: 3,
  topN: 10,
  timeInFloodTargetPct: 1,
} as const;

/**
 * The annunciated priority distribution guide (~5 % high / ~15 % medium /
 * ~80 % low, for three priorities: DOMAIN.md §7.3). Our four priorities are
 * grouped onto it: critical and high against the 5 % (🔧 our mapping).
 */
export const PRIORITY_DISTRIBUTION_GUIDE: readonly { group: 'high' | 'medium' | 'low'; priorities: readonly AlarmPriority[]; targetPct: number }[] = [
  { group: 'high', priorities: ['critical', 'high'], targetPct: 5 },
  { group: 'medium', priorities: ['medium'], targetPct: 15 },
  { group: 'low', priorities: ['low'], targetPct: 80 },
];

export interface KpiBucket {
  /** Bucket start; buckets are `bucketMs` long from `from`, the last one may be shorter. */
  start: number;
  count: number;
}

/** `acceptable`: average ≤ 1 per 10 min; `manageable`: ≤ 2; `over`: above (EEMUA 191). */
export type RateRating = 'acceptable' | 'manageable' | 'over';

export interface AnnunciationKpi {
  total: number;
  buckets: KpiBucket[];
  /** `total` per `bucketMs` of the period (a short last bucket counts pro rata). */
  averagePerBucket: number;
  maxPerBucket: number;
  /** Buckets with more than `acceptablePerBucket` (1). */
  bucketsAboveGuide: number;
  /** Buckets with more than `floodPerBucket` (10) annunciations. */
  bucketsAboveFlood: number;
  rating: RateRating;
}

export interface FloodInterval {
  /** Start, clipped to `from` for a flood already on. */
  start: number;
  /** End, clipped to `to`; for an ongoing flood, `to`. */
  end: number;
  durationMs: number;
  /** Still in flood at `to`. */
  ongoing: boolean;
}

export interface FloodKpi {
  /** Floods overlapping the period (one already on at `from` counts). */
  count: number;
  totalMs: number;
  /** `totalMs` / period × 100 (target < 1 %). */
  timeInFloodPct: number;
  longestMs: number;
  /** Highest `peak` seen on the edges; null when none carries one. */
  peak: number | null;
  intervals: FloodInterval[];
}

export interface StandingAlarm {
  id: string;
  tagId: string;
  kind: string;
  priority: AlarmPriority;
  /** When the condition became active (its `raisedAt` when known, else the record's `ts`). */
  activeSince: number;
  /** Active time up to the clear, or up to `to` if still active. */
  activeForMs: number;
  /** Still active at `to`. */
  ongoing: boolean;
}

export interface ChatteringAlarm {
  id: string;
  tagId: string;
  /** Times it started chattering in the period. */
  episodes: number;
  /** Condition changes (raises and clears) in the period. */
  changes: number;
}

export interface TopAlarm {
  id: string;
  tagId: string;
  kind: string;
  priority: AlarmPriority;
  /** Annunciations in the period. */
  count: number;
  /** Share of the area's annunciations, %. */
  sharePct: number;
  /** Share of this and every alarm above it in the list, % (the Pareto line). */
  cumulativePct: number;
}

export interface PriorityKpi {
  counts: Record<AlarmPriority, number>;
  /** Share of annunciations per priority, % (0 when none). */
  pct: Record<AlarmPriority, number>;
  groups: { group: 'high' | 'medium' | 'low'; priorities: readonly AlarmPriority[]; count: number; pct: number; targetPct: number }[];
}

export interface AreaKpis {
  area: string;
  annunciated: AnnunciationKpi;
  floods: FloodKpi;
  /** Alarms active continuously longer than `standingAfterMs`, longest first. */
  standing: StandingAlarm[];
  /** Alarms that chattered, most episodes first. */
  chattering: ChatteringAlarm[];
  /** The `topN` most annunciated alarms, most first (ties by id). */
  top: TopAlarm[];
  priority: PriorityKpi;
}

export interface KpiReport {
  from: number;
  to: number;
  bucketMs: number;
  /** One entry per area with records or flood edges, sorted by area. */
  areas: AreaKpis[];
}

/** True for a record that annunciated (sound, flood count): into `unack` from another state. */
export function isAnnunciation(r: Pick<KpiJournalRecord, 'state' | 'previous'>): boolean {
  return r.state === 'unack' && r.previous !== 'unack';
}

function byTs<T extends { ts: number }>(a: T, b: T): number {
  return a.ts - b.ts;
}

function pct(part: number, whole: number): number {
  return whole > 0 ? (part * 100) / whole : 0;
}

/**
 * The KPI report for [`from`, `to`). Throws RangeError on a period that is
 * not a finite, positive span (a caller bug, not data).
 */
export function computeAlarmKpis(records: readonly KpiJournalRecord[], floods: readonly KpiFloodEdge[], options: KpiOptions): KpiReport {
  const { from, to } = options;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new RangeError(`KPI period: expected finite from < to, got ${from}..${to}`);
  const o = {
    bucketMs: options.bucketMs ?? KPI_DEFAULTS.bucketMs,
    standingAfterMs: options.standingAfterMs ?? KPI_DEFAULTS.standingAfterMs,
    chatterWindowMs: options.chatterWindowMs ?? KPI_DEFAULTS.chatterWindowMs,
    chatterChanges: options.chatterChanges ?? KPI_DEFAULTS.chatterChanges,
    topN: options.topN ?? KPI_DEFAULTS.topN,
  };
  if (!(o.bucketMs > 0) || !(o.chatterChanges >= 2) || !(o.chatterWindowMs > 0)) throw new RangeError('KPI options: bucketMs and chatterWindowMs must be > 0, chatterChanges ≥ 2');
  const byArea = new Map<string, KpiJournalRecord[]>();
  for (const r of records) {
    let list = byArea.get(r.area);
    if (list === undefined) byArea.set(r.area, (list = []));
    list.push(r);
  }
  const floodsByArea = new Map<string, KpiFloodEdge[]>();
  for (const f of floods) {
    let list = floodsByArea.get(f.area);
    if (list === undefined) floodsByArea.set(f.area, (list = []));
    list.push(f);
  }
  const areas = [...new Set([...byArea.keys(), ...floodsByArea.keys()])].sort();
  return {
    from,
    to,
    bucketMs: o.bucketMs,
    areas: areas.map((area) => areaKpis(area, [...(byArea.get(area) ?? [])].sort(byTs), [...(floodsByArea.get(area) ?? [])].sort(byTs), from, to, o)),
  };
}

type Resolved = { bucketMs: number; standingAfterMs: number; chatterWindowMs: number; chatterChanges: number; topN: number };

function areaKpis(area: string, records: KpiJournalRecord[], floods: KpiFloodEdge[], from: number, to: number, o: Resolved): AreaKpis {
  const inPeriod = records.filter((r) => r.ts >= from && r.ts < to);
  const annunciations = inPeriod.filter(isAnnunciation);
  return {
    area,
    annunciated: annunciationKpi(annunciations, from, to, o.bucketMs),
    floods: floodKpi(floods, from, to),
    standing: standingAlarms(records, from, to, o.standingAfterMs),
    chattering: chatteringAlarms(inPeriod, o.chatterWindowMs, o.chatterChanges),
    top: topAlarms(annunciations, o.topN),
    priority: priorityKpi(annunciations),
  };
}

function annunciationKpi(annunciations: KpiJournalRecord[], from: number, to: number, bucketMs: number): AnnunciationKpi {
  const n = Math.ceil((to - from) / bucketMs);
  const buckets: KpiBucket[] = Array.from({ length: n }, (_, i) => ({ start: from + i * bucketMs, count: 0 }));
  for (const r of annunciations) (buckets[Math.floor((r.ts - from) / bucketMs)] as KpiBucket).count++;
  const total = annunciations.length;
  const averagePerBucket = (total * bucketMs) / (to - from);
  const rating: RateRating = averagePerBucket <= KPI_DEFAULTS.acceptablePerBucket ? 'acceptable' : averagePerBucket <= KPI_DEFAULTS.manageablePerBucket ? 'manageable' : 'over';
  return {
    total,
    buckets,
    averagePerBucket,
    maxPerBucket: buckets.reduce((m, b) => Math.max(m, b.count), 0),
    bucketsAboveGuide: buckets.filter((b) => b.count > KPI_DEFAULTS.acceptablePerBucket).length,
    bucketsAboveFlood: buckets.filter((b) => b.count > KPI_DEFAULTS.floodPerBucket).length,
    rating,
  };
}

/**
 * Flood intervals from the edges: a start opens one (a second start while
 * open is ignored), an end closes it; an end with no start before it means a
 * flood already on at `from`; one still open is ongoing until `to`. Every
 * interval is clipped to the period; those outside it are dropped.
 */
function floodKpi(edges: KpiFloodEdge[], from: number, to: number): FloodKpi {
  const intervals: FloodInterval[] = [];
  let openAt: number | null = null;
  let sawEdge = false;
  let peak: number | null = null;
  const close = (start: number, end: number, ongoing: boolean): void => {
    const s = Math.max(start, from);
    const e = Math.min(end, to);
    if (e > s || (ongoing && e >= s)) intervals.push({ start: s, end: e, durationMs: e - s, ongoing });
  };
  for (const edge of edges) {
    if (edge.ts >= to) break;
    if (edge.peak !== undefined && edge.ts >= from) peak = Math.max(peak ?? 0, edge.peak);
    if (edge.type === 'flood-start') {
      if (openAt === null) openAt = edge.ts;
    } else if (openAt !== null) {
      close(openAt, edge.ts, false);
      openAt = null;
    } else if (!sawEdge) {
      close(from, edge.ts, false);
    }
    sawEdge = true;
  }
  if (openAt !== null) close(openAt, to, true);
  const totalMs = intervals.reduce((t, i) => t + i.durationMs, 0);
  return { count: intervals.length, totalMs, timeInFloodPct: pct(totalMs, to - from), longestMs: intervals.reduce((m, i) => Math.max(m, i.durationMs), 0), peak, intervals };
}

/** The condition after a record: true/false, or null when the record does not say. */
function activeAfter(r: KpiJournalRecord): boolean | null {
  switch (r.state) {
    case 'unack':
    case 'acked':
      return true;
    case 'normal':
    case 'rtn-unack':
      return false;
    default:
      if (r.cause === 'condition' && r.raisedAt !== undefined) return r.raisedAt === r.ts;
      return null;
  }
}

function standingAlarms(records: KpiJournalRecord[], from: number, to: number, afterMs: number): StandingAlarm[] {
  const byId = new Map<string, KpiJournalRecord[]>();
  for (const r of records) {
    if (r.ts >= to) continue;
    let list = byId.get(r.id);
    if (list === undefined) byId.set(r.id, (list = []));
    list.push(r);
  }
  const out: StandingAlarm[] = [];
  for (const list of byId.values()) {
    let since: number | null = null;
    let last: KpiJournalRecord | null = null;
    const interval = (end: number, ongoing: boolean): void => {
      if (since === null || last === null || end <= from) return;
      const activeForMs = Math.min(end, to) - since;
      if (activeForMs > afterMs) out.push({ id: last.id, tagId: last.tagId, kind: last.kind, priority: last.priority, activeSince: since, activeForMs, ongoing });
    };
    for (const r of list) {
      const a = activeAfter(r);
      last = r;
      if (a === true && since === null) since = r.raisedAt !== undefined && r.raisedAt > 0 && r.raisedAt <= r.ts ? r.raisedAt : r.ts;
      else if (a === false && since !== null) {
        interval(r.ts, false);
        since = null;
      }
    }
    interval(to, true);
  }
  return out.sort((a, b) => b.activeForMs - a.activeForMs || (a.id < b.id ? -1 : 1));
}

/** Chattering as the engine counts it: an episode starts when the latest `changes` condition changes lie within `windowMs`. */
function chatteringAlarms(inPeriod: KpiJournalRecord[], windowMs: number, changes: number): ChatteringAlarm[] {
  const byId = new Map<string, { r: KpiJournalRecord; times: number[]; episodes: number; chattering: boolean }>();
  for (const r of inPeriod) {
    if (r.cause !== 'condition') continue;
    let a = byId.get(r.id);
    if (a === undefined) byId.set(r.id, (a = { r, times: [], episodes: 0, chattering: false }));
    a.times.push(r.ts);
    const n = a.times.length;
    const now = n >= changes && r.ts - (a.times[n - changes] as number) <= windowMs;
    if (now && !a.chattering) a.episodes++;
    a.chattering = now;
  }
  return [...byId.values()]
    .filter((a) => a.episodes > 0)
    .map((a) => ({ id: a.r.id, tagId: a.r.tagId, episodes: a.episodes, changes: a.times.length }))
    .sort((a, b) => b.episodes - a.episodes || (a.id < b.id ? -1 : 1));
}

function topAlarms(annunciations: KpiJournalRecord[], topN: number): TopAlarm[] {
  const counts = new Map<string, { r: KpiJournalRecord; count: number }>();
  for (const r of annunciations) {
    const c = counts.get(r.id);
    if (c === undefined) counts.set(r.id, { r, count: 1 });
    else c.count++;
  }
  const total = annunciations.length;
  let cumulative = 0;
  return [...counts.values()]
    .sort((a, b) => b.count - a.count || (a.r.id < b.r.id ? -1 : 1))
    .slice(0, Math.max(0, topN))
    .map(({ r, count }) => {
      cumulative += count;
      return { id: r.id, tagId: r.tagId, kind: r.kind, priority: r.priority, count, sharePct: pct(count, total), cumulativePct: pct(cumulative, total) };
    });
}

function priorityKpi(annunciations: KpiJournalRecord[]): PriorityKpi {
  const counts = Object.fromEntries(ALARM_PRIORITIES.map((p) => [p, 0])) as Record<AlarmPriority, number>;
  for (const r of annunciations) if (r.priority in counts) counts[r.priority]++;
  const total = annunciations.length;
  const share = Object.fromEntries(ALARM_PRIORITIES.map((p) => [p, pct(counts[p], total)])) as Record<AlarmPriority, number>;
  return {
    counts,
    pct: share,
    groups: PRIORITY_DISTRIBUTION_GUIDE.map((g) => {
      const count = g.priorities.reduce((t, p) => t + counts[p], 0);
      return { group: g.group, priorities: g.priorities, count, pct: pct(count, total), targetPct: g.targetPct };
    }),
  };
}
