import { describe, expect, it } from 'vitest';
import type { AlarmEvent, EscalationStepEvent } from '@park/protocol';
import { ConfigError } from '@park/protocol/config';
import { ChainPolicies, EscalationChain, type ChainConfig, type ChainRecord } from '../../../server/src/alarm-service/escalation-chain.js';
import { serverConfigFromObject } from '../../../server/src/config.js';
import { createLogger } from '../../../server/src/log.js';
import { PARK_FILE } from './helpers.js';

const T0 = 1_750_000_000_000;
const alarm = (id: string, state: AlarmEvent['state'], ts: number, extra: Partial<AlarmEvent> = {}): AlarmEvent => ({
  id,
  tagId: id.split(':')[0] as string,
  kind: 'hh',
  priority: 'critical',
  state,
  value: 1,
  limit: 0.5,
  message: id,
  raisedAt: T0,
  ts,
  ...extra,
});

function make(config: ChainConfig | undefined, afterSeconds = 60) {
  const pushed: EscalationStepEvent[] = [];
  const paged: EscalationStepEvent[] = [];
  const journal: ChainRecord[] = [];
  const chain = new EscalationChain({
    policies: new ChainPolicies(config, afterSeconds),
    hazardSourceOf: (id) => (id.startsWith('a.hs01.') ? 'hs01' : id.startsWith('b.hs03.') ? 'hs03' : undefined),
    push: (e) => void pushed.push(e),
    notify: (e) => void paged.push(e),
    journal: (r) => void journal.push(r),
    log: createLogger('silent'),
  });
  return { chain, pushed, paged, journal };
}

const HS01_CHAIN: ChainConfig = {
  installations: {
    hs01: {
      priorities: ['critical', 'high'],
      steps: [
        { duty: 'operator', afterSeconds: 0 },
        { duty: 'shift-leader', afterSeconds: 60 },
        { duty: 'commander', afterSeconds: 180 },
      ],
    },
  },
};

describe('escalation chain', () => {
  it('without a chain keeps the single step: critical alarms to commanders after afterSeconds', () => {
    const { chain, pushed } = make(undefined, 60);
    chain.onAlarm(alarm('b.hs03.gd02:hh', 'unack', T0));
    chain.onAlarm(alarm('b.hs03.gd03:h', 'unack', T0, { priority: 'high', kind: 'h' }));
    expect(chain.tick(T0 + 59_999)).toEqual([]);
    const [step] = chain.tick(T0 + 60_000);
    expect(step).toMatchObject({ step: 1, steps: 1, duty: 'commander', unackedForMs: 60_000, hazardSource: 'hs03', annunciatedAt: T0 });
    expect(step?.alarm.id).toBe('b.hs03.gd02:hh');
    // Once per annunciation; the high alarm never escalates.
    expect(chain.tick(T0 + 600_000)).toEqual([]);
    expect(pushed.map((e) => e.alarm.id)).toEqual(['b.hs03.gd02:hh']);
  });

  it('walks an installation’s chain step by step, pushing, paging and journalling each', () => {
    const { chain, pushed, paged, journal } = make(HS01_CHAIN);
    chain.onAlarm(alarm('a.hs01.gd01:hh', 'unack', T0));
    expect(chain.tick(T0).map((e) => e.duty)).toEqual(['operator']);
    expect(chain.tick(T0 + 59_000)).toEqual([]);
    expect(chain.tick(T0 + 60_000).map((e) => [e.step, e.steps, e.duty, e.unackedForMs])).toEqual([[2, 3, 'shift-leader', 60_000]]);
    expect(chain.tick(T0 + 180_000).map((e) => e.duty)).toEqual(['commander']);
    expect(pushed.map((e) => e.duty)).toEqual(['operator', 'shift-leader', 'commander']);
    expect(paged.map((e) => e.duty)).toEqual(['operator', 'shift-leader', 'commander']);
    expect(journal.map((r) => r.type)).toEqual(['step', 'step', 'step']);
    // Site B keeps the park-wide single step.
    chain.onAlarm(alarm('b.hs03.gd02:hh', 'unack', T0));
    expect(chain.tick(T0 + 60_000).map((e) => [e.alarm.id, e.duty])).toEqual([['b.hs03.gd02:hh', 'commander']]);
  });

  it('stops when the alarm is acknowledged, and journals who stopped it after which step', () => {
    const { chain, pushed, journal } = make(HS01_CHAIN);
    chain.onAlarm(alarm('a.hs01.gd01:hh', 'unack', T0));
    chain.tick(T0 + 61_000);
    expect(pushed.map((e) => e.duty)).toEqual(['operator', 'shift-leader']);
    expect(chain.open().map((e) => e.duty)).toEqual(['shift-leader']);
    chain.onAlarm(alarm('a.hs01.gd01:hh', 'acked', T0 + 90_000, { ackedBy: 'leader-wang', ackedAt: T0 + 90_000 }));
    expect(chain.tick(T0 + 600_000)).toEqual([]);
    expect(chain.open()).toEqual([]);
    expect(journal.at(-1)).toEqual({ type: 'stopped', alarmId: 'a.hs01.gd01:hh', hazardSource: 'hs01', ts: T0 + 90_000, annunciatedAt: T0, stepsSent: 2, state: 'acked', by: 'leader-wang' });
  });

  it('keeps the clock through a return to normal unacknowledged, and starts over at a new raise', () => {
    const { chain } = make(HS01_CHAIN);
    chain.onAlarm(alarm('a.hs01.gd01:hh', 'unack', T0));
    chain.tick(T0);
    chain.onAlarm(alarm('a.hs01.gd01:hh', 'rtn-unack', T0 + 30_000));
    expect(chain.tick(T0 + 60_000).map((e) => [e.duty, e.alarm.state])).toEqual([['shift-leader', 'rtn-unack']]);
    // Raised again from rtn-unack: a new annunciation, a new chain from its first step.
    chain.onAlarm(alarm('a.hs01.gd01:hh', 'unack', T0 + 100_000, { raisedAt: T0 + 100_000 }));
    expect(chain.tick(T0 + 100_000).map((e) => [e.step, e.duty, e.annunciatedAt])).toEqual([[1, 'operator', T0 + 100_000]]);
  });

  it('does not start for shelved or suppressed alarms, nor for priorities outside the chain', () => {
    const { chain } = make(HS01_CHAIN);
    chain.onAlarm(alarm('a.hs01.gd02:h', 'unack', T0, { priority: 'medium', kind: 'h' }));
    chain.onAlarm(alarm('a.hs01.gd03:hh', 'shelved', T0));
    expect(chain.tick(T0 + 600_000)).toEqual([]);
  });
});

describe('escalation chain options', () => {
  const config = (chain: unknown) => serverConfigFromObject({ park: PARK_FILE, alarms: { escalation: { chain } } });

  it('takes a default and per-installation chains', () => {
    const c = config({ default: { steps: [{ duty: 'operator', afterSeconds: 30 }, { duty: 'commander', afterSeconds: 120 }] }, installations: { hs01: { steps: [{ duty: 'commander', afterSeconds: 10 }] } } });
    const p = new ChainPolicies(c.alarms.escalation.chain, c.alarms.escalation.afterSeconds);
    expect(p.of('hs01')).toEqual({ priorities: ['critical'], steps: [{ duty: 'commander', afterSeconds: 10 }] });
    expect(p.of('hs02').steps.map((s) => s.duty)).toEqual(['operator', 'commander']);
    // No chain at all: the single step after afterSeconds (60 s by default).
    const plain = serverConfigFromObject({ park: PARK_FILE });
    expect(new ChainPolicies(plain.alarms.escalation.chain, plain.alarms.escalation.afterSeconds).of('hs01')).toEqual({ priorities: ['critical'], steps: [{ duty: 'commander', afterSeconds: 60 }] });
  });

  it('refuses steps out of order, an unknown duty and an unknown installation', () => {
    expect(() => config({ default: { steps: [{ duty: 'operator', afterSeconds: 60 }, { duty: 'commander', afterSeconds: 60 }] } })).toThrow(/alarms\.escalation\.chain\.default\.steps: afterSeconds must rise from step to step/);
    expect(() => config({ default: { steps: [{ duty: 'janitor', afterSeconds: 1 }] } })).toThrow(/alarms\.escalation\.chain\.default\.steps\[0\]\.duty/);
    let err: unknown;
    try {
      config({ installations: { hs09: { steps: [{ duty: 'commander', afterSeconds: 1 }] } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/alarms\.escalation\.chain\.installations\.hs09: unknown hazard source "hs09"/);
  });
});
