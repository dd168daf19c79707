import { describe, expect, it } from 'vitest';
import { loadHazardRegister, summarizeUnit } from '../../../server/src/hazards/register.js';
import { CATALOGUE_FILE, REGISTER_FILE, park } from './helpers.js';

/**
 * The demo park's four installations (seeds/hazard-register.yaml), graded by
 * hand here and by the platform below.
 *
 * Site a, 36 residents within 500 m → Table 5 band 30–49 → α = 1.2
 *   hs01 liquid chlorine, 3 × 30 m³ × 1.47 t/m³ × 0.8 = 105.84 t, Q 5 t (row 12), β 4 (Table 3)
 *        S = 105.84/5 = 21.168; Σβq/Q = 4 × 21.168 = 84.672; R = 1.2 × 84.672 = 101.6064 ≥ 100 → level 1
 *   hs02 liquid ammonia, 100 m³ × 0.61 t/m³ × 0.85 = 51.85 t, Q 10 t (row 1), β 2 (Table 3)
 *        S = 5.185; Σβq/Q = 10.37; R = 1.2 × 10.37 = 12.444, 10 ≤ R < 50 → level 3
 * Site b, 150 residents → band 100 or more → α = 2
 *   hs03 LPG, 2 × 1000 m³ × 0.58 t/m³ × 0.85 = 986 t, Q 50 t (row 52), β 1.5 (Table 4, W2)
 *        S = 19.72; Σβq/Q = 29.58; R = 2 × 29.58 = 59.16, 50 ≤ R < 100 → level 2
 *   hs04 methanol, 4 × 5000 m³ × 0.79 t/m³ × 0.9 = 14220 t, Q 500 t (row 65), β 1 (Table 4, W5.3)
 *        S = 28.44; Σβq/Q = 28.44; R = 2 × 28.44 = 56.88, 50 ≤ R < 100 → level 2
 */
const HAND: [id: string, S: number, alpha: number, sum: number, R: number, level: number][] = [
  ['hs01', 21.168, 1.2, 84.672, 101.6064, 1],
  ['hs02', 5.185, 1.2, 10.37, 12.444, 3],
  ['hs03', 19.72, 2, 29.58, 59.16, 2],
  ['hs04', 28.44, 2, 28.44, 56.88, 2],
];

describe('the demo park register', () => {
  const register = loadHazardRegister(REGISTER_FILE, park(), CATALOGUE_FILE);

  it('registers every hazard source of the park model', () => {
    expect(register.units.map((u) => u.id)).toEqual(['hs01', 'hs02', 'hs03', 'hs04']);
    expect(register.unregistered).toEqual([]);
    expect(register.standard).toMatchObject({ code: 'GB18218-2018', datasetVersion: 1 });
  });

  it.each(HAND)('%s: S = %d, α = %d, Σβq/Q = %d, R = %d, level %i', (id, S, alpha, sum, R, level) => {
    const u = register.units.find((x) => x.id === id);
    const c = u?.calculation;
    expect(c?.identification.S).toEqual({ value: S, text: String(S), exact: true });
    expect(c?.identification.isMajorHazard).toBe(true);
    expect(c?.grading?.alpha.alpha.value).toBe(alpha);
    expect(c?.grading?.sumBetaQOverQ.value).toBe(sum);
    expect(c?.grading?.R).toEqual({ value: R, text: String(R), exact: true });
    expect(c?.grading?.level.level).toBe(level);
  });

  it('summarises each unit in one line', () => {
    expect(register.units.map(summarizeUnit).map((s) => [s.id, s.enterprise, s.S, s.R, s.level])).toEqual(HAND.map(([id, S, , , R, level]) => [id, id < 'hs03' ? 'a' : 'b', S, R, level]));
  });

  it('records where q, Q and β come from for hs01', () => {
    const t = register.units[0]?.calculation.terms[0];
    expect(t?.qBasis.en).toContain('t101 30 m³ × 1.47 t/m³ × 0.8 = 35.28 t');
    expect(t?.qBasis.en).toContain('total 105.84 t, registered 105.84 t');
    expect(t?.QStep.reason.en).toBe('Table 1 row 12 Chlorine: Q = 5 t');
    expect(t?.betaStep.reason.en).toBe('Table 3 (toxic gases) Chlorine: β = 4');
    expect(register.units[3]?.calculation.terms[0]?.betaStep).toMatchObject({ source: 'table-4', category: 'W5.3', choice: 'single-category' });
  });

  it('links each vessel to its live tags from the park model', () => {
    const hs01 = register.units[0];
    expect(hs01?.items[0]?.vessels[0]?.tags.map((t) => [t.id, t.unit])).toEqual([
      ['a.hs01.t101.inventory', 't'],
      ['a.hs01.t101.level', '%'],
    ]);
  });
});
