import type { EmergencyCard } from './cards.js';
import { bearingAndDistance, normalizeDeg, type DayNight, type InsidePoint, type PlanPoint } from './hazard-zone.js';
import {
  contour,
  groundConcentration,
  mapToPlume,
  MIN_PLUME_WIND_MS,
  pasquillClass,
  PLUME_LIMITS,
  stabilityFromIndex,
  vesselRate,
  type LevelSample,
  type Polygon,
  type PlumeSource,
  type StabilityClass,
  type VesselRate,
} from './plume.js';

/**
 * The plume layer of the hazard zone: the Gaussian plume (plume.ts) of the
 * card's substance at its level-1 and level-2 concentrations, with every
 * input and where it came from, so the commander can judge it. Pure.
 *
 * Release rate, first that applies:
 *  1. `request`: the commander's figure (g/s);
 *  2. `level-trend`: the sum over the card's vessels of the mass loss
 *     estimated from the falling level (plume.ts vesselRate).
 * Stability class, first that applies: `request`; `station` (the weather
 * station's class 1–6, when good and fresh); `pasquill-table` from the wind
 * speed and day or night (plume.ts pasquillClass).
 */

/** Used when the card gives no release height. */
export const DEFAULT_RELEASE_HEIGHT_M = 1;

export const PLUME_GUIDANCE =
  'Guidance for the commander, not a measurement: a model estimate from the inputs listed. Confirm with detectors and portable measurements downwind; widen the zone when in doubt.';

export type RateFrom = 'request' | 'level-trend';
export type StabilityFrom = 'request' | 'station' | 'pasquill-table';

export interface PlumeContour {
  /** 1: the card's level-1 concentration (discomfort); 2: level 2 (serious effects, impaired escape). */
  level: 1 | 2;
  thresholdMgM3: number;
  /** False when the concentration is not reached anywhere downwind: no polygon. */
  reached: boolean;
  fromM: number;
  distanceM: number;
  beyondRange: boolean;
  maxHalfWidthM: number;
  polygon: Polygon;
}

export interface PlumeLayer {
  model: 'gaussian-plume';
  dispersion: 'briggs-open-country';
  guidance: string;
  inputs: {
    rateGs: number;
    rateFrom: RateFrom;
    /** With `level-trend`: each vessel's trend (also those not falling). */
    vessels?: VesselRate[];
    releaseHeightM: number;
    windSpeedMs: number;
    /** Direction the wind blows FROM. */
    fromDeg: number;
    downwindDeg: number;
    stabilityClass: StabilityClass;
    stabilityFrom: StabilityFrom;
    period: DayNight;
  };
  /** What the two levels are (e.g. ERPG-1 / ERPG-2). */
  basis: string;
  contours: PlumeContour[];
  /** True only when the exposure levels and the release figures are all checked. */
  verified: boolean;
  sources: string[];
  limits: readonly string[];
}

export interface PlumeInput {
  release: { id: string; x: number; y: number };
  card: EmergencyCard;
  wind: { speedMs: number | undefined; fromDeg: number | undefined; stabilityIndex?: number | undefined };
  period: DayNight;
  request: { rateGs?: number | undefined; stability?: StabilityClass | undefined };
  /** Recent level readings of a tag (LevelHistory). */
  levelSamples: (tagId: string) => LevelSample[];
  points: readonly PlanPoint[];
}

export type PlumeResult = { plume: PlumeLayer; targets: InsidePoint[]; warnings: string[] } | { plume: null; reason: string; warnings: string[] };

export function computePlume(input: PlumeInput): PlumeResult {
  const { card, wind, request } = input;
  const warnings: string[] = [];
  const levels = card.substance.exposureLevels;
  if (!levels) return { plume: null, reason: `card ${card.card.id} has no exposure levels (substance.exposureLevels): no plume`, warnings };
  if (wind.speedMs === undefined || wind.fromDeg === undefined) return { plume: null, reason: 'no usable wind reading: the plume needs speed and direction', warnings };
  if (wind.speedMs < MIN_PLUME_WIND_MS) return { plume: null, reason: `calm (${wind.speedMs} m/s < ${MIN_PLUME_WIND_MS} m/s): a Gaussian plume has no direction; use the circles`, warnings };

  let rateGs: number;
  let rateFrom: RateFrom;
  let vessels: VesselRate[] | undefined;
  if (request.rateGs !== undefined) {
    rateGs = request.rateGs;
    rateFrom = 'request';
  } else {
    const list = card.release?.vessels ?? [];
    if (list.length === 0) return { plume: null, reason: `no release rate: give rate (g/s); card ${card.card.id} names no vessel to estimate it from`, warnings };
    vessels = list.flatMap((v) => {
      const r = vesselRate(v, input.levelSamples(v.levelTag));
      return r ? [r] : [];
    });
    rateGs = vessels.reduce((a, v) => a + v.rateGs, 0);
    if (!(rateGs > 0)) {
      const why = vessels.length === 0 ? 'not enough level readings yet (at least 3 over a minute or more)' : 'no vessel level is falling';
      return { plume: null, reason: `no release rate: give rate (g/s); from the level trend: ${why}`, warnings };
    }
    rateFrom = 'level-trend';
  }

  let stability: StabilityClass;
  let stabilityFrom: StabilityFrom;
  const station = wind.stabilityIndex !== undefined ? stabilityFromIndex(wind.stabilityIndex) : undefined;
  if (wind.stabilityIndex !== undefined && station === undefined) warnings.push(`stability class reading ${wind.stabilityIndex} is not 1–6: ignored`);
  if (request.stability !== undefined) {
    stability = request.stability;
    stabilityFrom = 'request';
  } else if (station !== undefined) {
    stability = station;
    stabilityFrom = 'station';
  } else {
    stability = pasquillClass(wind.speedMs, input.period);
    stabilityFrom = 'pasquill-table';
  }

  const releaseHeightM = card.release?.heightM ?? DEFAULT_RELEASE_HEIGHT_M;
  if (!card.release) warnings.push(`card ${card.card.id} gives no release height: ${DEFAULT_RELEASE_HEIGHT_M} m assumed`);
  const fromDeg = normalizeDeg(wind.fromDeg);
  const downwindDeg = normalizeDeg(fromDeg + 180);
  const source: PlumeSource = { rateGs, heightM: releaseHeightM, windMs: wind.speedMs, stability };

  const contours: PlumeContour[] = ([1, 2] as const).map((level) => {
    const thresholdMgM3 = level === 1 ? levels.level1MgM3 : levels.level2MgM3;
    const c = contour(source, input.release, downwindDeg, thresholdMgM3);
    return c ? { level, ...c, reached: true } : { level, thresholdMgM3, reached: false, fromM: 0, distanceM: 0, beyondRange: false, maxHalfWidthM: 0, polygon: [] };
  });
  for (const c of contours) if (c.beyondRange) warnings.push(`level-${c.level} concentration still exceeded at ${c.distanceM} m, the model's range: the real reach is farther`);

  const targets: InsidePoint[] = [];
  for (const p of input.points) {
    if (p.id === input.release.id) continue;
    const [x, y] = mapToPlume(input.release, downwindDeg, p);
    const c = groundConcentration(source, x, y);
    if (c < levels.level1MgM3) continue;
    const { bearingDeg, distanceM } = bearingAndDistance(input.release, p);
    targets.push({
      id: p.id,
      kind: p.kind,
      name: p.name,
      ...(p.people !== undefined ? { people: p.people } : {}),
      distanceM: Math.round(distanceM),
      bearingDeg: Math.round(bearingDeg),
      zone: 'plume',
      plumeLevel: c >= levels.level2MgM3 ? 2 : 1,
      concentrationMgM3: Math.round(c * 100) / 100,
    });
  }

  const sources = [`${levels.basis}: ${levels.source}`];
  if (card.release) sources.push(`release: ${card.release.source}`);
  // The release height (and with the level trend, the rate) comes from the card's release figures.
  const verified = levels.verified && card.release?.verified === true;
  if (!levels.verified) warnings.push(`exposure levels not verified: ${levels.source}`);
  return {
    plume: {
      model: 'gaussian-plume',
      dispersion: 'briggs-open-country',
      guidance: PLUME_GUIDANCE,
      inputs: { rateGs: Math.round(rateGs * 100) / 100, rateFrom, ...(vessels ? { vessels } : {}), releaseHeightM, windSpeedMs: wind.speedMs, fromDeg, downwindDeg, stabilityClass: stability, stabilityFrom, period: input.period },
      basis: levels.basis,
      contours,
      verified,
      sources,
      limits: PLUME_LIMITS,
    },
    targets,
    warnings,
  };
}

/**
 * The circle and sector's points with the plume's added: a point already
 * in the isolation or protective action zone keeps that zone and gains its
 * plume level and concentration; a point only in the plume is added with
 * zone `plume`. Nearest first.
 */
export function mergeInside(inside: readonly InsidePoint[], plumeTargets: readonly InsidePoint[]): InsidePoint[] {
  const byId = new Map(inside.map((p) => [p.id, { ...p }]));
  for (const t of plumeTargets) {
    const have = byId.get(t.id);
    if (have) {
      if (t.plumeLevel !== undefined) have.plumeLevel = t.plumeLevel;
      if (t.concentrationMgM3 !== undefined) have.concentrationMgM3 = t.concentrationMgM3;
    } else byId.set(t.id, { ...t });
  }
  return [...byId.values()].sort((a, b) => a.distanceM - b.distanceM || a.id.localeCompare(b.id));
}
