import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rulesFromPark } from '../../../server/src/alarms/rules.js';
import { evaluateObligations, loadObligations, type ObligationResult } from '../../../server/src/hazards/obligations.js';
import { parseHazardRegister } from '../../../server/src/hazards/register.js';
import { tempDir } from '../../harness/temp-dir.js';
import { catalogue, park, problemsOf, REPO_ROOT, registerText, replaceOnce } from './helpers.js';

const OBLIGATIONS_FILE = path.join(REPO_ROOT, 'seeds', 'major-hazard-obligations.yaml');
const obligations = loadObligations(OBLIGATIONS_FILE);
const context = { park: park(), rules: rulesFromPark(park()), rawRetentionDays: 30 };

const evaluate = (unitId: string, text = registerText(), ctx = context): Record<string, ObligationResult> => {
  const unit = parseHazardRegister(text, 'reg.yaml', park(), catalogue()).units.find((u) => u.id === unitId);
  if (!unit) throw new Error(`no unit ${unitId}`);
  return Object.fromEntries(evaluateObligations(unit, obligations.items, ctx).map((r) => [r.id, r]));
};
const statuses = (r: Record<string, ObligationResult>): Record<string, string> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.status]));

describe('regulatory obligations of the demo installations', () => {
  it('hs01 (level 1, liquid chlorine: toxic, liquefied, highly toxic) must have everything, and has it', () => {
    const r = evaluate('hs01');
    expect(statuses(r)).toEqual({
      'continuous-monitoring': 'met',
      'gas-detection': 'met',
      'data-retention': 'met',
      'emergency-shutoff': 'met',
      'tank-farm-shutoff': 'met',
      'independent-sis': 'met',
      video: 'declared',
    });
    expect(r['independent-sis']?.why.en).toBe('level 1; has toxic-gas, liquefied-gas');
    expect(r['independent-sis']?.tags).toEqual(expect.arrayContaining(['a.hs01.t101.sis_trip', 'a.hs01.t101.sis_bypass']));
    expect(r['gas-detection']?.tags).toEqual(['a.hs01.gd01', 'a.hs01.gd02', 'a.hs01.gd03', 'a.hs01.gd04']);
    expect(r['emergency-shutoff']?.tags).toContain('a.hs01.t101.xv_closed');
    expect(r['video']?.evidence.en).toMatch(/^declared in the register: demo: cameras/);
  });

  it('hs02 (level 3, ammonia) needs emergency shut-off but no independent SIS or tank-farm shut-off', () => {
    expect(statuses(evaluate('hs02'))).toMatchObject({ 'emergency-shutoff': 'met', 'independent-sis': 'not-applicable', 'tank-farm-shutoff': 'not-applicable', video: 'not-applicable' });
    expect(evaluate('hs02')['independent-sis']?.why.en).toBe('level 3 (applies to 1, 2)');
  });

  it('hs03 (level 2, LPG: flammable from W2, liquefied) needs an SIS for its liquefied gas', () => {
    const r = evaluate('hs03');
    expect(r['independent-sis']).toMatchObject({ status: 'met', why: { en: 'level 2; has liquefied-gas' } });
    expect(r['emergency-shutoff']?.why.en).toBe('has flammable-gas');
  });

  it('hs04 (level 2 methanol tank farm) needs tank-farm shut-off, not an SIS', () => {
    const r = evaluate('hs04');
    expect(statuses(r)).toMatchObject({ 'tank-farm-shutoff': 'met', 'independent-sis': 'not-applicable', 'emergency-shutoff': 'not-applicable' });
    expect(r['tank-farm-shutoff']?.tags).toEqual(['b.hs04.t301.inlet_open', 'b.hs04.t302.inlet_open', 'b.hs04.t303.inlet_open', 'b.hs04.t304.inlet_open']);
  });
});

describe('regulatory obligations: what is missing is said', () => {
  it('a retention shorter than 30 days is missing, with the figures', () => {
    const r = evaluate('hs01', registerText(), { ...context, rawRetentionDays: 7 });
    expect(r['data-retention']).toMatchObject({ status: 'missing', evidence: { en: 'raw data kept 7 days (at least 30 required)' } });
  });

  it('without its declaration, video for a highly toxic store is missing', () => {
    const text = replaceOnce(registerText(), '        declared:\n          video: "demo: cameras CAM-A01…A04 cover the tank building inside and out (plant CCTV, recorded 90 days)"\n', '');
    expect(evaluate('hs01', text)['video']).toMatchObject({ status: 'missing', evidence: { en: 'not visible in the tags and not declared in the register' } });
  });

  it('an SIS with trips but no bypass signal is partial, and one with neither is missing', () => {
    const noBypass = { ...context, rules: context.rules, park: withoutTags(/sis_bypass$/) };
    expect(evaluate('hs01', registerText(), noBypass)['independent-sis']).toMatchObject({ status: 'partial', evidence: { en: '3 SIS trip signals; no SIS bypass signal' } });
    const neither = { ...context, rules: context.rules.filter((r) => !r.firstOutTrigger), park: withoutTags(/sis_bypass$/) };
    expect(evaluate('hs01', registerText(), neither)['independent-sis']?.status).toBe('missing');
  });
});

describe('obligations file', () => {
  it('names the file, path and reason of a mistake', () => {
    const dir = tempDir('obligations');
    try {
      const file = path.join(dir.path, 'o.yaml');
      writeFileSync(file, 'obligations:\n  source: s\n  version: 1\n  date: d\n  items:\n    - id: x\n      title: { zh: 甲, en: x }\n      evidence: { kind: camera }\n');
      expect(problemsOf(() => loadObligations(file))).toEqual([expect.stringMatching(/o\.yaml: obligations\.items\[0\]\.evidence\.kind: .*(line 8, column \d+)/)]);
      writeFileSync(file, 'obligations:\n  source: s\n  version: 1\n  date: d\n  items:\n    - { id: x, title: { zh: 甲, en: x }, evidence: { kind: sis } }\n    - { id: x, title: { zh: 乙, en: y }, evidence: { kind: sis } }\n');
      expect(problemsOf(() => loadObligations(file))).toEqual([expect.stringContaining('obligations.items[1].id: duplicate obligation "x"')]);
    } finally {
      dir.remove();
    }
  });
});

/** The demo park without the tags whose id matches `re`. */
function withoutTags(re: RegExp): ReturnType<typeof park> {
  const p = structuredClone(park());
  for (const s of p.sites) for (const d of s.devices) (d as { tags: { id: string }[] }).tags = (d.tags as { id: string }[]).filter((t) => !re.test(t.id));
  return p;
}
