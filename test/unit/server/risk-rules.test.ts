import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '@park/protocol';
import { riskOf } from '../../../server/src/risk/risk-rules.js';
import type { AlarmRule } from '../../../server/src/alarms/rules.js';

const rule = (over: Partial<AlarmRule>): AlarmRule => ({ firstOutTrigger: false, gdsLevel: null, hazardSource: 'hs01', ...over }) as AlarmRule;
const alarm = (id: string, over: Partial<AlarmEvent>): AlarmEvent =>
  ({ id, tagId: id.split(':')[0] ?? id, kind: 'h', priority: 'medium', state: 'unack', value: 1, limit: 1, message: '', raisedAt: 1, ts: 1, ...over }) as AlarmEvent;

describe('risk early-warning colour of an installation', () => {
  it.each([
    ['no active alarm', [], null, 'none', []],
    ['an SIS trip, even acknowledged', [[alarm('a.t1.sis_trip:discrete', { kind: 'discrete', priority: 'critical', state: 'acked' }), rule({ firstOutTrigger: true })]], 3, 'red', ['SIS trip']],
    ['a GDS level-2 gas alarm', [[alarm('a.gd1:hh', { kind: 'hh', priority: 'critical', state: 'acked' }), rule({ gdsLevel: 2 })]], 3, 'red', ['gas level 2 (GB/T 50493)']],
    ['an unacknowledged critical alarm', [[alarm('a.x:hh', { kind: 'hh', priority: 'critical' }), rule({})]], 3, 'red', ['critical alarm unacknowledged']],
    ['a level-1 gas alarm', [[alarm('a.gd1:h', { priority: 'high' }), rule({ gdsLevel: 1 })]], 3, 'orange', ['gas level 1 (GB/T 50493)']],
    ['an SIS bypass in force', [[alarm('a.t1.bypass:discrete', { kind: 'discrete' }), rule({})]], 3, 'orange', ['SIS bypass in force']],
    ['a lost instrument on a level-1 installation', [[alarm('a.t1.level:stale', { kind: 'stale' }), rule({})]], 1, 'orange', ['instrument lost on a level 1–2 installation']],
    ['the same on a level-3 installation', [[alarm('a.t1.level:stale', { kind: 'stale' }), rule({})]], 3, 'yellow', ['instrument lost or data stale']],
    ['a high alarm', [[alarm('a.t1.level:hh', { priority: 'high', kind: 'hh' }), rule({})]], 3, 'yellow', ['critical or high alarm']],
    ['a medium deviation', [[alarm('a.t1.level:h', {}), rule({})]], 3, 'blue', ['deviation']],
    ['a returned, unacknowledged medium alarm only', [[alarm('a.t1.level:h', { state: 'rtn-unack' }), rule({})]], 3, 'none', []],
  ] as const)('%s', (_what, alarms, level, colour, rules) => {
    const v = riskOf(alarms.map(([event, r]) => ({ event, rule: r })), level);
    expect(v.colour).toBe(colour);
    expect(v.reasons.map((r) => r.rule)).toEqual(rules);
  });

  it('names every rule of the winning colour with its alarms, and nothing milder', () => {
    const v = riskOf(
      [
        { event: alarm('a.t1.sis_trip:discrete', { kind: 'discrete', priority: 'critical' }), rule: rule({ firstOutTrigger: true }) },
        { event: alarm('a.gd2:hh', { kind: 'hh', priority: 'critical' }), rule: rule({ gdsLevel: 2 }) },
        { event: alarm('a.t1.level:h', {}), rule: rule({}) },
      ],
      1,
    );
    expect(v).toEqual({
      colour: 'red',
      reasons: [
        { rule: 'SIS trip', alarms: ['a.t1.sis_trip:discrete'] },
        { rule: 'gas level 2 (GB/T 50493)', alarms: ['a.gd2:hh'] },
        { rule: 'critical alarm unacknowledged', alarms: ['a.gd2:hh', 'a.t1.sis_trip:discrete'] },
      ],
    });
  });
});
