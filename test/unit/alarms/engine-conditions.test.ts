import { describe, expect, it } from 'vitest';
import type { Quality } from '@park/protocol';
import { AlarmEngine, NO_TRANSITIONS } from '../../../server/src/alarms/engine.js';
import { GW, Harness, LEVEL, MIN, SEC, T0, TRIP, id, levelRules, rule, summary } from './helpers.js';

/** One reading (or tick) per step at `at` ms after T0, and the transitions it must give. */
type Step = { at: number; v?: number; q?: Quality; err?: string; tick?: true; expect: string[] };

function run(h: Harness, steps: Step[]): void {
  for (const [i, s] of steps.entries()) {
    h.at(s.at);
    const got = s.tick ? h.tick().transitions : s.v === undefined ? [] : h.read(s.v, { q: s.q, err: s.err });
    expect(summary(got), `step ${i} at +${s.at} ms (${s.tick ? 'tick' : `v=${s.v} q=${s.q ?? 'good'}`})`).toEqual(s.expect);
  }
}

describe('limits and deadband (hh 90, h 85, l 10, ll 5, deadband 1)', () => {
  const cases: [string, Step[]][] = [
    ['h raises at the limit', [{ at: 0, v: 85, expect: ['h normal→unack'] }]],
    ['just below the limit nothing happens', [{ at: 0, v: 84.99, expect: [] }]],
    ['inside the deadband h stays active', [{ at: 0, v: 86, expect: ['h normal→unack'] }, { at: 1, v: 84.5, expect: [] }]],
    ['exactly at limit − deadband h stays active', [{ at: 0, v: 86, expect: ['h normal→unack'] }, { at: 1, v: 84, expect: [] }]],
    ['below limit − deadband h returns to normal', [{ at: 0, v: 86, expect: ['h normal→unack'] }, { at: 1, v: 83.9, expect: ['h unack→rtn-unack'] }]],
    ['oscillating inside the deadband raises once', [{ at: 0, v: 85.2, expect: ['h normal→unack'] }, { at: 1, v: 84.6, expect: [] }, { at: 2, v: 85.3, expect: [] }, { at: 3, v: 84.2, expect: [] }]],
    ['above HH both H and HH are active, H reported first', [{ at: 0, v: 91, expect: ['h normal→unack', 'hh normal→unack'] }]],
    ['from above HH to between: HH returns, H stays', [{ at: 0, v: 91, expect: ['h normal→unack', 'hh normal→unack'] }, { at: 1, v: 88.5, expect: ['hh unack→rtn-unack'] }]],
    ['HH inside its deadband stays', [{ at: 0, v: 91, expect: ['h normal→unack', 'hh normal→unack'] }, { at: 1, v: 89.5, expect: [] }]],
    ['l raises at the limit', [{ at: 0, v: 10, expect: ['l normal→unack'] }]],
    ['below LL both L and LL are active', [{ at: 0, v: 4, expect: ['l normal→unack', 'll normal→unack'] }]],
    ['l clears only above limit + deadband', [{ at: 0, v: 9, expect: ['l normal→unack'] }, { at: 1, v: 11, expect: [] }, { at: 2, v: 11.1, expect: ['l unack→rtn-unack'] }]],
    ['a jump from LL to HH clears the lows and raises the highs', [{ at: 0, v: 4, expect: ['l normal→unack', 'll normal→unack'] }, { at: 1, v: 95, expect: ['h normal→unack', 'hh normal→unack', 'l unack→rtn-unack', 'll unack→rtn-unack'] }]],
  ];
  it.each(cases)('%s', (_name, steps) => run(new Harness(), steps));
});

describe('on-delay and off-delay (h: on 10 s, off 5 s)', () => {
  const delayed = () => new Harness(levelRules({ h: { onDelayMs: 10 * SEC, offDelayMs: 5 * SEC } }));
  const cases: [string, Step[]][] = [
    ['raised when the condition has held for the on-delay (readings)', [{ at: 0, v: 86, expect: [] }, { at: 5 * SEC, v: 87, expect: [] }, { at: 10 * SEC, v: 86, expect: ['h normal→unack'] }]],
    ['a reading back inside cancels the on-delay', [{ at: 0, v: 86, expect: [] }, { at: 5 * SEC, v: 80, expect: [] }, { at: 8 * SEC, v: 86, expect: [] }, { at: 15 * SEC, v: 86, expect: [] }, { at: 18 * SEC, v: 86, expect: ['h normal→unack'] }]],
    ['a reading in the deadband band also cancels it (the raise condition no longer holds)', [{ at: 0, v: 86, expect: [] }, { at: 5 * SEC, v: 84.5, expect: [] }, { at: 10 * SEC, v: 86, expect: [] }, { at: 19 * SEC, tick: true, expect: [] }, { at: 20 * SEC, tick: true, expect: ['h normal→unack'] }]],
    ['a tick completes the on-delay when no new reading comes (report by exception)', [{ at: 0, v: 86, expect: [] }, { at: 9999, tick: true, expect: [] }, { at: 10 * SEC, tick: true, expect: ['h normal→unack'] }]],
    ['cleared when return-to-normal has held for the off-delay', [{ at: 0, v: 86, expect: [] }, { at: 10 * SEC, tick: true, expect: ['h normal→unack'] }, { at: 20 * SEC, v: 80, expect: [] }, { at: 24 * SEC, v: 80, expect: [] }, { at: 25 * SEC, v: 79, expect: ['h unack→rtn-unack'] }]],
    ['a value back in the deadband restarts the off-delay', [{ at: 0, v: 86, expect: [] }, { at: 10 * SEC, tick: true, expect: ['h normal→unack'] }, { at: 20 * SEC, v: 80, expect: [] }, { at: 22 * SEC, v: 84.5, expect: [] }, { at: 24 * SEC, v: 80, expect: [] }, { at: 28 * SEC, tick: true, expect: [] }, { at: 29 * SEC, tick: true, expect: ['h unack→rtn-unack'] }]],
    ['bad quality pauses the on-delay; the next good reading above completes it', [{ at: 0, v: 86, expect: [] }, { at: 5 * SEC, v: 0, q: 'bad', expect: ['bad-quality normal→unack'] }, { at: 15 * SEC, tick: true, expect: [] }, { at: 16 * SEC, v: 86, expect: ['bad-quality unack→rtn-unack', 'h normal→unack'] }]],
    ['an uncertain value inside does not cancel the on-delay', [{ at: 0, v: 86, expect: [] }, { at: 5 * SEC, v: 50, q: 'uncertain', expect: [] }, { at: 10 * SEC, tick: true, expect: ['h normal→unack'] }]],
    ['an uncertain value restarts the off-delay', [{ at: 0, v: 86, expect: [] }, { at: 10 * SEC, tick: true, expect: ['h normal→unack'] }, { at: 20 * SEC, v: 80, expect: [] }, { at: 21 * SEC, v: 80, q: 'uncertain', expect: [] }, { at: 30 * SEC, tick: true, expect: [] }, { at: 31 * SEC, v: 80, expect: [] }, { at: 35999, tick: true, expect: [] }, { at: 36 * SEC, tick: true, expect: ['h unack→rtn-unack'] }]],
  ];
  it.each(cases)('%s', (_name, steps) => run(delayed(), steps));

  it('a delayed raise carries the value that held it and the source time it began', () => {
    const h = delayed();
    h.read(86.5, { ts: T0 - 200 });
    h.at(3 * SEC).read(87.5, { ts: T0 + 3 * SEC - 200 });
    const [t] = h.at(10 * SEC).tick().transitions;
    expect(t).toMatchObject({ cause: 'condition', sourceTs: T0 - 200, event: { state: 'unack', value: 87.5, raisedAt: T0 + 10 * SEC, ts: T0 + 10 * SEC } });
  });

  it('source time completes the delay during a fast replay (engine time barely moves)', () => {
    const h = delayed();
    const base = T0 - 30 * MIN;
    expect(h.read(86, { ts: base, replay: true })).toEqual([]);
    expect(h.advance(10).read(86, { ts: base + 9 * SEC, replay: true })).toEqual([]);
    expect(summary(h.advance(10).read(86, { ts: base + 10 * SEC, replay: true }))).toEqual(['h normal→unack']);
  });
});

describe('rate of change (limit 10 %/min over 60 s, deadband 2)', () => {
  const rocRules = () => [...levelRules(), rule({ kind: 'roc', limit: 10, deadband: 2, rocWindowMs: MIN })];

  it('a rise of 12 %/min raises once the change within the window reaches 10 %', () => {
    const h = new Harness(rocRules());
    const raised: string[] = [];
    for (let s = 0; s <= 60; s += 5) {
      const got = summary(h.at(s * SEC).read(40 + s / 5).filter((t) => t.event.id === id.roc));
      if (got.length > 0) raised.push(`${s}s ${got.join(',')}`);
    }
    expect(raised).toEqual(['50s roc normal→unack']);
    expect(h.engine.get(id.roc)).toMatchObject({ value: 10, limit: 10, message: 'T101 level rate of change 10 %/min (limit 10 %/min)' });
  });

  it('a fall alarms too (the absolute rate is compared)', () => {
    const h = new Harness(rocRules());
    for (let s = 0; s <= 60; s += 5) h.at(s * SEC).read(60 - s / 5);
    expect(h.engine.get(id.roc)).toMatchObject({ state: 'unack', value: -10 });
  });

  it('clears when the rate falls below limit − deadband, holding the last value across report-by-exception gaps', () => {
    const h = new Harness(rocRules());
    for (let s = 0; s <= 60; s += 5) h.at(s * SEC).read(40 + s / 5);
    expect(h.state(id.roc)).toBe('unack');
    // The level stops at 52; nothing is sent until the integrity period (60 s later).
    const [cleared] = h.at(120 * SEC).read(52).filter((t) => t.event.id === id.roc);
    expect(cleared).toMatchObject({ previous: 'unack', event: { state: 'rtn-unack', value: 0 } });
  });

  it('slow drift and noise never alarm', () => {
    const h = new Harness(rocRules());
    for (let s = 0; s <= 600; s++) h.at(s * SEC).read(50 + s / 600 + (s % 2 === 0 ? 0.4 : -0.4));
    expect(h.state(id.roc)).toBe('normal');
  });

  it('a gap longer than the stale window discards the history (no alarm for a step across the gap)', () => {
    const h = new Harness(rocRules());
    for (let s = 0; s <= 60; s += 5) h.at(s * SEC).read(50);
    expect(h.at(60 * SEC + 3 * MIN).read(70)).toEqual([]);
    expect(h.state(id.roc)).toBe('normal');
  });
});

describe('discrete points', () => {
  it('SIS trip: 1 raises a critical alarm, 0 returns it', () => {
    const h = new Harness();
    const [t] = h.read(1, { id: TRIP });
    expect(t?.event).toMatchObject({ id: id.trip, kind: 'discrete', priority: 'critical', state: 'unack', value: 1, limit: null, message: 'T101 SIS: SIS trip' });
    expect(summary(h.advance(SEC).read(0, { id: TRIP }))).toEqual(['discrete unack→rtn-unack']);
    expect(h.advance(SEC).read(0, { id: TRIP })).toBe(NO_TRANSITIONS);
  });

  it('an alarm on 0 (activeValue 0), e.g. a permissive lost', () => {
    const h = new Harness(levelRules({ discrete: { activeValue: 0 } }));
    expect(h.read(1, { id: TRIP })).toEqual([]);
    expect(summary(h.advance(SEC).read(0, { id: TRIP }))).toEqual(['discrete normal→unack']);
  });

  it('on-delay applies to discrete points too', () => {
    const h = new Harness(levelRules({ discrete: { onDelayMs: 2 * SEC } }));
    expect(h.read(1, { id: TRIP })).toEqual([]);
    expect(h.at(SEC).tick().transitions).toEqual([]);
    expect(summary(h.at(2 * SEC).read(1, { id: TRIP }))).toEqual(['discrete normal→unack']);
  });
});

describe('bad quality', () => {
  it('raises bad-quality with the reason, value null, and does not clear an active limit alarm', () => {
    const h = new Harness();
    h.read(86);
    const got = h.advance(SEC).read(0, { q: 'bad', err: 'modbus-exception-2' });
    expect(summary(got)).toEqual(['bad-quality normal→unack']);
    expect(got[0]?.event).toMatchObject({ priority: 'low', value: null, limit: null, message: 'T101 level: instrument fault (modbus-exception-2)' });
    expect(h.state(id.h)).toBe('unack');
  });

  it('freezes limit evaluation: a bad reading with a value above the limit raises nothing', () => {
    const h = new Harness();
    expect(summary(h.read(99, { q: 'bad', err: 'timeout' }))).toEqual(['bad-quality normal→unack']);
    expect(h.state(id.h)).toBe('normal');
  });

  it('good quality clears bad-quality and evaluation resumes with the good value', () => {
    const h = new Harness();
    h.read(86);
    h.advance(SEC).read(0, { q: 'bad' });
    expect(summary(h.advance(SEC).read(80))).toEqual(['bad-quality unack→rtn-unack', 'h unack→rtn-unack']);
  });

  it('uncertain may raise but neither clears bad-quality nor a limit alarm', () => {
    const h = new Harness();
    h.read(0, { q: 'bad' });
    expect(summary(h.advance(SEC).read(86, { q: 'uncertain' }))).toEqual(['h normal→unack']);
    expect(h.advance(SEC).read(50, { q: 'uncertain' })).toEqual([]);
    expect(h.state(id.bad)).toBe('unack');
    expect(summary(h.advance(SEC).read(50))).toEqual(['bad-quality unack→rtn-unack', 'h unack→rtn-unack']);
  });
});

describe('stale (no good reading for 2 min) and gateway offline', () => {
  it('stale is raised at the tick when no good reading came for the window, cleared by the next good one', () => {
    const h = new Harness();
    h.read(50);
    expect(h.at(2 * MIN - 1).tick().transitions).toEqual([]);
    const [t] = h.at(2 * MIN).tick().transitions;
    expect(t).toMatchObject({ previous: 'normal', cause: 'condition', event: { id: id.stale, priority: 'medium', state: 'unack', value: null, message: 'T101 level: no good value for 2 min' } });
    expect(t).not.toHaveProperty('sourceTs');
    expect(summary(h.at(3 * MIN).read(50))).toEqual(['stale unack→rtn-unack']);
  });

  it('a gateway never heard from (no status, no reading) goes offline one window after the engine started: one alarm, not one stale alarm per tag', () => {
    const h = new Harness();
    h.tick();
    expect(summary(h.at(2 * MIN).tick().transitions)).toEqual(['gateway-offline normal→unack']);
    expect(summary(h.at(10 * MIN).tick().transitions)).toEqual([]);
  });

  it('a tag never heard from goes stale one window after the engine started when its gateway is there', () => {
    const h = new Harness();
    h.engine.onGatewayStatus(GW, true, h.now);
    h.tick();
    expect(summary(h.at(2 * MIN).tick().transitions)).toEqual(['stale normal→unack']);
  });

  it('uncertain readings do not keep a tag fresh; replayed readings neither', () => {
    const h = new Harness();
    h.read(50);
    h.at(MIN).read(50, { q: 'uncertain' });
    h.at(MIN + 30 * SEC).read(50, { replay: true, ts: T0 + MIN + 30 * SEC });
    expect(summary(h.at(2 * MIN).tick().transitions)).toEqual(['stale normal→unack']);
  });

  it('a bad tag does not also go stale (bad-quality says it)', () => {
    const h = new Harness();
    h.read(0, { q: 'bad' });
    expect(h.at(10 * MIN).tick().transitions).toEqual([]);
  });

  it('gateway offline raises one high alarm; online returns it', () => {
    const h = new Harness();
    const [t] = h.engine.onGatewayStatus(GW, false, h.now);
    expect(t?.event).toMatchObject({ id: id.gw, tagId: GW, kind: 'gateway-offline', priority: 'high', state: 'unack', value: null, message: 'Gateway gw-a offline' });
    expect(h.engine.onGatewayStatus(GW, false, h.advance(SEC).now)).toBe(NO_TRANSITIONS);
    expect(summary(h.engine.onGatewayStatus(GW, true, h.advance(SEC).now))).toEqual(['gateway-offline unack→rtn-unack']);
  });

  it('while its gateway is offline a tag does not go stale; after it returns the window restarts', () => {
    const h = new Harness();
    h.read(50);
    h.at(30 * SEC).engine.onGatewayStatus(GW, false, h.now);
    expect(h.at(30 * MIN).tick().transitions).toEqual([]);
    h.engine.onGatewayStatus(GW, true, h.now);
    expect(h.at(32 * MIN - 1).tick().transitions).toEqual([]);
    expect(summary(h.at(32 * MIN).tick().transitions)).toEqual(['stale normal→unack']);
  });

  it('a gateway outage of many tags gives one alarm, not one per tag', () => {
    const tags = Array.from({ length: 50 }, (_, i) => `a.hs01.t${i}.level`);
    const engine = new AlarmEngine([...tags.flatMap((tagId) => [rule({ tagId, kind: 'h', limit: 85 }), rule({ tagId, kind: 'stale', staleAfterMs: 2 * MIN })]), rule({ tagId: GW, kind: 'gateway-offline', gateway: GW })]);
    for (const tagId of tags) engine.onReading({ id: tagId, ts: T0, v: 50, q: 'good' }, T0);
    const offline = engine.onGatewayStatus(GW, false, T0 + 10 * SEC);
    const later = engine.tick(T0 + 60 * MIN);
    expect([...offline, ...later.transitions].map((t) => t.event.id)).toEqual([id.gw]);
  });

  it('an unknown gateway is counted and ignored', () => {
    const h = new Harness();
    expect(h.engine.onGatewayStatus('gw-z', false, h.now)).toBe(NO_TRANSITIONS);
    expect(h.engine.counters().unknownGatewayReports).toBe(1);
  });
});

describe('bad input is counted, never thrown', () => {
  const cases: [string, unknown, 'invalidReadings' | 'unknownTagReadings'][] = [
    ['an unknown tag', { id: 'z.unknown', ts: T0, v: 1, q: 'good' }, 'unknownTagReadings'],
    ['null', null, 'invalidReadings'],
    ['a number', 42, 'invalidReadings'],
    ['id not a string', { id: 7, ts: T0, v: 1, q: 'good' }, 'invalidReadings'],
    ['v NaN', { id: LEVEL, ts: T0, v: Number.NaN, q: 'good' }, 'invalidReadings'],
    ['v a string', { id: LEVEL, ts: T0, v: '86', q: 'good' }, 'invalidReadings'],
    ['ts Infinity', { id: LEVEL, ts: Number.POSITIVE_INFINITY, v: 86, q: 'good' }, 'invalidReadings'],
    ['an unknown quality', { id: LEVEL, ts: T0, v: 86, q: 'great' }, 'invalidReadings'],
  ];
  it.each(cases)('%s', (_name, reading, counter) => {
    const h = new Harness();
    expect(h.engine.onReading(reading as never, h.now)).toBe(NO_TRANSITIONS);
    expect(h.engine.counters()[counter]).toBe(1);
    expect(h.engine.counters().transitions).toBe(0);
  });

  it('a replayed reading older than the latest is not evaluated; a live one (clock stepped back) is', () => {
    const h = new Harness();
    h.read(50, { ts: T0 });
    expect(h.advance(SEC).read(95, { ts: T0 - 10 * MIN, replay: true })).toBe(NO_TRANSITIONS);
    expect(summary(h.advance(SEC).read(86, { ts: T0 - 5 * MIN }))).toEqual(['h normal→unack']);
    expect(h.engine.counters()).toMatchObject({ outOfOrderReplays: 1, clockBackwards: 1 });
  });

  it('non-finite nowMs in tick and gateway status is counted', () => {
    const h = new Harness();
    expect(h.engine.tick(Number.NaN)).toEqual({ transitions: [], escalations: [], floods: [] });
    expect(h.engine.onGatewayStatus(GW, false, Number.NaN)).toBe(NO_TRANSITIONS);
    expect(h.engine.counters().invalidCalls).toBe(2);
  });
});
