/**
 * The first-30-minute hazard zone around a release, after the ERG's initial
 * isolation and protective action distances (DOMAIN.md §6.4). Pure: every
 * input is passed in, nothing is read from the clock or the network.
 *
 * Geometry, all on a flat plan in local metres (x east, y north):
 * - Isolation zone: a circle of the isolation distance around the release
 *   point, drawn as a 72-sided polygon (5° steps; the polygon lies inside
 *   the circle, at most 0.4 % short of it between vertices).
 * - Protective action zone: a circular sector from the release point, radius
 *   the protective action distance, centred on the DOWNWIND bearing (the
 *   weather station gives the direction the wind blows FROM; downwind is
 *   that + 180°). Its half-angle widens as the wind drops, because a light
 *   wind meanders: 30° at ≥ 3 m/s, 45° from 1 to 3 m/s; below 1 m/s
 *   (calm) or with no usable wind reading the direction means nothing and
 *   the zone is a full circle. These angles are our design choice 🔧, not
 *   ERG text: the ERG draws a square downwind of the spill.
 * - "Inside" is decided on the exact circle and sector, not on the
 *   polygons, and the installation of the release itself is not listed.
 *
 * Limits (written beside the zone for the commander): the distances are
 * table values for the first 30 minutes and may grow with time; no terrain,
 * buildings or dense-gas slumping; one wind for the whole zone. The
 * Gaussian plume (plume.ts, plume-zone.ts) is drawn beside these zones with
 * its own inputs and limits.
 */

export type SpillSize = 'small' | 'large';
export type DayNight = 'day' | 'night';
export const SPILL_SIZES: readonly SpillSize[] = ['small', 'large'];
export const DAY_NIGHT: readonly DayNight[] = ['day', 'night'];

/** Below this the wind direction is meaningless and the protective zone is drawn all round. */
export const CALM_WIND_MS = 1;
/** At or above this the sector is at its narrowest. */
export const STEADY_WIND_MS = 3;
export const SECTOR_HALF_ANGLE_STEADY_DEG = 30;
export const SECTOR_HALF_ANGLE_LIGHT_DEG = 45;
/** Polygon vertex spacing of circles and arcs. */
export const POLYGON_STEP_DEG = 5;
/** Local hours counted as day (the ERG's "sunrise to sunset", approximated): [DAY_START_HOUR, DAY_END_HOUR). */
export const DAY_START_HOUR = 6;
export const DAY_END_HOUR = 18;

export const ZONE_LIMITS =
  'Guidance only: ERG table distances for the first 30 minutes of a release; they may grow with time. Flat ground, one wind, no buildings, no dense-gas model; the plume, when drawn, has its own limits.';

/** Distances of one substance and scenario, as on its disposal card. */
export interface ZoneDistances {
  kind: 'toxic' | 'flammable' | 'fire';
  isolationM: Partial<Record<SpillSize, number>>;
  protectiveActionM?: Partial<Record<SpillSize, { day: number; night: number }>> | undefined;
  /** False while the numbers are not checked against the current ERG. */
  verified: boolean;
  source: string;
}

export interface PlanPoint {
  id: string;
  kind: string;
  x: number;
  y: number;
  name: { zh: string; en: string };
  people?: number | undefined;
}

/** The wind as read; `undefined` where there is no usable reading. */
export interface WindInput {
  speedMs: number | undefined;
  /** Direction the wind blows FROM, degrees clockwise from north. */
  fromDeg: number | undefined;
  /** Pasquill class 1 = A … 6 = F, shown as an input only. */
  stabilityClass?: number | undefined;
}

export interface HazardZoneInput {
  release: { id: string; x: number; y: number };
  distances: ZoneDistances;
  spill: SpillSize;
  period: DayNight;
  wind: WindInput;
  /** Registered points (installations, assembly points, gates, sensitive targets). */
  points: readonly PlanPoint[];
}

export type Polygon = [number, number][];

export interface InsidePoint {
  id: string;
  kind: string;
  name: { zh: string; en: string };
  people?: number | undefined;
  distanceM: number;
  /** Bearing from the release point, degrees clockwise from north. */
  bearingDeg: number;
  /** The innermost zone the point is in; `plume` when it is only inside the plume's level-1 contour. */
  zone: 'isolation' | 'protective-action' | 'plume';
  /** Inside the plume's level-2 (2) or only level-1 (1) contour. */
  plumeLevel?: 1 | 2;
  /** Modelled ground-level concentration at the point, mg/m³ (only inside a plume contour). */
  concentrationMgM3?: number;
}

export interface HazardZone {
  release: { id: string; x: number; y: number };
  spill: SpillSize;
  period: DayNight;
  wind: WindInput & { downwindDeg: number | null };
  isolation: { radiusM: number; polygon: Polygon };
  /** Null when the card gives no protective action distance for this spill (e.g. a fire). */
  protectiveAction: { distanceM: number; shape: 'sector' | 'circle'; downwindDeg: number | null; halfAngleDeg: number; polygon: Polygon } | null;
  /** Points inside either zone, nearest first. */
  inside: InsidePoint[];
  verified: boolean;
  source: string;
  limits: string;
  warnings: string[];
}

export type HazardZoneResult = { ok: true; zone: HazardZone } | { ok: false; reason: string };

const RAD = Math.PI / 180;

export function normalizeDeg(deg: number): number {
  const d = deg % 360;
  return d < 0 ? d + 360 : d;
}

/** Smallest angle between two bearings, 0–180°. */
export function angleBetweenDeg(a: number, b: number): number {
  const d = Math.abs(normalizeDeg(a) - normalizeDeg(b));
  return d > 180 ? 360 - d : d;
}

/** Bearing (clockwise from north) and distance from `from` to `to`. */
export function bearingAndDistance(from: { x: number; y: number }, to: { x: number; y: number }): { bearingDeg: number; distanceM: number } {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  return { bearingDeg: normalizeDeg(Math.atan2(dx, dy) / RAD), distanceM: Math.hypot(dx, dy) };
}

/** The point `distanceM` away on `bearingDeg`, rounded to the centimetre. */
export function offset(from: { x: number; y: number }, bearingDeg: number, distanceM: number): [number, number] {
  return [round2(from.x + distanceM * Math.sin(bearingDeg * RAD)), round2(from.y + distanceM * Math.cos(bearingDeg * RAD))];
}

function round2(v: number): number {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? 0 : r;
}

/** Circle as a closed-by-convention polygon (first vertex due north, clockwise, not repeated). */
export function circlePolygon(c: { x: number; y: number }, radiusM: number): Polygon {
  const out: Polygon = [];
  for (let b = 0; b < 360; b += POLYGON_STEP_DEG) out.push(offset(c, b, radiusM));
  return out;
}

/** Sector: the apex, then the arc clockwise from `centreDeg − halfAngleDeg` to `centreDeg + halfAngleDeg` (both ends included). */
export function sectorPolygon(apex: { x: number; y: number }, radiusM: number, centreDeg: number, halfAngleDeg: number): Polygon {
  const out: Polygon = [[round2(apex.x), round2(apex.y)]];
  const steps = Math.max(1, Math.ceil((2 * halfAngleDeg) / POLYGON_STEP_DEG));
  for (let i = 0; i <= steps; i++) out.push(offset(apex, normalizeDeg(centreDeg - halfAngleDeg + (2 * halfAngleDeg * i) / steps), radiusM));
  return out;
}

/** Sector half-angle for a wind speed; 180 (a full circle) when calm or unknown. */
export function sectorHalfAngleDeg(speedMs: number | undefined, fromDeg: number | undefined): number {
  if (speedMs === undefined || fromDeg === undefined || speedMs < CALM_WIND_MS) return 180;
  return speedMs < STEADY_WIND_MS ? SECTOR_HALF_ANGLE_LIGHT_DEG : SECTOR_HALF_ANGLE_STEADY_DEG;
}

/** Day or night at `ms` in the park's time zone: local hour in [DAY_START_HOUR, DAY_END_HOUR) is day. */
export function dayOrNight(ms: number, timeZone: string): DayNight {
  const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(ms));
  return hour >= DAY_START_HOUR && hour < DAY_END_HOUR ? 'day' : 'night';
}

export function computeHazardZone(input: HazardZoneInput): HazardZoneResult {
  const { release, distances, spill, period, wind } = input;
  const isolationM = distances.isolationM[spill];
  if (isolationM === undefined) {
    const have = SPILL_SIZES.filter((s) => distances.isolationM[s] !== undefined);
    return { ok: false, reason: `no ${spill}-spill isolation distance on the card (it has: ${have.join(', ') || 'none'}; source: ${distances.source})` };
  }
  const warnings: string[] = [];
  if (!distances.verified) warnings.push(`distances not verified against the current ERG: ${distances.source}`);

  const speedOk = wind.speedMs !== undefined && Number.isFinite(wind.speedMs) && wind.speedMs >= 0;
  const dirOk = wind.fromDeg !== undefined && Number.isFinite(wind.fromDeg);
  const speedMs = speedOk ? wind.speedMs : undefined;
  const fromDeg = dirOk ? normalizeDeg(wind.fromDeg as number) : undefined;
  const downwindDeg = fromDeg !== undefined ? normalizeDeg(fromDeg + 180) : null;

  let protectiveAction: HazardZone['protectiveAction'] = null;
  const pa = distances.protectiveActionM?.[spill];
  if (pa === undefined) {
    warnings.push(`no ${spill}-spill protective action distance on the card: isolation zone only`);
  } else {
    const distanceM = pa[period];
    const halfAngleDeg = sectorHalfAngleDeg(speedMs, fromDeg);
    if (halfAngleDeg === 180) {
      warnings.push(speedMs === undefined || fromDeg === undefined ? 'no usable wind reading: protective action zone drawn all round' : `calm (< ${CALM_WIND_MS} m/s): protective action zone drawn all round`);
      protectiveAction = { distanceM, shape: 'circle', downwindDeg, halfAngleDeg, polygon: circlePolygon(release, distanceM) };
    } else {
      protectiveAction = { distanceM, shape: 'sector', downwindDeg, halfAngleDeg, polygon: sectorPolygon(release, distanceM, downwindDeg as number, halfAngleDeg) };
    }
  }

  const inside: InsidePoint[] = [];
  for (const p of input.points) {
    if (p.id === release.id) continue;
    const { bearingDeg, distanceM } = bearingAndDistance(release, p);
    let zone: InsidePoint['zone'] | undefined;
    if (distanceM <= isolationM) zone = 'isolation';
    else if (protectiveAction && distanceM <= protectiveAction.distanceM && (protectiveAction.shape === 'circle' || angleBetweenDeg(bearingDeg, protectiveAction.downwindDeg as number) <= protectiveAction.halfAngleDeg)) zone = 'protective-action';
    if (zone) inside.push({ id: p.id, kind: p.kind, name: p.name, ...(p.people !== undefined ? { people: p.people } : {}), distanceM: Math.round(distanceM), bearingDeg: Math.round(bearingDeg), zone });
  }
  inside.sort((a, b) => a.distanceM - b.distanceM || a.id.localeCompare(b.id));

  return {
    ok: true,
    zone: {
      release: { id: release.id, x: release.x, y: release.y },
      spill,
      period,
      wind: { speedMs, fromDeg, ...(wind.stabilityClass !== undefined ? { stabilityClass: wind.stabilityClass } : {}), downwindDeg },
      isolation: { radiusM: isolationM, polygon: circlePolygon(release, isolationM) },
      protectiveAction,
      inside,
      verified: distances.verified,
      source: distances.source,
      limits: ZONE_LIMITS,
      warnings,
    },
  };
}
