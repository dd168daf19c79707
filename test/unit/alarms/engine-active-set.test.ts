import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Harness, LEVEL, levelRules, MIN, SEC, TRIP } from './helpers.js';

// `active()` reads a set kept as states change instead of walking every
// record: after any sequence of readings, acknowledgements, shelving and
// time, it must list exactly the alarms whose state is not `normal`.
describe('AlarmEngine.active()', () => {
  it('lists exactly the alarms not in normal, whatever happened before', () => {
    const rules = levelRules();
    const step = fc.oneof(
      fc.record({ op: fc.constant('level' as const), v: fc.integer({ min: 0, max: 100 }), bad: fc.boolean() }),
      fc.record({ op: fc.constant('trip' as const), v: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ op: fc.constant('ack' as const), i: fc.nat(rules.length - 1) }),
      fc.record({ op: fc.constant('shelve' as const), i: fc.nat(rules.length - 1) }),
      fc.record({ op: fc.constant('wait' as const), ms: fc.constantFrom(SEC, 30 * SEC, 3 * MIN, 15 * MIN) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const h = new Harness(rules);
        for (const s of steps) {
          if (s.op === 'level') h.read(s.v, s.bad ? { q: 'bad', err: 'timeout' } : {});
          else if (s.op === 'trip') h.read(s.v, { id: TRIP });
          else if (s.op === 'ack') h.ack((rules[s.i] ?? rules[0])!.id);
          else if (s.op === 'shelve') h.shelve((rules[s.i] ?? rules[0])!.id);
          else {
            h.advance(s.ms);
            h.tick();
          }
          const expected = rules.filter((r) => h.state(r.id) !== 'normal').map((r) => r.id).sort();
          expect(h.engine.active().map((a) => a.id).sort()).toEqual(expected);
        }
      }),
      { seed: 20261129, numRuns: 300 },
    );
    // The property ran through states other than normal at all.
    const h = new Harness(rules);
    h.read(95, { id: LEVEL });
    expect(h.engine.active().length).toBeGreaterThan(0);
  });
});
