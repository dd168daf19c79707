import { describe, expect, it } from 'vitest';
import {
  centrelineConcentration,
  contour,
  groundConcentration,
  mapToPlume,
  pasquillClass,
  PLUME_MAX_DISTANCE_M,
  sigmaY,
  sigmaZ,
  stabilityFromIndex,
  thresholdReach,
  vesselRate,
  type PlumeSource,
} from '../../../server/src/emergency/plume.js';

// Every expected value below is worked by hand from
//   C(x, y, 0) = Q / (π u σy σz) · exp(−y²/2σy²) · exp(−H²/2σz²)   [g/m³; × 1000 for mg/m³]
// with Briggs' open-country σy, σz. Q = 1000 g/s throughout.
const src = (stability: PlumeSource['stability'], windMs: number, heightM = 0): PlumeSource => ({ rateGs: 1000, heightM, windMs, stability });

describe('Gaussian plume, Briggs open country', () => {
  it('class D, 5 m/s, 1 km downwind, ground-level release', () => {
    // σy = 0.08 · 1000 · (1 + 0.0001 · 1000)^−½ = 80 / √1.1   = 76.277 m
    // σz = 0.06 · 1000 · (1 + 0.0015 · 1000)^−½ = 60 / √2.5   = 37.947 m
    // π · u · σy · σz = π · 5 · 76.277 · 37.947 = π · 5 · 2894.5 = 45 467
    // C = 1000 / 45 467 = 0.021994 g/m³ = 21.994 mg/m³
    expect(sigmaY('D', 1000)).toBeCloseTo(76.277, 2);
    expect(sigmaZ('D', 1000)).toBeCloseTo(37.947, 2);
    expect(centrelineConcentration(src('D', 5), 1000)).toBeCloseTo(21.994, 2);
  });

  it('class F, 2 m/s, 1 km downwind', () => {
    // σy = 0.04 · 1000 / √1.1              = 38.139 m
    // σz = 0.016 · 1000 / (1 + 0.0003·1000) = 16 / 1.3 = 12.308 m
    // π · 2 · 38.139 · 12.308 = π · 2 · 469.40 = 2949.3
    // C = 1000 / 2949.3 = 0.33906 g/m³ = 339.06 mg/m³
    expect(sigmaZ('F', 1000)).toBeCloseTo(12.308, 2);
    expect(centrelineConcentration(src('F', 2), 1000)).toBeCloseTo(339.06, 1);
  });

  it('class B, 2 m/s, 500 m downwind', () => {
    // σy = 0.16 · 500 / √1.05 = 80 / 1.02470 = 78.072 m
    // σz = 0.12 · 500          = 60 m
    // π · 2 · 78.072 · 60 = π · 2 · 4684.3 = 29 432
    // C = 1000 / 29 432 = 0.033976 g/m³ = 33.976 mg/m³
    expect(centrelineConcentration(src('B', 2), 500)).toBeCloseTo(33.976, 2);
  });

  it('classes A, C and E at other distances', () => {
    // A, 2 m/s, 300 m: σy = 0.22·300/√1.03 = 65.032, σz = 0.2·300 = 60; π·2·65.032·60 = 24 516 → 40.789 mg/m³
    expect(centrelineConcentration(src('A', 2), 300)).toBeCloseTo(40.789, 2);
    // C, 5 m/s, 200 m: σy = 0.11·200/√1.02 = 21.783, σz = 0.08·200/√1.04 = 15.689; π·5·21.783·15.689 = 5368.4 → 186.28 mg/m³
    expect(centrelineConcentration(src('C', 5), 200)).toBeCloseTo(186.28, 1);
    // E, 2 m/s, 2 km: σy = 0.06·2000/√1.2 = 109.545, σz = 0.03·2000/1.6 = 37.5; π·2·109.545·37.5 = 25 811 → 38.743 mg/m³
    expect(centrelineConcentration(src('E', 2), 2000)).toBeCloseTo(38.743, 2);
  });

  it('off the centreline and from a height, with the ground reflecting', () => {
    // Class D, 5 m/s, x = 1 km, y = 50 m, H = 10 m:
    // exp(−50² / (2 · 76.277²)) = exp(−0.21484) = 0.80667
    // exp(−10² / (2 · 37.947²)) = exp(−0.034722) = 0.96587
    // C = 21.994 · 0.80667 · 0.96587 = 17.136 mg/m³
    expect(groundConcentration(src('D', 5, 10), 1000, 50)).toBeCloseTo(17.136, 2);
    // Symmetric across the wind; nothing upwind.
    expect(groundConcentration(src('D', 5, 10), 1000, -50)).toBeCloseTo(17.136, 2);
    expect(groundConcentration(src('D', 5), -100, 0)).toBe(0);
  });

  it('halves with twice the wind speed', () => {
    expect(centrelineConcentration(src('D', 10), 1000)).toBeCloseTo(21.994 / 2, 2);
  });
});

describe('threshold distance', () => {
  it('reaches exactly as far as the hand-calculated concentration', () => {
    // From the class D case: 21.994 mg/m³ at 1000 m, falling with distance for a ground-level release.
    const r = thresholdReach(src('D', 5), 21.994);
    expect(r).not.toBeNull();
    expect(r?.fromM).toBe(0);
    expect(r?.toM).toBeGreaterThan(999);
    expect(r?.toM).toBeLessThan(1001);
    expect(r?.beyondRange).toBe(false);
  });

  it('starts away from an elevated release and says when it is beyond the model range', () => {
    // H = 30 m: at 10 m downwind σz = 0.6 m, exp(−900/0.72) ≈ 0, so the ground sees nothing there.
    const elevated = thresholdReach(src('D', 5, 30), 21.994);
    expect(elevated?.fromM).toBeGreaterThan(50);
    expect(elevated?.toM).toBeLessThan(1000);
    // F at 1 m/s with 1000 g/s: 1 mg/m³ is still exceeded at 10 km.
    expect(thresholdReach(src('F', 1), 1)).toMatchObject({ toM: PLUME_MAX_DISTANCE_M, beyondRange: true });
    // A tiny release never reaches 1000 mg/m³.
    expect(thresholdReach({ ...src('A', 5), rateGs: 0.001 }, 1000)).toBeNull();
  });
});

describe('contour on the map', () => {
  const release = { x: 200, y: 400 };

  it('points downwind: a west wind (from 270°) carries it east', () => {
    const c = contour(src('D', 5), release, 90, 21.994);
    expect(c).not.toBeNull();
    if (!c) return;
    expect(c.distanceM).toBe(1000);
    // Starts at the release, tip 1 km due east on the centreline.
    expect(c.polygon[0]).toEqual([200, 400]);
    const tip = c.polygon.reduce((a, b) => (b[0] > a[0] ? b : a));
    expect(tip[0]).toBeCloseTo(1200, 0);
    expect(tip[1]).toBeCloseTo(400, 0);
    expect(c.polygon.every(([x]) => x >= 200)).toBe(true);
    expect(c.polygon.every(([, y]) => Math.abs(y - 400) <= c.maxHalfWidthM + 0.5)).toBe(true);
    // Both sides of the wind are drawn.
    expect(c.polygon.some(([, y]) => y > 420)).toBe(true);
    expect(c.polygon.some(([, y]) => y < 380)).toBe(true);
  });

  it('turns with the wind: a north wind (from 0°) carries it south', () => {
    const c = contour(src('D', 5), release, 180, 21.994);
    if (!c) throw new Error('expected a contour');
    const tip = c.polygon.reduce((a, b) => (b[1] < a[1] ? b : a));
    expect(tip[0]).toBeCloseTo(200, 0);
    expect(tip[1]).toBeCloseTo(-600, 0);
    expect(c.polygon.every(([, y]) => y <= 400)).toBe(true);
  });

  it('maps points into plume coordinates and back', () => {
    // Downwind 45° (wind from the south-west): a point 100 m north-east is 141 m downwind on the centreline.
    const [x, y] = mapToPlume(release, 45, { x: 300, y: 500 });
    expect(x).toBeCloseTo(141.42, 1);
    expect(y).toBeCloseTo(0, 6);
    // A point to the north-west of the release is on the left of the plume.
    expect(mapToPlume(release, 45, { x: 100, y: 500 })[1]).toBeGreaterThan(0);
  });
});

describe('stability class and release rate', () => {
  it('takes the most stable column of the Pasquill table when the park has no reading', () => {
    expect(pasquillClass(1.5, 'day')).toBe('B');
    expect(pasquillClass(4, 'day')).toBe('C');
    expect(pasquillClass(5.5, 'day')).toBe('D');
    expect(pasquillClass(2.5, 'night')).toBe('F');
    expect(pasquillClass(4, 'night')).toBe('E');
    expect(pasquillClass(7, 'night')).toBe('D');
  });

  it('reads a station class 1–6 as A–F and nothing else', () => {
    expect(stabilityFromIndex(1)).toBe('A');
    expect(stabilityFromIndex(6)).toBe('F');
    expect(stabilityFromIndex(4.5)).toBeUndefined();
    expect(stabilityFromIndex(7)).toBeUndefined();
  });

  it('estimates the rate from a falling level', () => {
    // 0.1 %/min of a 2.6 m span = 0.0026 m/min = 4.3333e-5 m/s
    // × 20 m² × 1410 kg/m³ = 1.2220 kg/s = 1222.0 g/s
    const vessel = { id: 't101', levelTag: 'a.hs01.t101.level', levelUnit: 'percent' as const, levelSpanM: 2.6, areaM2: 20, densityKgM3: 1410 };
    const samples = [0, 1, 2, 3, 4, 5].map((m) => ({ ts: 1_000_000 + m * 60_000, v: 60 - 0.1 * m }));
    const r = vesselRate(vessel, samples);
    expect(r?.rateGs).toBeCloseTo(1222.0, 0);
    expect(r?.slopeMPerMin).toBeCloseTo(-0.0026, 6);
    expect(r?.spanS).toBe(300);
    // A rising level releases nothing; two readings or half a minute are no trend.
    expect(vesselRate(vessel, samples.map((s) => ({ ...s, v: 120 - s.v })))?.rateGs).toBe(0);
    expect(vesselRate(vessel, samples.slice(0, 2))).toBeUndefined();
    expect(vesselRate(vessel, [0, 10, 20].map((s) => ({ ts: s * 1000, v: 50 - s })))).toBeUndefined();
  });
});
