import { describe, expect, it } from 'vitest';
import { AlarmEngine } from '../../../server/src/alarms/engine.js';
import { GW, Harness, MIN, SEC, T0, TRIP, id, levelRules, rule, summary } from './helpers.js';

describe('shelving expiry (automatic return)', () => {
  const cases: [string, number, string[], string][] = [
    ['an active alarm returns annunciated (unack)', 86, ['h shelved→unack'], 'unack'],
    ['an inactive alarm returns to normal', 50, ['h shelved→normal'], 'normal'],
  ];
  it.each(cases)('%s', (_name, valueDuringShelving, expected, state) => {
    const h = new Harness();
    h.read(86);
    h.at(SEC).shelve(id.h, 10);
    h.at(2 * SEC).read(valueDuringShelving);
    h.at(SEC + 10 * MIN - 1);
    expect(h.tick().transitions.filter((t) => t.event.id === id.h)).toEqual([]);
    h.read(valueDuringShelving);
    const back = h.at(SEC + 10 * MIN).tick().transitions.filter((t) => t.event.id === id.h);
    expect(summary(back)).toEqual(expected);
    expect(back[0]).toMatchObject({ cause: 'shelve-expired', event: { state, ts: T0 + SEC + 10 * MIN, comment: 'nuisance during maintenance' } });
    expect(back[0]).not.toHaveProperty('user');
    expect(back[0]?.event).not.toHaveProperty('shelvedUntil');
    expect(h.advance(SEC).tick().transitions.filter((t) => t.event.id === id.h)).toEqual([]);
  });

  it('condition changes while shelved are journalled without annunciation', () => {
    const h = new Harness();
    h.shelve(id.h, 10);
    const raised = h.at(SEC).read(86);
    expect(raised.map((t) => [t.previous, t.event.state, t.event.raisedAt])).toEqual([['shelved', 'shelved', T0 + SEC]]);
    expect(summary(h.at(2 * SEC).read(50))).toEqual(['h shelved→shelved']);
    expect(h.engine.counters().annunciations).toBe(0);
  });

  it('a re-annunciation after shelving counts as a new annunciated alarm', () => {
    const h = new Harness();
    h.read(86);
    h.at(SEC).shelve(id.h, 1);
    h.at(30 * SEC).read(86);
    h.at(SEC + MIN).tick();
    expect(h.engine.counters().annunciations).toBe(2);
  });
});

describe('escalation of unacknowledged critical alarms (60 s)', () => {
  it('escalates once per annunciation, at 60 s', () => {
    const h = new Harness();
    h.read(1, { id: TRIP });
    expect(h.at(60 * SEC - 1).tick().escalations).toEqual([]);
    const [e, ...more] = h.at(60 * SEC).tick().escalations;
    expect(more).toEqual([]);
    expect(e).toMatchObject({ type: 'escalation', ts: T0 + 60 * SEC, annunciatedAt: T0, unackedForMs: 60 * SEC, event: { id: id.trip, state: 'unack', priority: 'critical' } });
    expect(h.at(61 * SEC).tick().escalations).toEqual([]);
    expect(h.at(10 * MIN).tick().escalations).toEqual([]);
    expect(h.engine.counters().escalations).toBe(1);
  });

  const cases: [string, number, (h: Harness) => void, number][] = [
    ['acknowledged in time: none', 59 * SEC, (h) => void h.ack(id.trip), 0],
    ['returned to normal but unacknowledged (rtn-unack): still escalates', 10 * SEC, (h) => void h.read(0, { id: TRIP }), 1],
    ['returned to normal and acknowledged in time: none', 10 * SEC, (h) => (h.read(0, { id: TRIP }), void h.ack(id.trip)), 0],
    ['shelved in time: none', 30 * SEC, (h) => void h.shelve(id.trip, 10), 0],
    ['acknowledged late: escalated already', 70 * SEC, (h) => void h.ack(id.trip), 1],
  ];
  it.each(cases)('%s', (_name, actAt, act, count) => {
    const h = new Harness();
    h.read(1, { id: TRIP });
    let n = 0;
    for (let s = 1; s <= 180; s++) {
      if (s * SEC === actAt) act(h.at(actAt - 1));
      n += h.at(s * SEC).tick().escalations.length;
    }
    expect(n).toBe(count);
  });

  it('a new raise after normal escalates again, once', () => {
    const h = new Harness();
    h.read(1, { id: TRIP });
    expect(h.at(60 * SEC).tick().escalations).toHaveLength(1);
    h.at(61 * SEC).ack(id.trip);
    h.at(62 * SEC).read(0, { id: TRIP });
    h.at(63 * SEC).read(1, { id: TRIP });
    expect(h.at(122 * SEC).tick().escalations).toEqual([]);
    expect(h.at(123 * SEC).tick().escalations.map((e) => e.annunciatedAt)).toEqual([T0 + 63 * SEC]);
    expect(h.at(200 * SEC).tick().escalations).toEqual([]);
  });

  it('non-critical alarms never escalate', () => {
    const h = new Harness();
    h.read(95);
    expect(h.at(30 * MIN).tick().escalations).toEqual([]);
  });

  it('escalateAfterMs is an option', () => {
    const h = new Harness(levelRules(), { escalateAfterMs: 5 * SEC });
    h.read(1, { id: TRIP });
    expect(h.at(5 * SEC).tick().escalations).toHaveLength(1);
  });
});

describe('alarm flood (> 10 annunciated in 10 min starts, < 5 ends)', () => {
  const tags = Array.from({ length: 30 }, (_, i) => `a.hs01.t${String(i).padStart(3, '0')}.level`);
  const engineFor = (area: (i: number) => string = () => 'a') =>
    new AlarmEngine(tags.map((tagId, i) => rule({ tagId, kind: 'h', limit: 85, area: area(i) })));
  const raise = (e: AlarmEngine, i: number, at: number) => e.onReading({ id: tags[i] as string, ts: T0 + at, v: 90, q: 'good' }, T0 + at);

  it('10 alarms in 10 min are no flood; the 11th starts one, reported at the next tick with its exact time', () => {
    const e = engineFor();
    for (let i = 0; i < 10; i++) raise(e, i, i * 30 * SEC);
    expect(e.tick(T0 + 5 * MIN).floods).toEqual([]);
    raise(e, 10, 5 * MIN + 10 * SEC);
    expect(e.tick(T0 + 5 * MIN + 11 * SEC).floods).toEqual([{ type: 'flood-start', area: 'a', ts: T0 + 5 * MIN + 10 * SEC, count: 11, startedAt: T0 + 5 * MIN + 10 * SEC, peak: 11 }]);
    expect(e.tick(T0 + 5 * MIN + 12 * SEC).floods).toEqual([]);
  });

  it('11 alarms spread over more than 10 min are no flood', () => {
    const e = engineFor();
    for (let i = 0; i < 11; i++) raise(e, i, i * 61 * SEC);
    expect(e.tick(T0 + 11 * MIN).floods).toEqual([]);
  });

  it('the flood lasts while 5 or more remain in the window and ends, exactly, when fewer than 5 do', () => {
    const e = engineFor();
    for (let i = 0; i < 12; i++) raise(e, i, i * SEC); // 12 in the first 12 s
    expect(e.tick(T0 + 20 * SEC).floods.map((f) => f.type)).toEqual(['flood-start']);
    // Keep 4 more coming at 6 min: after the first 12 leave (10 min + 0…11 s) only these 4 remain.
    for (let i = 12; i < 16; i++) raise(e, i, 6 * MIN + i * SEC);
    // At 10 min + 7 s the first 8 have left: 4 + 4 = 8 in window: still in flood.
    expect(e.tick(T0 + 10 * MIN + 7 * SEC).floods).toEqual([]);
    expect(e.floodStatus()).toEqual([{ area: 'a', inFlood: true, count: 8, since: T0 + 10 * SEC, floods: 1 }]);
    // The 12th of the first batch (raised at 11 s) leaves at 10 min + 11 s: 4 remain (< 5).
    expect(e.tick(T0 + 11 * MIN).floods).toEqual([{ type: 'flood-end', area: 'a', ts: T0 + 10 * MIN + 11 * SEC, count: 4, startedAt: T0 + 10 * SEC, peak: 16 }]);
  });

  it('areas flood separately', () => {
    const e = engineFor((i) => (i % 2 === 0 ? 'a' : 'b'));
    for (let i = 0; i < 20; i++) raise(e, i, i * SEC); // 10 per area
    expect(e.tick(T0 + MIN).floods).toEqual([]);
    raise(e, 20, MIN); // the 11th in area a
    expect(e.tick(T0 + MIN + SEC).floods.map((f) => `${f.type} ${f.area}`)).toEqual(['flood-start a']);
    expect(e.annunciatedInWindow()).toBe(21);
    expect(e.annunciatedInWindow('b')).toBe(10);
  });

  it('only annunciations count: conditions while shelved do not', () => {
    const e = engineFor();
    for (let i = 0; i < 15; i++) e.shelve(`${tags[i]}:h`, 'op1', 10, 'test', T0);
    for (let i = 0; i < 15; i++) raise(e, i, SEC + i);
    expect(e.tick(T0 + MIN).floods).toEqual([]);
    expect(e.annunciatedInWindow()).toBe(0);
  });
});

describe('chattering and bad actors', () => {
  it('3 raises/clears within 60 s make an alarm chattering; counted once per episode', () => {
    const h = new Harness();
    h.at(0).read(86);
    h.at(20 * SEC).read(80);
    expect(h.engine.chattering(h.now)).toEqual([]);
    h.at(40 * SEC).read(86);
    expect(h.engine.chattering(h.now)).toEqual([id.h]);
    h.at(50 * SEC).read(80);
    expect(h.engine.counters().chatterEpisodes).toBe(1);
    // The latest three changes are at 20, 40 and 50 s: chattering until 20 s + 60 s.
    expect(h.engine.chattering(T0 + 80 * SEC)).toEqual([id.h]);
    expect(h.engine.chattering(T0 + 80 * SEC + 1)).toEqual([]);
  });

  it('3 changes spread over more than 60 s are not chattering', () => {
    const h = new Harness();
    h.at(0).read(86);
    h.at(31 * SEC).read(80);
    h.at(61 * SEC).read(86);
    expect(h.engine.chattering(h.now)).toEqual([]);
    expect(h.engine.counters().chatterEpisodes).toBe(0);
  });

  it('bad actors: the alarms with the most raises, most first, at most `limit`', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) {
      h.advance(MIN).read(86);
      h.advance(MIN).read(50);
    }
    h.advance(MIN).read(1, { id: TRIP });
    h.advance(MIN).read(95);
    expect(h.engine.badActors()).toEqual([
      { id: id.h, raises: 4, annunciations: 4, chatterEpisodes: 0 },
      { id: id.hh, raises: 1, annunciations: 1, chatterEpisodes: 0 },
      { id: id.trip, raises: 1, annunciations: 1, chatterEpisodes: 0 },
    ]);
    expect(h.engine.badActors(1).map((b) => b.id)).toEqual([id.h]);
  });
});

describe('active()', () => {
  it('lists every alarm not in normal, highest priority first, then newest raise', () => {
    const h = new Harness();
    h.read(86);
    h.at(SEC).read(1, { id: TRIP });
    h.at(2 * SEC).engine.onGatewayStatus(GW, false, h.now);
    h.at(3 * SEC).engine.setOutOfService(id.l, 'eng1', true, 'MOC-9', h.now);
    expect(h.engine.active().map((e) => `${e.id} ${e.priority} ${e.state}`)).toEqual([
      `${id.trip} critical unack`,
      `${id.gw} high unack`,
      `${id.h} medium unack`,
      `${id.l} medium out-of-service`,
    ]);
  });
});
