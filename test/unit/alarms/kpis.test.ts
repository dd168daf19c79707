// Alarm-system KPIs over a hand-made journal: every number below is counted
// by hand from the records in this file.
import { describe, expect, it } from 'vitest';
import type { AlarmPriority, AlarmState } from '@park/protocol';
import { computeAlarmKpis, isAnnunciation, KPI_DEFAULTS, type AreaKpis, type KpiFloodEdge, type KpiJournalRecord } from '../../../server/src/alarms/kpis.js';
import { MIN, SEC, T0 } from './helpers.js';

const HOUR = 60 * MIN;
const FROM = T0;
const TO = T0 + HOUR;
/** Minutes:seconds after FROM. */
const at = (m: number, s = 0): number => FROM + m * MIN + s * SEC;

function rec(id: string, priority: AlarmPriority, previous: AlarmState, state: AlarmState, cause: string, ts: number, raisedAt?: number): KpiJournalRecord {
  const [tagId = id, kind = ''] = id.split(':');
  const area = id.startsWith('b.') ? 'b' : 'a';
  return { id, tagId, kind, priority, area, state, previous, cause, ts, ...(raisedAt === undefined ? {} : { raisedAt }) };
}

const JOURNAL: KpiJournalRecord[] = [
  // A, medium: chatters twice, 4 annunciations.
  rec('a.t1:h', 'medium', 'normal', 'unack', 'condition', at(1)),
  rec('a.t1:h', 'medium', 'unack', 'rtn-unack', 'condition', at(1, 20)),
  rec('a.t1:h', 'medium', 'rtn-unack', 'unack', 'condition', at(1, 40)),
  rec('a.t1:h', 'medium', 'unack', 'acked', 'ack', at(2)),
  rec('a.t1:h', 'medium', 'acked', 'normal', 'condition', at(2, 30)),
  rec('a.t1:h', 'medium', 'normal', 'unack', 'condition', at(15)),
  rec('a.t1:h', 'medium', 'unack', 'rtn-unack', 'condition', at(15, 10)),
  rec('a.t1:h', 'medium', 'rtn-unack', 'unack', 'condition', at(15, 20)),
  rec('a.t1:h', 'medium', 'unack', 'rtn-unack', 'condition', at(16)),
  rec('a.t1:h', 'medium', 'rtn-unack', 'normal', 'ack', at(16, 30)),
  // B, high: one annunciation.
  rec('a.t1:hh', 'high', 'normal', 'unack', 'condition', at(3)),
  rec('a.t1:hh', 'high', 'unack', 'acked', 'ack', at(3, 30)),
  rec('a.t1:hh', 'high', 'acked', 'normal', 'condition', at(4)),
  // C, critical: one annunciation, still active.
  rec('a.gd1:hh', 'critical', 'normal', 'unack', 'condition', at(25)),
  // D, low: raised 25 h before the period, acknowledged, still active: standing.
  rec('a.t2:l', 'low', 'normal', 'unack', 'condition', FROM - 25 * HOUR),
  rec('a.t2:l', 'low', 'unack', 'acked', 'ack', FROM - 24.5 * HOUR),
  // E, low: active 1.5 h: not standing.
  rec('a.t3:l', 'low', 'normal', 'unack', 'condition', FROM - HOUR),
  rec('a.t3:l', 'low', 'unack', 'rtn-unack', 'condition', at(30)),
  // F, low: shelved, then raised while shelved (raisedAt = ts): active 19 min, never annunciated.
  rec('a.t4:ll', 'low', 'normal', 'shelved', 'shelve', at(40)),
  rec('a.t4:ll', 'low', 'shelved', 'shelved', 'condition', at(41), at(41)),
  // G, low: shelving expires while active: annunciated again.
  rec('a.t5:h', 'low', 'shelved', 'unack', 'shelve-expired', at(50)),
  // H, medium: active 30 h, cleared inside the period: standing, not ongoing.
  rec('a.t6:h', 'medium', 'normal', 'unack', 'condition', FROM - 30 * HOUR),
  rec('a.t6:h', 'medium', 'unack', 'acked', 'ack', FROM - 29 * HOUR),
  rec('a.t6:h', 'medium', 'acked', 'normal', 'condition', at(10)),
  // Area b: one annunciation in the last second, one at `to` (outside).
  rec('b.gd1:h', 'high', 'normal', 'unack', 'condition', at(59, 59)),
  rec('b.gd1:h', 'high', 'unack', 'rtn-unack', 'condition', TO - 1),
  rec('b.gd2:h', 'high', 'normal', 'unack', 'condition', TO),
];

const FLOODS: KpiFloodEdge[] = [
  { type: 'flood-end', area: 'a', ts: at(5), peak: 11 }, // on since before the period
  { type: 'flood-start', area: 'a', ts: at(20), peak: 12 },
  { type: 'flood-end', area: 'a', ts: at(26), peak: 14 },
  { type: 'flood-start', area: 'a', ts: at(55), peak: 11 }, // still on at `to`
  { type: 'flood-start', area: 'a', ts: TO + MIN, peak: 40 }, // after the period
];

describe('alarm KPIs', () => {
  // Newest first, as the journal API returns it: the order must not matter.
  const report = computeAlarmKpis([...JOURNAL].reverse(), [...FLOODS].reverse(), { from: FROM, to: TO, topN: 3 });
  const area = (id: string): AreaKpis => report.areas.find((x) => x.area === id) as AreaKpis;
  const A = area('a');
  const B = area('b');

  it('one entry per area, sorted', () => {
    expect(report.areas.map((x) => x.area)).toEqual(['a', 'b']);
    expect([report.from, report.to, report.bucketMs]).toEqual([FROM, TO, 10 * MIN]);
  });

  const rows: [string, () => unknown, unknown][] = [
    ['a: annunciations per 10 min', () => A.annunciated.buckets.map((b) => b.count), [3, 2, 1, 0, 0, 1]],
    ['a: bucket starts', () => A.annunciated.buckets.map((b) => (b.start - FROM) / MIN), [0, 10, 20, 30, 40, 50]],
    ['a: total, average, max, buckets over the guide and over 10, rating', () => ({ ...A.annunciated, buckets: undefined }), { total: 7, averagePerBucket: 7 / 6, maxPerBucket: 3, bucketsAboveGuide: 2, bucketsAboveFlood: 0, rating: 'manageable', buckets: undefined }],
    ['b: the record at `to` is outside the period', () => [B.annunciated.total, B.annunciated.buckets.map((b) => b.count), B.annunciated.rating], [1, [0, 0, 0, 0, 0, 1], 'acceptable']],
    ['a: floods (one on at `from`, one closed, one ongoing; the one after `to` ignored)', () => ({ ...A.floods, intervals: A.floods.intervals.map((i) => [(i.start - FROM) / MIN, (i.end - FROM) / MIN, i.ongoing]) }), { count: 3, totalMs: 16 * MIN, timeInFloodPct: (16 * 100) / 60, longestMs: 6 * MIN, peak: 14, intervals: [[0, 5, false], [20, 26, false], [55, 60, true]] }],
    ['b: no flood', () => B.floods, { count: 0, totalMs: 0, timeInFloodPct: 0, longestMs: 0, peak: null, intervals: [] }],
    ['a: standing alarms, longest first', () => A.standing.map((s) => [s.id, s.activeForMs / HOUR, s.ongoing, (s.activeSince - FROM) / HOUR]), [['a.t6:h', 30 + 10 / 60, false, -30], ['a.t2:l', 26, true, -25]]],
    ['a: chattering', () => A.chattering, [{ id: 'a.t1:h', tagId: 'a.t1', episodes: 2, changes: 8 }]],
    ['a: top 3, with shares and the Pareto line', () => A.top.map((t) => [t.id, t.count, t.sharePct, t.cumulativePct]), [['a.t1:h', 4, (4 * 100) / 7, (4 * 100) / 7], ['a.gd1:hh', 1, (1 * 100) / 7, (5 * 100) / 7], ['a.t1:hh', 1, (1 * 100) / 7, (6 * 100) / 7]]],
    ['a: priority counts', () => A.priority.counts, { critical: 1, high: 1, medium: 4, low: 1 }],
    ['a: priority groups against ~5/15/80', () => A.priority.groups.map((g) => [g.group, g.count, g.pct, g.targetPct]), [['high', 2, (2 * 100) / 7, 5], ['medium', 4, (4 * 100) / 7, 15], ['low', 1, (1 * 100) / 7, 80]]],
    ['b: priority shares', () => B.priority.pct, { critical: 0, high: 100, medium: 0, low: 0 }],
  ];
  it.each(rows)('%s', (_name, actual, expected) => {
    expect(actual()).toEqual(expected);
  });

  it.each([
    ['a raise', 'normal', 'unack', true],
    ['a new raise after return to normal', 'rtn-unack', 'unack', true],
    ['a return from shelving while active', 'shelved', 'unack', true],
    ['an acknowledgement', 'unack', 'acked', false],
    ['a first-out marking', 'unack', 'unack', false],
    ['a raise while suppressed', 'suppressed', 'suppressed', false],
  ] as const)('annunciation: %s → %s', (_name, previous, state, expected) => {
    expect(isAnnunciation({ previous, state })).toBe(expected);
  });

  it('an empty journal gives an empty report; a bad period is a caller error', () => {
    expect(computeAlarmKpis([], [], { from: FROM, to: TO }).areas).toEqual([]);
    expect(() => computeAlarmKpis([], [], { from: TO, to: FROM })).toThrow(RangeError);
  });

  it('uses the documented defaults', () => {
    expect(KPI_DEFAULTS).toMatchObject({ bucketMs: 10 * MIN, acceptablePerBucket: 1, manageablePerBucket: 2, floodPerBucket: 10, standingAfterMs: 24 * HOUR, chatterWindowMs: MIN, chatterChanges: 3, topN: 10 });
  });
});
