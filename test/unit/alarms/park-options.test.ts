// The per-tag `alarms:` options of the park model: what each one does to
// the rules (rulesFromPark), and every configuration error with its exact
// message (file: path: reason), as test/unit/config does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, GAS_ALARM_SETPOINTS, gasSetpointMaxima, parkSchema, parseConfigText, type TagConfig } from '@park/protocol/config';
import { AlarmEngine } from '../../../server/src/alarms/engine.js';
import { checkRules, rulesFromPark, type AlarmRule } from '../../../server/src/alarms/rules.js';

/** A park with one site, one device, and these tag lines (flow-style YAML, one tag per line). */
function park(...tags: string[]): string {
  return `park: { id: p, name: { zh: 园区, en: Park } }
sites:
  - id: s
    name: { zh: 站, en: Site }
    gateway: gw
    hazardSources: [{ id: hs1, name: { zh: 罐区, en: Tanks } }]
    devices:
      - id: d1
        protocol: opcua
        endpoint: opc.tcp://127.0.0.1:4840
        tags:
${tags.map((t, i) => `          - { ${t}, address: { nodeId: n${i} } }`).join('\n')}
`;
}

const d = (id: string, more = ''): string => `id: ${id}, kind: discrete, description: { zh: 点, en: ${id} }${more ? `, ${more}` : ''}`;
const a = (id: string, unit: string, more = ''): string => `id: ${id}, unit: "${unit}", hazardSource: hs1, description: { zh: 点, en: ${id} }${more ? `, ${more}` : ''}`;

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, 'park.yaml', parkSchema);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').map((l) => l.replace(/ \(line \d+, column \d+\)$/, ''));
    throw err;
  }
  return [];
}

const PARK = park(
  a('s.t1.level', 'm', 'limits: { hh: 9, h: 8, l: 1, deadband: 0.1 }, alarms: { priority: { hh: critical, l: low, stale: high }, onDelayS: 5, offDelayS: 2, staleAfterS: 300, suppressWhen: { tag: s.p1.running, equals: 0 } }'),
  a('s.t1.flow', 'm³/h', 'limits: { l: 5 }, alarms: { roc: { limit: 2, windowS: 30, deadband: 0.5 }, frozenAfterS: 600, priority: { frozen: high }, suppressWhen: { tag: s.p1.running, equals: 0, kinds: [l, frozen], releaseAfterS: 20 } }'),
  a('s.gd1', '%LEL', 'alarms: { gas: { gas: combustible } }'),
  a('s.gd2', '%VOL', 'limits: { deadband: 0.05 }, alarms: { gas: { gas: combustible, lel: 5 } }'),
  a('s.gd3', 'ppm', 'alarms: { gas: { gas: toxic, oel: 0.34, oelBasis: MAC } }'),
  a('s.gd4', 'ppm', 'limits: { h: 0.3 }, alarms: { gas: { gas: toxic, oel: 0.34 }, priority: { hh: high } }'),
  a('s.gd5', 'mg/m³', 'alarms: { gas: { gas: toxic, oel: 1 } }'),
  d('s.p1.running'),
  d('s.p1.permissive', 'alarms: { discrete: { activeValue: 0, priority: high, meaning: { zh: 允许条件丧失, en: permissive lost } } }'),
  d('s.k1.trip_cmd', 'alarms: { discrete: { trip: true } }'),
  d('s.t1.sis_trip'),
  d('s.t1.sis_bypass', 'alarms: { onDelayS: 3 }'),
  d('s.xv1.open', 'alarms: { mismatch: { openTag: s.xv1.open, closedTag: s.xv1.closed, afterS: 10 } }'),
  d('s.xv1.closed'),
  d('s.xv2.cmd'),
  d('s.xv2.open', 'alarms: { mismatch: { openTag: s.xv2.open, closedTag: s.xv2.closed, commandTag: s.xv2.cmd, afterS: 8, priority: high, meaning: { zh: 阀位故障, en: valve fault } } }'),
  d('s.xv2.closed'),
);

describe('alarms: options → rules', () => {
  const rules = rulesFromPark(parseConfigText(PARK, 'park.yaml', parkSchema));
  const byId = new Map(rules.map((r) => [r.id, r]));
  const SW = { tag: 's.p1.running', equals: 0, releaseAfterMs: 0, name: 'logic:s.p1.running=0' };

  it('is a usable rule set for the engine', () => {
    expect(checkRules(rules)).toEqual([]);
    expect(() => new AlarmEngine(rules)).not.toThrow();
  });

  const rows: [string, string, Partial<AlarmRule> | undefined][] = [
    ['priority override of a limit', 's.t1.level:hh', { priority: 'critical', limit: 9, onDelayMs: 5000, offDelayMs: 2000, hazardSource: 'hs1' }],
    ['a limit without override keeps the default', 's.t1.level:h', { priority: 'medium', onDelayMs: 5000 }],
    ['priority override to low', 's.t1.level:l', { priority: 'low' }],
    ['priority override of stale, and its window', 's.t1.level:stale', { priority: 'high', staleAfterMs: 300_000, onDelayMs: 0, suppressWhen: null }],
    ['delays do not touch bad-quality', 's.t1.level:bad-quality', { onDelayMs: 0, offDelayMs: 0, suppressWhen: null }],
    ['suppressWhen covers the process alarms by default', 's.t1.level:hh', { suppressWhen: SW }],
    ['rate of change', 's.t1.flow:roc', { kind: 'roc', limit: 2, rocWindowMs: 30_000, deadband: 0.5, priority: 'medium', suppressWhen: null }],
    ['frozen value with its priority', 's.t1.flow:frozen', { frozenAfterMs: 600_000, priority: 'high', suppressWhen: { ...SW, releaseAfterMs: 20_000 } }],
    ['suppressWhen kinds: only those listed', 's.t1.flow:l', { suppressWhen: { ...SW, releaseAfterMs: 20_000 } }],
    ['combustible in %LEL: level 1 derived at 25 %LEL', 's.gd1:h', { limit: 25, gdsLevel: 1, priority: 'high' }],
    ['combustible in %LEL: level 2 derived at 50 %LEL', 's.gd1:hh', { limit: 50, gdsLevel: 2, priority: 'critical' }],
    ['combustible in %VOL with its LEL: 25 % of 5 %VOL', 's.gd2:h', { limit: 1.25, gdsLevel: 1, deadband: 0.05 }],
    ['combustible in %VOL: 50 % of 5 %VOL', 's.gd2:hh', { limit: 2.5, gdsLevel: 2 }],
    ['toxic: level 1 at 100 % OEL', 's.gd3:h', { limit: 0.34, gdsLevel: 1, priority: 'high' }],
    ['toxic: level 2 at 200 % OEL', 's.gd3:hh', { limit: 0.68, gdsLevel: 2, priority: 'critical' }],
    ['toxic: an explicit h stays', 's.gd4:h', { limit: 0.3, gdsLevel: 1 }],
    ['toxic: the missing hh is derived, with its priority override', 's.gd4:hh', { limit: 0.68, gdsLevel: 2, priority: 'high' }],
    ['a gas block makes a detector of any unit', 's.gd5:hh', { limit: 2, gdsLevel: 2, unit: 'mg/m³' }],
    ['a status point stays without a discrete alarm', 's.p1.running:discrete', undefined],
    ['discrete: active value, priority and meaning', 's.p1.permissive:discrete', { activeValue: 0, priority: 'high', firstOutTrigger: false, message: { en: '{name}: permissive lost', zh: '{name}：允许条件丧失' } }],
    ['discrete: an explicit trip on a tag the table does not know', 's.k1.trip_cmd:discrete', { priority: 'critical', firstOutTrigger: true }],
    ['the naming table still applies: SIS trip', 's.t1.sis_trip:discrete', { priority: 'critical', firstOutTrigger: true }],
    ['the naming table with a delay from the options', 's.t1.sis_bypass:discrete', { priority: 'medium', onDelayMs: 3000, firstOutTrigger: false }],
    ['mismatch: a discrete alarm over the feedback tags', 's.xv1.open:discrete', { mismatch: { openTag: 's.xv1.open', closedTag: 's.xv1.closed', commandTag: null }, onDelayMs: 10_000, priority: 'medium', firstOutTrigger: false, message: { en: '{name}: position mismatch ({detail})', zh: '{name}：阀位不一致（{detail}）' } }],
    ['mismatch with a command, priority and meaning', 's.xv2.open:discrete', { mismatch: { openTag: 's.xv2.open', closedTag: 's.xv2.closed', commandTag: 's.xv2.cmd' }, onDelayMs: 8000, priority: 'high', message: { en: '{name}: valve fault ({detail})', zh: '{name}：阀位故障（{detail}）' } }],
  ];
  it.each(rows)('%s (%s)', (_name, alarmId, expected) => {
    if (expected === undefined) expect(byId.has(alarmId)).toBe(false);
    else expect(byId.get(alarmId)).toMatchObject(expected);
  });

  it('gives each tag its alarms in a fixed order', () => {
    expect(rules.filter((r) => r.tagId === 's.t1.flow').map((r) => r.kind)).toEqual(['l', 'roc', 'frozen', 'bad-quality', 'stale']);
    expect(rules.filter((r) => r.tagId === 's.xv1.open').map((r) => r.kind)).toEqual(['discrete', 'bad-quality', 'stale']);
  });

  it('keeps the GB/T 50493 numbers as one table', () => {
    expect(GAS_ALARM_SETPOINTS).toEqual({ combustible: { base: 'LEL', maxFraction: { 1: 0.25, 2: 0.5 } }, toxic: { base: 'OEL', maxFraction: { 1: 1, 2: 2 } } });
    expect(gasSetpointMaxima('%LEL', { gas: 'combustible' })).toEqual({ 1: 25, 2: 50, base: 100, baseName: 'LEL' });
    expect(gasSetpointMaxima('ppm', { gas: 'combustible' })).toBeNull();
    expect(gasSetpointMaxima('ppm', undefined)).toBeNull();
  });
});

describe('alarms: configuration errors', () => {
  const T = 'sites[0].devices[0].tags[0]';
  const rows: [string, string[], string][] = [
    ['a misspelt option', [a('s.t', 'm', 'alarms: { onDelay: 5 }')], `${T}.alarms.onDelay: unknown option (check the spelling; see docs/configuration.md)`],
    ['a priority that does not exist', [a('s.t', 'm', 'limits: { h: 1 }, alarms: { priority: { h: urgent } }')], `${T}.alarms.priority.h: expected "critical", "high", "medium" or "low", got "urgent"`],
    ['a priority for an alarm the tag does not have', [a('s.t', 'm', 'limits: { h: 1 }, alarms: { priority: { ll: high } }')], `${T}.alarms.priority.ll: this tag has no ll alarm (set limits.ll)`],
    ['a priority for a rate alarm without alarms.roc', [a('s.t', 'm', 'alarms: { priority: { roc: high } }')], `${T}.alarms.priority.roc: this tag has no roc alarm (set alarms.roc)`],
    ['a negative delay', [a('s.t', 'm', 'alarms: { onDelayS: -1 }')], `${T}.alarms.onDelayS: must be at least 0, got -1`],
    ['a rate limit of 0', [a('s.t', 'm', 'alarms: { roc: { limit: 0 } }')], `${T}.alarms.roc.limit: must be more than 0, got 0`],
    ['a frozen window below 10 s', [a('s.t', 'm', 'alarms: { frozenAfterS: 5 }')], `${T}.alarms.frozenAfterS: must be at least 10, got 5`],
    ['frozen detection behind a report deadband', [a('s.t', 'm', 'reportDeadband: 0.5, alarms: { frozenAfterS: 600 }')], `${T}.alarms.frozenAfterS: frozen-value detection needs every change published, but reportDeadband is 0.5: set it to 0 or remove frozenAfterS`],
    ['a rate alarm on a discrete tag', [d('s.t', 'alarms: { roc: { limit: 1 } }')], `${T}.alarms.roc: only for analog tags (this tag is kind: discrete)`],
    ['a gas block on a discrete tag', [d('s.t', 'alarms: { gas: { gas: toxic, oel: 1 } }')], `${T}.alarms.gas: only for analog tags (this tag is kind: discrete)`],
    ['a discrete block on an analog tag', [a('s.t', 'm', 'alarms: { discrete: { priority: high } }')], `${T}.alarms.discrete: only for discrete tags (kind: discrete)`],
    ['an active value other than 0 or 1', [d('s.t', 'alarms: { discrete: { activeValue: 2 } }')], `${T}.alarms.discrete.activeValue: expected 0 or 1, got 2`],
    ['an unknown gas class', [a('s.t', 'ppm', 'alarms: { gas: { gas: flammable } }')], `${T}.alarms.gas.gas: expected "combustible" or "toxic", got "flammable"`],
    ['a toxic detector without its OEL', [a('s.t', 'ppm', 'alarms: { gas: { gas: toxic } }')], `${T}.alarms.gas.oel: required for a toxic detector: the gas's occupational exposure limit in the tag's unit`],
    ['a combustible detector in %VOL without its LEL', [a('s.t', '%VOL', 'alarms: { gas: { gas: combustible } }')], `${T}.alarms.gas.lel: required for a combustible detector whose unit is not %LEL: the gas's LEL in the tag's unit (%VOL)`],
    ['an LEL other than 100 on a %LEL detector', [a('s.t', '%LEL', 'alarms: { gas: { gas: combustible, lel: 5 } }')], `${T}.alarms.gas.lel: must be 100 or left out when the unit is %LEL, got 5`],
    ['an LEL on a toxic detector', [a('s.t', 'ppm', 'alarms: { gas: { gas: toxic, oel: 1, lel: 5 } }')], `${T}.alarms.gas.lel: only for combustible gas (gas: combustible)`],
    ['an OEL on a combustible detector', [a('s.t', '%LEL', 'alarms: { gas: { gas: combustible, oel: 1 } }')], `${T}.alarms.gas.oel: only for toxic gas (gas: toxic)`],
    ['a combustible level 1 above 25 %LEL', [a('s.t', '%LEL', 'limits: { h: 30 }, alarms: { gas: { gas: combustible } }')], `${T}.limits.h: 30 %LEL is above the GB/T 50493 level 1 maximum of 25 %LEL (25 % of LEL 100 %LEL)`],
    ['a toxic level 2 above 200 % OEL', [a('s.t', 'ppm', 'limits: { hh: 0.7 }, alarms: { gas: { gas: toxic, oel: 0.34 } }')], `${T}.limits.hh: 0.7 ppm is above the GB/T 50493 level 2 maximum of 0.68 ppm (200 % of OEL 0.34 ppm)`],
    ['a derived level 1 not above the low limit', [a('s.t', '%LEL', 'limits: { l: 30 }, alarms: { gas: { gas: combustible } }')], `${T}.alarms.gas: the derived level 1 set point 25 %LEL must be above the low limit 30 %LEL`],
    ['a derived level 1 not below an explicit hh', [a('s.t', 'ppm', 'limits: { hh: 0.2 }, alarms: { gas: { gas: toxic, oel: 0.34 } }')], `${T}.alarms.gas: the derived level 1 set point 0.34 ppm must be below hh 0.2 ppm: set limits.h`],
    ['suppression by an unknown tag', [a('s.t', 'm', 'limits: { l: 1 }, alarms: { suppressWhen: { tag: s.nope, equals: 0 } }')], `${T}.alarms.suppressWhen.tag: unknown tag "s.nope"`],
    ['a tag suppressing itself', [a('s.t', 'm', 'limits: { l: 1 }, alarms: { suppressWhen: { tag: s.t, equals: 0 } }')], `${T}.alarms.suppressWhen.tag: a tag cannot suppress its own alarms: name the tag that says the equipment is not in operation`],
    ['a discrete control value other than 0 or 1', [a('s.t', 'm', 'limits: { l: 1 }, alarms: { suppressWhen: { tag: s.run, equals: 2 } }'), d('s.run')], `${T}.alarms.suppressWhen.equals: "s.run" is discrete: equals must be 0 or 1, got 2`],
    ['suppressing a kind the tag does not have', [a('s.t', 'm', 'limits: { l: 1 }, alarms: { suppressWhen: { tag: s.run, equals: 0, kinds: [l, roc] } }'), d('s.run')], `${T}.alarms.suppressWhen.kinds[1]: this tag has no roc alarm (set alarms.roc)`],
    ['a mismatch over an analog tag', [d('s.t', 'alarms: { mismatch: { openTag: s.t, closedTag: s.lvl, afterS: 10 } }'), a('s.lvl', 'm')], `${T}.alarms.mismatch.closedTag: "s.lvl" must be a discrete tag (kind: discrete), it is analog`],
    ['a mismatch over an unknown tag', [d('s.t', 'alarms: { mismatch: { openTag: s.t, closedTag: s.c, commandTag: s.x, afterS: 10 } }'), d('s.c')], `${T}.alarms.mismatch.commandTag: unknown tag "s.x"`],
    ['a mismatch with one tag for both ends', [d('s.t', 'alarms: { mismatch: { openTag: s.t, closedTag: s.t, afterS: 10 } }')], `${T}.alarms.mismatch.closedTag: must differ from openTag ("s.t")`],
    ['a mismatch without its travel time', [d('s.t', 'alarms: { mismatch: { openTag: s.t, closedTag: s.c } }'), d('s.c')], `${T}.alarms.mismatch.afterS: required: expected a number`],
    ['a mismatch and a discrete alarm on one tag', [d('s.t', 'alarms: { discrete: { priority: high }, mismatch: { openTag: s.t, closedTag: s.c, afterS: 10 } }'), d('s.c')], `${T}.alarms.mismatch: a tag has one discrete alarm: this one already has alarms.discrete; put the mismatch on another tag (e.g. the valve's open feedback)`],
  ];
  it.each(rows)('rejects %s', (_name, tags, expected) => {
    expect(problemsOf(park(...tags))).toEqual([`park.yaml: ${expected}`]);
  });

  it('rejects frozen detection behind an OPC UA data-change deadband', () => {
    const text = park(a('s.t', 'm', 'alarms: { frozenAfterS: 600 }')).replace('opc.tcp://127.0.0.1:4840', 'opc.tcp://127.0.0.1:4840\n        subscription: { deadband: { type: absolute, value: 0.1 } }');
    expect(problemsOf(text)).toEqual([`park.yaml: ${T}.alarms.frozenAfterS: frozen-value detection needs every change published, but the device's subscription.deadband is absolute 0.1: set it to 0 or remove frozenAfterS`]);
  });

  it('reports every problem of the alarm options at once', () => {
    expect(problemsOf(park(a('s.t', 'ppm', 'limits: { h: 5 }, alarms: { gas: { gas: toxic, oel: 1 }, priority: { l: low }, suppressWhen: { tag: s.x, equals: 0 } }')))).toEqual([
      'park.yaml: sites[0].devices[0].tags[0].limits.h: 5 ppm is above the GB/T 50493 level 1 maximum of 1 ppm (100 % of OEL 1 ppm)',
      'park.yaml: sites[0].devices[0].tags[0].alarms.priority.l: this tag has no l alarm (set limits.l)',
      'park.yaml: sites[0].devices[0].tags[0].alarms.suppressWhen.tag: unknown tag "s.x"',
    ]);
  });
});

describe('the demo park alarm options (seeds/park.yaml)', () => {
  const demo = parseConfigText(readFileSync(new URL('../../../seeds/park.yaml', import.meta.url), 'utf8'), 'seeds/park.yaml', parkSchema);
  const rules = new Map(rulesFromPark(demo).map((r) => [r.id, r]));
  const rows: [string, string, Partial<AlarmRule>][] = [
    ['an explicit SIS trip: critical, starts a first-out search', 'a.hs01.t101.sis_trip:discrete', { priority: 'critical', firstOutTrigger: true, hazardSource: 'hs01' }],
    ['chlorine detector: explicit set points within 100 %/200 % of the 0.34 ppm OEL', 'a.hs01.gd01:hh', { limit: 0.6, gdsLevel: 2, priority: 'critical' }],
    ['valve feedback mismatch of the T101 inlet valve', 'a.hs01.t101.xv_open:discrete', { mismatch: { openTag: 'a.hs01.t101.xv_open', closedTag: 'a.hs01.t101.xv_closed', commandTag: null }, onDelayMs: 10_000 }],
    ['T304 H pre-alarm suppressed while its HH trip has acted', 'b.hs04.t304.level:h', { suppressWhen: { tag: 'b.hs04.t304.hh_trip', equals: 1, releaseAfterMs: 0, name: 'logic:b.hs04.t304.hh_trip=1' } }],
    ['T304 HH is not suppressed', 'b.hs04.t304.level:hh', { suppressWhen: null }],
  ];
  it.each(rows)('%s', (_name, alarmId, expected) => {
    expect(rules.get(alarmId)).toMatchObject(expected);
  });

  it('every chlorine detector declares its gas', () => {
    const gd = demo.sites.flatMap((s) => s.devices.flatMap((dv): TagConfig[] => dv.tags)).filter((t) => /^a\.hs01\.gd0\d$/.test(t.id));
    expect(gd.map((t) => [t.id, t.alarms?.gas])).toEqual(gd.map((t) => [t.id, { gas: 'toxic', oel: 0.34, oelBasis: 'MAC' }]));
  });
});
