import { z } from 'zod';
import { ConfigError, loadConfigFile, localizedTextSchema, tagIdSchema, type ConfigProblem, type LocalizedText, type ParkConfig } from '@park/protocol/config';
import type { CatalogueTag } from '@park/protocol';
import { ALARM_PRIORITIES, type AlarmPriority } from '@park/protocol';
import type { AlarmRuleInput } from '../alarms/rules.js';

/**
 * Environment monitoring (`seeds/environment.yaml`): fence-line and outlet
 * monitors of the park model with limits on their averages. Instant values
 * alarm through their own tag limits like any tag; each average is a derived
 * tag (`<tag>.avg_1h`, `<tag>.avg_24h`) that the server computes in
 * InfluxDB every minute (average-monitor.ts), stores like a reading, shows
 * in the catalogue and alarms on with ordinary H/HH rules, so the averages
 * have the same lifecycle, journal and push as every other alarm.
 */

/** The `gateway` of the average readings and tags: the server publishes them itself. */
export const ENVIRONMENT_GATEWAY = 'park-server';

export const AVERAGE_WINDOWS = { '1h': 3_600_000, '24h': 86_400_000 } as const;
export type AverageWindow = keyof typeof AVERAGE_WINDOWS;

const limitSchema = z.strictObject({
  window: z.enum(Object.keys(AVERAGE_WINDOWS) as [AverageWindow, ...AverageWindow[]]),
  /** High and high-high limits on the average, in the tag's unit (at least one). */
  h: z.number().finite().optional(),
  hh: z.number().finite().optional(),
  /** Low and low-low limits on the average (pH), in the tag's unit. */
  l: z.number().finite().optional(),
  ll: z.number().finite().optional(),
  priority: z.enum(ALARM_PRIORITIES as unknown as [AlarmPriority, ...AlarmPriority[]]).default('high'),
  /** Where the limit comes from (standard, clause, permit). */
  basis: z.string().min(1),
});

const monitorSchema = z.strictObject({
  tag: tagIdSchema,
  kind: z.enum(['fence-line', 'outlet']),
  averages: z.array(limitSchema).min(1),
});

export const environmentFileSchema = z.strictObject({
  environment: z.strictObject({
    /**
     * Share of the window's minutes that must hold a good reading for a valid
     * average (GB/T and HJ practice: 45 of 60 minutes, 20 of 24 hours);
     * below it the average is published as uncertain.
     */
    minCoverage: z.number().min(0).max(1).default(0.75),
    /** How often the averages are recomputed, seconds. */
    everySeconds: z.number().int().min(10).max(3600).default(60),
    monitors: z.array(monitorSchema).min(1),
  }),
});

export type EnvironmentFile = z.output<typeof environmentFileSchema>['environment'];

/** One derived average tag. */
export interface AverageTag {
  id: string;
  source: string;
  window: AverageWindow;
  windowMs: number;
  unit: string;
  name: LocalizedText;
  site?: string | undefined;
  hazardSource?: string | undefined;
  limits: { hh?: number; h?: number; l?: number; ll?: number };
  /** The source instrument's range, for the tile's bar. */
  range?: [number, number] | undefined;
  priority: AlarmPriority;
  basis: string;
  kind: 'fence-line' | 'outlet';
}

export interface EnvironmentSetup {
  minCoverage: number;
  everyMs: number;
  averages: AverageTag[];
  /** The monitored tags themselves, with their kind, for the environment page. */
  monitors: { tag: string; kind: 'fence-line' | 'outlet'; averages: string[] }[];
}

const WINDOW_NAME: Record<AverageWindow, LocalizedText> = { '1h': { zh: '小时均值', en: 'hourly average' }, '24h': { zh: '日均值', en: 'daily average' } };

/** Loads the file and checks it against the park model: every problem at once, with path and line. */
export function loadEnvironment(file: string, park: ParkConfig): EnvironmentSetup {
  const loaded = loadConfigFile(file, environmentFileSchema);
  const env = loaded.value.environment;
  const tags = new Map(park.sites.flatMap((s) => s.devices.flatMap((d) => d.tags.map((t) => [t.id, { tag: t, site: s.id }] as const))));
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const averages: AverageTag[] = [];
  env.monitors.forEach((m, i) => {
    const found = tags.get(m.tag);
    if (!found) {
      problems.push({ file, path: `environment.monitors[${i}].tag`, reason: `no tag "${m.tag}" in the park model` });
      return;
    }
    if (found.tag.kind !== 'analog') problems.push({ file, path: `environment.monitors[${i}].tag`, reason: `"${m.tag}" is a ${found.tag.kind} tag: averages need an analog one` });
    m.averages.forEach((a, j) => {
      const at = `environment.monitors[${i}].averages[${j}]`;
      const id = `${m.tag}.avg_${a.window}`;
      if (seen.has(id)) problems.push({ file, path: `${at}.window`, reason: `a second ${a.window} average of "${m.tag}"` });
      seen.add(id);
      if (tags.has(id)) problems.push({ file, path: `${at}.window`, reason: `the park model already has a tag "${id}"` });
      const limits = { ...(a.hh !== undefined ? { hh: a.hh } : {}), ...(a.h !== undefined ? { h: a.h } : {}), ...(a.l !== undefined ? { l: a.l } : {}), ...(a.ll !== undefined ? { ll: a.ll } : {}) };
      if (Object.keys(limits).length === 0) problems.push({ file, path: at, reason: 'give at least one limit (h, hh, l or ll)' });
      const order = [a.ll, a.l, a.h, a.hh].filter((x): x is number => x !== undefined);
      if (order.some((x, k) => k > 0 && x <= (order[k - 1] as number))) problems.push({ file, path: at, reason: 'limits must rise: ll < l < h < hh' });
      const src = found.tag;
      averages.push({
        id,
        source: m.tag,
        window: a.window,
        windowMs: AVERAGE_WINDOWS[a.window],
        unit: src.unit,
        name: { zh: `${src.description.zh}${WINDOW_NAME[a.window].zh}`, en: `${src.description.en}, ${WINDOW_NAME[a.window].en}` },
        site: found.site,
        hazardSource: src.hazardSource,
        limits,
        range: src.range ? [src.range[0], src.range[1]] : undefined,
        priority: a.priority,
        basis: a.basis,
        kind: m.kind,
      });
    });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    minCoverage: env.minCoverage,
    everyMs: env.everySeconds * 1000,
    averages,
    monitors: env.monitors.map((m) => ({ tag: m.tag, kind: m.kind, averages: m.averages.map((a) => `${m.tag}.avg_${a.window}`) })),
  };
}

/** Catalogue entries of the average tags, published by the server itself. */
export function averageCatalogueTags(setup: EnvironmentSetup, gateway: string): CatalogueTag[] {
  return setup.averages.map((a) => ({
    id: a.id,
    device: 'server',
    kind: 'analog',
    unit: a.unit,
    description: a.name.zh,
    source: `average:${a.window}:${a.source}`,
    gateway,
    name: a.name,
    ...(a.site !== undefined ? { site: a.site } : {}),
    ...(a.hazardSource !== undefined ? { hazardSource: a.hazardSource } : {}),
    equipment: 'environment',
    ...(a.range ? { range: a.range } : {}),
    limits: a.limits,
  }));
}

/**
 * Alarm rules of the average tags: one per limit, with the configured
 * priority, and a stale rule: an average that is not recomputed (InfluxDB
 * away, the monitor silent) must not look current.
 */
export function averageAlarmRules(setup: EnvironmentSetup, gateway: string): AlarmRuleInput[] {
  const rules: AlarmRuleInput[] = [];
  for (const a of setup.averages) {
    const common = { tagId: a.id, gateway, ...(a.site !== undefined ? { area: a.site } : {}), hazardSource: a.hazardSource ?? null, unit: a.unit, name: a.name };
    for (const kind of ['hh', 'h', 'l', 'll'] as const) {
      const limit = a.limits[kind];
      if (limit === undefined) continue;
      rules.push({ ...common, kind, limit, priority: kind === 'hh' || kind === 'll' ? raise(a.priority) : a.priority });
    }
    rules.push({ ...common, kind: 'stale', staleAfterMs: Math.max(5 * 60_000, 5 * setup.everyMs) });
  }
  return rules;
}

function raise(p: AlarmPriority): AlarmPriority {
  return p === 'low' ? 'medium' : p === 'medium' ? 'high' : 'critical';
}
