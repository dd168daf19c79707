import { describe, expect, it } from 'vitest';
import { parseHazardRegister, summarizeUnit } from '../../../server/src/hazards/register.js';
import { catalogue, park, problemsOf, registerText, replaceOnce } from './helpers.js';

const parse = (text: string) => parseHazardRegister(text, 'reg.yaml', park(), catalogue());
const problems = (text: string) => problemsOf(() => parse(text));
const edit = (...pairs: [string, string][]) => pairs.reduce((t, [from, to]) => replaceOnce(t, from, to), registerText());

describe('hazard register loader: checks against the park model', () => {
  it('accepts the shipped register', () => {
    expect(parse(registerText()).units).toHaveLength(4);
  });

  it('names file, path, reason, line and column of a unit that is not a hazard source of the site', () => {
    const text = edit(['      - id: hs02 ', '      - id: hs05 ']);
    const line = text.split('\n').findIndex((l) => l.includes('- id: hs05')) + 1;
    expect(problems(text)).toEqual([
      `reg.yaml: enterprises[0].units[1].id: no hazard source "hs05" at site "a" in the park model (it has "hs01", "hs02") (line ${line}, column 13)`,
      expect.stringContaining('reg.yaml: enterprises[0].units[1].items[0].vessels[0].tags[0]: tag "a.hs02.t201.level" belongs to hazard source "hs02" in the park model, not "hs05"'),
    ]);
  });

  it('reports a unit registered under the wrong enterprise, an unknown enterprise and the wrong park', () => {
    const found = problems(edit(['      - id: hs02 ', '      - id: hs03 '], ['  - id: b ', '  - id: c '], ['  park: binjiang', '  park: other'])).join('\n');
    expect(found).toContain('reg.yaml: register.park: the park model (park.yaml) is "binjiang", got "other"');
    expect(found).toContain('enterprises[0].units[1].id: hazard source "hs03" belongs to site "b" in the park model, not "a"');
    expect(found).toContain('enterprises[1].id: no site "c" in the park model (sites: a, b)');
  });

  it('reports tags that do not exist, belong to another unit or measure another vessel', () => {
    const found = problems(
      edit(
        ['tags: [a.hs01.t101.inventory, a.hs01.t101.level]', 'tags: [a.hs01.t109.inventory, a.hs01.t102.pressure]'],
        ['tags: [a.hs02.t201.level]', 'tags: [a.hs01.t101.temperature]'],
      ),
    ).join('\n');
    expect(found).toContain('enterprises[0].units[0].items[0].vessels[0].tags[0]: no tag "a.hs01.t109.inventory" in the park model');
    expect(found).toContain('enterprises[0].units[0].items[0].vessels[0].tags[1]: tag "a.hs01.t102.pressure" measures equipment "t102" in the park model, not vessel "t101"');
    expect(found).toContain('enterprises[0].units[1].items[0].vessels[0].tags[0]: tag "a.hs01.t101.temperature" belongs to hazard source "hs01" in the park model, not "hs02"');
  });

  it('lists hazard sources of the park model that the register leaves out', () => {
    const text = registerText();
    const start = text.indexOf('      - id: hs02 ');
    const end = text.indexOf('  - id: b ');
    const r = parse(text.slice(0, start) + text.slice(end));
    expect(r.unregistered).toEqual([{ site: 'a', hazardSource: 'hs02', name: { zh: '液氨储罐', en: 'Liquid ammonia tank' } }]);
  });
});

describe('hazard register loader: substances', () => {
  it.each([
    ['a CAS not in Table 1', ['substance: { cas: 7782-50-5 }', 'substance: { cas: 143-33-9 }'], 'enterprises[0].units[0].items[0].substance.cas: no Table 1 row lists CAS 143-33-9 (if the substance is not in Table 1, set outsideTable1: true and give its classification)'],
    ['a wrong CAS check digit', ['substance: { cas: 7782-50-5 }', 'substance: { cas: 7782-50-6 }'], 'enterprises[0].units[0].items[0].substance.cas: wrong CAS check digit (a typing error?)'],
    ['an ambiguous name', ['substance: { name: 液氨 }', 'substance: { name: 硝化纤维素 }'], 'enterprises[0].units[1].items[0].substance: matches several Table 1 rows (37 硝化纤维素（干的或含水（或乙醇）<25%）; 38'],
    ['a name and CAS of different rows', ['substance: { name: 甲醇, cas: 67-56-1 }', 'substance: { name: 乙醇, cas: 67-56-1 }'], 'enterprises[1].units[1].items[0].substance: row, cas and name disagree: cas → row 65; name → row 67'],
    ['a Table 1 substance called outside Table 1', ['substance: { name: 甲醇, cas: 67-56-1 }', 'substance: { name: 甲醇, outsideTable1: true }'], 'enterprises[1].units[1].items[0].substance.outsideTable1: "甲醇" is in Table 1 (row 65 甲醇): refer to the row instead'],
    ['an empty category list', ['              categories: [W5.3]            # Table 4: β 1\n              source: "demo: supplier SDS section 2 (flammable liquid category 2, stored at ambient temperature and pressure)"\n', '              categories: []\n              source: none\n'], 'enterprises[1].units[1].items[0].classification.categories: needs at least 1 entries, got 0'],
    ['a Table 3 gas given a category', ['substance: { name: 液氨 }', 'substance: { name: 液氨 }\n            classification: { categories: [J3], source: SDS }'], 'enterprises[0].units[1].items[0].classification: β of 氨 comes from Table 3 (β = 2): remove classification'],
  ] as [string, [string, string], string][])('reports %s', (_what, [from, to], expected) => {
    const found = problems(edit([from, to]));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`reg.yaml: ${expected}`);
    expect(found[0]).toMatch(/\(line \d+, column \d+\)$/);
  });

  it('refuses a Table 1 substance outside Table 3 without a classification: β is never assumed', () => {
    const text = registerText();
    const start = text.indexOf('            classification:\n              categories: [W5.3]');
    const end = text.indexOf('            note: >-');
    expect(problems(text.slice(0, start) + text.slice(end))).toEqual([expect.stringContaining('enterprises[1].units[1].items[0].classification: required: 甲醇 (Table 1 row 65) is not a Table 3 toxic gas')]);
  });

  it('grades a substance outside Table 1 by its categories, with the largest β or the engineer\'s override', () => {
    // hs04 + 200 t of a slop-solvent mixture, flammable liquid cat. 1 (W5.1: Q 10, β 1.5) and acute
    // toxicity cat. 2 (J5: Q 500, β 1): Q = 10 t (lowest); β = 1.5 (largest) → 200/10 = 20, β·q/Q = 30.
    // S = 28.44 + 20 = 48.44; R = 2 × (28.44 + 30) = 116.88 → level 1.
    const slop = `
          - id: slop
            substance: { name: 废溶剂混合物, en: Slop solvent mixture, outsideTable1: true }
            designMaxT: 200
            classification:
              categories: [J5, W5.1]
              source: "test: mixture SDS"
`;
    // Appended as the last item of the last unit (hs04).
    const text = registerText().trimEnd() + slop;
    const hs04 = parse(text).units.find((u) => u.id === 'hs04');
    const slopTerm = hs04?.calculation.terms[1];
    expect(slopTerm?.substance).toEqual({ name: { zh: '废溶剂混合物', en: 'Slop solvent mixture' }, cas: [] });
    expect(slopTerm?.QStep).toMatchObject({ valueT: 10, source: 'table-2', chosen: ['W5.1'] });
    expect(slopTerm?.betaStep).toMatchObject({ value: 1.5, choice: 'largest', category: 'W5.1' });
    expect(hs04 && summarizeUnit(hs04)).toMatchObject({ S: 48.44, R: 116.88, level: 1 });

    // The safety engineer takes J5's β instead: β·q/Q = 20; R = 2 × (28.44 + 20) = 96.88 → level 2.
    const overridden = parse(text + '              betaOverride: { category: J5, by: "Wang Li, safety engineer", date: "2025-01-10", reason: "test" }\n').units.find((u) => u.id === 'hs04');
    expect(overridden?.calculation.terms[1]?.betaStep).toMatchObject({ value: 1, choice: 'override', override: { by: 'Wang Li, safety engineer' } });
    expect(overridden && summarizeUnit(overridden)).toMatchObject({ R: 96.88, level: 2 });
  });
});

describe('hazard register loader: quantities and schema', () => {
  it('refuses a design quantity that does not match its vessels', () => {
    expect(problems(edit(['designMaxT: 105.84 ', 'designMaxT: 120 ']))).toEqual([
      expect.stringContaining("enterprises[0].units[0].items[0].designMaxT: 120 t does not match the vessels' volume × density × maxFill, 105.84 t (t101 30 m³ × 1.47 t/m³ × 0.8 = 35.28 t;"),
    ]);
  });

  it('accepts a design quantity within 0.5 % of its vessels and one with no vessel data', () => {
    expect(parse(edit(['designMaxT: 105.84 ', 'designMaxT: 106 '])).units[0]?.calculation.identification.S.text).toBe('21.2');
    const bare = edit(['- { id: t201, volumeM3: 100, densityTPerM3: 0.61, maxFill: 0.85, tags: [a.hs02.t201.level],\n                  live: { tag: a.hs02.t201.level, measures: level, shape: horizontal-cylinder } }', '- { id: t201, tags: [a.hs02.t201.level] }']);
    expect(parse(bare).units[1]?.calculation.terms[0]?.qBasis.en).toBe('design maximum quantity 51.85 t (source: demo: tank data sheet T201, design fill 85 %)');
  });

  it('refuses half-given vessel data, unknown keys and negative counts at once', () => {
    const found = problems(
      edit(
        ['- { id: t201, volumeM3: 100, densityTPerM3: 0.61, maxFill: 0.85,', '- { id: t201, volumeM3: 100, densityTPerM3: 0.61,'],
        ['    residentsWithin500m: 36 ', '    residentsWithin500m: -3 '],
        ['        type: storage\n        boundary:\n          kind: dike\n          description:\n            zh: 液氨储罐T201', '        type: storage\n        boundry: x\n        boundary:\n          kind: dike\n          description:\n            zh: 液氨储罐T201'],
      ),
    ).join('\n');
    expect(found).toContain('reg.yaml: enterprises[0].residentsWithin500m: must be at least 0, got -3');
    expect(found).toContain('reg.yaml: enterprises[0].units[1].boundry: unknown option');
    // The cross-checks run once the file's own shape is right.
    const second = problems(edit(['- { id: t201, volumeM3: 100, densityTPerM3: 0.61, maxFill: 0.85,', '- { id: t201, volumeM3: 100, densityTPerM3: 0.61,'])).join('\n');
    expect(second).toContain('enterprises[0].units[1].items[0].vessels[0]: give volumeM3, densityTPerM3 and maxFill together (or none of them)');
  });
});
