import { describe, expect, it } from 'vitest';
import type { AlarmState } from '@park/protocol';
import type { AlarmTransition } from '../../../server/src/alarms/engine.js';
import { Harness, MIN, SEC, T0, id } from './helpers.js';

/**
 * The engine's lifecycle, driven through its public API on the T101 level
 * `h` alarm (limit 85, deadband 1): every start the engine can reach × every
 * event. `→ S`: one transition of the h alarm into S; `= S`: no transition,
 * the alarm stays in S (for actions: accepted with nothing to announce);
 * `! …`: refused with exactly that reason.
 */
const TABLE = `
normal        raise           → unack
normal        clear           = normal
normal        ack             ! nothing to acknowledge: the alarm is normal
normal        shelve          → shelved
normal        unshelve        ! not shelved (state normal)
normal        shelve-expired  = normal
normal        suppress        → suppressed
normal        unsuppress      ! not suppressed (state normal)
normal        out-of-service  → out-of-service
normal        in-service      ! not out of service (state normal)
unack         raise           = unack
unack         clear           → rtn-unack
unack         ack             → acked
unack         shelve          → shelved
unack         unshelve        ! not shelved (state unack)
unack         shelve-expired  = unack
unack         suppress        → suppressed
unack         unsuppress      ! not suppressed (state unack)
unack         out-of-service  → out-of-service
unack         in-service      ! not out of service (state unack)
acked         raise           = acked
acked         clear           → normal
acked         ack             ! already acknowledged by op1 at 2025-01-15T08:00:02.000Z
acked         shelve          → shelved
acked         unshelve        ! not shelved (state acked)
acked         shelve-expired  = acked
acked         suppress        → suppressed
acked         unsuppress      ! not suppressed (state acked)
acked         out-of-service  → out-of-service
acked         in-service      ! not out of service (state acked)
rtn-unack     raise           → unack
rtn-unack     clear           = rtn-unack
rtn-unack     ack             → normal
rtn-unack     shelve          → shelved
rtn-unack     unshelve        ! not shelved (state rtn-unack)
rtn-unack     shelve-expired  = rtn-unack
rtn-unack     suppress        → suppressed
rtn-unack     unsuppress      ! not suppressed (state rtn-unack)
rtn-unack     out-of-service  → out-of-service
rtn-unack     in-service      ! not out of service (state rtn-unack)
shelved-      raise           → shelved
shelved-      clear           = shelved
shelved-      ack             ! nothing to acknowledge: the alarm is shelved
shelved-      shelve          ! already shelved until 2025-01-15T08:10:01.000Z by op1
shelved-      unshelve        → normal
shelved-      shelve-expired  → normal
shelved-      suppress        → suppressed
shelved-      unsuppress      ! not suppressed (state shelved)
shelved-      out-of-service  → out-of-service
shelved-      in-service      ! not out of service (state shelved)
shelved+      raise           = shelved
shelved+      clear           → shelved
shelved+      ack             ! nothing to acknowledge: the alarm is shelved
shelved+      shelve          ! already shelved until 2025-01-15T08:10:02.000Z by op1
shelved+      unshelve        → unack
shelved+      shelve-expired  → unack
shelved+      suppress        → suppressed
shelved+      unsuppress      ! not suppressed (state shelved)
shelved+      out-of-service  → out-of-service
shelved+      in-service      ! not out of service (state shelved)
suppressed-   raise           → suppressed
suppressed-   clear           = suppressed
suppressed-   ack             ! nothing to acknowledge: the alarm is suppressed by design
suppressed-   shelve          ! cannot shelve: the alarm is suppressed by design
suppressed-   unshelve        ! not shelved (state suppressed)
suppressed-   shelve-expired  = suppressed
suppressed-   suppress        ! already suppressed by design
suppressed-   unsuppress      → normal
suppressed-   out-of-service  → out-of-service
suppressed-   in-service      ! not out of service (state suppressed)
suppressed+   raise           = suppressed
suppressed+   clear           → suppressed
suppressed+   ack             ! nothing to acknowledge: the alarm is suppressed by design
suppressed+   shelve          ! cannot shelve: the alarm is suppressed by design
suppressed+   unshelve        ! not shelved (state suppressed)
suppressed+   shelve-expired  = suppressed
suppressed+   suppress        ! already suppressed by design
suppressed+   unsuppress      → unack
suppressed+   out-of-service  → out-of-service
suppressed+   in-service      ! not out of service (state suppressed)
oos-          raise           = out-of-service
oos-          clear           = out-of-service
oos-          ack             ! nothing to acknowledge: the alarm is out of service
oos-          shelve          ! cannot shelve: the alarm is out of service
oos-          unshelve        ! not shelved (state out-of-service)
oos-          shelve-expired  = out-of-service
oos-          suppress        = out-of-service
oos-          unsuppress      ! not suppressed (state out-of-service)
oos-          out-of-service  ! already out of service
oos-          in-service      → normal
oos+          raise           = out-of-service
oos+          clear           = out-of-service
oos+          ack             ! nothing to acknowledge: the alarm is out of service
oos+          shelve          ! cannot shelve: the alarm is out of service
oos+          unshelve        ! not shelved (state out-of-service)
oos+          shelve-expired  = out-of-service
oos+          suppress        = out-of-service
oos+          unsuppress      ! not suppressed (state out-of-service)
oos+          out-of-service  ! already out of service
oos+          in-service      → unack
oos-S         raise           = out-of-service
oos-S         clear           = out-of-service
oos-S         ack             ! nothing to acknowledge: the alarm is out of service
oos-S         shelve          ! cannot shelve: the alarm is out of service
oos-S         unshelve        ! not shelved (state out-of-service)
oos-S         shelve-expired  = out-of-service
oos-S         suppress        ! already suppressed by design
oos-S         unsuppress      = out-of-service
oos-S         out-of-service  ! already out of service
oos-S         in-service      → suppressed
`;

const ABOVE = 86;
const INSIDE = 50;

type Step = (h: Harness) => void;

const suppress: Step = (h) => void h.engine.suppress(id.h, 'logic:p101-stopped', 'pump P101 stopped', h.now);
const oos: Step = (h) => void h.engine.setOutOfService(id.h, 'eng1', true, 'MOC-2025-014 transmitter replacement', h.now);

/** How to reach each start; every step one second after the previous, from T0 + 1 s. */
const STARTS: Record<string, Step[]> = {
  normal: [],
  unack: [(h) => void h.read(ABOVE)],
  acked: [(h) => void h.read(ABOVE), (h) => void h.ack(id.h)],
  'rtn-unack': [(h) => void h.read(ABOVE), (h) => void h.read(INSIDE)],
  'shelved-': [(h) => void h.shelve(id.h, 10)],
  'shelved+': [(h) => void h.read(ABOVE), (h) => void h.shelve(id.h, 10)],
  'suppressed-': [suppress],
  'suppressed+': [(h) => void h.read(ABOVE), suppress],
  'oos-': [oos],
  'oos+': [(h) => void h.read(ABOVE), oos],
  'oos-S': [suppress, oos],
};

type Outcome = { transitions: readonly AlarmTransition[] } | { error: string };

const EVENTS: Record<string, (h: Harness) => Outcome> = {
  raise: (h) => ({ transitions: h.read(ABOVE) }),
  clear: (h) => ({ transitions: h.read(INSIDE) }),
  ack: (h) => result(h.ack(id.h)),
  shelve: (h) => result(h.shelve(id.h, 10)),
  unshelve: (h) => result(h.engine.unshelve(id.h, 'op1', undefined, h.now)),
  'shelve-expired': (h) => ({ transitions: h.at(20 * MIN).tick().transitions }),
  suppress: (h) => result(h.engine.suppress(id.h, 'logic:p101-stopped', 'pump P101 stopped', h.now)),
  unsuppress: (h) => result(h.engine.unsuppress(id.h, 'logic:p101-stopped', undefined, h.now)),
  'out-of-service': (h) => result(h.engine.setOutOfService(id.h, 'eng1', true, 'MOC-2025-014', h.now)),
  'in-service': (h) => result(h.engine.setOutOfService(id.h, 'eng1', false, undefined, h.now)),
};

const ACTION_NAME: Record<string, string> = { 'out-of-service': 'out-of-service', 'in-service': 'in-service' };

function result(r: ReturnType<Harness['ack']>): Outcome {
  return r.ok ? { transitions: r.transitions } : { error: r.error };
}

const rows = TABLE.trim()
  .split('\n')
  .map((line) => {
    const m = /^(\S+)\s+(\S+)\s+([→=!])\s*(.+)$/.exec(line.trim());
    if (!m) throw new Error(`bad row ${line}`);
    return { start: m[1] as string, event: m[2] as string, mark: m[3] as '→' | '=' | '!', rest: (m[4] as string).trim() };
  });

function startState(start: string): AlarmState {
  const base = start.replace(/[+-]S?$/, '');
  return (base === 'oos' ? 'out-of-service' : base) as AlarmState;
}

describe('engine lifecycle: every reachable start × every event, through the public API', () => {
  it('covers every start and event once', () => {
    expect(rows.length).toBe(Object.keys(STARTS).length * Object.keys(EVENTS).length);
    for (const start of Object.keys(STARTS)) expect(rows.filter((r) => r.start === start).map((r) => r.event)).toEqual(Object.keys(EVENTS));
  });

  it.each(rows.map((r) => [`${r.start} + ${r.event} ${r.mark} ${r.rest}`, r] as const))('%s', (_name, { start, event, mark, rest }) => {
    const h = new Harness();
    h.read(INSIDE); // T0: a good value inside the limits
    for (const step of STARTS[start] ?? []) step(h.advance(SEC));
    expect(h.state(id.h)).toBe(startState(start));
    const outcome = (EVENTS[event] as (h: Harness) => Outcome)(h.advance(SEC));
    if (mark === '!') {
      const action = ACTION_NAME[event] ?? event;
      expect(outcome).toEqual({ error: `${action} "${id.h}": ${rest}` });
      expect(h.state(id.h)).toBe(startState(start));
      return;
    }
    expect('transitions' in outcome).toBe(true);
    const mine = 'transitions' in outcome ? outcome.transitions.filter((t) => t.event.id === id.h) : [];
    if (mark === '=') {
      expect(mine).toEqual([]);
      expect(h.state(id.h)).toBe(rest);
    } else {
      expect(mine.map((t) => `${t.previous}→${t.event.state}`)).toEqual([`${startState(start)}→${rest}`]);
      expect(h.state(id.h)).toBe(rest);
    }
  });
});

describe('engine lifecycle: records, causes and users', () => {
  it('a raise, ack, return to normal: causes, users, sourceTs and every timestamp', () => {
    const h = new Harness();
    const [raised] = h.at(1 * SEC).read(86, { ts: T0 + 500 });
    expect(raised).toEqual({
      event: { id: id.h, tagId: 'a.hs01.t101.level', kind: 'h', priority: 'medium', state: 'unack', value: 86, limit: 85, message: 'T101 level high 86 % (limit 85 %)', raisedAt: T0 + SEC, ts: T0 + SEC },
      previous: 'normal',
      cause: 'condition',
      sourceTs: T0 + 500,
    });
    const acked = h.at(5 * SEC).ack(id.h, 'op1', 'checking the fill line');
    expect(acked).toEqual({
      ok: true,
      transitions: [
        {
          event: { ...raised?.event, state: 'acked', ackedAt: T0 + 5 * SEC, ackedBy: 'op1', comment: 'checking the fill line', ts: T0 + 5 * SEC },
          previous: 'unack',
          cause: 'ack',
          user: 'op1',
        },
      ],
    });
    const [cleared] = h.at(9 * SEC).read(83);
    expect(cleared?.event).toMatchObject({ state: 'normal', value: 83, raisedAt: T0 + SEC, ackedAt: T0 + 5 * SEC, ackedBy: 'op1', ts: T0 + 9 * SEC });
    const [again] = h.at(12 * SEC).read(87);
    expect(again?.event).toEqual({ ...raised?.event, value: 87, message: 'T101 level high 87 % (limit 85 %)', raisedAt: T0 + 12 * SEC, ts: T0 + 12 * SEC });
    expect(again?.event).not.toHaveProperty('ackedAt');
    expect(again?.event).not.toHaveProperty('comment');
  });

  it('ts is strictly increasing per alarm even when nowMs does not move', () => {
    const h = new Harness();
    const [raised] = h.read(86);
    const ack = h.ack(id.h);
    const shelve = h.shelve(id.h, 5);
    expect(raised?.event.ts).toBe(T0);
    expect(ack.ok && ack.transitions[0]?.event.ts).toBe(T0 + 1);
    expect(shelve.ok && shelve.transitions[0]?.event).toMatchObject({ ts: T0 + 2, shelvedUntil: T0 + 2 + 5 * MIN, comment: 'nuisance during maintenance' });
  });

  it('shelving records the reason as comment and the user; unshelving an active alarm annunciates it again', () => {
    const h = new Harness();
    h.read(86);
    h.advance(SEC).ack(id.h);
    const shelved = h.advance(SEC).shelve(id.h, 30, 'level transmitter drifting, WO-7781', 'op2');
    expect(shelved.ok && shelved.transitions[0]).toMatchObject({ previous: 'acked', cause: 'shelve', user: 'op2', event: { state: 'shelved', comment: 'level transmitter drifting, WO-7781', shelvedUntil: T0 + 2 * SEC + 30 * MIN } });
    const un = h.advance(SEC).engine.unshelve(id.h, 'op3', 'transmitter fixed', h.now);
    expect(un.ok && un.transitions[0]).toMatchObject({ previous: 'shelved', cause: 'unshelve', user: 'op3', event: { state: 'unack', comment: 'transmitter fixed', raisedAt: T0 } });
    expect(un.ok && un.transitions[0]?.event).not.toHaveProperty('ackedAt');
    expect(un.ok && un.transitions[0]?.event).not.toHaveProperty('shelvedUntil');
  });

  it('a condition change while out of service is tracked silently and decides the return state', () => {
    const h = new Harness();
    h.engine.setOutOfService(id.h, 'eng1', true, 'MOC-1', h.now);
    expect(h.advance(SEC).read(86)).toEqual([]);
    const back = h.advance(SEC).engine.setOutOfService(id.h, 'eng1', false, 'calibrated', h.now);
    expect(back.ok && back.transitions.map((t) => `${t.previous}→${t.event.state} ${t.cause}`)).toEqual(['out-of-service→unack in-service']);
    expect(back.ok && back.transitions[0]?.event).toMatchObject({ value: 86, raisedAt: T0 + SEC, comment: 'calibrated' });
  });

  it('suppression and out of service end shelving', () => {
    const h = new Harness();
    h.read(86);
    h.advance(SEC).shelve(id.h, 10);
    const s = h.advance(SEC).engine.suppress(id.h, 'logic:p101-stopped', 'pump P101 stopped', h.now);
    expect(s.ok && s.transitions[0]?.event).not.toHaveProperty('shelvedUntil');
    h.at(11 * MIN);
    expect(h.tick().transitions.filter((t) => t.event.id === id.h)).toEqual([]);
    const u = h.engine.unsuppress(id.h, 'logic:p101-stopped', undefined, h.now);
    expect(u.ok && u.transitions.map((t) => t.event.state)).toEqual(['unack']);
  });
});

describe('engine actions: refusals for malformed calls', () => {
  const h = new Harness();
  h.read(86);
  const cases: [string, () => unknown, string, string][] = [
    ['unknown alarm', () => h.engine.ack('a.hs01.nope:h', 'op1', undefined, h.now), 'unknown-alarm', 'ack "a.hs01.nope:h": unknown alarm id'],
    ['blank user', () => h.engine.ack(id.h, ' ', undefined, h.now), 'invalid', `ack "${id.h}": user: expected a non-empty user name`],
    ['a too long comment', () => h.engine.ack(id.h, 'op1', 'x'.repeat(501), h.now), 'invalid', `ack "${id.h}": comment: 501 characters, at most 500`],
    ['nowMs NaN', () => h.engine.ack(id.h, 'op1', undefined, Number.NaN), 'invalid', `ack "${id.h}": nowMs: expected a finite time in ms, got NaN`],
    ['alarm id not a string', () => h.engine.ack(42 as unknown as string, 'op1', undefined, h.now), 'invalid', 'ack "?": alarmId: expected a string, got number'],
    ['shelving beyond MAX_SHELVE_MINUTES', () => h.shelve(id.h, 721), 'invalid', `shelve "${id.h}": minutes: 721 is beyond the longest shelving of 720 minutes (MAX_SHELVE_MINUTES)`],
    ['shelving for 0 minutes', () => h.shelve(id.h, 0), 'invalid', `shelve "${id.h}": minutes: 0 is below the shortest shelving of 1 minute (MIN_SHELVE_MINUTES)`],
    ['shelving for 1.5 minutes', () => h.shelve(id.h, 1.5), 'invalid', `shelve "${id.h}": minutes: expected a whole number of minutes, got 1.5`],
    ['shelving without a reason', () => h.shelve(id.h, 10, '  '), 'invalid', `shelve "${id.h}": reason: required, must not be blank`],
    ['shelving with a too long reason', () => h.shelve(id.h, 10, 'r'.repeat(501)), 'invalid', `shelve "${id.h}": reason: 501 characters, at most 500`],
    ['suppressing without a reason', () => h.engine.suppress(id.h, 'logic', '', h.now), 'invalid', `suppress "${id.h}": reason: required, must not be blank`],
    ['out of service without a comment', () => h.engine.setOutOfService(id.h, 'eng1', true, undefined, h.now), 'invalid', `out-of-service "${id.h}": comment: required, must not be blank`],
  ];
  it.each(cases)('%s', (_name, call, code, error) => {
    expect(call()).toEqual({ ok: false, code, error });
    expect(h.state(id.h)).toBe('unack');
  });

  it('acknowledging twice is refused with who and when, and adds no transition', () => {
    const g = new Harness();
    g.read(86);
    expect(g.advance(SEC).ack(id.h, 'op1').ok).toBe(true);
    const before = g.engine.counters().transitions;
    expect(g.advance(SEC).ack(id.h, 'op2')).toEqual({ ok: false, code: 'refused', error: `ack "${id.h}": already acknowledged by op1 at 2025-01-15T08:00:01.000Z` });
    expect(g.engine.counters().transitions).toBe(before);
  });
});
