/**
 * Alarm rules: one normalized, immutable rule per (tag, kind), and the one
 * place where rules are derived from the park model (`rulesFromPark`). No
 * state and no I/O here; the engine (engine.ts) evaluates the rules.
 * Described in docs/alarms.md ("Rules and defaults").
 *
 * Two scales meet here and are kept apart (DOMAIN.md §8): a rule's process
 * alarm `priority` (critical/high/medium/low) and, for gas detectors only,
 * its GB/T 50493 `gdsLevel` (1 or 2). The mapping between them is the table
 * `ALARM_DEFAULTS.gasPriority`; neither is ever stored in the other's field.
 */

import { ALARM_KINDS, ALARM_PRIORITIES, isAlarmId, type AlarmKind, type AlarmPriority } from '@park/protocol';
import type { LocalizedText, ParkConfig, TagConfig } from '@park/protocol/config';

/**
 * GB/T 50493-2019 gas alarm level (一级 / 二级报警): its own scale, never an
 * alarm priority. Level 1 ≤ 25 %LEL or ≤ 100 % OEL; level 2 ≤ 50 %LEL or
 * ≤ 200 % OEL (DOMAIN.md §2.1).
 */
export type GdsLevel = 1 | 2;

/** Limit kinds, in the order the engine evaluates them for one reading (so a jump past HH reports H first). */
export const LIMIT_KINDS = ['h', 'hh', 'l', 'll'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

/** The language of `AlarmEvent.message`; the rule keeps both templates. */
export type MessageLanguage = keyof LocalizedText;

/**
 * Every default of the alarm rules and the engine, in one object. Durations
 * in ms, counts as plain numbers. `rulesFromPark` and the engine read it;
 * docs/alarms.md ("Rules and defaults") describes each entry.
 */
export interface AlarmDefaults {
  /**
   * Priority per kind for process tags. Gas detectors take `gasPriority` for
   * h/hh; discrete tags DISCRETE_ALARM_TABLE (`discrete` here only serves a
   * rule given explicitly for a tag the table does not know).
   */
  readonly priority: Readonly<Record<AlarmKind, AlarmPriority>>;
  /** Gas detectors: h is GDS level 1, hh is GDS level 2, with these priorities. */
  readonly gasPriority: Readonly<Record<'h' | 'hh', AlarmPriority>>;
  /** Units that mark a tag as a gas detector (compared case-insensitively, trimmed). */
  readonly gasUnits: readonly string[];
  /** Condition must hold this long (source time) before the alarm is raised. */
  readonly onDelayMs: number;
  /** Return-to-normal condition must hold this long before the alarm clears. */
  readonly offDelayMs: number;
  /** Window a rate of change is measured over. */
  readonly rocWindowMs: number;
  /**
   * `stale`: no good reading for this long. Must exceed the gateway's
   * integrity period (`publish.integrityPeriodMs`, 60 s by default,
   * docs/gateway.md) or every steady tag goes stale, and should exceed the
   * MQTT last-will delay (1.5 × `mqtt.keepaliveS`) so a dead gateway shows
   * one `gateway-offline` alarm rather than one `stale` alarm per tag.
   */
  readonly staleAfterMs: number;
  /** An unacknowledged `critical` alarm escalates to commanders after this long. */
  readonly escalateAfterMs: number;
  /** Flood: rolling window of annunciations per area. */
  readonly floodWindowMs: number;
  /** Flood starts when more than this many alarms were annunciated in the window… */
  readonly floodStartAbove: number;
  /** …and ends when fewer than this many remain in it. */
  readonly floodEndBelow: number;
  /** Chattering: at least `chatterChanges` raises/clears of one alarm within this window. */
  readonly chatterWindowMs: number;
  readonly chatterChanges: number;
  /** Language of `AlarmEvent.message`. */
  readonly messageLanguage: MessageLanguage;
}

export const ALARM_DEFAULTS = {
  priority: {
    hh: 'high',
    h: 'medium',
    l: 'medium',
    ll: 'high',
    roc: 'medium',
    discrete: 'medium',
    'bad-quality': 'low',
    stale: 'medium',
    'gateway-offline': 'high',
  },
  gasPriority: { h: 'high', hh: 'critical' },
  gasUnits: ['%LEL', 'ppm'],
  onDelayMs: 0,
  offDelayMs: 0,
  rocWindowMs: 60_000,
  staleAfterMs: 120_000,
  escalateAfterMs: 60_000,
  floodWindowMs: 10 * 60_000,
  floodStartAbove: 10,
  floodEndBelow: 5,
  chatterWindowMs: 60_000,
  chatterChanges: 3,
  messageLanguage: 'en',
} as const satisfies AlarmDefaults;

/**
 * One alarm: the rule for one (tag, kind). Immutable; build with
 * `normalizeRule` (fills defaults) and check with `checkRules`.
 */
export interface AlarmRule {
  /** `${tagId}:${kind}` (ALARM_ID_PATTERN), e.g. `a.hs01.t101.level:hh`. */
  readonly id: string;
  /** The tag; for `gateway-offline`, the gateway id. */
  readonly tagId: string;
  readonly kind: AlarmKind;
  readonly priority: AlarmPriority;
  /** GB/T 50493 level of a gas detector's h (1) or hh (2) alarm, or a GDS-reported discrete level; null otherwise. */
  readonly gdsLevel: GdsLevel | null;
  /** The gateway that publishes the tag (its own id for `gateway-offline`); null when unknown. */
  readonly gateway: string | null;
  /** Flood detection area (the site id from the park model). */
  readonly area: string;
  /** `hh`…`ll`: the limit in engineering units; `roc`: units per minute (compared with the absolute rate); null otherwise. */
  readonly limit: number | null;
  /**
   * Hysteresis before returning to normal, in the limit's units: a high
   * alarm clears below `limit - deadband`, a low one above `limit + deadband`,
   * a rate alarm below `limit - deadband`. 0 for other kinds.
   */
  readonly deadband: number;
  /** Condition must hold this long before raising (0: at once). */
  readonly onDelayMs: number;
  /** Return-to-normal must hold this long before clearing (0: at once). */
  readonly offDelayMs: number;
  /** `roc`: window the rate is measured over; null otherwise. */
  readonly rocWindowMs: number | null;
  /** `discrete`: the value (0 or 1) that is the alarm condition; null otherwise. */
  readonly activeValue: 0 | 1 | null;
  /** `stale`: no good reading for this long raises it; null otherwise. */
  readonly staleAfterMs: number | null;
  /** Engineering unit of the tag (may be empty). */
  readonly unit: string;
  /** The tag's (or gateway's) name in both languages, used in messages. */
  readonly name: LocalizedText;
  /**
   * Message templates. Placeholders: `{name}`, `{tag}`, `{value}`, `{limit}`,
   * `{unit}`, `{err}` (the reading's reason, bad quality), `{window}` (stale).
   */
  readonly message: LocalizedText;
}

/** What `normalizeRule` needs; everything else comes from the defaults. */
export interface AlarmRuleInput {
  tagId: string;
  kind: AlarmKind;
  priority?: AlarmPriority;
  gdsLevel?: GdsLevel | null;
  gateway?: string | null;
  area?: string;
  limit?: number | null;
  deadband?: number;
  onDelayMs?: number;
  offDelayMs?: number;
  rocWindowMs?: number;
  activeValue?: 0 | 1;
  staleAfterMs?: number;
  unit?: string;
  name?: LocalizedText;
  message?: LocalizedText;
}

// ---------------------------------------------------------------------------
// Discrete points: the naming convention, as one table.

export interface DiscreteAlarmEntry {
  /** Matches a tag whose last id segment is this, or ends with `_<suffix>` or `-<suffix>`. */
  readonly suffix: string;
  readonly priority: AlarmPriority;
  /** Set only for GDS-reported levels; a separate scale from priority. */
  readonly gdsLevel?: GdsLevel;
  /** What the active state means, shown after the tag name. */
  readonly label: LocalizedText;
}

/**
 * Discrete tags that alarm when their value is 1, and with which priority
 * and label, decided by the tag id's last segment (equal to the suffix or
 * ending with `_suffix` / `-suffix`), first match wins (so `sis_trip`
 * matches before the generic `trip`). A discrete tag that matches no entry
 * is a status point (`xv_open`, `fan_running`, `esd_closed`…): no discrete
 * alarm, only bad-quality and stale. Until the park schema has explicit
 * `alarm:` options this table is the configuration.
 */
export const DISCRETE_ALARM_TABLE: readonly DiscreteAlarmEntry[] = [
  { suffix: 'sis_trip', priority: 'critical', label: { zh: 'SIS联锁动作', en: 'SIS trip' } },
  { suffix: 'esd', priority: 'critical', label: { zh: '紧急停车', en: 'emergency shutdown' } },
  { suffix: 'hh_trip', priority: 'critical', label: { zh: '高高联锁动作', en: 'high-high trip' } },
  { suffix: 'll_trip', priority: 'critical', label: { zh: '低低联锁动作', en: 'low-low trip' } },
  { suffix: 'trip', priority: 'critical', label: { zh: '联锁动作', en: 'trip' } },
  { suffix: 'alarm2', priority: 'critical', gdsLevel: 2, label: { zh: '气体二级报警', en: 'gas alarm level 2' } },
  { suffix: 'alarm1', priority: 'high', gdsLevel: 1, label: { zh: '气体一级报警', en: 'gas alarm level 1' } },
  { suffix: 'bypass', priority: 'medium', label: { zh: '旁路投用', en: 'bypass active' } },
  { suffix: 'mismatch', priority: 'medium', label: { zh: '阀位不一致', en: 'position mismatch' } },
  { suffix: 'fault', priority: 'medium', label: { zh: '故障', en: 'fault' } },
];

/** Label of an explicitly configured discrete alarm on a tag the table does not know. */
const DISCRETE_LABEL: LocalizedText = { zh: '动作', en: 'active' };

/** The table entry for a discrete tag id, or null: a status point, no alarm derived. */
export function discreteEntryFor(tagId: string): DiscreteAlarmEntry | null {
  const last = tagId.slice(tagId.lastIndexOf('.') + 1);
  for (const entry of DISCRETE_ALARM_TABLE) {
    const s = entry.suffix;
    if (last === s || last.endsWith(`_${s}`) || last.endsWith(`-${s}`)) return entry;
  }
  return null;
}

// ---------------------------------------------------------------------------
// Message templates.

const LIMIT_TEMPLATES: Readonly<Record<LimitKind, LocalizedText>> = {
  hh: { en: '{name} high high {value} {unit} (limit {limit} {unit})', zh: '{name} 高高报警 {value} {unit}（限值 {limit} {unit}）' },
  h: { en: '{name} high {value} {unit} (limit {limit} {unit})', zh: '{name} 高报警 {value} {unit}（限值 {limit} {unit}）' },
  l: { en: '{name} low {value} {unit} (limit {limit} {unit})', zh: '{name} 低报警 {value} {unit}（限值 {limit} {unit}）' },
  ll: { en: '{name} low low {value} {unit} (limit {limit} {unit})', zh: '{name} 低低报警 {value} {unit}（限值 {limit} {unit}）' },
};

const GAS_TEMPLATES: Readonly<Record<GdsLevel, LocalizedText>> = {
  1: { en: '{name} gas alarm level 1 {value} {unit} (set point {limit} {unit})', zh: '{name} 一级报警 {value} {unit}（报警设定值 {limit} {unit}）' },
  2: { en: '{name} gas alarm level 2 {value} {unit} (set point {limit} {unit})', zh: '{name} 二级报警 {value} {unit}（报警设定值 {limit} {unit}）' },
};

const OTHER_TEMPLATES: Readonly<Record<'roc' | 'bad-quality' | 'stale' | 'gateway-offline', LocalizedText>> = {
  roc: { en: '{name} rate of change {value} {unit}/min (limit {limit} {unit}/min)', zh: '{name} 变化率 {value} {unit}/min（限值 {limit} {unit}/min）' },
  'bad-quality': { en: '{name}: instrument fault ({err})', zh: '{name}：仪表故障（{err}）' },
  stale: { en: '{name}: no good value for {window}', zh: '{name}：{window}内无有效数据' },
  'gateway-offline': { en: 'Gateway {tag} offline', zh: '网关 {tag} 离线' },
};

function discreteTemplate(entry: DiscreteAlarmEntry | null): LocalizedText {
  const label = entry?.label ?? DISCRETE_LABEL;
  return { en: `{name}: ${label.en}`, zh: `{name}：${label.zh}` };
}

/** The default templates for a rule. */
export function defaultTemplate(kind: AlarmKind, gdsLevel: GdsLevel | null, tagId: string): LocalizedText {
  switch (kind) {
    case 'hh':
    case 'h':
    case 'l':
    case 'll':
      return gdsLevel !== null ? GAS_TEMPLATES[gdsLevel] : LIMIT_TEMPLATES[kind];
    case 'discrete':
      return discreteTemplate(discreteEntryFor(tagId));
    default:
      return OTHER_TEMPLATES[kind];
  }
}

/** Values filled into a template; absent ones render as `—`. */
export interface MessageVars {
  value?: number | null;
  err?: string;
}

/** A number as operators read it: at most three decimals, no trailing zeros. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const rounded = Math.round(x * 1000) / 1000;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

function formatWindow(ms: number | null): string {
  if (ms === null) return '—';
  return ms % 60_000 === 0 && ms >= 60_000 ? `${ms / 60_000} min` : `${formatNumber(ms / 1000)} s`;
}

/** The operator text of `rule` in `language` (not on a hot path: called per transition). */
export function renderMessage(rule: AlarmRule, language: MessageLanguage, vars: MessageVars): string {
  const text = rule.message[language].replace(/\{(\w+)\}/g, (whole, key: string) => {
    switch (key) {
      case 'name':
        return rule.name[language];
      case 'tag':
        return rule.tagId;
      case 'value':
        return formatNumber(vars.value);
      case 'limit':
        return formatNumber(rule.limit);
      case 'unit':
        return rule.unit;
      case 'err':
        return vars.err !== undefined && vars.err !== '' ? vars.err : 'q=bad';
      case 'window':
        return formatWindow(rule.staleAfterMs);
      default:
        return whole;
    }
  });
  // An empty unit leaves doubled or dangling spaces: "9  (limit 5 )".
  return text.replace(/ {2,}/g, ' ').replace(/ ([)）])/g, '$1').replace(/ \/min/g, '/min').trim();
}

// ---------------------------------------------------------------------------
// Normalization and checks.

/** The alarm id of a (tag, kind): `${tagId}:${kind}`. */
export function alarmIdOf(tagId: string, kind: AlarmKind): string {
  return `${tagId}:${kind}`;
}

/** True for kinds whose condition comes from the tag's value (frozen while the tag is bad). */
export function isValueKind(kind: AlarmKind): boolean {
  return kind === 'hh' || kind === 'h' || kind === 'l' || kind === 'll' || kind === 'roc' || kind === 'discrete';
}

/** A full rule from `input`, every missing field taken from `defaults`. Does not validate: see checkRules. */
export function normalizeRule(input: AlarmRuleInput, defaults: AlarmDefaults = ALARM_DEFAULTS): AlarmRule {
  const { tagId, kind } = input;
  const gdsLevel = input.gdsLevel ?? null;
  const discrete = kind === 'discrete' ? discreteEntryFor(tagId) : null;
  const priority = input.priority ?? discrete?.priority ?? defaults.priority[kind];
  const hasLimit = kind === 'hh' || kind === 'h' || kind === 'l' || kind === 'll' || kind === 'roc';
  return {
    id: alarmIdOf(tagId, kind),
    tagId,
    kind,
    priority,
    gdsLevel: gdsLevel ?? discrete?.gdsLevel ?? null,
    gateway: input.gateway ?? (kind === 'gateway-offline' ? tagId : null),
    area: input.area ?? '',
    limit: hasLimit ? (input.limit ?? null) : null,
    deadband: hasLimit ? (input.deadband ?? 0) : 0,
    onDelayMs: input.onDelayMs ?? defaults.onDelayMs,
    offDelayMs: input.offDelayMs ?? defaults.offDelayMs,
    rocWindowMs: kind === 'roc' ? (input.rocWindowMs ?? defaults.rocWindowMs) : null,
    activeValue: kind === 'discrete' ? (input.activeValue ?? 1) : null,
    staleAfterMs: kind === 'stale' ? (input.staleAfterMs ?? defaults.staleAfterMs) : null,
    unit: input.unit ?? '',
    name: input.name ?? (kind === 'gateway-offline' ? { zh: `网关 ${tagId}`, en: `Gateway ${tagId}` } : { zh: tagId, en: tagId }),
    message: input.message ?? defaultTemplate(kind, gdsLevel ?? discrete?.gdsLevel ?? null, tagId),
  };
}

function isNonNegative(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

/**
 * Every problem of a rule set, each naming the alarm id; empty when the set
 * is usable. The engine refuses to start with any (a configuration error).
 */
export function checkRules(rules: readonly AlarmRule[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const gatewayOfTag = new Map<string, string | null>();
  for (const [i, r] of rules.entries()) {
    const at = `rule ${i} "${String(r.id)}"`;
    if (!(ALARM_KINDS as readonly unknown[]).includes(r.kind)) {
      problems.push(`${at}: unknown kind ${JSON.stringify(r.kind)}`);
      continue;
    }
    if (r.id !== alarmIdOf(r.tagId, r.kind)) problems.push(`${at}: id must be "${alarmIdOf(r.tagId, r.kind)}"`);
    else if (!isAlarmId(r.id)) problems.push(`${at}: not a valid alarm id (ALARM_ID_PATTERN)`);
    if (seen.has(r.id)) problems.push(`${at}: duplicate alarm id`);
    seen.add(r.id);
    if (!(ALARM_PRIORITIES as readonly unknown[]).includes(r.priority)) problems.push(`${at}: unknown priority ${JSON.stringify(r.priority)}`);
    if (r.gdsLevel !== null && r.gdsLevel !== 1 && r.gdsLevel !== 2) problems.push(`${at}: gdsLevel must be 1, 2 or null`);
    const hasLimit = r.kind === 'hh' || r.kind === 'h' || r.kind === 'l' || r.kind === 'll' || r.kind === 'roc';
    if (hasLimit && (typeof r.limit !== 'number' || !Number.isFinite(r.limit))) problems.push(`${at}: limit must be a finite number`);
    if (!hasLimit && r.limit !== null) problems.push(`${at}: limit must be null for kind "${r.kind}"`);
    if (r.kind === 'roc' && typeof r.limit === 'number' && r.limit <= 0) problems.push(`${at}: a rate limit must be above 0 (units per minute, compared with the absolute rate)`);
    if (!isNonNegative(r.deadband)) problems.push(`${at}: deadband must be a finite number ≥ 0`);
    if (r.kind === 'roc' && isNonNegative(r.deadband) && typeof r.limit === 'number' && r.deadband >= r.limit) problems.push(`${at}: deadband must be below the rate limit`);
    if (!isNonNegative(r.onDelayMs)) problems.push(`${at}: onDelayMs must be a finite number ≥ 0`);
    if (!isNonNegative(r.offDelayMs)) problems.push(`${at}: offDelayMs must be a finite number ≥ 0`);
    if (r.kind === 'roc' && !(isNonNegative(r.rocWindowMs) && r.rocWindowMs > 0)) problems.push(`${at}: rocWindowMs must be above 0`);
    if (r.kind === 'discrete' && r.activeValue !== 0 && r.activeValue !== 1) problems.push(`${at}: activeValue must be 0 or 1`);
    if (r.kind === 'stale' && !(isNonNegative(r.staleAfterMs) && r.staleAfterMs > 0)) problems.push(`${at}: staleAfterMs must be above 0`);
    if (r.kind === 'gateway-offline') {
      if (r.gateway !== r.tagId) problems.push(`${at}: gateway must equal tagId for a gateway-offline alarm`);
    } else {
      const known = gatewayOfTag.get(r.tagId);
      if (known === undefined) gatewayOfTag.set(r.tagId, r.gateway);
      else if (known !== r.gateway) problems.push(`${at}: gateway "${String(r.gateway)}" differs from "${String(known)}" in another rule of tag "${r.tagId}"`);
    }
    if (typeof r.message?.zh !== 'string' || typeof r.message?.en !== 'string') problems.push(`${at}: message needs zh and en templates`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Derivation from the park model: the one place.

/** True when the unit marks a gas detector (GB/T 50493 semantics for h/hh). */
export function isGasUnit(unit: string, defaults: AlarmDefaults = ALARM_DEFAULTS): boolean {
  const u = unit.trim().toLowerCase();
  return defaults.gasUnits.some((g) => g.toLowerCase() === u);
}

function tagRules(tag: TagConfig, gateway: string, area: string, defaults: AlarmDefaults): AlarmRule[] {
  const base = { tagId: tag.id, gateway, area, unit: tag.unit, name: tag.description };
  const rules: AlarmRule[] = [];
  if (tag.kind === 'discrete') {
    if (discreteEntryFor(tag.id) !== null) rules.push(normalizeRule({ ...base, kind: 'discrete', activeValue: 1 }, defaults));
  } else if (tag.limits) {
    const gas = isGasUnit(tag.unit, defaults);
    for (const kind of LIMIT_KINDS) {
      const limit = tag.limits[kind];
      if (limit === undefined) continue;
      const gdsLevel: GdsLevel | null = gas && kind === 'h' ? 1 : gas && kind === 'hh' ? 2 : null;
      const priority = gas && (kind === 'h' || kind === 'hh') ? defaults.gasPriority[kind] : defaults.priority[kind];
      rules.push(normalizeRule({ ...base, kind, priority, gdsLevel, limit, deadband: tag.limits.deadband }, defaults));
    }
  }
  rules.push(normalizeRule({ ...base, kind: 'bad-quality' }, defaults));
  rules.push(normalizeRule({ ...base, kind: 'stale' }, defaults));
  return rules;
}

/**
 * The alarm rules of a park: per analog tag its configured limits
 * (hh/h/l/ll; gas detectors, tags in `gasUnits`, get GB/T 50493 levels:
 * h = level 1, hh = level 2), per discrete tag named in DISCRETE_ALARM_TABLE
 * one `discrete` alarm when 1 (other discrete tags are status points), per
 * tag `bad-quality` and `stale`, per gateway
 * `gateway-offline`. Flood area: the site id. Rate-of-change alarms need a
 * limit the park schema does not have yet, so none are derived.
 */
export function rulesFromPark(park: ParkConfig, defaults: AlarmDefaults = ALARM_DEFAULTS): AlarmRule[] {
  const rules: AlarmRule[] = [];
  const gateways = new Map<string, string>();
  for (const site of park.sites) {
    if (!gateways.has(site.gateway)) gateways.set(site.gateway, site.id);
    for (const device of site.devices) {
      for (const tag of device.tags) rules.push(...tagRules(tag, site.gateway, site.id, defaults));
    }
  }
  for (const [gateway, area] of gateways) rules.push(normalizeRule({ tagId: gateway, kind: 'gateway-offline', gateway, area }, defaults));
  return rules;
}

/** GB/T 50493-2019 5.5.2 maxima for combustible point detectors, in %LEL. */
export const GAS_LEL_MAXIMA = { 1: 25, 2: 50 } as const satisfies Record<GdsLevel, number>;

/**
 * Set points of %LEL detectors above the GB/T 50493 maxima (level 1 ≤ 25,
 * level 2 ≤ 50 %LEL), one line each. Toxic detectors (ppm) are not checked:
 * their maxima depend on the gas's OEL, which is data the park does not have yet.
 */
export function checkGasSetpoints(rules: readonly AlarmRule[]): string[] {
  const problems: string[] = [];
  for (const r of rules) {
    if (r.gdsLevel === null || r.limit === null || r.unit.trim().toLowerCase() !== '%lel') continue;
    const max = GAS_LEL_MAXIMA[r.gdsLevel];
    if (r.limit > max) problems.push(`${r.id}: level ${r.gdsLevel} set point ${formatNumber(r.limit)} %LEL is above the GB/T 50493 maximum of ${max} %LEL`);
  }
  return problems;
}
