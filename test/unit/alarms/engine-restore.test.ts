import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '@park/protocol';
import { NO_TRANSITIONS, type AlarmTransition, type RestoreEvent } from '../../../server/src/alarms/engine.js';
import { GW, Harness, MIN, SEC, T0, TRIP, id, summary } from './helpers.js';

/** A running engine's journal: every transition's event (and user), in order. */
function journalOf(h: Harness, work: (h: Harness, log: (ts: readonly AlarmTransition[]) => void) => void): RestoreEvent[] {
  const journal: RestoreEvent[] = [];
  const log = (ts: readonly AlarmTransition[]) => {
    for (const t of ts) journal.push(t.user === undefined ? t.event : { ...t.event, user: t.user });
  };
  work(h, log);
  return journal;
}

/** Before a restart: h acked, hh unack, the SIS trip unack (critical), l shelved and active, gateway offline, bad quality on the trip tag. */
function beforeRestart(): { before: Harness; journal: RestoreEvent[] } {
  const before = new Harness();
  const journal = journalOf(before, (h, log) => {
    log(h.read(91));
    log(h.at(SEC).read(1, { id: TRIP }));
    const a = h.at(2 * SEC).ack(id.h, 'op1', 'seen');
    if (a.ok) log(a.transitions);
    h.at(3 * SEC);
    log(h.engine.onGatewayStatus(GW, false, h.now));
    log(h.at(4 * SEC).read(0, { id: TRIP, q: 'bad', err: 'timeout' }));
  });
  return { before, journal };
}

describe('restore after a restart', () => {
  it('rebuilds the same active alarms, states and users, producing no transitions', () => {
    const { before, journal } = beforeRestart();
    const after = new Harness();
    const report = after.engine.restore(journal);
    expect(report).toEqual({ restored: 5, unknown: [], invalid: 0 });
    expect(after.engine.active()).toEqual(before.engine.active());
    expect(after.engine.counters().transitions).toBe(0);
  });

  it('readings that confirm the restored state produce no transitions (no duplicate notification)', () => {
    const { journal } = beforeRestart();
    const after = new Harness();
    after.engine.restore(journal);
    after.at(MIN);
    expect(after.read(91)).toBe(NO_TRANSITIONS);
    expect(after.engine.onGatewayStatus(GW, false, after.now)).toBe(NO_TRANSITIONS);
    expect(after.read(0, { id: TRIP, q: 'bad' })).toBe(NO_TRANSITIONS);
    expect(after.tick().transitions).toEqual([]);
  });

  it('readings that differ from the restored state give the ordinary transitions', () => {
    const { journal } = beforeRestart();
    const after = new Harness();
    after.engine.restore(journal);
    after.at(MIN);
    expect(summary(after.read(50))).toEqual(['h acked→normal', 'hh unack→rtn-unack']);
    expect(summary(after.engine.onGatewayStatus(GW, true, after.now))).toEqual(['gateway-offline unack→rtn-unack']);
  });

  it('an acknowledged alarm stays acknowledged: acking again is refused with the original user and time', () => {
    const { journal } = beforeRestart();
    const after = new Harness();
    after.engine.restore(journal);
    expect(after.ack(id.h, 'op2')).toEqual({ ok: false, code: 'refused', error: `ack "${id.h}": already acknowledged by op1 at 2025-01-15T08:00:02.000Z` });
  });

  it('a restored bad-quality alarm keeps the tag frozen until a good reading', () => {
    const { journal } = beforeRestart();
    const after = new Harness();
    after.engine.restore(journal);
    // The trip tag is bad: its discrete alarm is not cleared by a tick, and its stale (if any) is masked.
    expect(after.at(10 * MIN).tick().transitions.filter((t) => t.event.tagId === TRIP)).toEqual([]);
    expect(summary(after.read(0, { id: TRIP }))).toEqual(['bad-quality unack→rtn-unack', 'discrete unack→rtn-unack']);
  });

  it('a shelved alarm comes back shelved, by the same user, and expires on time', () => {
    const before = new Harness();
    const journal = journalOf(before, (h, log) => {
      log(h.read(9));
      const s = h.at(SEC).shelve(id.l, 30, 'tank being drained', 'op7');
      if (s.ok) log(s.transitions);
    });
    const after = new Harness();
    after.engine.restore(journal);
    expect(after.engine.get(id.l)).toMatchObject({ state: 'shelved', shelvedUntil: T0 + SEC + 30 * MIN, comment: 'tank being drained' });
    expect(after.at(2 * MIN).shelve(id.l, 5)).toEqual({ ok: false, code: 'refused', error: `shelve "${id.l}": already shelved until 2025-01-15T08:30:01.000Z by op7` });
    // The condition under shelving is unknown after the restart; the first reading sets it silently.
    expect(after.read(9)).toEqual([]);
    expect(summary(after.at(SEC + 30 * MIN).tick().transitions.filter((t) => t.event.id === id.l))).toEqual(['l shelved→unack']);
  });

  it('a restored shelved alarm unshelved before any reading still annunciates on the next one (no silent raise)', () => {
    const after = new Harness();
    const shelved: AlarmEvent = { id: id.h, tagId: 'a.hs01.t101.level', kind: 'h', priority: 'medium', state: 'shelved', value: 86, limit: 85, message: 'm', raisedAt: T0 - 60 * MIN, shelvedUntil: T0 + 60 * MIN, comment: 'r', ts: T0 - 30 * MIN };
    after.engine.restore([shelved]);
    const un = after.engine.unshelve(id.h, 'op1', undefined, after.now);
    expect(un.ok && summary(un.transitions)).toEqual(['h shelved→normal']);
    expect(summary(after.advance(SEC).read(86))).toEqual(['h normal→unack']);
  });

  it('a shelving that expired during the downtime returns at the first tick', () => {
    const after = new Harness();
    const shelved: AlarmEvent = { id: id.h, tagId: 'a.hs01.t101.level', kind: 'h', priority: 'medium', state: 'shelved', value: 86, limit: 85, message: 'm', raisedAt: T0 - 60 * MIN, shelvedUntil: T0 - MIN, comment: 'r', ts: T0 - 30 * MIN };
    after.engine.restore([shelved]);
    expect(summary(after.tick().transitions.filter((t) => t.event.id === id.h))).toEqual(['h shelved→normal']);
  });

  it('unacknowledged critical alarms escalate again unless the escalation log lists them', () => {
    const { journal } = beforeRestart();
    const again = new Harness();
    again.engine.restore(journal);
    expect(again.at(2 * MIN).tick().escalations.map((e) => e.event.id)).toEqual([id.trip]);
    const listed = new Harness();
    listed.engine.restore(journal, { escalated: [id.trip] });
    expect(listed.at(2 * MIN).tick().escalations).toEqual([]);
  });

  it('the latest record per alarm wins, whatever the order; unknown ids and non-events are reported', () => {
    const base: AlarmEvent = { id: id.h, tagId: 'a.hs01.t101.level', kind: 'h', priority: 'medium', state: 'unack', value: 86, limit: 85, message: 'm', raisedAt: T0, ts: T0 };
    const after = new Harness();
    const report = after.engine.restore([
      { ...base, state: 'acked', ackedAt: T0 + 5, ackedBy: 'op1', ts: T0 + 5 },
      base,
      { ...base, id: 'gone.tag:h', tagId: 'gone.tag' },
      { ...base, state: 'bogus' as never },
      null as never,
    ]);
    expect(report).toEqual({ restored: 1, unknown: ['gone.tag:h'], invalid: 2 });
    expect(after.state(id.h)).toBe('acked');
  });
});
