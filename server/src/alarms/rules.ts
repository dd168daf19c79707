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
import { DEFAULT_SUPPRESSED_KINDS, GAS_ALARM_SETPOINTS, gasSetpointMaxima, type LocalizedText, type ParkConfig, type TagConfig } from '@park/protocol/config';

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
  /** A discrete alarm declared an SIS trip (`alarms.discrete.trip`) without a priority of its own. */
  readonly tripPriority: AlarmPriority;
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
  /** First-out: how far before an SIS trip or a flood start the cascade's first alarm is looked for. */
  readonly firstOutWindowMs: number;
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
    frozen: 'medium',
  },
  tripPriority: 'critical',
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
  firstOutWindowMs: 10 * 60_000,
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
  /** `frozen`: exactly the same value for this long (engine clock) raises it; null otherwise. */
  readonly frozenAfterMs: number | null;
  /** Hazard source of the tag (first-out scope); null for park-wide points and gateways. */
  readonly hazardSource: string | null;
  /** An SIS trip / ESD: its raise starts a first-out search in its hazard source. */
  readonly firstOutTrigger: boolean;
  /** Suppressed by design while another tag has a value; null: no such logic. */
  readonly suppressWhen: SuppressionSpec | null;
  /** `discrete` only: valve feedback mismatch over other tags instead of the tag's own value; null otherwise. */
  readonly mismatch: MismatchSpec | null;
  /** Engineering unit of the tag (may be empty). */
  readonly unit: string;
  /** The tag's (or gateway's) name in both languages, used in messages. */
  readonly name: LocalizedText;
  /**
   * Message templates. Placeholders: `{name}`, `{tag}`, `{value}`, `{limit}`,
   * `{unit}`, `{err}` (the reading's reason, bad quality), `{window}` (stale,
   * frozen), `{detail}` (mismatch: which feedback disagrees).
   */
  readonly message: LocalizedText;
}

/**
 * Suppression by design: while `tag` reads `equals` (a discrete tag: 0 or 1;
 * any non-zero value counts as 1), the alarm is `suppressed`; the condition
 * must be false for `releaseAfterMs` before suppression ends. `name` is the
 * logic's name, the `user` of its suppress/unsuppress transitions.
 */
export interface SuppressionSpec {
  readonly tag: string;
  readonly equals: number;
  readonly releaseAfterMs: number;
  readonly name: string;
}

/** Valve position feedback tags (discrete, 1 = at that end; command 1 = open). */
export interface MismatchSpec {
  readonly openTag: string;
  readonly closedTag: string;
  readonly commandTag: string | null;
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
  frozenAfterMs?: number;
  hazardSource?: string | null;
  firstOutTrigger?: boolean;
  suppressWhen?: SuppressionSpec | null;
  mismatch?: MismatchSpec | null;
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
  /** An SIS trip or ESD: its raise marks the first-out of its hazard source. */
  readonly trip?: boolean;
  /** What the active state means, shown after the tag name. */
  readonly label: LocalizedText;
}

/**
 * Discrete tags that alarm when their value is 1, and with which priority
 * and label, decided by the tag id's last segment (equal to the suffix or
 * ending with `_suffix` / `-suffix`), first match wins (so `sis_trip`
 * matches before the generic `trip`). A discrete tag that matches no entry
 * is a status point (`xv_open`, `fan_running`, `esd_closed`…): no discrete
 * alarm, only bad-quality and stale. A tag's `alarms.discrete` options
 * override its entry (or give an alarm to a tag the table does not know).
 */
export const DISCRETE_ALARM_TABLE: readonly DiscreteAlarmEntry[] = [
  { suffix: 'sis_trip', priority: 'critical', trip: true, label: { zh: 'SIS联锁动作', en: 'SIS trip' } },
  { suffix: 'esd', priority: 'critical', trip: true, label: { zh: '紧急停车', en: 'emergency shutdown' } },
  { suffix: 'hh_trip', priority: 'critical', trip: true, label: { zh: '高高联锁动作', en: 'high-high trip' } },
  { suffix: 'll_trip', priority: 'critical', trip: true, label: { zh: '低低联锁动作', en: 'low-low trip' } },
  { suffix: 'trip', priority: 'critical', trip: true, label: { zh: '联锁动作', en: 'trip' } },
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

/** Label of a valve mismatch alarm (the naming table's `mismatch` entry). */
const MISMATCH_LABEL: LocalizedText = { zh: '阀位不一致', en: 'position mismatch' };

const OTHER_TEMPLATES: Readonly<Record<'roc' | 'bad-quality' | 'stale' | 'gateway-offline' | 'frozen', LocalizedText>> = {
  frozen: { en: '{name}: value frozen at {value} {unit} for {window}', zh: '{name}：数值{window}未变化（{value} {unit}），疑似仪表冻结' },
  roc: { en: '{name} rate of change {value} {unit}/min (limit {limit} {unit}/min)', zh: '{name} 变化率 {value} {unit}/min（限值 {limit} {unit}/min）' },
  'bad-quality': { en: '{name}: instrument fault ({err})', zh: '{name}：仪表故障（{err}）' },
  stale: { en: '{name}: no good value for {window}', zh: '{name}：{window}内无有效数据' },
  'gateway-offline': { en: 'Gateway {tag} offline', zh: '网关 {tag} 离线' },
};

function discreteTemplate(entry: DiscreteAlarmEntry | null): LocalizedText {
  return labelTemplate(entry?.label ?? DISCRETE_LABEL);
}

/** `{name}: <label>`, the template of a discrete alarm with this meaning. */
export function labelTemplate(label: LocalizedText): LocalizedText {
  return { en: `{name}: ${label.en}`, zh: `{name}：${label.zh}` };
}

/** Template of a valve mismatch alarm; `{detail}` says which feedback disagrees. */
export function mismatchTemplate(label: LocalizedText = MISMATCH_LABEL): LocalizedText {
  return { en: `{name}: ${label.en} ({detail})`, zh: `{name}：${label.zh}（{detail}）` };
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
  /** Mismatch: which feedback disagrees. */
  detail?: string;
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
        return formatWindow(rule.staleAfterMs ?? rule.frozenAfterMs);
      case 'detail':
        return vars.detail !== undefined && vars.detail !== '' ? vars.detail : '—';
      default:
        return whole;
    }
  });
  // An empty unit leaves doubled or dangling spaces: "9  (limit 5 )".
  return text.replace(/ {2,}/g, ' ').replace(/ ([)）])/g, '$1').replace(/ \/min/g, '/min').trim();
}

// ---------------------------------------------------------------------------
// Normalization and checks.

/**
 * The alarm id of a (tag, kind): `${tagId}:${kind}`, as one flat string. A
 * template literal gives a rope of two nodes, which the first map lookup
 * flattens into a third: 80 bytes instead of 48 for each of a park's
 * rules, two or more per tag.
 */
export function alarmIdOf(tagId: string, kind: AlarmKind): string {
  return [tagId, kind].join(':');
}

/** `id === alarmIdOf(tagId, kind)`, without building the id. */
function isIdOf(id: unknown, tagId: unknown, kind: string): boolean {
  const t = String(tagId);
  return typeof id === 'string' && id.length === t.length + 1 + kind.length && id.startsWith(t) && id.charCodeAt(t.length) === 0x3a && id.endsWith(kind);
}

/** True for kinds whose condition comes from the tag's value (held while the tag is bad). */
export function isValueKind(kind: AlarmKind): boolean {
  return kind === 'hh' || kind === 'h' || kind === 'l' || kind === 'll' || kind === 'roc' || kind === 'discrete' || kind === 'frozen';
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
    frozenAfterMs: kind === 'frozen' ? (input.frozenAfterMs ?? null) : null,
    hazardSource: input.hazardSource ?? null,
    firstOutTrigger: input.firstOutTrigger ?? (discrete?.trip === true && input.mismatch == null),
    suppressWhen: input.suppressWhen ?? null,
    mismatch: kind === 'discrete' ? (input.mismatch ?? null) : null,
    unit: input.unit ?? '',
    name: input.name ?? (kind === 'gateway-offline' ? { zh: `网关 ${tagId}`, en: `Gateway ${tagId}` } : { zh: tagId, en: tagId }),
    message: input.message ?? (kind === 'discrete' && input.mismatch ? mismatchTemplate() : defaultTemplate(kind, gdsLevel ?? discrete?.gdsLevel ?? null, tagId)),
  };
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function isNonNegative(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

/** How a problem names its rule; built only for a problem (a string per rule was 10 MB of start-up garbage with 50,000 tags). */
function ruleAt(i: number, r: AlarmRule): string {
  return `rule ${i} "${String(r.id)}"`;
}

/**
 * Every problem of a rule set, each naming the alarm id; empty when the set
 * is usable. The engine refuses to start with any (a configuration error).
 */
export function checkRules(rules: readonly AlarmRule[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const gatewayOfTag = new Map<string, string | null>();
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as AlarmRule;
    if (!(ALARM_KINDS as readonly unknown[]).includes(r.kind)) {
      problems.push(`${ruleAt(i, r)}: unknown kind ${JSON.stringify(r.kind)}`);
      continue;
    }
    if (!isIdOf(r.id, r.tagId, r.kind)) problems.push(`${ruleAt(i, r)}: id must be "${alarmIdOf(r.tagId, r.kind)}"`);
    else if (!isAlarmId(r.id)) problems.push(`${ruleAt(i, r)}: not a valid alarm id (ALARM_ID_PATTERN)`);
    if (seen.has(r.id)) problems.push(`${ruleAt(i, r)}: duplicate alarm id`);
    seen.add(r.id);
    if (!(ALARM_PRIORITIES as readonly unknown[]).includes(r.priority)) problems.push(`${ruleAt(i, r)}: unknown priority ${JSON.stringify(r.priority)}`);
    if (r.gdsLevel !== null && r.gdsLevel !== 1 && r.gdsLevel !== 2) problems.push(`${ruleAt(i, r)}: gdsLevel must be 1, 2 or null`);
    const hasLimit = r.kind === 'hh' || r.kind === 'h' || r.kind === 'l' || r.kind === 'll' || r.kind === 'roc';
    if (hasLimit && (typeof r.limit !== 'number' || !Number.isFinite(r.limit))) problems.push(`${ruleAt(i, r)}: limit must be a finite number`);
    if (!hasLimit && r.limit !== null) problems.push(`${ruleAt(i, r)}: limit must be null for kind "${r.kind}"`);
    if (r.kind === 'roc' && typeof r.limit === 'number' && r.limit <= 0) problems.push(`${ruleAt(i, r)}: a rate limit must be above 0 (units per minute, compared with the absolute rate)`);
    if (!isNonNegative(r.deadband)) problems.push(`${ruleAt(i, r)}: deadband must be a finite number ≥ 0`);
    if (r.kind === 'roc' && isNonNegative(r.deadband) && typeof r.limit === 'number' && r.deadband >= r.limit) problems.push(`${ruleAt(i, r)}: deadband must be below the rate limit`);
    if (!isNonNegative(r.onDelayMs)) problems.push(`${ruleAt(i, r)}: onDelayMs must be a finite number ≥ 0`);
    if (!isNonNegative(r.offDelayMs)) problems.push(`${ruleAt(i, r)}: offDelayMs must be a finite number ≥ 0`);
    if (r.kind === 'roc' && !(isNonNegative(r.rocWindowMs) && r.rocWindowMs > 0)) problems.push(`${ruleAt(i, r)}: rocWindowMs must be above 0`);
    if (r.kind === 'discrete' && r.activeValue !== 0 && r.activeValue !== 1) problems.push(`${ruleAt(i, r)}: activeValue must be 0 or 1`);
    if (r.kind === 'stale' && !(isNonNegative(r.staleAfterMs) && r.staleAfterMs > 0)) problems.push(`${ruleAt(i, r)}: staleAfterMs must be above 0`);
    if (r.kind === 'frozen' && !(isNonNegative(r.frozenAfterMs) && r.frozenAfterMs > 0)) problems.push(`${ruleAt(i, r)}: frozenAfterMs must be above 0`);
    if (r.kind !== 'frozen' && r.frozenAfterMs != null) problems.push(`${ruleAt(i, r)}: frozenAfterMs must be null for kind "${r.kind}"`);
    const sw = r.suppressWhen;
    if (sw != null) {
      if (r.kind === 'gateway-offline') problems.push(`${ruleAt(i, r)}: a gateway-offline alarm cannot be suppressed by a tag`);
      if (typeof sw.tag !== 'string' || sw.tag === '') problems.push(`${ruleAt(i, r)}: suppressWhen.tag must be a tag id`);
      else if (sw.tag === r.tagId) problems.push(`${ruleAt(i, r)}: suppressWhen.tag must be another tag`);
      if (!isFiniteNumber(sw.equals)) problems.push(`${ruleAt(i, r)}: suppressWhen.equals must be a finite number`);
      if (!isNonNegative(sw.releaseAfterMs)) problems.push(`${ruleAt(i, r)}: suppressWhen.releaseAfterMs must be a finite number ≥ 0`);
      if (typeof sw.name !== 'string' || sw.name.trim() === '') problems.push(`${ruleAt(i, r)}: suppressWhen.name must not be blank`);
    }
    const m = r.mismatch;
    if (m != null) {
      if (r.kind !== 'discrete') problems.push(`${ruleAt(i, r)}: mismatch only on a discrete alarm`);
      if (typeof m.openTag !== 'string' || typeof m.closedTag !== 'string' || m.openTag === m.closedTag) problems.push(`${ruleAt(i, r)}: mismatch needs two different tags, openTag and closedTag`);
    }
    if (r.kind === 'gateway-offline') {
      if (r.gateway !== r.tagId) problems.push(`${ruleAt(i, r)}: gateway must equal tagId for a gateway-offline alarm`);
    } else {
      const known = gatewayOfTag.get(r.tagId);
      if (known === undefined) gatewayOfTag.set(r.tagId, r.gateway);
      else if (known !== r.gateway) problems.push(`${ruleAt(i, r)}: gateway "${String(r.gateway)}" differs from "${String(known)}" in another rule of tag "${r.tagId}"`);
    }
    if (typeof r.message?.zh !== 'string' || typeof r.message?.en !== 'string') problems.push(`${ruleAt(i, r)}: message needs zh and en templates`);
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

const MS_PER_S = 1000;

/** The logic name of a suppression: the `user` of its transitions. */
export function suppressionName(tag: string, equals: number): string {
  return `logic:${tag}=${formatNumber(equals)}`;
}

/**
 * The rules of one tag, appended to `rules`: its `alarms:` options first,
 * then the derivations (naming table, gas units, defaults) for what they
 * leave open. Each rule's input is one object filled in place: spreading a
 * shared base and the delays into every input left three objects of
 * garbage per rule, 60 MB at the start of a park of 50,000 tags.
 */
function tagRules(tag: TagConfig, gateway: string, area: string, defaults: AlarmDefaults, rules: AlarmRule[]): void {
  const a = tag.alarms;
  const sw = a?.suppressWhen;
  const suppressed = sw ? new Set<string>(sw.kinds ?? DEFAULT_SUPPRESSED_KINDS) : null;
  const base = (kind: AlarmKind): AlarmRuleInput => ({
    tagId: tag.id,
    kind,
    gateway,
    area,
    unit: tag.unit,
    name: tag.description,
    hazardSource: tag.hazardSource ?? null,
    suppressWhen: sw && suppressed?.has(kind) ? { tag: sw.tag, equals: sw.equals, releaseAfterMs: sw.releaseAfterS * MS_PER_S, name: suppressionName(sw.tag, sw.equals) } : null,
  });
  const withDelays = (input: AlarmRuleInput): AlarmRuleInput => {
    if (a?.onDelayS !== undefined) input.onDelayMs = a.onDelayS * MS_PER_S;
    if (a?.offDelayS !== undefined) input.offDelayMs = a.offDelayS * MS_PER_S;
    return input;
  };
  if (tag.kind === 'discrete') {
    const entry = discreteEntryFor(tag.id);
    const d = a?.discrete;
    if (d !== undefined || entry !== null) {
      const input = withDelays(base('discrete'));
      input.activeValue = d?.activeValue ?? 1;
      input.priority = d?.priority ?? entry?.priority ?? (d?.trip === true ? defaults.tripPriority : defaults.priority.discrete);
      input.firstOutTrigger = d?.trip ?? entry?.trip ?? false;
      if (d?.meaning) input.message = labelTemplate(d.meaning);
      rules.push(normalizeRule(input, defaults));
    }
  } else {
    const gas = gasSetpointMaxima(tag.unit, a?.gas);
    const gasUnit = isGasUnit(tag.unit, defaults);
    for (const kind of LIMIT_KINDS) {
      const explicit = tag.limits?.[kind];
      const derived = gas !== null && (kind === 'h' || kind === 'hh') ? gas[kind === 'h' ? 1 : 2] : undefined;
      const limit = explicit ?? derived;
      if (limit === undefined) continue;
      const isGas = (gas !== null || a?.gas !== undefined || gasUnit) && (kind === 'h' || kind === 'hh');
      const input = withDelays(base(kind));
      input.priority = a?.priority?.[kind] ?? (isGas ? defaults.gasPriority[kind as 'h' | 'hh'] : defaults.priority[kind]);
      input.gdsLevel = isGas ? (kind === 'h' ? 1 : 2) : null;
      input.limit = limit;
      input.deadband = tag.limits?.deadband ?? 0;
      rules.push(normalizeRule(input, defaults));
    }
    if (a?.roc) {
      const input = withDelays(base('roc'));
      input.priority = a.priority?.roc ?? defaults.priority.roc;
      input.limit = a.roc.limit;
      input.deadband = a.roc.deadband;
      input.rocWindowMs = a.roc.windowS * MS_PER_S;
      rules.push(normalizeRule(input, defaults));
    }
    if (a?.frozenAfterS !== undefined) {
      const input = base('frozen');
      input.priority = a.priority?.frozen ?? defaults.priority.frozen;
      input.frozenAfterMs = a.frozenAfterS * MS_PER_S;
      rules.push(normalizeRule(input, defaults));
    }
  }
  const m = a?.mismatch;
  if (m) {
    const input = base('discrete');
    if (a?.offDelayS !== undefined) input.offDelayMs = a.offDelayS * MS_PER_S;
    input.onDelayMs = m.afterS * MS_PER_S;
    input.priority = m.priority ?? discreteEntryFor('mismatch')?.priority ?? defaults.priority.discrete;
    input.mismatch = { openTag: m.openTag, closedTag: m.closedTag, commandTag: m.commandTag ?? null };
    input.message = mismatchTemplate(m.meaning);
    rules.push(normalizeRule(input, defaults));
  }
  const badQuality = base('bad-quality');
  badQuality.priority = a?.priority?.['bad-quality'] ?? defaults.priority['bad-quality'];
  rules.push(normalizeRule(badQuality, defaults));
  const stale = base('stale');
  stale.priority = a?.priority?.stale ?? defaults.priority.stale;
  if (a?.staleAfterS !== undefined) stale.staleAfterMs = a.staleAfterS * MS_PER_S;
  rules.push(normalizeRule(stale, defaults));
}

/**
 * The alarm rules of a park. Per tag, its `alarms:` options where given
 * (priorities, delays, rate of change, frozen value, stale window, gas
 * levels, discrete meaning, suppression, valve mismatch), else the
 * derivations: per analog tag its configured limits (hh/h/l/ll; gas
 * detectors, `alarms.gas` or a unit in `gasUnits`, get GB/T 50493 levels:
 * h = level 1, hh = level 2, derived from the LEL/OEL when not set), per
 * discrete tag named in DISCRETE_ALARM_TABLE one `discrete` alarm when 1
 * (other discrete tags are status points), per tag `bad-quality` and
 * `stale`, per gateway `gateway-offline`. Flood area: the site id; first-out
 * scope: the tag's hazard source.
 */
export function rulesFromPark(park: ParkConfig, defaults: AlarmDefaults = ALARM_DEFAULTS): AlarmRule[] {
  const rules: AlarmRule[] = [];
  const gateways = new Map<string, string>();
  for (const site of park.sites) {
    if (!gateways.has(site.gateway)) gateways.set(site.gateway, site.id);
    for (const device of site.devices) {
      for (const tag of device.tags) tagRules(tag, site.gateway, site.id, defaults, rules);
    }
  }
  for (const [gateway, area] of gateways) rules.push(normalizeRule({ tagId: gateway, kind: 'gateway-offline', gateway, area }, defaults));
  return rules;
}

/** GB/T 50493-2019 5.5.2 maxima for combustible point detectors, in %LEL (from GAS_ALARM_SETPOINTS). */
export const GAS_LEL_MAXIMA: Readonly<Record<GdsLevel, number>> = {
  1: 100 * GAS_ALARM_SETPOINTS.combustible.maxFraction[1],
  2: 100 * GAS_ALARM_SETPOINTS.combustible.maxFraction[2],
};

/**
 * Set points of %LEL detectors above the GB/T 50493 maxima (level 1 ≤ 25,
 * level 2 ≤ 50 %LEL), one line each, for rule sets built by hand. Rules
 * from the park model are checked by the park schema instead, against
 * `alarms.gas` (LEL or OEL, toxic detectors included).
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
