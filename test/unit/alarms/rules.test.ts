import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parkSchema, parseConfigText } from '@park/protocol/config';
import { AlarmEngine, AlarmRuleError } from '../../../server/src/alarms/engine.js';
import {
  ALARM_DEFAULTS,
  checkGasSetpoints,
  checkRules,
  discreteEntryFor,
  normalizeRule,
  renderMessage,
  rulesFromPark,
  type AlarmRule,
} from '../../../server/src/alarms/rules.js';
import { rule } from './helpers.js';

const PARK = `
park: { id: p, name: { zh: 园区, en: Park } }
sites:
  - id: s1
    name: { zh: 甲, en: S1 }
    gateway: gw-1
    hazardSources: [{ id: hs01, name: { zh: 罐区, en: Tanks } }]
    devices:
      - id: d1
        protocol: opcua
        endpoint: opc.tcp://127.0.0.1:4840
        tags:
          - { id: s1.t1.level, unit: m, description: { zh: 液位, en: Level }, limits: { hh: 9, h: 8, l: 1, ll: 0.5, deadband: 0.1 }, address: { nodeId: a } }
          - { id: s1.gd1, unit: "%LEL", description: { zh: 可燃气1, en: LEL 1 }, limits: { h: 25, hh: 50, deadband: 2 }, address: { nodeId: b } }
          - { id: s1.gd2, unit: ppm, description: { zh: 氯气, en: Cl2 }, limits: { h: 1, hh: 2, l: 0.01 }, address: { nodeId: c } }
          - { id: s1.t1.temp, unit: "°C", description: { zh: 温度, en: Temp }, address: { nodeId: d } }
          - { id: s1.t1.sis_trip, kind: discrete, description: { zh: 联锁, en: Trip }, address: { nodeId: e } }
          - { id: s1.xv1.bypass, kind: discrete, description: { zh: 旁路, en: Bypass }, address: { nodeId: f } }
          - { id: s1.p1.running, kind: discrete, description: { zh: 运行, en: Running }, address: { nodeId: g } }
  - id: s2
    name: { zh: 乙, en: S2 }
    gateway: gw-1
    devices:
      - id: d2
        protocol: opcua
        endpoint: opc.tcp://127.0.0.1:4841
        tags:
          - { id: s2.t2.level, unit: m, description: { zh: 液位2, en: Level 2 }, limits: { h: 5 }, address: { nodeId: h } }
`;

const park = parseConfigText(PARK, 'park.yaml', parkSchema);

function byId(rules: AlarmRule[]): Map<string, AlarmRule> {
  return new Map(rules.map((r) => [r.id, r]));
}

describe('rulesFromPark', () => {
  const rules = rulesFromPark(park);
  const r = byId(rules);

  it('derives exactly the expected alarms', () => {
    expect(rules.map((x) => x.id)).toEqual([
      's1.t1.level:h', 's1.t1.level:hh', 's1.t1.level:l', 's1.t1.level:ll', 's1.t1.level:bad-quality', 's1.t1.level:stale',
      's1.gd1:h', 's1.gd1:hh', 's1.gd1:bad-quality', 's1.gd1:stale',
      's1.gd2:h', 's1.gd2:hh', 's1.gd2:l', 's1.gd2:bad-quality', 's1.gd2:stale',
      's1.t1.temp:bad-quality', 's1.t1.temp:stale',
      's1.t1.sis_trip:discrete', 's1.t1.sis_trip:bad-quality', 's1.t1.sis_trip:stale',
      's1.xv1.bypass:discrete', 's1.xv1.bypass:bad-quality', 's1.xv1.bypass:stale',
      's1.p1.running:bad-quality', 's1.p1.running:stale',
      's2.t2.level:h', 's2.t2.level:bad-quality', 's2.t2.level:stale',
      'gw-1:gateway-offline',
    ]);
    expect(checkRules(rules)).toEqual([]);
  });

  const cases: [string, Partial<AlarmRule>][] = [
    ['s1.t1.level:hh', { priority: 'high', gdsLevel: null, limit: 9, deadband: 0.1, gateway: 'gw-1', area: 's1', unit: 'm' }],
    ['s1.t1.level:h', { priority: 'medium', gdsLevel: null, limit: 8 }],
    ['s1.t1.level:l', { priority: 'medium', limit: 1 }],
    ['s1.t1.level:ll', { priority: 'high', limit: 0.5 }],
    ['s1.gd1:h', { priority: 'high', gdsLevel: 1, limit: 25, deadband: 2 }],
    ['s1.gd1:hh', { priority: 'critical', gdsLevel: 2, limit: 50 }],
    ['s1.gd2:h', { priority: 'high', gdsLevel: 1, limit: 1 }],
    ['s1.gd2:hh', { priority: 'critical', gdsLevel: 2, limit: 2 }],
    ['s1.gd2:l', { priority: 'medium', gdsLevel: null, limit: 0.01, deadband: 0 }],
    ['s1.t1.temp:bad-quality', { priority: 'low', limit: null }],
    ['s1.t1.temp:stale', { priority: 'medium', staleAfterMs: ALARM_DEFAULTS.staleAfterMs }],
    ['s1.t1.sis_trip:discrete', { priority: 'critical', activeValue: 1, limit: null }],
    ['s1.xv1.bypass:discrete', { priority: 'medium', activeValue: 1 }],
    ['s2.t2.level:h', { area: 's2', gateway: 'gw-1' }],
    ['gw-1:gateway-offline', { tagId: 'gw-1', priority: 'high', gateway: 'gw-1', area: 's1', limit: null }],
  ];
  it.each(cases)('%s', (alarmId, expected) => {
    expect(r.get(alarmId)).toMatchObject(expected);
  });

  it('the demo park: a usable rule set; every gas detector on GB/T 50493 levels; one offline alarm per gateway', () => {
    const demo = parseConfigText(readFileSync(new URL('../../../seeds/park.yaml', import.meta.url), 'utf8'), 'seeds/park.yaml', parkSchema);
    const rules = rulesFromPark(demo);
    expect(checkRules(rules)).toEqual([]);
    expect(checkGasSetpoints(rules)).toEqual([]);
    expect(() => new AlarmEngine(rules)).not.toThrow();
    const gas = rules.filter((x) => (x.unit === '%LEL' || x.unit === 'ppm') && (x.kind === 'h' || x.kind === 'hh'));
    expect(gas.length).toBeGreaterThan(0);
    for (const x of gas) expect([x.id, x.priority, x.gdsLevel]).toEqual([x.id, x.kind === 'h' ? 'high' : 'critical', x.kind === 'h' ? 1 : 2]);
    const trips = rules.filter((x) => x.kind === 'discrete' && /(sis|hh)_trip$/.test(x.tagId));
    expect(trips.length).toBeGreaterThan(0);
    for (const x of trips) expect([x.id, x.priority]).toEqual([x.id, 'critical']);
    const gateways = [...new Set(demo.sites.map((site) => site.gateway))];
    expect(rules.filter((x) => x.kind === 'gateway-offline').map((x) => x.tagId)).toEqual(gateways);
  });
});

describe('the discrete naming convention', () => {
  const cases: [string, string, string][] = [
    ['a.hs01.t101.sis_trip', 'critical', 'SIS trip'],
    ['a.hs01.esd', 'critical', 'emergency shutdown'],
    ['b.hs04.t301.hh_trip', 'critical', 'high-high trip'],
    ['b.hs04.t301.ll_trip', 'critical', 'low-low trip'],
    ['b.hs04.p1.motor_trip', 'critical', 'trip'],
    ['b.hs03.gd01.alarm2', 'critical', 'gas alarm level 2'],
    ['b.hs03.gd01.alarm1', 'high', 'gas alarm level 1'],
    ['a.hs01.xv101.bypass', 'medium', 'bypass active'],
    ['a.hs01.xv101.sis-bypass', 'medium', 'bypass active'],
    ['a.hs01.xv101.mismatch', 'medium', 'position mismatch'],
    ['b.hs03.gd01.fault', 'medium', 'fault'],
  ];
  it.each(cases)('%s → %s (%s)', (tagId, priority, label) => {
    expect(discreteEntryFor(tagId)).toMatchObject({ priority, label: { en: label } });
  });

  const status = ['a.hs01.t101.xv_open', 'a.hs01.t101.xv_closed', 'b.hs03.v201.esd_open', 'b.hs03.v201.esd_closed', 'b.hs04.t301.inlet_open', 'a.hs01.scrubber.fan_running', 'a.hs01.notrip'];
  it.each(status)('%s is a status point: no discrete alarm', (tagId) => {
    expect(discreteEntryFor(tagId)).toBeNull();
  });

  it('GDS levels from a discrete point are their own scale beside the priority', () => {
    expect(normalizeRule({ tagId: 'b.hs03.gd01.alarm2', kind: 'discrete' })).toMatchObject({ priority: 'critical', gdsLevel: 2 });
    expect(normalizeRule({ tagId: 'a.hs01.p101.running', kind: 'discrete' })).toMatchObject({ priority: 'medium', gdsLevel: null, message: { en: '{name}: active' } });
  });
});

describe('messages', () => {
  const cases: [string, AlarmRule, 'en' | 'zh', number | null, string][] = [
    ['hh en', rule({ kind: 'hh', limit: 90 }), 'en', 92.1234, 'T101 level high high 92.123 % (limit 90 %)'],
    ['hh zh', rule({ kind: 'hh', limit: 90 }), 'zh', 92, '1号液氯储罐液位 高高报警 92 %（限值 90 %）'],
    ['no unit', rule({ kind: 'l', limit: 3, unit: '' }), 'en', 2, 'T101 level low 2 (limit 3)'],
    ['gas level 2 zh', rule({ kind: 'hh', limit: 50, unit: '%LEL', gdsLevel: 2 }), 'zh', 55, '1号液氯储罐液位 二级报警 55 %LEL（报警设定值 50 %LEL）'],
    ['roc', rule({ kind: 'roc', limit: 5 }), 'en', -6, 'T101 level rate of change -6 %/min (limit 5 %/min)'],
    ['stale zh', rule({ kind: 'stale', staleAfterMs: 90_000 }), 'zh', null, '1号液氯储罐液位：90 s内无有效数据'],
    ['gateway', normalizeRule({ tagId: 'gw-b', kind: 'gateway-offline' }), 'zh', null, '网关 gw-b 离线'],
  ];
  it.each(cases)('%s', (_name, r, lang, value, text) => {
    expect(renderMessage(r, lang, { value })).toBe(text);
  });
});

describe('checkRules and the engine constructor', () => {
  it('lists every problem at once, and the engine refuses to start with them', () => {
    const bad = [
      rule({ kind: 'h', limit: 85 }),
      rule({ kind: 'h', limit: 86 }),
      rule({ kind: 'hh' }),
      rule({ kind: 'roc', limit: 0 }),
      { ...rule({ kind: 'l', limit: 1 }), deadband: -1, onDelayMs: Number.NaN },
      { ...rule({ kind: 'stale' }), id: 'wrong' },
      rule({ kind: 'bad-quality', gateway: 'gw-other' }),
    ];
    const problems = checkRules(bad);
    expect(problems).toEqual([
      'rule 1 "a.hs01.t101.level:h": duplicate alarm id',
      'rule 2 "a.hs01.t101.level:hh": limit must be a finite number',
      'rule 3 "a.hs01.t101.level:roc": a rate limit must be above 0 (units per minute, compared with the absolute rate)',
      'rule 3 "a.hs01.t101.level:roc": deadband must be below the rate limit',
      'rule 4 "a.hs01.t101.level:l": deadband must be a finite number ≥ 0',
      'rule 4 "a.hs01.t101.level:l": onDelayMs must be a finite number ≥ 0',
      'rule 5 "wrong": id must be "a.hs01.t101.level:stale"',
      'rule 6 "a.hs01.t101.level:bad-quality": gateway "gw-other" differs from "gw-a" in another rule of tag "a.hs01.t101.level"',
    ]);
    expect(() => new AlarmEngine(bad)).toThrow(AlarmRuleError);
    let error: unknown;
    try {
      new AlarmEngine(bad, { floodEndBelow: 50 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlarmRuleError);
    expect((error as AlarmRuleError).problems).toEqual([...problems, 'option floodEndBelow (50) must be at most floodStartAbove + 1 (11)']);
  });
});

describe('GB/T 50493 set point check', () => {
  it('flags %LEL level 1 above 25 and level 2 above 50', () => {
    const rules = [
      rule({ tagId: 'g1', kind: 'h', limit: 30, unit: '%LEL', gdsLevel: 1 }),
      rule({ tagId: 'g1', kind: 'hh', limit: 50, unit: '%LEL', gdsLevel: 2 }),
      rule({ tagId: 'g2', kind: 'hh', limit: 60, unit: '%lel', gdsLevel: 2 }),
      rule({ tagId: 'g3', kind: 'hh', limit: 60, unit: 'ppm', gdsLevel: 2 }),
    ];
    expect(checkGasSetpoints(rules)).toEqual([
      'g1:h: level 1 set point 30 %LEL is above the GB/T 50493 maximum of 25 %LEL',
      'g2:hh: level 2 set point 60 %LEL is above the GB/T 50493 maximum of 50 %LEL',
    ]);
  });
});
