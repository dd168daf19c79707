import { readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ALARM_KINDS, type AlarmKind, type Quality } from '@park/protocol';
import { ConfigError, describeIssue, formatPath, idSchema, loadConfigFile, localizedTextSchema, tagIdSchema, type ConfigProblem, type ParkConfig } from '@park/protocol/config';
import type { ParkMap } from './park-map.js';

/**
 * Emergency disposal cards (应急处置卡, DOMAIN.md §6.1): one YAML file per
 * card in `seeds/cards/`, per installation and scenario (substance × event).
 * A card says which alarms open it, the ordered steps with the responsible
 * post and an optional time limit, PPE, the isolation and shut-off valves
 * (as tags, their live state shown beside the steps), contacts, the
 * assembly point, the substance's hazard summary and its ERG distances.
 *
 * The same strict schema checks the files at start and a card sent to
 * `PUT /api/cards/{id}`; it cross-checks every tag id and the hazard source
 * against the park model and the assembly point against the park map, and
 * reports every problem at once (`file: path: reason (line, column)`).
 */

export const SCENARIO_EVENTS = ['leak', 'spill', 'fire', 'explosion', 'other'] as const;
export const ZONE_KINDS = ['toxic', 'flammable', 'fire'] as const;

/** `*` stands for any run of letters, digits, `_` or `-` within one dot-separated part of a tag id. */
const TAG_PATTERN = /^[a-z0-9_*][a-z0-9_.*-]{0,127}$/;
const distance = z.number().finite().positive().max(100_000);
const text = localizedTextSchema;
/** mg/m³ */
const concentration = z.number().finite().positive().max(1_000_000);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

const cardShape = {
  card: z.strictObject({
    id: idSchema,
    /** Rises by one with every edit. */
    version: z.number().int().min(1),
    title: text,
    hazardSource: idSchema,
    scenario: z.strictObject({ substance: idSchema, event: z.enum(SCENARIO_EVENTS) }),
    /** The post (岗位) that holds the card. */
    post: text,
    reviewDate: isoDate,
    reviewedBy: z.string().min(1).max(200),
    /** A new raise of a trigger alarm opens an incident with this card by itself. */
    autoOpen: z.boolean().default(false),
  }),
  trigger: z
    .strictObject({
      /** Exact alarm ids, `tagId:kind`. */
      alarms: z.array(z.string().min(1).max(200)).default([]),
      patterns: z.array(z.strictObject({ tag: z.string().regex(TAG_PATTERN, 'must be a tag id in which "*" stands for any part, e.g. a.hs01.gd*'), kinds: z.array(z.enum(ALARM_KINDS as [AlarmKind, ...AlarmKind[]])).min(1) })).default([]),
    })
    .refine((t) => t.alarms.length + t.patterns.length > 0, 'needs at least one alarm or pattern: a card nothing triggers never opens'),
  substance: z.strictObject({
    name: text,
    cas: z.string().regex(/^\d{2,7}-\d{2}-\d$/, 'must be a CAS number such as 7782-50-5').optional(),
    /** UN number, four digits. */
    un: z.string().regex(/^\d{4}$/, 'must be a four-digit UN number').optional(),
    /** ERG guide number. */
    ergGuide: z.number().int().min(111).max(174).optional(),
    /** False while the hazard statements and measures are not checked against the SDS. */
    verified: z.boolean(),
    ghs: z.array(text).min(1),
    firstAid: text,
    fireFighting: text,
    spill: text,
    /**
     * Concentrations the plume's contours are drawn at, mg/m³ (e.g. ERPG-1
     * and ERPG-2). Level 1: discomfort; level 2: serious or irreversible
     * effects or impaired escape. Absent: no plume for this card.
     */
    exposureLevels: z
      .strictObject({
        /** What the two levels are, e.g. "ERPG-1 / ERPG-2 (AIHA)". */
        basis: z.string().min(1).max(200),
        level1MgM3: concentration,
        level2MgM3: concentration,
        /** False while the figures are not checked against the source. */
        verified: z.boolean(),
        source: z.string().min(1).max(500),
      })
      .refine((e) => e.level1MgM3 < e.level2MgM3, { message: 'level1MgM3 must be below level2MgM3 (level 2 is the more severe)', path: ['level2MgM3'] })
      .optional(),
  }),
  zone: z.strictObject({
    kind: z.enum(ZONE_KINDS),
    /** False while the distances are not checked against the current ERG. */
    verified: z.boolean(),
    source: z.string().min(1).max(500),
    isolationM: z.strictObject({ small: distance.optional(), large: distance.optional() }).refine((d) => d.small !== undefined || d.large !== undefined, 'needs a small or a large distance'),
    protectiveActionM: z
      .strictObject({
        small: z.strictObject({ day: distance, night: distance }).optional(),
        large: z.strictObject({ day: distance, night: distance }).optional(),
      })
      .optional(),
  }),
  /** Where and how fast the substance gets out, for the plume (docs/emergency.md "Release rate"). */
  release: z
    .strictObject({
      /** Height of the release above ground, m. */
      heightM: z.number().finite().min(0).max(300).default(1),
      /** False while the vessel figures are not checked against the design data. */
      verified: z.boolean(),
      source: z.string().min(1).max(500),
      /** Vessels whose falling level estimates the release rate. */
      vessels: z
        .array(
          z.strictObject({
            id: idSchema,
            /** Analog level tag of the vessel. */
            levelTag: tagIdSchema,
            /** `percent`: the tag reads 0–100 % of levelSpanM; `m`: the tag reads metres. */
            levelUnit: z.enum(['percent', 'm']),
            levelSpanM: z.number().finite().positive().max(100).optional(),
            /** Liquid surface area, m², taken as constant. */
            areaM2: z.number().finite().positive().max(100_000),
            /** Liquid density, kg/m³. */
            densityKgM3: z.number().finite().positive().max(25_000),
          }),
        )
        .default([]),
    })
    .optional(),
  valves: z
    .array(
      z.strictObject({
        id: idSchema,
        name: text,
        /** Discrete tag, 1 when open (limit switch). */
        openTag: tagIdSchema,
        /** Discrete tag, 1 when closed; absent when the valve has one limit switch. */
        closedTag: tagIdSchema.optional(),
      }),
    )
    .default([]),
  steps: z
    .array(
      z.strictObject({
        seq: z.number().int().min(1),
        action: text,
        /** The responsible post (负责人). */
        post: text,
        timeLimitMin: z.number().positive().max(24 * 60).optional(),
        /** Valve ids of this card shown beside the step with their live state. */
        valves: z.array(idSchema).default([]),
      }),
    )
    .min(1),
  ppe: z.array(text).min(1),
  contacts: z.array(z.strictObject({ role: text, name: z.string().min(1).max(100).optional(), phone: z.string().regex(/^[0-9+() -]{3,30}$/, 'must be a phone number') })).min(1),
  /** Id of an assembly point on the park map. */
  assemblyPoint: idSchema,
  precautions: z.array(text).default([]),
};

const baseCardSchema = z.strictObject(cardShape);
export type EmergencyCard = z.output<typeof baseCardSchema>;
/** What a card file or a `PUT` body holds (defaults not yet applied). */
export type EmergencyCardInput = z.input<typeof baseCardSchema>;

/** What a card is checked against. */
export interface CardContext {
  park: ParkConfig;
  map: ParkMap | undefined;
}

interface TagInfo {
  kind: 'analog' | 'discrete';
  hazardSource: string | undefined;
  unit: string | undefined;
}

/** The park model's tags by id, with the hazard source each belongs to. */
export function tagIndex(park: ParkConfig): Map<string, TagInfo> {
  const out = new Map<string, TagInfo>();
  for (const s of park.sites) for (const d of s.devices) for (const t of d.tags) out.set(t.id, { kind: t.kind, hazardSource: t.hazardSource, unit: t.unit });
  return out;
}

export function tagPatternRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&'))
    .join('[a-z0-9_-]*');
  return new RegExp(`^${body}$`);
}

/** Splits `tagId:kind`; undefined when it is not of that form. */
export function parseAlarmId(alarmId: string): { tagId: string; kind: AlarmKind } | undefined {
  const at = alarmId.lastIndexOf(':');
  if (at <= 0) return undefined;
  const kind = alarmId.slice(at + 1);
  if (!(ALARM_KINDS as readonly string[]).includes(kind)) return undefined;
  return { tagId: alarmId.slice(0, at), kind: kind as AlarmKind };
}

/** The card schema bound to a park model and map: every reference must resolve. */
export function cardSchema(ctx: CardContext) {
  const tags = tagIndex(ctx.park);
  const hazardSources = new Set(ctx.park.sites.flatMap((s) => s.hazardSources.map((h) => h.id)));
  const tagIds = [...tags.keys()];
  return baseCardSchema.superRefine((c, z) => {
    const issue = (p: (string | number)[], message: string, input: unknown): void => z.addIssue({ code: 'custom', path: p, message, input });
    if (!hazardSources.has(c.card.hazardSource)) issue(['card', 'hazardSource'], `unknown hazard source "${c.card.hazardSource}" (the park model has ${[...hazardSources].join(', ')})`, c.card.hazardSource);
    c.trigger.alarms.forEach((a, i) => {
      const parsed = parseAlarmId(a);
      if (!parsed) issue(['trigger', 'alarms', i], `must be "tagId:kind" with kind one of ${ALARM_KINDS.join(', ')}, got ${JSON.stringify(a)}`, a);
      else if (!tags.has(parsed.tagId)) issue(['trigger', 'alarms', i], `unknown tag "${parsed.tagId}" (not in the park model)`, a);
    });
    c.trigger.patterns.forEach((p, i) => {
      const re = tagPatternRegExp(p.tag);
      if (!tagIds.some((id) => re.test(id))) issue(['trigger', 'patterns', i, 'tag'], `matches no tag of the park model`, p.tag);
    });
    const valveIds = new Set<string>();
    c.valves.forEach((v, i) => {
      if (valveIds.has(v.id)) issue(['valves', i, 'id'], `duplicate valve id "${v.id}"`, v.id);
      valveIds.add(v.id);
      for (const key of ['openTag', 'closedTag'] as const) {
        const id = v[key];
        if (id === undefined) continue;
        const t = tags.get(id);
        if (!t) issue(['valves', i, key], `unknown tag "${id}" (not in the park model)`, id);
        else if (t.kind !== 'discrete') issue(['valves', i, key], `tag "${id}" is analog; a valve position needs a discrete tag`, id);
      }
    });
    const vesselIds = new Set<string>();
    c.release?.vessels.forEach((v, i) => {
      if (vesselIds.has(v.id)) issue(['release', 'vessels', i, 'id'], `duplicate vessel id "${v.id}"`, v.id);
      vesselIds.add(v.id);
      const t = tags.get(v.levelTag);
      if (!t) issue(['release', 'vessels', i, 'levelTag'], `unknown tag "${v.levelTag}" (not in the park model)`, v.levelTag);
      else if (t.kind !== 'analog') issue(['release', 'vessels', i, 'levelTag'], `tag "${v.levelTag}" is discrete; a level needs an analog tag`, v.levelTag);
      else if (t.unit !== undefined && t.unit !== '' && (v.levelUnit === 'percent') !== (t.unit === '%')) issue(['release', 'vessels', i, 'levelUnit'], `tag "${v.levelTag}" reads "${t.unit}", levelUnit says ${v.levelUnit}`, v.levelUnit);
      if (v.levelUnit === 'percent' && v.levelSpanM === undefined) issue(['release', 'vessels', i, 'levelSpanM'], 'required with levelUnit percent: the height 0–100 % spans, m', undefined);
    });
    c.steps.forEach((s, i) => {
      if (s.seq !== i + 1) issue(['steps', i, 'seq'], `steps must be numbered 1, 2, 3 … in order: expected ${i + 1}, got ${s.seq}`, s.seq);
      s.valves.forEach((v, j) => {
        if (!valveIds.has(v)) issue(['steps', i, 'valves', j], `unknown valve "${v}" (this card's valves: ${[...valveIds].join(', ') || 'none'})`, v);
      });
    });
    for (const size of ['small', 'large'] as const) {
      if (c.zone.protectiveActionM?.[size] && c.zone.isolationM[size] === undefined) issue(['zone', 'isolationM', size], `required: a ${size}-spill protective action distance needs a ${size}-spill isolation distance`, undefined);
    }
    if (!ctx.map) issue(['assemblyPoint'], 'no park map loaded to find the assembly point in', c.assemblyPoint);
    else {
      const point = ctx.map.points.find((p) => p.id === c.assemblyPoint);
      if (!point) issue(['assemblyPoint'], `unknown point "${c.assemblyPoint}" (the map's assembly points: ${ctx.map.points.filter((p) => p.kind === 'assembly').map((p) => p.id).join(', ') || 'none'})`, c.assemblyPoint);
      else if (point.kind !== 'assembly') issue(['assemblyPoint'], `point "${c.assemblyPoint}" is a ${point.kind}, not an assembly point`, c.assemblyPoint);
    }
  });
}

/**
 * Reads every `*.yaml` card in `dir` (sorted by name) and checks it; all
 * problems of all files are thrown together as one ConfigError.
 */
export function loadCards(dir: string, ctx: CardContext): EmergencyCard[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([{ file: dir, path: '', reason: code === 'ENOENT' ? 'folder not found' : `cannot read the folder: ${(err as Error).message}` }]);
  }
  if (files.length === 0) throw new ConfigError([{ file: dir, path: '', reason: 'no card files (*.yaml) in the folder' }]);
  const schema = cardSchema(ctx);
  const problems: ConfigProblem[] = [];
  const cards: EmergencyCard[] = [];
  const firstFile = new Map<string, string>();
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const card = loadConfigFile(file, schema).value;
      const first = firstFile.get(card.card.id);
      if (first !== undefined) problems.push({ file, path: 'card.id', reason: `duplicate card id "${card.card.id}" (first in ${first})` });
      else {
        firstFile.set(card.card.id, file);
        cards.push(card);
      }
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return cards;
}

/** Checks a card sent over HTTP: the card, or every problem as `path: reason`. */
export function parseCard(body: unknown, ctx: CardContext): { ok: true; card: EmergencyCard } | { ok: false; problems: string[] } {
  const r = cardSchema(ctx).safeParse(body, { reportInput: true });
  if (r.success) return { ok: true, card: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => {
      const d = describeIssue(i);
      const p = formatPath(d.path);
      return p ? `${p}: ${d.reason}` : d.reason;
    }),
  };
}

export type CardMatchReason = 'alarm' | 'pattern' | 'hazard-source';

export interface CardMatch {
  card: EmergencyCard;
  /** `alarm`: listed by id; `pattern`: a tag pattern and kind; `hazard-source`: no trigger, but the alarm's tag is in the card's installation. */
  reason: CardMatchReason;
}

const REASON_RANK: Record<CardMatchReason, number> = { alarm: 0, pattern: 1, 'hazard-source': 2 };

/**
 * The cards an alarm opens, best first: cards listing the alarm id, then
 * cards with a matching tag pattern and kind; when none, the cards of the
 * alarm tag's installation (`hazardSourceOf`), so a commander still gets the
 * plan of the place that alarms.
 */
export function matchCards(cards: readonly EmergencyCard[], alarmId: string, hazardSourceOf: (tagId: string) => string | undefined): CardMatch[] {
  const parsed = parseAlarmId(alarmId);
  const out: CardMatch[] = [];
  for (const card of cards) {
    if (card.trigger.alarms.includes(alarmId)) out.push({ card, reason: 'alarm' });
    else if (parsed && card.trigger.patterns.some((p) => p.kinds.includes(parsed.kind) && tagPatternRegExp(p.tag).test(parsed.tagId))) out.push({ card, reason: 'pattern' });
  }
  if (out.length === 0 && parsed) {
    const hs = hazardSourceOf(parsed.tagId);
    if (hs !== undefined) for (const card of cards) if (card.card.hazardSource === hs) out.push({ card, reason: 'hazard-source' });
  }
  return out.sort((a, b) => REASON_RANK[a.reason] - REASON_RANK[b.reason] || a.card.card.id.localeCompare(b.card.card.id));
}

export type ValvePosition = 'open' | 'closed' | 'travel' | 'mismatch' | 'unknown';

export interface ValveState {
  id: string;
  name: { zh: string; en: string };
  position: ValvePosition;
  /** Latest source time of the readings used; absent when there are none. */
  ts?: number;
  tags: { id: string; v: number | null; q: Quality | null }[];
}

/**
 * A valve's position from its limit switches: with two, open = (1, 0),
 * closed = (0, 1), travel = (0, 0), mismatch = (1, 1); with one, 1 open and
 * 0 closed. Unknown when a reading is missing or not of good quality.
 */
export function valveState(valve: EmergencyCard['valves'][number], read: (tagId: string) => { v: number; q: Quality; ts: number } | undefined): ValveState {
  const ids = valve.closedTag !== undefined ? [valve.openTag, valve.closedTag] : [valve.openTag];
  const readings = ids.map((id) => ({ id, r: read(id) }));
  const tags = readings.map(({ id, r }) => ({ id, v: r?.v ?? null, q: r?.q ?? null }));
  const tsList = readings.flatMap(({ r }) => (r ? [r.ts] : []));
  const base = { id: valve.id, name: valve.name, tags, ...(tsList.length > 0 ? { ts: Math.max(...tsList) } : {}) };
  if (readings.some(({ r }) => !r || r.q !== 'good')) return { ...base, position: 'unknown' };
  const open = (readings[0]?.r?.v ?? 0) >= 0.5;
  if (readings.length === 1) return { ...base, position: open ? 'open' : 'closed' };
  const closed = (readings[1]?.r?.v ?? 0) >= 0.5;
  return { ...base, position: open && closed ? 'mismatch' : open ? 'open' : closed ? 'closed' : 'travel' };
}
