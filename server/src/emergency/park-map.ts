import { z } from 'zod';
import { idSchema, loadConfigFile, localizedTextSchema, tagIdSchema, type LocalizedText, type ParkConfig } from '@park/protocol/config';

/**
 * The site plan for emergency command (`seeds/park-map.yaml`): the release
 * point of each installation and the points a commander must know about, in
 * LOCAL METRES (x east, y north) on a flat plan, plus the weather tags the
 * hazard zone turns with. The loader checks hazard sources and tags against
 * the park model and reports every problem at once (`file: path: reason`).
 */

export const MAP_POINT_KINDS = ['assembly', 'gate', 'sensitive', 'rescue', 'other'] as const;
export type MapPointKind = (typeof MAP_POINT_KINDS)[number];

const coord = z.number().finite().min(-100_000).max(100_000);

const installationSchema = z.strictObject({
  hazardSource: idSchema,
  x: coord,
  y: coord,
  name: localizedTextSchema.optional(),
});

const pointSchema = z.strictObject({
  id: idSchema,
  kind: z.enum(MAP_POINT_KINDS),
  x: coord,
  y: coord,
  name: localizedTextSchema,
  /** People usually present (sensitive targets), for the commander's list. */
  people: z.number().int().min(0).optional(),
});

const xy = z.tuple([coord, coord]);

/**
 * What the plan shows around the places: site fences, buildings, tanks and
 * roads, drawn beneath the hazard zone so a commander sees the zone on the
 * ground. Optional: a map without it still gives the zone.
 */
const planSchema = z.strictObject({
  /** A site's fence line; `site` is a site of the park model. */
  sites: z.array(z.strictObject({ site: idSchema, outline: z.array(xy).min(3).max(500) })).default([]),
  buildings: z.array(z.strictObject({ id: idSchema, name: localizedTextSchema.optional(), outline: z.array(xy).min(3).max(500) })).default([]),
  /** A tank as a circle of radius `r` metres; `equipment` as in the park model (e.g. t101), `hazardSource` its installation. */
  tanks: z
    .array(z.strictObject({ id: idSchema, x: coord, y: coord, r: z.number().positive().max(200), hazardSource: idSchema.optional(), name: localizedTextSchema.optional() }))
    .default([]),
  /** A road as a centre line and its width in metres (default 8). */
  roads: z.array(z.strictObject({ id: idSchema, name: localizedTextSchema.optional(), path: z.array(xy).min(2).max(500), widthM: z.number().positive().max(100).default(8) })).default([]),
});

const weatherSchema = z.strictObject({
  x: coord,
  y: coord,
  /** Wind speed, m/s. */
  windSpeedTag: tagIdSchema,
  /** Wind direction the wind blows FROM, degrees clockwise from north. */
  windDirectionTag: tagIdSchema,
  /** Pasquill stability class 1 = A … 6 = F (shown as an input; the ERG zone does not use it). */
  stabilityClassTag: tagIdSchema.optional(),
});

export function parkMapSchema(park: ParkConfig) {
  const hazardSources = new Set(park.sites.flatMap((s) => s.hazardSources.map((h) => h.id)));
  const tags = new Set(park.sites.flatMap((s) => s.devices.flatMap((d) => d.tags.map((t) => t.id))));
  return z
    .strictObject({
      map: z.strictObject({
        /** The park model's park id: a map of another park is refused. */
        park: idSchema,
        /** WGS-84 of the plan's origin, for parks that add a tile layer; unused by the server. */
        origin: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
      }),
      installations: z.array(installationSchema).default([]),
      points: z.array(pointSchema).default([]),
      weather: weatherSchema.optional(),
      plan: planSchema.optional(),
    })
    .superRefine((m, ctx) => {
      if (m.map.park !== park.park.id) ctx.addIssue({ code: 'custom', path: ['map', 'park'], message: `this map is for park "${m.map.park}", the park model is "${park.park.id}"`, input: m.map.park });
      const seenHs = new Set<string>();
      m.installations.forEach((inst, i) => {
        if (!hazardSources.has(inst.hazardSource)) ctx.addIssue({ code: 'custom', path: ['installations', i, 'hazardSource'], message: `unknown hazard source "${inst.hazardSource}" (the park model has ${[...hazardSources].join(', ')})`, input: inst.hazardSource });
        if (seenHs.has(inst.hazardSource)) ctx.addIssue({ code: 'custom', path: ['installations', i, 'hazardSource'], message: `hazard source "${inst.hazardSource}" placed twice`, input: inst.hazardSource });
        seenHs.add(inst.hazardSource);
      });
      const seen = new Set<string>();
      m.points.forEach((p, i) => {
        if (seen.has(p.id) || hazardSources.has(p.id)) ctx.addIssue({ code: 'custom', path: ['points', i, 'id'], message: `duplicate point id "${p.id}"`, input: p.id });
        seen.add(p.id);
      });
      const siteIds = new Set(park.sites.map((s) => s.id));
      m.plan?.sites.forEach((s, i) => {
        if (!siteIds.has(s.site)) ctx.addIssue({ code: 'custom', path: ['plan', 'sites', i, 'site'], message: `unknown site "${s.site}" (the park model has ${[...siteIds].join(', ')})`, input: s.site });
      });
      m.plan?.tanks.forEach((tank, i) => {
        if (tank.hazardSource !== undefined && !hazardSources.has(tank.hazardSource)) {
          ctx.addIssue({ code: 'custom', path: ['plan', 'tanks', i, 'hazardSource'], message: `unknown hazard source "${tank.hazardSource}" (the park model has ${[...hazardSources].join(', ')})`, input: tank.hazardSource });
        }
      });
      if (m.weather) {
        for (const key of ['windSpeedTag', 'windDirectionTag', 'stabilityClassTag'] as const) {
          const tag = m.weather[key];
          if (tag !== undefined && !tags.has(tag)) ctx.addIssue({ code: 'custom', path: ['weather', key], message: `unknown tag "${tag}" (not in the park model)`, input: tag });
        }
      }
    });
}

export type ParkMapFile = z.output<ReturnType<typeof parkMapSchema>>;

/** A place on the plan, local metres. */
export interface MapPoint {
  id: string;
  kind: MapPointKind | 'installation';
  x: number;
  y: number;
  name: LocalizedText;
  people?: number | undefined;
}

export interface ParkMap {
  origin?: { lat: number; lon: number } | undefined;
  /** Release point per hazard source. */
  installations: Map<string, MapPoint>;
  /** Installations and registered points together: everything the zone lists when inside. */
  points: MapPoint[];
  weather?: ParkMapFile['weather'];
  /** Site fences, buildings, tanks and roads; empty lists when the map has none. */
  plan: SitePlan;
}

export type SitePlan = NonNullable<ParkMapFile['plan']>;

/** `GET /api/park-map`: the whole plan, for drawing. Weather tags stay server-side; only the station's place is given. */
export interface ParkMapAnswer {
  origin: { lat: number; lon: number } | null;
  points: MapPoint[];
  weather: { x: number; y: number } | null;
  plan: SitePlan;
}

export function parkMapAnswer(map: ParkMap): ParkMapAnswer {
  return { origin: map.origin ?? null, points: map.points, weather: map.weather ? { x: map.weather.x, y: map.weather.y } : null, plan: map.plan };
}

export function loadParkMap(file: string, park: ParkConfig): ParkMap {
  return toParkMap(loadConfigFile(file, parkMapSchema(park)).value, park);
}

export function toParkMap(m: ParkMapFile, park: ParkConfig): ParkMap {
  const hsNames = new Map(park.sites.flatMap((s) => s.hazardSources.map((h) => [h.id, h.name] as const)));
  const installations = new Map<string, MapPoint>();
  for (const inst of m.installations) {
    installations.set(inst.hazardSource, { id: inst.hazardSource, kind: 'installation', x: inst.x, y: inst.y, name: inst.name ?? hsNames.get(inst.hazardSource) ?? { zh: inst.hazardSource, en: inst.hazardSource } });
  }
  const points: MapPoint[] = [...installations.values(), ...m.points.map((p) => ({ id: p.id, kind: p.kind, x: p.x, y: p.y, name: p.name, ...(p.people !== undefined ? { people: p.people } : {}) }))];
  return { origin: m.map.origin, installations, points, weather: m.weather, plan: m.plan ?? { sites: [], buildings: [], tanks: [], roads: [] } };
}
