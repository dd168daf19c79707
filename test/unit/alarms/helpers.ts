import type { AlarmKind, Quality } from '@park/protocol';
import { AlarmEngine, type AlarmEngineOptions, type AlarmTransition, type TickResult } from '../../../server/src/alarms/engine.js';
import { normalizeRule, type AlarmRule, type AlarmRuleInput } from '../../../server/src/alarms/rules.js';

/** A fixed engine clock for every alarm test: 2025-01-15T08:00:00Z. */
export const T0 = Date.UTC(2025, 0, 15, 8, 0, 0);
export const SEC = 1000;
export const MIN = 60_000;

export const LEVEL = 'a.hs01.t101.level';
export const TRIP = 'a.hs01.t101.sis_trip';
export const GW = 'gw-a';

/** A rule of the test tag (or `tagId`), on gateway gw-a, area a. */
export function rule(input: Partial<AlarmRuleInput> & { kind: AlarmKind }): AlarmRule {
  return normalizeRule({
    tagId: LEVEL,
    gateway: GW,
    area: 'a',
    unit: '%',
    name: { zh: '1号液氯储罐液位', en: 'T101 level' },
    ...input,
  });
}

/** T101 level: hh 90, h 85, l 10, ll 5, deadband 1; bad quality, stale 2 min; gw-a offline; the SIS trip. */
export function levelRules(overrides: Partial<Record<AlarmKind, Partial<AlarmRuleInput>>> = {}): AlarmRule[] {
  const limits: [AlarmKind, number][] = [
    ['hh', 90],
    ['h', 85],
    ['l', 10],
    ['ll', 5],
  ];
  return [
    ...limits.map(([kind, limit]) => rule({ kind, limit, deadband: 1, ...overrides[kind] })),
    rule({ kind: 'bad-quality', ...overrides['bad-quality'] }),
    rule({ kind: 'stale', staleAfterMs: 2 * MIN, ...overrides.stale }),
    rule({ tagId: TRIP, kind: 'discrete', unit: '', name: { zh: '1号液氯储罐SIS联锁', en: 'T101 SIS' }, ...overrides.discrete }),
    rule({ tagId: TRIP, kind: 'bad-quality', unit: '' }),
    rule({ tagId: GW, kind: 'gateway-offline', gateway: GW, unit: '', name: { zh: '网关 gw-a', en: 'Gateway gw-a' }, ...overrides['gateway-offline'] }),
  ];
}

export interface ReadOptions {
  id?: string;
  q?: Quality;
  /** Source time; default: the harness clock. */
  ts?: number;
  err?: string;
  replay?: boolean;
}

/** An engine and a clock. */
export class Harness {
  readonly engine: AlarmEngine;
  now = T0;

  constructor(rules: AlarmRule[] = levelRules(), options: AlarmEngineOptions = {}) {
    this.engine = new AlarmEngine(rules, options);
  }

  /** Moves the clock by `ms`. */
  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  /** Sets the clock to T0 + `ms`. */
  at(ms: number): this {
    this.now = T0 + ms;
    return this;
  }

  read(v: number, o: ReadOptions = {}): readonly AlarmTransition[] {
    const reading = { id: o.id ?? LEVEL, ts: o.ts ?? this.now, v, q: o.q ?? 'good', ...(o.err === undefined ? {} : { err: o.err }) };
    return this.engine.onReading(reading, this.now, o.replay ?? false);
  }

  tick(): TickResult {
    return this.engine.tick(this.now);
  }

  ack(id: string, user = 'op1', comment?: string) {
    return this.engine.ack(id, user, comment, this.now);
  }

  shelve(id: string, minutes = 10, reason = 'nuisance during maintenance', user = 'op1') {
    return this.engine.shelve(id, user, minutes, reason, this.now);
  }

  /** The alarm's state now. */
  state(id: string): string | undefined {
    return this.engine.get(id)?.state;
  }
}

/** `"<kind> <previous>→<state>"` per transition, e.g. `"h normal→unack"` (the id's part after the last colon). */
export function summary(transitions: readonly AlarmTransition[]): string[] {
  return transitions.map((t) => `${t.event.id.slice(t.event.id.lastIndexOf(':') + 1)} ${t.previous}→${t.event.state}`);
}

export const id = {
  hh: `${LEVEL}:hh`,
  h: `${LEVEL}:h`,
  l: `${LEVEL}:l`,
  ll: `${LEVEL}:ll`,
  roc: `${LEVEL}:roc`,
  bad: `${LEVEL}:bad-quality`,
  stale: `${LEVEL}:stale`,
  trip: `${TRIP}:discrete`,
  gw: `${GW}:gateway-offline`,
} as const;
