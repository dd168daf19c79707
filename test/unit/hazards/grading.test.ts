import { describe, expect, it } from 'vitest';
import { Ratio, shown } from '../../../server/src/hazards/exact.js';
import { alphaFor, gradeUnit, levelFor } from '../../../server/src/hazards/grading.js';
import { classify } from '../../../server/src/hazards/classify.js';
import { catalogue, item } from './helpers.js';

const rules = () => catalogue().rules();

describe('GB 18218-2018 worked example (DOMAIN.md §1.4)', () => {
  it('SO₂ q = 200 t, Q = 20 t, β = 2, 60 people exposed → α = 1.5, R = 30, level 3', () => {
    // Hand: q/Q = 200/20 = 10 ≥ 1 → major hazard; Table 5: 60 in 50–99 → α = 1.5;
    // R = 1.5 × 2 × 10 = 30; Table 6: 10 ≤ 30 < 50 → level 3.
    const so2 = item('so2', 4, 200);
    expect(so2.Q.valueT).toBe(20);
    expect(so2.beta).toMatchObject({ value: 2, source: 'table-3' });
    const c = gradeUnit({ items: [so2], residentsWithin500m: 60 }, rules());
    expect(c.terms[0]).toMatchObject({ q: { text: '200' }, Q: { text: '20' }, qOverQ: { text: '10' }, beta: { text: '2' }, betaQOverQ: { text: '20' } });
    expect(c.identification).toMatchObject({ S: { value: 10, text: '10' }, isMajorHazard: true });
    expect(c.grading?.alpha).toMatchObject({ residents: 60, alpha: { value: 1.5 }, band: { en: '50–99' } });
    expect(c.grading?.R).toEqual({ value: 30, text: '30', exact: true });
    expect(c.grading?.level).toMatchObject({ level: 3, name: { zh: '三级' }, rule: '10 ≤ R < 50' });
    expect(c.grading?.formula).toBe('R = α × Σβq/Q = 1.5 × (2 × 10) = 1.5 × 20 = 30');
  });
});

describe('level bounds are inclusive at the lower end (Table 6)', () => {
  // Ammonia (row 1): Q = 10 t, β = 2 (Table 3); one resident → α = 1.
  // R = 1 × 2 × q/10 = q/5, so q = 5 R.
  it.each([
    [499.995, 99.999, 2],
    [500, 100, 1],
    [249.995, 49.999, 3],
    [250, 50, 2],
    [49.995, 9.999, 4],
    [50, 10, 3],
  ])('q = %d t of ammonia gives R = %d: level %i', (q, R, level) => {
    const c = gradeUnit({ items: [item('nh3', 1, q)], residentsWithin500m: 1 }, rules());
    expect(c.grading?.R.value).toBe(R);
    expect(c.grading?.R.exact).toBe(true);
    expect(c.grading?.level.level).toBe(level);
  });

  it('R exactly 10, 50 and 100 land in levels 3, 2 and 1; just below in 4, 3 and 2', () => {
    const levelOf = (R: number) => levelFor(R, rules()).level;
    expect([levelOf(100), levelOf(50), levelOf(10)]).toEqual([1, 2, 3]);
    expect([levelOf(99.99999999), levelOf(49.99999999), levelOf(9.99999999)]).toEqual([2, 3, 4]);
    expect(levelFor(Ratio.of(1000n, 3n), rules())).toMatchObject({ level: 1, rule: 'R ≥ 100' });
    expect(levelFor(0.5, rules())).toMatchObject({ level: 4, rule: 'R < 10' });
  });

  it.each([
    // Ammonia (Q 10, β 2) + chlorine (Q 5, β 4). Hand: R = α × (2 × q₁/10 + 4 × q₂/5).
    [0.2, 12.45, 1, 10, 3], //  1 × (0.04 + 9.96)  = 10
    [0.8, 62.3, 1, 50, 2], //   1 × (0.16 + 49.84) = 50
    [0.8, 62.3, 2, 100, 1], //  2 × (0.16 + 49.84) = 100
  ])('ammonia %d t + chlorine %d t with α = %d: R = %d exactly → level %i (binary floating point gives just below)', (nh3, cl2, alpha, R, level) => {
    const residents = alpha === 1 ? 10 : 150;
    const naive = alpha * ((2 * nh3) / 10 + (4 * cl2) / 5);
    expect(naive).toBeLessThan(R); // what a float implementation would grade one level too low
    const c = gradeUnit({ items: [item('nh3', 1, nh3), item('cl2', 12, cl2)], residentsWithin500m: residents }, rules());
    expect(c.grading?.R).toEqual({ value: R, text: String(R), exact: true });
    expect(c.grading?.level.level).toBe(level);
  });
});

describe('α from the people exposed outside the plant (Table 5)', () => {
  it.each([
    [0, 0.5],
    [1, 1],
    [29, 1],
    [30, 1.2],
    [49, 1.2],
    [50, 1.5],
    [99, 1.5],
    [100, 2],
    [5000, 2],
  ])('%i residents → α = %d', (residents, alpha) => {
    expect(alphaFor(residents, rules()).band.alpha).toBe(alpha);
  });

  it('α = 0.5 with nobody within 500 m halves R, and the reason names the count and band', () => {
    // Chlorine 30 t: q/Q = 30/5 = 6; β = 4 → 24; α = 0.5 → R = 12, level 3 (with α = 1 it would be 24).
    const c = gradeUnit({ items: [item('cl2', 12, 30)], residentsWithin500m: 0 }, rules());
    expect(c.grading?.alpha.alpha.value).toBe(0.5);
    expect(c.grading?.alpha.reason.en).toBe('permanent residents within 500 m outward from the plant-area boundary: 0; Table 5 band "0", α = 0.5');
    expect(c.grading?.alpha.reason.zh).toContain('0人');
    expect(c.grading?.R.value).toBe(12);
    expect(c.grading?.level.level).toBe(3);
  });

  it('refuses a negative or fractional number of residents', () => {
    expect(() => alphaFor(-1, rules())).toThrow(RangeError);
    expect(() => alphaFor(2.5, rules())).toThrow(RangeError);
  });
});

describe('identification S = Σ q/Q ≥ 1 (式1)', () => {
  it('S just below 1 is not a major hazard and is not graded', () => {
    // Chlorine 4.99 t / 5 t = 0.998.
    const c = gradeUnit({ items: [item('cl2', 12, 4.99)], residentsWithin500m: 200 }, rules());
    expect(c.identification).toMatchObject({ S: { text: '0.998' }, isMajorHazard: false });
    expect(c.identification.conclusion.en).toBe('S = 0.998 < 1: not a major hazard installation');
    expect(c.grading).toBeNull();
    expect(c.notGraded?.en).toBe('not a major hazard installation: not graded');
  });

  it('S exactly 1 is a major hazard', () => {
    const c = gradeUnit({ items: [item('cl2', 12, 5)], residentsWithin500m: 200 }, rules());
    expect(c.identification).toMatchObject({ S: { value: 1, text: '1' }, isMajorHazard: true });
    // R = 2 × 4 × 1 = 8 → level 4.
    expect(c.grading?.level.level).toBe(4);
  });

  it('S = 0.7 + 0.2 + 0.1 = 1 is a major hazard although floating point sums it to 0.9999999999999999', () => {
    expect(0.7 + 0.2 + 0.1).toBeLessThan(1); // why the calculation is exact
    // Hydrogen (row 51, Q 5 t): 3.5 t, 1 t, 0.5 t in three items → 0.7 + 0.2 + 0.1.
    const h2 = (id: string, q: number) => item(id, 51, q, { categories: ['W2'], source: 'SDS' });
    const c = gradeUnit({ items: [h2('a', 3.5), h2('b', 1), h2('c', 0.5)], residentsWithin500m: 10 }, rules());
    expect(c.identification.formula).toBe('S = 0.7 + 0.2 + 0.1 = 1');
    expect(c.identification.isMajorHazard).toBe(true);
  });

  it('a unit of several substances each below its Q can be a major hazard', () => {
    // Chlorine 3 t (0.6) + ammonia 5 t (0.5): S = 1.1 ≥ 1, though neither alone reaches Q.
    const c = gradeUnit({ items: [item('cl2', 12, 3), item('nh3', 1, 5)], residentsWithin500m: 10 }, rules());
    expect(c.identification.formula).toBe('S = 0.6 + 0.5 = 1.1');
    expect(c.identification.isMajorHazard).toBe(true);
  });
});

describe('mixtures of several substances', () => {
  it('sums every term and shows each product in the formula', () => {
    // Chlorine 20 t: 20/5 = 4, β 4 → 16. Ammonia 30 t: 30/10 = 3, β 2 → 6.
    // Methanol 1000 t (W5.3): 1000/500 = 2, β 1 → 2. Phosgene 0.1 t: 0.1/0.3 = 1/3, β 20 → 20/3.
    // S = 4 + 3 + 2 + 1/3 = 9.3333…; Σβq/Q = 16 + 6 + 2 + 6.6667 = 30.6667; 35 residents → α 1.2;
    // R = 1.2 × 92/3 = 36.8 exactly → level 3.
    const items = [item('cl2', 12, 20), item('nh3', 1, 30), item('meoh', 65, 1000, { categories: ['W5.3'], source: 'SDS' }), item('cocl2', 6, 0.1)];
    const c = gradeUnit({ items, residentsWithin500m: 35 }, rules());
    expect(c.terms.map((t) => [t.qOverQ.text, t.beta.text, t.betaQOverQ.text])).toEqual([
      ['4', '4', '16'],
      ['3', '2', '6'],
      ['2', '1', '2'],
      ['≈0.3333', '20', '≈6.6667'],
    ]);
    expect(c.identification.S.text).toBe('≈9.3333');
    expect(c.grading?.sumBetaQOverQ.text).toBe('≈30.6667');
    expect(c.grading?.R).toEqual({ value: 36.8, text: '36.8', exact: true });
    expect(c.grading?.formula).toBe('R = α × Σβq/Q = 1.2 × (4 × 4 + 2 × 3 + 1 × 2 + 20 × ≈0.3333) = 1.2 × ≈30.6667 = 36.8');
    expect(c.grading?.level.level).toBe(3);
  });
});

describe('substances outside Table 1 (Table 2 categories)', () => {
  const c = catalogue();

  it('sodium cyanide, acute toxicity category 1 solid (J2): Q = 50 t, β = 1', () => {
    const r = classify(undefined, { categories: ['J2'], source: 'SDS' }, c);
    expect(r.ok && [r.Q.valueT, r.Q.source, r.beta.value, r.beta.source, r.beta.choice]).toEqual([50, 'table-2', 1, 'table-4', 'single-category']);
    // 120 t: 120/50 = 2.4; 10 residents → α 1; R = 2.4 → level 4.
    const g = gradeUnit({ items: [item('nacn', undefined, 120, { categories: ['J2'], source: 'SDS' })], residentsWithin500m: 10 }, rules());
    expect(g.identification.S.text).toBe('2.4');
    expect(g.grading?.level.level).toBe(4);
  });

  it('several categories: the lowest Q (the standard) and the largest β (our choice, recorded)', () => {
    // A toxic flammable gas: J3 (Q 50, β 2) and W2 (Q 10, β 1.5) → Q = 10 t (W2), β = 2 (J3).
    const r = classify(undefined, { categories: ['J3', 'W2'], source: 'SDS' }, c);
    if (!r.ok) throw new Error('expected a classification');
    expect(r.Q).toMatchObject({ valueT: 10, chosen: ['W2'], categories: [{ symbol: 'J3', q: 50 }, { symbol: 'W2', q: 10 }] });
    expect(r.beta).toMatchObject({ value: 2, choice: 'largest', category: 'J3', status: 'derived' });
    expect(r.beta.reason.en).toContain("this platform's conservative choice");
  });

  it('a safety engineer may choose another category’s β; who, when and why are recorded', () => {
    const override = { category: 'W2', by: 'Wang Li (safety engineer)', date: '2025-01-10', reason: 'toxicity covered by the J3 row of the neighbouring unit' };
    const r = classify(undefined, { categories: ['J3', 'W2'], source: 'SDS', betaOverride: override }, c);
    if (!r.ok) throw new Error('expected a classification');
    expect(r.Q.valueT).toBe(10); // Q stays the standard's lowest
    expect(r.beta).toMatchObject({ value: 1.5, choice: 'override', category: 'W2', override });
    expect(r.beta.reason.en).toContain('Wang Li (safety engineer), 2025-01-10');
  });

  it('refuses to guess: no category for an unlisted substance, none for a Table 1 substance outside Table 3, or one for a Table 3 gas', () => {
    const reasons = (r: ReturnType<typeof classify>) => (r.ok ? [] : r.problems.map((p) => `${p.path.join('.')}: ${p.reason}`));
    expect(reasons(classify(undefined, undefined, c))).toEqual([expect.stringMatching(/^classification: required for a substance outside Table 1/)]);
    expect(reasons(classify(c.row(65), undefined, c))).toEqual([expect.stringMatching(/^classification: required: 甲醇 \(Table 1 row 65\) is not a Table 3 toxic gas.*β is never assumed$/)]);
    expect(reasons(classify(c.row(12), { categories: ['J1'], source: 'SDS' }, c))).toEqual(['classification: β of 氯 comes from Table 3 (β = 4): remove classification']);
    expect(reasons(classify(undefined, { categories: ['W5', 'J2'], source: 'SDS', betaOverride: { category: 'W2', by: 'x', date: 'd', reason: 'r' } }, c))).toEqual([
      expect.stringMatching(/^classification\.categories\.0: "W5" is not a Table 2 category/),
      'classification.betaOverride.category: must be one of the substance\'s categories (W5, J2), got "W2"',
    ]);
  });
});

describe('exact arithmetic and display', () => {
  it('reads decimals as written and rounds only for display', () => {
    expect(Ratio.fromNumber(1.47).mul(Ratio.fromNumber(30)).mul(Ratio.fromNumber(0.8)).toDecimal(10)).toBe('35.28');
    expect(Ratio.fromNumber(1e-7).toDecimal(8)).toBe('0.0000001');
    expect(shown(Ratio.of(1n, 3n))).toEqual({ value: 0.3333333333333333, text: '≈0.3333', exact: false });
    expect(shown(Ratio.of(2n, 3n)).text).toBe('≈0.6667');
    expect(shown(Ratio.fromNumber(101.6064))).toEqual({ value: 101.6064, text: '101.6064', exact: true });
    expect(Ratio.fromNumber(0.7).add(Ratio.fromNumber(0.2)).add(Ratio.fromNumber(0.1)).cmp(Ratio.ONE)).toBe(0);
  });
});
