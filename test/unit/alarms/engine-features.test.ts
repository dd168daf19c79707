// Frozen values, suppression by design, valve mismatch and first-out,
// through the engine's public API. Each row is a script of steps and the
// transitions it must produce, one named row per behaviour.
import { describe, expect, it } from 'vitest';
import type { Quality } from '@park/protocol';
import type { AlarmEngineOptions, AlarmTransition } from '../../../server/src/alarms/engine.js';
import { normalizeRule, suppressionName, type AlarmRule, type AlarmRuleInput } from '../../../server/src/alarms/rules.js';
import { GW, Harness, LEVEL, MIN, SEC, rule } from './helpers.js';

/** One step of a script. */
type Step =
  | ['read', string, number, Quality?]
  | ['advance', number]
  | ['tick']
  | ['gateway', boolean]
  | ['ack', string]
  | ['oos', string];

/** `<tag without "a.hs01.">:<kind> <previous>→<state>`, then ` (cause)` unless `condition`, then ` first-out` when marked. */
function short(t: AlarmTransition): string {
  const id = t.event.id.replace(/^a\.hs0[12]\./, '');
  return `${id} ${t.previous}→${t.event.state}${t.cause === 'condition' ? '' : ` (${t.cause})`}${t.event.firstOut === true ? ' first-out' : ''}`;
}

function run(h: Harness, steps: readonly Step[]): AlarmTransition[] {
  const out: AlarmTransition[] = [];
  for (const step of steps) {
    switch (step[0]) {
      case 'read':
        out.push(...h.read(step[2], { id: step[1], q: step[3] ?? 'good' }));
        break;
      case 'advance':
        h.advance(step[1]);
        break;
      case 'tick':
        out.push(...h.tick().transitions);
        break;
      case 'gateway':
        out.push(...h.engine.onGatewayStatus(GW, step[1], h.now));
        break;
      case 'ack': {
        const r = h.ack(step[1]);
        if (r.ok) out.push(...r.transitions);
        break;
      }
      case 'oos': {
        const r = h.engine.setOutOfService(step[1], 'eng1', true, 'MOC-1', h.now);
        if (r.ok) out.push(...r.transitions);
        break;
      }
    }
  }
  return out;
}

const on = (id: string, kind: AlarmRuleInput['kind'], more: Partial<AlarmRuleInput> = {}): AlarmRule => rule({ tagId: id, kind, ...more });

// ---------------------------------------------------------------------------

describe('frozen value', () => {
  const FROZEN = 10 * MIN;
  const rules = (): AlarmRule[] => [rule({ kind: 'frozen', frozenAfterMs: FROZEN }), rule({ kind: 'bad-quality' }), rule({ kind: 'stale', staleAfterMs: 30 * MIN }), normalizeRule({ tagId: GW, kind: 'gateway-offline' })];
  const L = LEVEL;
  const rows: [string, Step[], string[]][] = [
    ['the same value for the window raises at a tick', [['read', L, 50], ['advance', FROZEN - SEC], ['tick'], ['advance', SEC], ['tick']], ['t101.level:frozen normal→unack']],
    ['a repeat of the same value (integrity period) past the window raises on the reading', [['read', L, 50], ['advance', FROZEN], ['read', L, 50]], ['t101.level:frozen normal→unack']],
    ['a value that moves restarts the window', [['read', L, 50], ['advance', 9 * MIN], ['read', L, 50.01], ['advance', 9 * MIN], ['tick']], []],
    ['a new value returns it to normal', [['read', L, 50], ['advance', FROZEN], ['tick'], ['read', L, 50.01]], ['t101.level:frozen normal→unack', 't101.level:frozen unack→rtn-unack']],
    ['an uncertain new value does not clear it', [['read', L, 50], ['advance', FROZEN], ['tick'], ['read', L, 51, 'uncertain']], ['t101.level:frozen normal→unack']],
    ['a bad reading restarts the window (the value in between is unknown)', [['read', L, 50], ['advance', 6 * MIN], ['read', L, 0, 'bad'], ['advance', MIN], ['read', L, 50], ['advance', 6 * MIN], ['tick']], ['t101.level:bad-quality normal→unack', 't101.level:bad-quality unack→rtn-unack']],
    ['masked while the gateway is offline, and the window restarts when it is back', [['gateway', true], ['read', L, 50], ['advance', MIN], ['gateway', false], ['advance', FROZEN], ['tick'], ['gateway', true], ['advance', FROZEN - SEC], ['read', L, 50], ['tick']], ['gw-a:gateway-offline normal→unack', 'gw-a:gateway-offline unack→rtn-unack']],
    ['never raised before the first usable value', [['advance', FROZEN], ['tick']], []],
  ];
  it.each(rows)('%s', (_name, steps, expected) => {
    const h = new Harness(rules());
    expect(run(h, steps).map(short)).toEqual(expected);
  });

  it('tells the value and the window in its message', () => {
    const h = new Harness(rules());
    run(h, [['read', L, 42.5], ['advance', FROZEN], ['tick']]);
    expect(h.engine.get(`${L}:frozen`)).toMatchObject({ state: 'unack', value: 42.5, message: 'T101 level: value frozen at 42.5 % for 10 min' });
  });
});

// ---------------------------------------------------------------------------

describe('suppression by design (suppressWhen)', () => {
  const PUMP = 'a.hs01.p1.running';
  const spec = (releaseAfterMs = 0) => ({ tag: PUMP, equals: 0, releaseAfterMs, name: suppressionName(PUMP, 0) });
  const rules = (releaseAfterMs = 0): AlarmRule[] => [
    rule({ kind: 'l', limit: 10, deadband: 1, suppressWhen: spec(releaseAfterMs) }),
    rule({ kind: 'bad-quality' }),
    on(PUMP, 'bad-quality', { unit: '' }),
    on(PUMP, 'stale', { unit: '', staleAfterMs: 5 * MIN }),
    normalizeRule({ tagId: GW, kind: 'gateway-offline' }),
  ];
  const L = LEVEL;
  const rows: [string, number, Step[], string[]][] = [
    ['the pump stops: its low-flow alarm is suppressed', 0, [['read', PUMP, 1], ['read', L, 50], ['read', PUMP, 0]], ['t101.level:l normal→suppressed (suppress)']],
    ['while suppressed, the condition is journalled but not annunciated', 0, [['read', PUMP, 0], ['read', L, 5], ['read', L, 50]], ['t101.level:l normal→suppressed (suppress)', 't101.level:l suppressed→suppressed', 't101.level:l suppressed→suppressed']],
    ['the pump starts with the flow still low: annunciated at once (no release delay)', 0, [['read', PUMP, 0], ['read', L, 5], ['read', PUMP, 1]], ['t101.level:l normal→suppressed (suppress)', 't101.level:l suppressed→suppressed', 't101.level:l suppressed→unack (unsuppress)']],
    ['the pump starts with a release delay: still suppressed until it runs out', 30 * SEC, [['read', PUMP, 0], ['read', L, 5], ['read', PUMP, 1], ['advance', 29 * SEC], ['tick'], ['advance', SEC], ['tick']], ['t101.level:l normal→suppressed (suppress)', 't101.level:l suppressed→suppressed', 't101.level:l suppressed→unack (unsuppress)']],
    ['the flow recovers within the release delay: back to normal without a sound', 30 * SEC, [['read', PUMP, 0], ['read', L, 5], ['read', PUMP, 1], ['advance', 10 * SEC], ['read', L, 50], ['advance', 20 * SEC], ['tick']], ['t101.level:l normal→suppressed (suppress)', 't101.level:l suppressed→suppressed', 't101.level:l suppressed→suppressed', 't101.level:l suppressed→normal (unsuppress)']],
    ['the pump stops again during the release delay: the delay is cancelled', 30 * SEC, [['read', PUMP, 0], ['read', PUMP, 1], ['advance', 20 * SEC], ['read', PUMP, 0], ['advance', 20 * SEC], ['tick']], ['t101.level:l normal→suppressed (suppress)']],
    ['a bad run signal ends suppression at once (fail-safe)', 30 * SEC, [['read', PUMP, 0], ['read', L, 5], ['read', PUMP, 0, 'bad']], ['t101.level:l normal→suppressed (suppress)', 't101.level:l suppressed→suppressed', 'p1.running:bad-quality normal→unack', 't101.level:l suppressed→unack (unsuppress)']],
    ['nothing is suppressed before the run signal has reported', 0, [['read', L, 5]], ['t101.level:l normal→unack']],
    ['a stale run signal ends suppression (fail-safe)', 30 * SEC, [['read', PUMP, 0], ['read', L, 5], ['advance', 5 * MIN], ['tick']], ['t101.level:l normal→suppressed (suppress)', 't101.level:l suppressed→suppressed', 'p1.running:stale normal→unack', 't101.level:l suppressed→unack (unsuppress)']],
    ['the run signal\'s gateway offline: suppression held (its gateway-offline alarm says it)', 0, [['gateway', true], ['read', PUMP, 0], ['read', L, 5], ['gateway', false], ['advance', 10 * MIN], ['tick'], ['gateway', true], ['read', PUMP, 1]], ['t101.level:l normal→suppressed (suppress)', 't101.level:l suppressed→suppressed', 'gw-a:gateway-offline normal→unack', 'gw-a:gateway-offline unack→rtn-unack', 't101.level:l suppressed→unack (unsuppress)']],
    ['an uncertain stop signal still suppresses', 0, [['read', PUMP, 0, 'uncertain']], ['t101.level:l normal→suppressed (suppress)']],
  ];
  it.each(rows)('%s', (_name, release, steps, expected) => {
    const h = new Harness(rules(release));
    expect(run(h, steps).map(short)).toEqual(expected);
  });

  it('names the logic as the user, gives the reason, and refuses hand suppression of a logic-owned alarm', () => {
    const h = new Harness(rules());
    const [t] = h.read(0, { id: PUMP });
    expect(t).toMatchObject({ cause: 'suppress', user: 'logic:a.hs01.p1.running=0', event: { state: 'suppressed', comment: 'suppressed by design while a.hs01.p1.running = 0' } });
    expect(h.engine.unsuppress(`${L}:l`, 'op1', undefined, h.now)).toEqual({
      ok: false,
      code: 'refused',
      error: 'unsuppress "a.hs01.t101.level:l": suppression of this alarm is set by its design logic logic:a.hs01.p1.running=0 (configuration: suppressWhen), not by hand',
    });
    expect(h.engine.suppress(`${L}:bad-quality`, 'op1', 'manual', h.now).ok).toBe(true);
  });

  it('a restored suppressed alarm is released by the first reading that says the pump runs', () => {
    const h = new Harness(rules());
    h.engine.restore([{ id: `${L}:l`, tagId: L, kind: 'l', priority: 'medium', state: 'suppressed', value: null, limit: 10, message: 'm', raisedAt: 0, ts: h.now - MIN }]);
    h.read(5);
    expect(h.read(1, { id: PUMP }).map(short)).toEqual(['t101.level:l suppressed→unack (unsuppress)']);
  });
});

// ---------------------------------------------------------------------------

describe('valve feedback mismatch', () => {
  const OPEN = 'a.hs01.xv1.open';
  const CLOSED = 'a.hs01.xv1.closed';
  const CMD = 'a.hs01.xv1.cmd';
  const rules = (command: boolean): AlarmRule[] => [
    on(OPEN, 'discrete', { unit: '', onDelayMs: 10 * SEC, mismatch: { openTag: OPEN, closedTag: CLOSED, commandTag: command ? CMD : null }, name: { zh: '切断阀', en: 'XV1' } }),
    on(OPEN, 'bad-quality', { unit: '' }),
    on(CLOSED, 'bad-quality', { unit: '' }),
  ];
  const M = 'xv1.open:discrete';
  const rows: [string, boolean, Step[], string[]][] = [
    ['open feedback only: no alarm', false, [['read', OPEN, 1], ['read', CLOSED, 0], ['advance', MIN], ['tick']], []],
    ['both limit switches on for the delay: raised', false, [['read', OPEN, 1], ['read', CLOSED, 1], ['advance', 10 * SEC], ['tick']], [`${M} normal→unack`]],
    ['both on shorter than the delay: nothing', false, [['read', OPEN, 1], ['read', CLOSED, 1], ['advance', 5 * SEC], ['read', OPEN, 0], ['advance', 10 * SEC], ['tick']], []],
    ['travelling (neither) within the travel time: nothing', false, [['read', OPEN, 1], ['read', CLOSED, 0], ['read', OPEN, 0], ['advance', 3 * SEC], ['read', CLOSED, 1], ['advance', MIN], ['tick']], []],
    ['stuck in between (neither) past the travel time: raised', false, [['read', OPEN, 0], ['read', CLOSED, 0], ['advance', 10 * SEC], ['tick']], [`${M} normal→unack`]],
    ['a bad feedback holds the condition (its bad-quality alarm says it)', false, [['read', OPEN, 0], ['read', CLOSED, 0, 'bad'], ['advance', MIN], ['tick']], ['xv1.closed:bad-quality normal→unack']],
    ['nothing before both feedbacks have reported', false, [['read', OPEN, 0], ['advance', MIN], ['tick']], []],
    ['back to one feedback: returns to normal', false, [['read', OPEN, 1], ['read', CLOSED, 1], ['advance', 10 * SEC], ['tick'], ['read', CLOSED, 0]], [`${M} normal→unack`, `${M} unack→rtn-unack`]],
    ['with a command: commanded closed but still open past the delay: raised', true, [['read', CMD, 1], ['read', OPEN, 1], ['read', CLOSED, 0], ['read', CMD, 0], ['advance', 10 * SEC], ['tick']], [`${M} normal→unack`]],
    ['with a command: it closes within the delay: nothing', true, [['read', CMD, 1], ['read', OPEN, 1], ['read', CLOSED, 0], ['read', CMD, 0], ['advance', SEC], ['read', OPEN, 0], ['advance', 2 * SEC], ['read', CLOSED, 1], ['advance', MIN], ['tick']], []],
  ];
  it.each(rows)('%s', (_name, command, steps, expected) => {
    const h = new Harness(rules(command));
    expect(run(h, steps).map(short)).toEqual(expected);
  });

  it.each([
    ['both on', false, [1, 1, undefined], 'XV1: position mismatch (open and closed feedback both on)'],
    ['neither', false, [0, 0, undefined], 'XV1: position mismatch (neither open nor closed)'],
    ['command', true, [1, 0, 0], 'XV1: position mismatch (commanded closed, not closed)'],
  ] as const)('says which feedback disagrees: %s', (_name, command, [open, closed, cmd], message) => {
    const h = new Harness(rules(command));
    if (cmd !== undefined) h.read(cmd, { id: CMD });
    h.read(open, { id: OPEN });
    h.read(closed, { id: CLOSED });
    h.advance(10 * SEC).tick();
    expect(h.engine.get(`${OPEN}:discrete`)).toMatchObject({ state: 'unack', value: null, message });
  });
});

// ---------------------------------------------------------------------------

describe('first-out', () => {
  const P = 'a.hs01.t101.pressure';
  const TRIP = 'a.hs01.t101.sis_trip';
  const OTHER = 'a.hs02.t201.level';
  const hs = (id: string, kind: AlarmRuleInput['kind'], hazardSource: string, more: Partial<AlarmRuleInput> = {}): AlarmRule => on(id, kind, { hazardSource, ...more });
  const rules = (): AlarmRule[] => [
    hs(LEVEL, 'h', 'hs01', { limit: 80 }),
    hs(LEVEL, 'hh', 'hs01', { limit: 85 }),
    hs(P, 'h', 'hs01', { limit: 1 }),
    hs(OTHER, 'h', 'hs02', { limit: 80 }),
    hs(TRIP, 'discrete', 'hs01', { unit: '' }),
  ];
  const options: AlarmEngineOptions = { firstOutWindowMs: 10 * MIN, floodStartAbove: 3, floodEndBelow: 1 };
  const rows: [string, Step[], string[]][] = [
    [
      'an SIS trip marks the first alarm raised before it in its hazard source',
      [['read', LEVEL, 82], ['advance', MIN], ['read', P, 1.1], ['advance', MIN], ['read', TRIP, 1]],
      ['t101.level:h normal→unack', 't101.pressure:h normal→unack', 't101.sis_trip:discrete normal→unack', 't101.level:h unack→unack (first-out) first-out'],
    ],
    ['a trip with nothing before it is its own first-out, on its raise event', [['read', TRIP, 1]], ['t101.sis_trip:discrete normal→unack first-out']],
    [
      'an earlier alarm in another hazard source is not chosen',
      [['read', OTHER, 90], ['advance', MIN], ['read', P, 1.1], ['advance', MIN], ['read', TRIP, 1]],
      ['t201.level:h normal→unack', 't101.pressure:h normal→unack', 't101.sis_trip:discrete normal→unack', 't101.pressure:h unack→unack (first-out) first-out'],
    ],
    [
      'a raise older than the window is not part of the cascade',
      [['read', LEVEL, 82], ['advance', 10 * MIN + SEC], ['read', P, 1.1], ['read', TRIP, 1]],
      ['t101.level:h normal→unack', 't101.pressure:h normal→unack', 't101.sis_trip:discrete normal→unack', 't101.pressure:h unack→unack (first-out) first-out'],
    ],
    [
      'an alarm that already returned to normal and was acknowledged can still be the first-out',
      [['read', LEVEL, 82], ['read', LEVEL, 50], ['ack', `${LEVEL}:h`], ['advance', MIN], ['read', TRIP, 1]],
      ['t101.level:h normal→unack', 't101.level:h unack→rtn-unack', 't101.level:h rtn-unack→normal (ack)', 't101.sis_trip:discrete normal→unack', 't101.level:h normal→normal (first-out) first-out'],
    ],
    [
      'an alarm now out of service is skipped',
      [['read', LEVEL, 82], ['oos', `${LEVEL}:h`], ['advance', MIN], ['read', P, 1.1], ['read', TRIP, 1]],
      ['t101.level:h normal→unack', 't101.level:h unack→out-of-service (out-of-service)', 't101.pressure:h normal→unack', 't101.sis_trip:discrete normal→unack', 't101.pressure:h unack→unack (first-out) first-out'],
    ],
    [
      'a flood start marks the first alarm raised in its area, across hazard sources',
      [['read', OTHER, 90], ['advance', SEC], ['read', LEVEL, 82], ['read', LEVEL, 86], ['advance', SEC], ['read', P, 1.1]],
      ['t201.level:h normal→unack', 't101.level:h normal→unack', 't101.level:hh normal→unack', 't101.pressure:h normal→unack', 't201.level:h unack→unack (first-out) first-out'],
    ],
    [
      'a second trigger in the same cascade does not mark again',
      [['read', LEVEL, 82], ['advance', MIN], ['read', TRIP, 1], ['read', TRIP, 0], ['read', TRIP, 1]],
      ['t101.level:h normal→unack', 't101.sis_trip:discrete normal→unack', 't101.level:h unack→unack (first-out) first-out', 't101.sis_trip:discrete unack→rtn-unack', 't101.sis_trip:discrete rtn-unack→unack'],
    ],
  ];
  it.each(rows)('%s', (_name, steps, expected) => {
    const h = new Harness(rules(), options);
    expect(run(h, steps).map(short)).toEqual(expected);
  });

  it('stays on the alarm (and in active()) until its next raise', () => {
    const h = new Harness(rules(), options);
    run(h, [['read', LEVEL, 82], ['advance', MIN], ['read', TRIP, 1]]);
    expect(h.engine.get(`${LEVEL}:h`)?.firstOut).toBe(true);
    expect(h.engine.active().filter((a) => a.firstOut === true).map((a) => a.id)).toEqual([`${LEVEL}:h`]);
    run(h, [['read', LEVEL, 50], ['ack', `${LEVEL}:h`], ['advance', 20 * MIN], ['read', LEVEL, 82]]);
    expect(h.engine.get(`${LEVEL}:h`)?.firstOut).toBeUndefined();
  });

  it('comes back from the journal on restore', () => {
    const h = new Harness(rules(), options);
    h.engine.restore([{ id: `${LEVEL}:h`, tagId: LEVEL, kind: 'h', priority: 'medium', state: 'acked', value: 82, limit: 80, message: 'm', raisedAt: h.now - MIN, firstOut: true, ts: h.now - MIN }]);
    expect(h.engine.get(`${LEVEL}:h`)?.firstOut).toBe(true);
  });
});
