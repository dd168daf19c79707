/**
 * Gaussian plume of a continuous point release, for the commander's map
 * (issue 10; docs/emergency.md "Plume"). Pure: every input is passed in.
 *
 * Ground-level concentration with full reflection at the ground (receptor
 * height z = 0, release height H):
 *
 *   C(x, y, 0) = Q / (π · u · σy · σz) · exp(−y² / 2σy²) · exp(−H² / 2σz²)
 *
 * (the image-source form Q/(2π u σy σz)·e^(−y²/2σy²)·[e^(−(z−H)²/2σz²) +
 * e^(−(z+H)²/2σz²)] at z = 0). Q in g/s, u in m/s, σ in m gives g/m³; the
 * module answers in mg/m³.
 *
 * Dispersion coefficients: the Pasquill–Gifford curves as fitted by Briggs
 * for OPEN COUNTRY (rural), x in metres, meant for 100 m < x < 10 km:
 *
 *   class   σy                        σz
 *   A       0.22 x (1 + 0.0001 x)^−½   0.20 x
 *   B       0.16 x (1 + 0.0001 x)^−½   0.12 x
 *   C       0.11 x (1 + 0.0001 x)^−½   0.08 x (1 + 0.0002 x)^−½
 *   D       0.08 x (1 + 0.0001 x)^−½   0.06 x (1 + 0.0015 x)^−½
 *   E       0.06 x (1 + 0.0001 x)^−½   0.03 x (1 + 0.0003 x)^−1
 *   F       0.04 x (1 + 0.0001 x)^−½   0.016 x (1 + 0.0003 x)^−1
 *
 * Source: G. A. Briggs (1973), "Diffusion estimation for small emissions",
 * ATDL Contribution 79, NOAA Atmospheric Turbulence and Diffusion
 * Laboratory; tabulated in S. R. Hanna, G. A. Briggs, R. P. Hosker (1982),
 * "Handbook on Atmospheric Diffusion", DOE/TIC-11223, and in D. B. Turner
 * (1994), "Workbook of Atmospheric Dispersion Estimates", 2nd ed.
 *
 * Stability class when the park has no reading: the Pasquill–Turner table
 * (wind speed × insolation by day, × cloud cover by night). The platform
 * knows neither insolation nor cloud, so it takes the most stable column of
 * each (day: slight insolation; night: ≤ 3/8 cloud), and the more stable
 * letter where the table gives two: the plume then reaches farther, which
 * errs on the safe side for an evacuation. This choice is ours 🔧.
 *
 *   wind (m/s) at 10 m   < 2   2–3   3–5   5–6   ≥ 6
 *   day                   B     C     C     D     D
 *   night                 F     F     E     D     D
 *
 * Limits (sent beside every plume as `limits`): see PLUME_LIMITS.
 */

export const STABILITY_CLASSES = ['A', 'B', 'C', 'D', 'E', 'F'] as const;
export type StabilityClass = (typeof STABILITY_CLASSES)[number];

/** Below this wind speed (m/s at 10 m) the Gaussian plume is not drawn: the plume has no direction and the formula blows up as u → 0. */
export const MIN_PLUME_WIND_MS = 1;
/** The Briggs fits are meant up to 10 km; beyond it nothing is drawn and the contour says so. */
export const PLUME_MAX_DISTANCE_M = 10_000;
/** Closest downwind distance evaluated; nearer the release the contour is closed at the release point. */
export const PLUME_MIN_DISTANCE_M = 10;
/** Vertices on each side of a contour. */
export const CONTOUR_SIDE_POINTS = 48;

export const PLUME_LIMITS: readonly string[] = [
  'Guidance only: a steady Gaussian plume with Briggs open-country σy/σz (Pasquill–Gifford classes A–F), ground reflection, flat open ground.',
  'Dense gases (chlorine, and cold ammonia from a liquid release) slump, spread upwind and sideways and hug the ground: near the source the real cloud is wider and lower than drawn; the farther contours may be over- or underestimated.',
  'No buildings, no terrain: no downwash, wakes or channelling between tanks and buildings.',
  'Steady state for the first 30 minutes of a continuous release at the given rate: a short puff, a changing rate or a turning wind is not modelled. σy/σz are about 10-minute averages; short peaks are higher.',
  `Not drawn below ${MIN_PLUME_WIND_MS} m/s: in calm or meandering wind use the circles. The 10 m wind speed is taken as the transport speed.`,
  `The Briggs fits hold from 100 m to ${PLUME_MAX_DISTANCE_M / 1000} km; nearer than 100 m the figures are extrapolated.`,
];

export interface PlumeSource {
  /** Release rate, g/s. */
  rateGs: number;
  /** Release height above ground, m. */
  heightM: number;
  /** Wind speed at 10 m, m/s (at least MIN_PLUME_WIND_MS). */
  windMs: number;
  stability: StabilityClass;
}

const SIGMA_Y_A: Record<StabilityClass, number> = { A: 0.22, B: 0.16, C: 0.11, D: 0.08, E: 0.06, F: 0.04 };

/** Crosswind spread σy (m) at `x` metres downwind, Briggs open country. */
export function sigmaY(stability: StabilityClass, x: number): number {
  return SIGMA_Y_A[stability] * x * (1 + 0.0001 * x) ** -0.5;
}

/** Vertical spread σz (m) at `x` metres downwind, Briggs open country. */
export function sigmaZ(stability: StabilityClass, x: number): number {
  switch (stability) {
    case 'A':
      return 0.2 * x;
    case 'B':
      return 0.12 * x;
    case 'C':
      return 0.08 * x * (1 + 0.0002 * x) ** -0.5;
    case 'D':
      return 0.06 * x * (1 + 0.0015 * x) ** -0.5;
    case 'E':
      return (0.03 * x) / (1 + 0.0003 * x);
    case 'F':
      return (0.016 * x) / (1 + 0.0003 * x);
  }
}

/** Ground-level concentration (mg/m³) at `x` m downwind and `y` m crosswind; 0 upwind (x ≤ 0). */
export function groundConcentration(s: PlumeSource, x: number, y: number): number {
  if (!(x > 0)) return 0;
  const sy = sigmaY(s.stability, x);
  const sz = sigmaZ(s.stability, x);
  const gPerM3 = (s.rateGs / (Math.PI * s.windMs * sy * sz)) * Math.exp(-(y * y) / (2 * sy * sy)) * Math.exp(-(s.heightM * s.heightM) / (2 * sz * sz));
  return gPerM3 * 1000;
}

export function centrelineConcentration(s: PlumeSource, x: number): number {
  return groundConcentration(s, x, 0);
}

/** Where the ground-level centreline concentration is at or above `thresholdMgM3`: [fromM, toM] downwind. */
export interface ThresholdReach {
  /** 0 when the concentration is above the threshold right from the release (e.g. a ground-level release). */
  fromM: number;
  /** Farthest downwind distance at or above the threshold; PLUME_MAX_DISTANCE_M when `beyondRange`. */
  toM: number;
  /** Still above the threshold at PLUME_MAX_DISTANCE_M: the true reach is farther than the model is meant for. */
  beyondRange: boolean;
}

const GRID_POINTS = 400;

/** Log-spaced downwind distances from PLUME_MIN_DISTANCE_M to PLUME_MAX_DISTANCE_M. */
function grid(): number[] {
  const out: number[] = [];
  const a = Math.log(PLUME_MIN_DISTANCE_M);
  const b = Math.log(PLUME_MAX_DISTANCE_M);
  for (let i = 0; i < GRID_POINTS; i++) out.push(Math.exp(a + ((b - a) * i) / (GRID_POINTS - 1)));
  out[GRID_POINTS - 1] = PLUME_MAX_DISTANCE_M;
  return out;
}
const GRID = grid();

/** Bisection for the crossing of f(x) = 0 between lo (sign of f(lo)) and hi; 1 cm is plenty. */
function crossing(f: (x: number) => number, lo: number, hi: number): number {
  const loSign = f(lo) >= 0;
  for (let i = 0; i < 60 && hi - lo > 0.01; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) >= 0 === loSign) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The downwind stretch where the centreline concentration reaches
 * `thresholdMgM3`; null when it never does within PLUME_MAX_DISTANCE_M.
 * The centreline rises and then falls (it only falls for a ground-level
 * release), so the stretch is one interval: its ends are found on a
 * log-spaced grid and refined by bisection.
 */
export function thresholdReach(s: PlumeSource, thresholdMgM3: number): ThresholdReach | null {
  const f = (x: number): number => centrelineConcentration(s, x) - thresholdMgM3;
  let first = -1;
  let last = -1;
  for (let i = 0; i < GRID.length; i++) {
    if (f(GRID[i] as number) >= 0) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return null;
  const fromM = first === 0 ? 0 : crossing(f, GRID[first - 1] as number, GRID[first] as number);
  const beyondRange = last === GRID.length - 1;
  const toM = beyondRange ? PLUME_MAX_DISTANCE_M : crossing(f, GRID[last] as number, GRID[last + 1] as number);
  return { fromM, toM, beyondRange };
}

/** Half-width (m) of the `thresholdMgM3` isopleth at `x` m downwind; 0 where the centreline is below it. */
export function halfWidthAt(s: PlumeSource, x: number, thresholdMgM3: number): number {
  const c = centrelineConcentration(s, x);
  if (!(c > thresholdMgM3)) return 0;
  return sigmaY(s.stability, x) * Math.sqrt(2 * Math.log(c / thresholdMgM3));
}

export type Polygon = [number, number][];

export interface Contour {
  thresholdMgM3: number;
  fromM: number;
  /** Downwind reach of the contour on the centreline, m. */
  distanceM: number;
  beyondRange: boolean;
  /** Widest half-width, m. */
  maxHalfWidthM: number;
  /** Local metres (x east, y north): start on the centreline, out along the left edge to the tip, back along the right edge. */
  polygon: Polygon;
}

const RAD = Math.PI / 180;

function round2(v: number): number {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? 0 : r;
}

/** Plume coordinates (x downwind, y to the left of downwind) to map metres, for a plume blowing towards `downwindDeg`. */
export function plumeToMap(release: { x: number; y: number }, downwindDeg: number, x: number, y: number): [number, number] {
  const s = Math.sin(downwindDeg * RAD);
  const c = Math.cos(downwindDeg * RAD);
  // Downwind unit vector (sin θ, cos θ); the left-hand normal is (−cos θ, sin θ).
  return [round2(release.x + x * s - y * c), round2(release.y + x * c + y * s)];
}

/** Map metres to plume coordinates: [x downwind, y to the left of downwind]. */
export function mapToPlume(release: { x: number; y: number }, downwindDeg: number, p: { x: number; y: number }): [number, number] {
  const s = Math.sin(downwindDeg * RAD);
  const c = Math.cos(downwindDeg * RAD);
  const dx = p.x - release.x;
  const dy = p.y - release.y;
  return [dx * s + dy * c, -dx * c + dy * s];
}

/**
 * The isopleth of `thresholdMgM3` as a polygon on the map, turned so the
 * plume runs towards `downwindDeg` (the wind comes FROM downwindDeg − 180).
 * Null when the threshold is never reached.
 */
export function contour(s: PlumeSource, release: { x: number; y: number }, downwindDeg: number, thresholdMgM3: number): Contour | null {
  const reach = thresholdReach(s, thresholdMgM3);
  if (!reach) return null;
  const { fromM, toM } = reach;
  // Cosine spacing: dense at both ends, where the width changes fastest.
  const xs: number[] = [];
  for (let i = 0; i <= CONTOUR_SIDE_POINTS; i++) xs.push(fromM + ((toM - fromM) * (1 - Math.cos((Math.PI * i) / CONTOUR_SIDE_POINTS))) / 2);
  const widths = xs.map((x, i) => (i === 0 || i === CONTOUR_SIDE_POINTS ? 0 : halfWidthAt(s, x, thresholdMgM3)));
  if (reach.beyondRange) widths[CONTOUR_SIDE_POINTS] = halfWidthAt(s, toM, thresholdMgM3);
  const left = xs.map((x, i) => plumeToMap(release, downwindDeg, x, widths[i] as number));
  const right = xs
    .slice(1, -1)
    .map((x, i) => plumeToMap(release, downwindDeg, x, -(widths[i + 1] as number)))
    .reverse();
  const tipRight = reach.beyondRange ? [plumeToMap(release, downwindDeg, toM, -(widths[CONTOUR_SIDE_POINTS] as number))] : [];
  return {
    thresholdMgM3,
    fromM: Math.round(fromM),
    distanceM: Math.round(toM),
    beyondRange: reach.beyondRange,
    maxHalfWidthM: Math.round(Math.max(...widths)),
    polygon: [...left, ...tipRight, ...right],
  };
}

/** Pasquill class from the 10 m wind speed and day or night (the table above, most stable column). */
export function pasquillClass(windMs: number, period: 'day' | 'night'): StabilityClass {
  if (period === 'day') return windMs < 2 ? 'B' : windMs < 5 ? 'C' : 'D';
  return windMs < 3 ? 'F' : windMs < 5 ? 'E' : 'D';
}

/** A station's class as a number 1 = A … 6 = F; undefined when it is not one. */
export function stabilityFromIndex(n: number): StabilityClass | undefined {
  const i = Math.round(n);
  return Math.abs(n - i) < 0.01 && i >= 1 && i <= 6 ? STABILITY_CLASSES[i - 1] : undefined;
}

/** A tank whose falling level gives the release rate. */
export interface LevelVessel {
  id: string;
  levelTag: string;
  /** `percent`: the tag reads 0–100 % of `levelSpanM`; `m`: the tag reads metres. */
  levelUnit: 'percent' | 'm';
  levelSpanM?: number | undefined;
  /** Liquid surface area, m² (taken as constant over the level range). */
  areaM2: number;
  /** Liquid density, kg/m³. */
  densityKgM3: number;
}

export interface LevelSample {
  ts: number;
  v: number;
}

/** A release rate estimated from one vessel's level trend. */
export interface VesselRate {
  id: string;
  levelTag: string;
  samples: number;
  spanS: number;
  /** Level change, m per minute (negative when falling). */
  slopeMPerMin: number;
  /** Mass loss rate, g/s; 0 when the level is not falling. */
  rateGs: number;
}

/** The trend needs at least this many readings… */
export const LEVEL_TREND_MIN_SAMPLES = 3;
/** …spanning at least this long. */
export const LEVEL_TREND_MIN_SPAN_MS = 60_000;

/**
 * Mass loss rate of a vessel from its level readings: the least-squares
 * slope of level over time (m/s) × liquid surface area (m²) × density
 * (kg/m³) × 1000 (g/kg). Assumes everything that leaves the vessel becomes
 * airborne (safe side for a liquefied gas; a pool of a volatile liquid
 * evaporates more slowly). Undefined when the readings are too few or span
 * too short a time to tell a trend.
 */
export function vesselRate(vessel: LevelVessel, samples: readonly LevelSample[]): VesselRate | undefined {
  if (samples.length < LEVEL_TREND_MIN_SAMPLES) return undefined;
  const t0 = samples[0]?.ts ?? 0;
  const spanMs = (samples[samples.length - 1]?.ts ?? 0) - t0;
  if (spanMs < LEVEL_TREND_MIN_SPAN_MS) return undefined;
  const scale = vessel.levelUnit === 'percent' ? (vessel.levelSpanM ?? 0) / 100 : 1;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of samples) {
    const x = (p.ts - t0) / 1000;
    const y = p.v * scale;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const n = samples.length;
  const den = n * sxx - sx * sx;
  if (den <= 0) return undefined;
  const slopeMPerS = (n * sxy - sx * sy) / den;
  const rateGs = slopeMPerS < 0 ? -slopeMPerS * vessel.areaM2 * vessel.densityKgM3 * 1000 : 0;
  return { id: vessel.id, levelTag: vessel.levelTag, samples: n, spanS: Math.round(spanMs / 1000), slopeMPerMin: slopeMPerS * 60, rateGs };
}
