/**
 * The alarm engine: pure logic, no I/O, no timers. Time comes in as
 * arguments (`nowMs`, the server's clock; readings carry their source time),
 * so every behaviour is reproducible in a unit test.
 *
 *   readings ─ onReading ─┐
 *   gateway status ───────┤                          ┌─> journal (InfluxDB `alarm`, one point each)
 *   operator actions ─────┼─> AlarmEngine ─> AlarmTransition[] ─┼─> Socket.IO `alarm`
 *   tick(nowMs), ~1 s ────┘        │                 └─> live alarm table
 *                                  └─> escalations, flood edges (tick)
 *
 * Every method returns what changed and never throws on bad input (unknown
 * tags, gateways and alarm ids are counted or refused with a reason). Only
 * the constructor throws, on an unusable rule set: a configuration error.
 *
 * Per reading the work is constant: a map lookup and the tag's few rules,
 * precomputed (plus the few mismatch alarms and suppression logics that
 * read the tag); when nothing changes nothing is allocated and the shared
 * NO_TRANSITIONS is returned. State changes go through the pure
 * `transition()` of lifecycle.ts. Described in docs/alarms.md.
 */

import {
  ALARM_PRIORITIES,
  ALARM_STATES,
  MAX_COMMENT_LENGTH,
  MAX_SHELVE_MINUTES,
  MAX_SHELVE_REASON_LENGTH,
  MAX_USERNAME_LENGTH,
  MIN_SHELVE_MINUTES,
  type AlarmEvent,
  type AlarmState,
  type Quality,
  type Reading,
} from '@park/protocol';
import { FloodDetector, type FloodEvent, type FloodStatus } from './flood.js';
import { transition, type Lifecycle, type LifecycleEvent } from './lifecycle.js';
import { RateWindow } from './rate.js';
import { ALARM_DEFAULTS, LIMIT_KINDS, checkRules, formatNumber, isValueKind, renderMessage, type AlarmDefaults, type AlarmRule, type SuppressionSpec } from './rules.js';

// ---------------------------------------------------------------------------
// Output types.

/**
 * Why a transition happened:
 * - `condition`: the alarm condition was raised or cleared (a reading, a
 *   delay completing at a tick, stale detection, gateway status);
 * - `ack`, `shelve`, `unshelve`, `suppress`, `unsuppress`, `out-of-service`,
 *   `in-service`: an operator or logic action (with `user`; for suppression
 *   by design from configuration, the logic's name `logic:<tag>=<value>`);
 * - `shelve-expired`: shelving ran out at a tick;
 * - `first-out`: the alarm was chosen as the first-out of a cascade (an SIS
 *   trip in its hazard source or a flood start in its area); the state does
 *   not change (`event.state === previous`) and `event.firstOut` is true;
 * - `restore`: never emitted by the engine (restore() announces nothing);
 *   it is reserved for consumers that label a restored record, e.g. in a
 *   start-up log.
 */
export type TransitionCause =
  | 'condition'
  | 'ack'
  | 'shelve'
  | 'unshelve'
  | 'shelve-expired'
  | 'suppress'
  | 'unsuppress'
  | 'out-of-service'
  | 'in-service'
  | 'first-out'
  | 'restore';

/**
 * One state transition: journal it, then announce it. `event.state` is the
 * state after the transition; `event.state === previous` happens only for a
 * condition change while `shelved` or `suppressed` (journalled, not
 * annunciated) and for a `first-out` marking. A transition annunciates (sound, flood count, escalation
 * clock) exactly when `event.state === 'unack' && previous !== 'unack'`.
 *
 * Timestamps of `event`, all on the engine clock (the `nowMs` passed in):
 * - `ts`: when the engine made this transition. Strictly increasing per
 *   alarm: if `nowMs` is not past the alarm's previous `ts`, it is that + 1
 *   ms, so the journal never holds two transitions of one alarm at one time
 *   and "the latest record" is well defined.
 * - `raisedAt`: the `ts` of the latest raise of the condition (inactive →
 *   active), also while shelved or suppressed; kept through ack, return to
 *   normal and shelving; 0 if never raised since start or restore.
 * - `ackedAt` / `ackedBy`: the `ts` and user of the acknowledgement of the
 *   current raise; removed by the next raise and by re-annunciation.
 * - `shelvedUntil`: `ts` of the shelve transition + the minutes; only
 *   while `shelved`.
 */
export interface AlarmTransition {
  event: AlarmEvent;
  previous: AlarmState;
  cause: TransitionCause;
  /** Who acted (operator actions; the logic's name for suppression); absent for `condition` and `shelve-expired`. */
  user?: string;
  /**
   * Source time (the reading's `ts`) of the reading that decided a
   * `condition` transition; for a delayed raise or clear, of the reading that
   * started the delay (when the process crossed). Absent when no reading
   * decided it (stale, gateway status, actions).
   */
  sourceTs?: number;
}

/** A critical alarm left unacknowledged: notify commanders. Once per annunciation. */
export interface AlarmEscalation {
  type: 'escalation';
  /** The alarm as it stands (state `unack` or `rtn-unack`). */
  event: AlarmEvent;
  /** The `nowMs` of the tick that found it overdue. */
  ts: number;
  /** When this annunciation began (`ts` of its transition into `unack`); the escalation clock starts here. */
  annunciatedAt: number;
  /** `ts - annunciatedAt`. */
  unackedForMs: number;
}

/** What a tick produced, each list oldest first. */
export interface TickResult {
  transitions: AlarmTransition[];
  escalations: AlarmEscalation[];
  /** Flood edges detected since the previous tick (a start is detected at the annunciation that crosses the threshold). */
  floods: FloodEvent[];
}

/** `invalid`: malformed argument; `unknown-alarm`: no such alarm id; `refused`: not allowed in the alarm's state. */
export type ActionErrorCode = 'invalid' | 'unknown-alarm' | 'refused';

export type ActionResult = { ok: true; transitions: AlarmTransition[] } | { ok: false; code: ActionErrorCode; error: string };

/** An event from the journal, optionally with the user of its transition (to restore who shelved). */
export type RestoreEvent = AlarmEvent & { user?: string };

export interface RestoreOptions {
  /**
   * Alarms whose current annunciation was already escalated before the
   * restart (from the escalation log). Unlisted unacknowledged critical
   * alarms escalate again when overdue: a duplicate page beats a lost one.
   */
  escalated?: Iterable<string>;
}

export interface RestoreReport {
  /** Alarms whose state was restored. */
  restored: number;
  /** Ids in the journal with no rule now (removed from the configuration); ignored. */
  unknown: string[];
  /** Records that are not alarm events (missing id, state or ts); ignored. */
  invalid: number;
}

/** Counters since the engine was created. */
export interface AlarmCounters {
  readings: number;
  /** Readings that are not `{id, ts, v, q}` with finite numbers and a known quality. */
  invalidReadings: number;
  /** Readings of tags with no rule (not in the park model). */
  unknownTagReadings: number;
  /** Replayed readings older than the tag's latest: not evaluated. */
  outOfOrderReplays: number;
  /** Live readings older than the tag's latest (source clock stepped back): evaluated. */
  clockBackwards: number;
  /** Status reports of gateways with no rule. */
  unknownGatewayReports: number;
  /** Calls with a non-finite `nowMs` or wrong argument types. */
  invalidCalls: number;
  transitions: number;
  /** Transitions into `unack` (the KPI's annunciated alarms). */
  annunciations: number;
  escalations: number;
  /** Times an alarm started chattering (≥ chatterChanges raises/clears within chatterWindowMs). */
  chatterEpisodes: number;
}

/** One line of the bad-actors list. */
export interface BadActor {
  id: string;
  /** Condition raises (also while shelved or suppressed) since start. */
  raises: number;
  /** Of which annunciated. */
  annunciations: number;
  chatterEpisodes: number;
}

export type AlarmEngineOptions = Partial<
  Pick<AlarmDefaults, 'escalateAfterMs' | 'floodWindowMs' | 'floodStartAbove' | 'floodEndBelow' | 'chatterWindowMs' | 'chatterChanges' | 'firstOutWindowMs' | 'messageLanguage'>
>;

/**
 * Where a caller that has its own per-tag record keeps the engine's state
 * of that tag (`onReading`'s `slot`), so a reading costs no lookup in the
 * engine's table of every tag: at 100,000 readings a second each lookup
 * costs 200–400 ns, mostly cache misses. Starts `undefined` (not looked up
 * yet); `null` means the engine has no rule for the tag. A slot belongs to
 * one engine: the tag's rules are fixed when the engine is made.
 */
export interface AlarmSlot {
  alarmTag: AlarmTagRef | null | undefined;
}

/** The engine's state of one tag, opaque to callers. */
export type AlarmTagRef = object;

/** Returned by onReading and onGatewayStatus when nothing changed: shared, frozen, never allocated per call. */
export const NO_TRANSITIONS: readonly AlarmTransition[] = Object.freeze([]);

/** The rule set cannot be used; `problems` lists every reason. */
export class AlarmRuleError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`alarm rules: ${problems.length} problem(s): ${problems.join('; ')}`);
    this.name = 'AlarmRuleError';
  }
}

// ---------------------------------------------------------------------------
// Internal state.

type Pending = 0 | 1 | 2;
const PENDING_NONE: Pending = 0;
const PENDING_RAISE: Pending = 1;
const PENDING_CLEAR: Pending = 2;

/** A raw condition: the value says raise, clear, or neither (inside the deadband). */
type Cond = 0 | 1 | 2;
const HOLD: Cond = 0;
const RAISE: Cond = 1;
const CLEAR: Cond = 2;

const MS_PER_MIN = 60_000;
const PRIORITY_RANK = new Map(ALARM_PRIORITIES.map((p, i) => [p, i]));

class GatewayState {
  /** null until the first status report. */
  online: boolean | null = null;
  /** A reading of one of its tags arrived (data without a status message still means it is there). */
  heard = false;
  /** Engine time of the latest offline → online change (stale windows restart here). */
  onlineSinceMs = -Infinity;
  record: AlarmRecord | null = null;
  constructor(readonly id: string) {}
}

class TagState {
  readonly limits: AlarmRecord[] = [];
  roc: AlarmRecord | null = null;
  rate: RateWindow | null = null;
  discrete: AlarmRecord | null = null;
  badQuality: AlarmRecord | null = null;
  stale: AlarmRecord | null = null;
  frozen: AlarmRecord | null = null;
  /** Frozen detection: the value seen since `frozenSinceNowMs` (engine clock); NaN: none yet (or reset by a bad reading). */
  frozenValue = Number.NaN;
  frozenSinceNowMs = Number.NaN;
  /** Mismatch alarms that read this tag (valve feedback or command); null: none. */
  watchers: AlarmRecord[] | null = null;
  /** Suppression logics this tag controls; null: none. */
  logics: SuppressionLogic[] | null = null;
  /** Source time of the latest evaluated reading. */
  lastTs = -Infinity;
  /** Quality of the latest evaluated reading; null before the first. */
  quality: Quality | null = null;
  /** Latest usable (good or uncertain) value. */
  value = Number.NaN;
  /** Engine time of the latest good live reading. */
  lastGoodNowMs = -Infinity;
  /** Place in the engine's stale-check columns; -1: no stale rule. */
  staleSlot = -1;
  constructor(
    readonly id: string,
    readonly gateway: GatewayState | null,
  ) {}
}

/** One `suppressWhen` condition: while `control` reads `equals`, its members are suppressed by design. */
class SuppressionLogic {
  readonly members: AlarmRecord[] = [];
  /** The logic's current verdict (after the release delay). */
  on = false;
  /** Engine time the condition became false while on; NaN: no release pending. */
  releaseSinceMs = Number.NaN;
  constructor(
    readonly spec: SuppressionSpec,
    readonly control: TagState,
  ) {}
}

/** A first-out scope (hazard source or area): raises within the first-out window, oldest first from `head`. */
class RaiseLog {
  recs: AlarmRecord[] = [];
  times: number[] = [];
  head = 0;
}

/** A delay in progress (see `AlarmRecord.pending`): allocated at the alarm's first delay and kept. */
class PendingDelay {
  sinceTs = Number.NaN;
  sinceNowMs = Number.NaN;
  /** The latest value (or rate) that kept the pending condition true: the event's value if a tick completes the delay. */
  value = Number.NaN;
}

/** Raises, annunciations and chattering of one alarm: allocated at its first condition change or annunciation. */
class ChangeHistory {
  raises = 0;
  annunciations = 0;
  /** Ring of the latest condition-change times. */
  readonly changes: Float64Array;
  changeIndex = 0;
  changeCount = 0;
  chattering = false;
  chatterEpisodes = 0;
  constructor(ringSize: number) {
    this.changes = new Float64Array(ringSize);
  }
}

/**
 * One alarm's state. A park has two or more per tag, so what most alarms
 * never need (a delay in progress, a history of changes) is allocated on
 * first use: every field costs every alarm, and a number field that is not
 * a small integer costs a boxed double besides (with 50,000 tags these two
 * parts held 11 MB before anything had happened).
 */
class AlarmRecord implements Lifecycle {
  state: AlarmState = 'normal';
  /** Chosen as the first-out of a cascade; cleared by the next raise. */
  firstOut = false;
  /** The suppression logic that owns this alarm's suppression; null: by hand only. */
  logic: SuppressionLogic | null = null;
  /** Mismatch alarms: the open, closed and (optional) command tags. */
  inputs: TagState[] | null = null;
  /** Mismatch alarms: which feedback disagrees (the message's `{detail}`). */
  detail: string | undefined = undefined;
  active = false;
  suppressed = false;
  /** Restored in shelved/suppressed/out-of-service, where the journal does not say whether the condition is active: the first evaluation sets it silently. */
  settle = false;
  value: number | null = null;
  message = '';
  raisedAt = 0;
  ackedAt: number | undefined = undefined;
  ackedBy: string | undefined = undefined;
  comment: string | undefined = undefined;
  shelvedUntil: number | undefined = undefined;
  shelvedBy: string | undefined = undefined;
  /** `ts` of the latest transition (0: none). */
  lastTs = 0;
  pending: Pending = PENDING_NONE;
  /** Set while `pending` is not PENDING_NONE (and kept after). */
  delay: PendingDelay | null = null;
  /** Reason of the latest bad reading (bad-quality alarms). */
  err: string | undefined = undefined;
  annunciatedAt = Number.NaN;
  escalated = false;
  history: ChangeHistory | null = null;
  readonly high: boolean;
  readonly valueKind: boolean;
  constructor(
    readonly rule: AlarmRule,
    readonly tag: TagState | null,
  ) {
    this.high = rule.kind === 'h' || rule.kind === 'hh';
    this.valueKind = isValueKind(rule.kind);
    // V8 gives a field the representation of the first value stored in it.
    // Left at the small integer 0, these timestamps become doubles at the
    // first transition of any alarm, which changes the shape of every
    // record; V8 then migrates each one at its next access, and the next
    // stale check over 100,000 tags held the event loop for 300 ms. Stored
    // as doubles from the start, the shape never changes.
    this.raisedAt = 0.5;
    this.raisedAt = 0;
    this.lastTs = 0.5;
    this.lastTs = 0;
  }
}

function elapsedMs(rec: AlarmRecord, sourceTs: number, nowMs: number): number {
  const d = rec.delay as PendingDelay;
  let e = nowMs - d.sinceNowMs;
  const s = sourceTs - d.sinceTs; // NaN when either is not a source time: then the comparison is false
  if (s > e) e = s;
  return e;
}

function limitCondition(rec: AlarmRecord, v: number): Cond {
  const limit = rec.rule.limit as number;
  if (rec.high) return v >= limit ? RAISE : v < limit - rec.rule.deadband ? CLEAR : HOLD;
  return v <= limit ? RAISE : v > limit + rec.rule.deadband ? CLEAR : HOLD;
}

function rateCondition(rec: AlarmRecord, rate: number): Cond {
  const a = rate < 0 ? -rate : rate;
  const limit = rec.rule.limit as number;
  return a >= limit ? RAISE : a < limit - rec.rule.deadband ? CLEAR : HOLD;
}

function iso(ms: number | undefined): string {
  return ms !== undefined && Number.isFinite(ms) ? new Date(ms).toISOString() : 'an unknown time';
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function byLogic(logic: SuppressionLogic): string {
  return `suppression of this alarm is set by its design logic ${logic.spec.name} (configuration: suppressWhen), not by hand`;
}

function optionalText(x: string | undefined): string | undefined {
  return x === undefined || x.trim() === '' ? undefined : x;
}

// ---------------------------------------------------------------------------

export class AlarmEngine {
  private readonly settings: Required<AlarmEngineOptions>;
  private readonly ruleList: readonly AlarmRule[];
  private readonly records = new Map<string, AlarmRecord>();
  /**
   * Records not in `normal`, kept as states change: `active()` runs after
   * every turn with a transition, and walking every record of a large park
   * (100,000 tags, several rules each) there held the event loop, and the
   * next alarm, for milliseconds each time.
   */
  private readonly nonNormal = new Set<AlarmRecord>();
  private readonly tags = new Map<string, TagState>();
  private readonly staleTags: TagState[] = [];
  /**
   * Per tag of `staleTags`: its latest good reading (engine time) and its
   * stale window, side by side in two columns. A tag heard from within its
   * window cannot be stale, and the tick skips it without touching its
   * objects: walking 100,000 tags' objects every second, scattered over the
   * heap, held the event loop for 10–60 ms; the columns are read in a
   * fraction of a millisecond.
   */
  private staleLastGood = new Float64Array(0);
  private staleWindow = new Float64Array(0);
  private readonly gateways = new Map<string, GatewayState>();
  private readonly pendingSet = new Set<AlarmRecord>();
  private readonly shelvedSet = new Set<AlarmRecord>();
  private readonly escalationWatch = new Set<AlarmRecord>();
  private readonly frozenTags: TagState[] = [];
  /** Suppression logics waiting for their release delay. */
  private readonly releasing = new Set<SuppressionLogic>();
  /** First-out scopes: `hs:<hazard source>` and `area:<area>`. */
  private readonly raiseLogs = new Map<string, RaiseLog>();
  private readonly flood: FloodDetector;
  /** Transitions of the call in progress; allocated at the first one. */
  private out: AlarmTransition[] | null = null;
  /** Engine time of the first call: stale windows of tags never heard from start here. */
  private startMs = Number.NaN;
  private readonly stats: AlarmCounters = {
    readings: 0,
    invalidReadings: 0,
    unknownTagReadings: 0,
    outOfOrderReplays: 0,
    clockBackwards: 0,
    unknownGatewayReports: 0,
    invalidCalls: 0,
    transitions: 0,
    annunciations: 0,
    escalations: 0,
    chatterEpisodes: 0,
  };

  /** @throws AlarmRuleError when `checkRules` finds problems or an option is out of range. */
  constructor(rules: readonly AlarmRule[], options: AlarmEngineOptions = {}) {
    const d = ALARM_DEFAULTS;
    this.settings = {
      escalateAfterMs: options.escalateAfterMs ?? d.escalateAfterMs,
      floodWindowMs: options.floodWindowMs ?? d.floodWindowMs,
      floodStartAbove: options.floodStartAbove ?? d.floodStartAbove,
      floodEndBelow: options.floodEndBelow ?? d.floodEndBelow,
      chatterWindowMs: options.chatterWindowMs ?? d.chatterWindowMs,
      chatterChanges: options.chatterChanges ?? d.chatterChanges,
      firstOutWindowMs: options.firstOutWindowMs ?? d.firstOutWindowMs,
      messageLanguage: options.messageLanguage ?? d.messageLanguage,
    };
    const problems = [...checkRules(rules), ...this.checkSettings()];
    if (problems.length > 0) throw new AlarmRuleError(problems);
    this.ruleList = rules;
    const s = this.settings;
    this.flood = new FloodDetector(s.floodWindowMs, s.floodStartAbove, s.floodEndBelow);
    for (const rule of rules) this.addRule(rule);
    for (const tag of this.tags.values()) {
      tag.limits.sort((a, b) => LIMIT_KINDS.indexOf(a.rule.kind as (typeof LIMIT_KINDS)[number]) - LIMIT_KINDS.indexOf(b.rule.kind as (typeof LIMIT_KINDS)[number]));
      if (tag.roc !== null) tag.rate = new RateWindow(tag.roc.rule.rocWindowMs as number, tag.stale?.rule.staleAfterMs ?? ALARM_DEFAULTS.staleAfterMs);
      if (tag.stale !== null) {
        tag.staleSlot = this.staleTags.length;
        this.staleTags.push(tag);
      }
      if (tag.frozen !== null) this.frozenTags.push(tag);
    }
    this.staleLastGood = new Float64Array(this.staleTags.length).fill(Number.NEGATIVE_INFINITY);
    this.staleWindow = Float64Array.from(this.staleTags, (t) => (t.stale as AlarmRecord).rule.staleAfterMs as number);
    this.wireReferences();
  }

  /** Mismatch inputs and suppression logics name other tags: link them (after every rule has its tag). */
  private wireReferences(): void {
    const logics = new Map<string, SuppressionLogic>();
    for (const rec of this.records.values()) {
      const m = rec.rule.mismatch;
      if (m !== null) {
        rec.inputs = [m.openTag, m.closedTag, ...(m.commandTag === null ? [] : [m.commandTag])].map((id) => this.referencedTag(id));
        for (const input of rec.inputs) (input.watchers ??= []).push(rec);
      }
      const sw = rec.rule.suppressWhen;
      if (sw !== null) {
        const key = `${sw.tag}\u0000${sw.equals}\u0000${sw.releaseAfterMs}\u0000${sw.name}`;
        let logic = logics.get(key);
        if (logic === undefined) {
          logic = new SuppressionLogic(sw, this.referencedTag(sw.tag));
          logics.set(key, logic);
          (logic.control.logics ??= []).push(logic);
        }
        logic.members.push(rec);
        rec.logic = logic;
      }
    }
  }

  /** The state of a tag another alarm reads; created (no gateway known) if the tag has no rule of its own. */
  private referencedTag(id: string): TagState {
    let tag = this.tags.get(id);
    if (tag === undefined) {
      tag = new TagState(id, null);
      this.tags.set(id, tag);
    }
    return tag;
  }

  private checkSettings(): string[] {
    const s = this.settings;
    const problems: string[] = [];
    const positive = (name: keyof typeof s, min: number): void => {
      const v = s[name];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min) problems.push(`option ${name}: expected a finite number ≥ ${min}, got ${String(v)}`);
    };
    positive('escalateAfterMs', 0);
    positive('floodWindowMs', 1);
    positive('floodStartAbove', 0);
    positive('floodEndBelow', 1);
    positive('chatterWindowMs', 1);
    positive('firstOutWindowMs', 0);
    if (!Number.isInteger(s.chatterChanges) || s.chatterChanges < 2) problems.push(`option chatterChanges: expected a whole number ≥ 2, got ${String(s.chatterChanges)}`);
    if (s.floodEndBelow > s.floodStartAbove + 1) problems.push(`option floodEndBelow (${s.floodEndBelow}) must be at most floodStartAbove + 1 (${s.floodStartAbove + 1})`);
    if (s.messageLanguage !== 'en' && s.messageLanguage !== 'zh') problems.push(`option messageLanguage: expected "en" or "zh", got ${JSON.stringify(s.messageLanguage)}`);
    return problems;
  }

  private gatewayState(id: string): GatewayState {
    let gw = this.gateways.get(id);
    if (!gw) {
      gw = new GatewayState(id);
      this.gateways.set(id, gw);
    }
    return gw;
  }

  private addRule(rule: AlarmRule): void {
    if (rule.kind === 'gateway-offline') {
      const rec = new AlarmRecord(rule, null);
      this.gatewayState(rule.tagId).record = rec;
      this.records.set(rule.id, rec);
      return;
    }
    let tag = this.tags.get(rule.tagId);
    if (!tag) {
      tag = new TagState(rule.tagId, rule.gateway === null ? null : this.gatewayState(rule.gateway));
      this.tags.set(rule.tagId, tag);
    }
    const rec = new AlarmRecord(rule, tag);
    this.records.set(rule.id, rec);
    switch (rule.kind) {
      case 'hh':
      case 'h':
      case 'l':
      case 'll':
        tag.limits.push(rec);
        break;
      case 'roc':
        tag.roc = rec;
        break;
      case 'discrete':
        // A mismatch alarm reads its feedback tags (wired later), not its own tag's value.
        if (rule.mismatch === null) tag.discrete = rec;
        break;
      case 'bad-quality':
        tag.badQuality = rec;
        break;
      case 'stale':
        tag.stale = rec;
        break;
      case 'frozen':
        tag.frozen = rec;
        break;
    }
  }

  // -------------------------------------------------------------------------
  // Inputs.

  /**
   * One reading. `nowMs` is the engine clock at receipt. `replay` marks
   * readings from a gateway's outbox (`replay: true` messages): a replayed
   * reading older than the tag's latest is not evaluated (the alarm state
   * is about the present), and replayed readings do not count as fresh for
   * stale detection. A live reading older than the latest (a source clock
   * stepping back) is evaluated and counted.
   *
   * Quality: `bad` raises `bad-quality` and freezes the value alarms (no
   * raise, no clear, delays paused); `good` clears `bad-quality` and
   * `stale`; `uncertain` is a usable value that may raise an alarm or run an
   * on-delay but never clears one or cancels an on-delay, and it restarts
   * an off-delay in progress.
   */
  onReading(reading: Reading, nowMs: number, replay = false, slot?: AlarmSlot): readonly AlarmTransition[] {
    this.stats.readings++;
    if (typeof reading !== 'object' || reading === null || typeof reading.id !== 'string') {
      this.stats.invalidReadings++;
      return NO_TRANSITIONS;
    }
    let tag: TagState | null | undefined = slot?.alarmTag as TagState | null | undefined;
    if (tag === undefined) {
      tag = this.tags.get(reading.id) ?? null;
      if (slot !== undefined) slot.alarmTag = tag;
    }
    if (tag === null) {
      this.stats.unknownTagReadings++;
      return NO_TRANSITIONS;
    }
    const ts = reading.ts;
    const q = reading.q;
    const v = reading.v;
    if (!isFiniteNumber(ts) || !isFiniteNumber(nowMs) || (q !== 'good' && q !== 'uncertain' && q !== 'bad') || (q !== 'bad' && !isFiniteNumber(v))) {
      this.stats.invalidReadings++;
      return NO_TRANSITIONS;
    }
    if (tag.gateway !== null) tag.gateway.heard = true;
    if (ts < tag.lastTs) {
      if (replay) {
        this.stats.outOfOrderReplays++;
        return NO_TRANSITIONS;
      }
      this.stats.clockBackwards++;
    }
    tag.lastTs = ts;
    if (this.startMs !== this.startMs) this.startMs = nowMs;

    if (q === 'bad') {
      tag.quality = 'bad';
      const bq = tag.badQuality;
      if (bq !== null) {
        const err = reading.err;
        bq.err = typeof err === 'string' ? err : undefined;
        this.evaluate(bq, RAISE, ts, nowMs, null, true);
      }
      // The value is unknown: the frozen window restarts with the next usable one.
      tag.frozenValue = Number.NaN;
      // A bad control tag cannot prove the equipment is stopped: suppression ends (fail-safe).
      const logics = tag.logics;
      if (logics !== null) for (let i = 0; i < logics.length; i++) this.updateLogic(logics[i] as SuppressionLogic, nowMs);
      return this.flush();
    }

    const good = q === 'good';
    tag.quality = q;
    tag.value = v;
    if (good) {
      const bq = tag.badQuality;
      if (bq !== null) this.evaluate(bq, CLEAR, ts, nowMs, null, true);
      if (!replay) {
        tag.lastGoodNowMs = nowMs;
        if (tag.staleSlot >= 0) this.staleLastGood[tag.staleSlot] = nowMs;
        const stale = tag.stale;
        if (stale !== null && (stale.active || stale.settle || stale.pending !== PENDING_NONE)) this.evaluate(stale, CLEAR, ts, nowMs, null, true);
      }
    }
    const limits = tag.limits;
    for (let i = 0; i < limits.length; i++) {
      const rec = limits[i] as AlarmRecord;
      this.evaluate(rec, limitCondition(rec, v), ts, nowMs, v, good);
    }
    const roc = tag.roc;
    if (roc !== null && tag.rate !== null) {
      const rate = tag.rate.add(ts, v);
      this.evaluate(roc, rateCondition(roc, rate), ts, nowMs, rate, good);
    }
    const discrete = tag.discrete;
    if (discrete !== null) {
      this.evaluate(discrete, (v !== 0 ? 1 : 0) === discrete.rule.activeValue ? RAISE : CLEAR, ts, nowMs, v, good);
    }
    const frozen = tag.frozen;
    if (frozen !== null && !replay) {
      if (v !== tag.frozenValue) {
        tag.frozenValue = v;
        tag.frozenSinceNowMs = nowMs;
        this.evaluate(frozen, CLEAR, ts, nowMs, v, good);
      } else if (nowMs - this.frozenSince(tag) >= (frozen.rule.frozenAfterMs as number)) {
        this.evaluate(frozen, RAISE, ts, nowMs, v, good);
      }
    }
    const watchers = tag.watchers;
    if (watchers !== null) for (let i = 0; i < watchers.length; i++) this.evaluateMismatch(watchers[i] as AlarmRecord, ts, nowMs);
    const logics = tag.logics;
    if (logics !== null) for (let i = 0; i < logics.length; i++) this.updateLogic(logics[i] as SuppressionLogic, nowMs);
    return this.flush();
  }

  /** Start of the frozen window: the first reading of the current value, or the gateway's return online if later. */
  private frozenSince(tag: TagState): number {
    const since = tag.frozenSinceNowMs;
    const back = tag.gateway?.onlineSinceMs ?? -Infinity;
    return back > since ? back : since;
  }

  /**
   * A valve mismatch alarm from the latest feedback: both limit switches on
   * raises at once-after-delay; with a command, feedback that does not match
   * it; without one, neither switch on (the valve travelling or stuck). The
   * rule's on-delay is the travel time. While any input is bad or has not
   * reported, the condition is held; only all-good inputs can clear it.
   */
  private evaluateMismatch(rec: AlarmRecord, ts: number, nowMs: number): void {
    const inputs = rec.inputs as TagState[];
    let allGood = true;
    for (let i = 0; i < inputs.length; i++) {
      const q = (inputs[i] as TagState).quality;
      if (q === null || q === 'bad') return;
      if (q !== 'good') allGood = false;
    }
    const open = (inputs[0] as TagState).value !== 0;
    const closed = (inputs[1] as TagState).value !== 0;
    const command = inputs.length > 2 ? (inputs[2] as TagState) : null;
    let cond: Cond;
    let detail: string | undefined;
    if (open && closed) {
      cond = RAISE;
      detail = 'open and closed feedback both on';
    } else if (command !== null) {
      const wantOpen = command.value !== 0;
      cond = (wantOpen ? open : closed) ? CLEAR : RAISE;
      detail = wantOpen ? 'commanded open, not open' : 'commanded closed, not closed';
    } else {
      cond = open || closed ? CLEAR : RAISE;
      detail = 'neither open nor closed';
    }
    if (cond === RAISE && !rec.active) rec.detail = detail;
    this.evaluate(rec, cond, ts, nowMs, null, allGood);
  }

  /**
   * Applies a suppression logic to its members: on while the control tag
   * reads `equals` (good or uncertain); off when it reads anything else for
   * `releaseAfterMs`, or at once when it is bad or stale (fail-safe: an
   * unknown signal does not prove the equipment is stopped). While the
   * control tag's gateway is offline the verdict is held, as stale alarms
   * are masked then: one `gateway-offline` alarm says it, and releasing
   * would re-annunciate alarms whose own data is as old. Before the control tag's first
   * reading nothing is suppressed. Members are brought in line on every
   * evaluation, so a restored `suppressed` state is confirmed or ended by
   * the first reading of the control tag.
   */
  private updateLogic(logic: SuppressionLogic, nowMs: number): void {
    const c = logic.control;
    if (c.gateway?.online === false) return;
    const usable = (c.quality === 'good' || c.quality === 'uncertain') && c.stale?.active !== true;
    let on: boolean;
    if (usable && c.value === logic.spec.equals) {
      on = true;
      if (logic.releaseSinceMs === logic.releaseSinceMs) {
        logic.releaseSinceMs = Number.NaN;
        this.releasing.delete(logic);
      }
    } else if (!logic.on || !usable || logic.spec.releaseAfterMs <= 0) {
      on = false;
    } else {
      if (logic.releaseSinceMs !== logic.releaseSinceMs) {
        logic.releaseSinceMs = nowMs;
        this.releasing.add(logic);
      }
      on = nowMs - logic.releaseSinceMs < logic.spec.releaseAfterMs;
    }
    if (!on && logic.releaseSinceMs === logic.releaseSinceMs) {
      logic.releaseSinceMs = Number.NaN;
      this.releasing.delete(logic);
    }
    logic.on = on;
    const members = logic.members;
    for (let i = 0; i < members.length; i++) {
      const rec = members[i] as AlarmRecord;
      if (rec.suppressed !== on) this.logicSuppress(rec, on, nowMs);
    }
  }

  private logicSuppress(rec: AlarmRecord, on: boolean, nowMs: number): void {
    const result = transition(rec, on ? 'suppress' : 'unsuppress');
    if (!result.ok) return;
    const previous = rec.state;
    const ts = this.stamp(rec, nowMs);
    const spec = (rec.logic as SuppressionLogic).spec;
    if (result.next.state !== previous) rec.comment = on ? `suppressed by design while ${spec.tag} = ${formatNumber(spec.equals)}` : undefined;
    this.apply(rec, result.next);
    if (rec.state !== previous) this.emit(rec, previous, on ? 'suppress' : 'unsuppress', ts, spec.name, undefined);
  }

  /**
   * A gateway's status (`online` from its status message; `offline` also
   * from its MQTT last will). While a gateway is offline its tags' stale
   * alarms are masked: not raised (a stale alarm already active stays as it
   * is), and their windows restart when it is back online. One
   * `gateway-offline` alarm says it all instead of one stale alarm per tag.
   */
  onGatewayStatus(gateway: string, online: boolean, nowMs: number): readonly AlarmTransition[] {
    if (typeof gateway !== 'string' || typeof online !== 'boolean' || !isFiniteNumber(nowMs)) {
      this.stats.invalidCalls++;
      return NO_TRANSITIONS;
    }
    const gw = this.gateways.get(gateway);
    if (gw === undefined) {
      this.stats.unknownGatewayReports++;
      return NO_TRANSITIONS;
    }
    if (this.startMs !== this.startMs) this.startMs = nowMs;
    if (online && gw.online !== true) gw.onlineSinceMs = nowMs;
    gw.online = online;
    if (gw.record !== null) this.evaluate(gw.record, online ? CLEAR : RAISE, Number.NaN, nowMs, null, true);
    return this.flush();
  }

  /**
   * Time passes: shelving expiry (back to the state the condition implies),
   * on/off delays completing without a new reading (a gateway reports by
   * exception, so a value that stays put sends nothing), stale detection,
   * escalation of overdue critical alarms, flood edges. Call about once a
   * second; each check is exact to one tick.
   */
  tick(nowMs: number): TickResult {
    if (!isFiniteNumber(nowMs)) {
      this.stats.invalidCalls++;
      return { transitions: [], escalations: [], floods: [] };
    }
    if (this.startMs !== this.startMs) this.startMs = nowMs;
    this.out = null;
    for (const rec of this.shelvedSet) {
      if (rec.shelvedUntil !== undefined && nowMs >= rec.shelvedUntil) this.applyLifecycle(rec, 'shelve-expired', nowMs, undefined);
    }
    for (const rec of this.pendingSet) this.completeByTime(rec, nowMs);
    for (const logic of this.releasing) this.updateLogic(logic, nowMs);
    // A gateway never heard from (no status, no reading) within the stale
    // window is offline: one gateway-offline alarm instead of a stale alarm
    // for each of its tags.
    if (nowMs - this.startMs >= ALARM_DEFAULTS.staleAfterMs) {
      for (const gw of this.gateways.values()) {
        if (gw.online !== null || gw.heard) continue;
        gw.online = false;
        if (gw.record !== null) this.evaluate(gw.record, RAISE, Number.NaN, nowMs, null, true);
      }
    }
    const staleTags = this.staleTags;
    const lastGood = this.staleLastGood;
    const window = this.staleWindow;
    for (let i = 0; i < staleTags.length; i++) {
      // Not stale whatever else checkStale would look at: its window runs from the last good reading or later.
      if (nowMs - (lastGood[i] as number) < (window[i] as number)) continue;
      this.checkStale(staleTags[i] as TagState, nowMs);
    }
    for (const tag of this.frozenTags) this.checkFrozen(tag, nowMs);
    const escalations = this.escalate(nowMs);
    this.flood.advance(nowMs);
    const transitions = this.out ?? [];
    this.out = null;
    return { transitions, escalations, floods: this.flood.drain() };
  }

  // -------------------------------------------------------------------------
  // Evaluation.

  /**
   * Feeds one raw condition through the on/off delays. Delays run on the
   * source clock of the readings and on the engine clock, whichever has
   * advanced more since the delay started (a replay compresses engine time;
   * a source timestamp that does not move, as OPC UA gives for an unchanged
   * value, stalls source time).
   */
  private evaluate(rec: AlarmRecord, cond: Cond, sourceTs: number, nowMs: number, value: number | null, canClear: boolean): void {
    if (rec.settle) {
      if (cond === RAISE) {
        rec.active = true;
        rec.settle = false;
      } else if (cond === CLEAR && canClear) {
        rec.active = false;
        rec.settle = false;
      }
      return;
    }
    if (rec.active) {
      if (cond === CLEAR) {
        if (!canClear) {
          // An uncertain value is no proof of a return to normal: restart the off-delay.
          if (rec.pending === PENDING_CLEAR) this.cancelPending(rec);
          return;
        }
        const delay = rec.rule.offDelayMs;
        if (delay <= 0) this.changeCondition(rec, false, nowMs, sourceTs, value);
        else if (rec.pending !== PENDING_CLEAR) this.startPending(rec, PENDING_CLEAR, sourceTs, nowMs, value);
        else if (elapsedMs(rec, sourceTs, nowMs) >= delay) this.changeCondition(rec, false, nowMs, (rec.delay as PendingDelay).sinceTs, value);
        else (rec.delay as PendingDelay).value = value === null ? Number.NaN : value;
      } else if (rec.pending === PENDING_CLEAR) {
        this.cancelPending(rec);
      }
    } else if (cond === RAISE) {
      const delay = rec.rule.onDelayMs;
      if (delay <= 0) this.changeCondition(rec, true, nowMs, sourceTs, value);
      else if (rec.pending !== PENDING_RAISE) this.startPending(rec, PENDING_RAISE, sourceTs, nowMs, value);
      else if (elapsedMs(rec, sourceTs, nowMs) >= delay) this.changeCondition(rec, true, nowMs, (rec.delay as PendingDelay).sinceTs, value);
      else (rec.delay as PendingDelay).value = value === null ? Number.NaN : value;
    } else if (rec.pending === PENDING_RAISE && canClear) {
      this.cancelPending(rec);
    }
  }

  private startPending(rec: AlarmRecord, pending: Pending, sourceTs: number, nowMs: number, value: number | null): void {
    rec.pending = pending;
    const d = (rec.delay ??= new PendingDelay());
    d.sinceTs = sourceTs;
    d.sinceNowMs = nowMs;
    d.value = value === null ? Number.NaN : value;
    this.pendingSet.add(rec);
  }

  private cancelPending(rec: AlarmRecord): void {
    rec.pending = PENDING_NONE;
    this.pendingSet.delete(rec);
  }

  /** A delay that ran out with no new reading; value alarms stay frozen while their tag is bad, stale or behind an offline gateway. */
  private completeByTime(rec: AlarmRecord, nowMs: number): void {
    if (rec.pending === PENDING_NONE) {
      this.pendingSet.delete(rec);
      return;
    }
    const raising = rec.pending === PENDING_RAISE;
    const d = rec.delay as PendingDelay;
    if (nowMs - d.sinceNowMs < (raising ? rec.rule.onDelayMs : rec.rule.offDelayMs)) return;
    const inputs = rec.inputs;
    if (inputs !== null) {
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i] as TagState;
        if (input.quality === null || input.quality === 'bad' || input.gateway?.online === false || input.stale?.active === true) return;
        if (!raising && input.quality !== 'good') return;
      }
    } else {
      const tag = rec.tag;
      if (tag !== null && rec.valueKind) {
        if (tag.quality === 'bad' || tag.gateway?.online === false || tag.stale?.active === true) return;
        if (!raising && tag.quality !== 'good') return;
      }
    }
    this.changeCondition(rec, raising, nowMs, d.sinceTs, Number.isNaN(d.value) ? null : d.value);
  }

  private checkStale(tag: TagState, nowMs: number): void {
    const rec = tag.stale as AlarmRecord;
    if (rec.active && !rec.settle) return;
    if (tag.quality === 'bad') return;
    const gw = tag.gateway;
    if (gw !== null && gw.online === false) return;
    let since = tag.lastGoodNowMs;
    if (gw !== null && gw.onlineSinceMs > since) since = gw.onlineSinceMs;
    if (this.startMs > since) since = this.startMs;
    if (nowMs - since >= (rec.rule.staleAfterMs as number)) {
      this.evaluate(rec, RAISE, Number.NaN, nowMs, null, true);
      const logics = tag.logics;
      if (logics !== null && rec.active) for (let i = 0; i < logics.length; i++) this.updateLogic(logics[i] as SuppressionLogic, nowMs);
    }
  }

  /**
   * Frozen detection at a tick: a gateway reports by exception, so a stuck
   * value sends nothing but the integrity repeats. Masked while the tag is
   * bad or stale, before its first usable value, and while its gateway is
   * offline (the window restarts when it is back).
   */
  private checkFrozen(tag: TagState, nowMs: number): void {
    const rec = tag.frozen as AlarmRecord;
    if (rec.active && !rec.settle) return;
    if (tag.quality === null || tag.quality === 'bad' || tag.frozenValue !== tag.frozenValue) return;
    if (tag.gateway?.online === false || tag.stale?.active === true) return;
    if (nowMs - this.frozenSince(tag) >= (rec.rule.frozenAfterMs as number)) this.evaluate(rec, RAISE, Number.NaN, nowMs, tag.frozenValue, true);
  }

  private escalate(nowMs: number): AlarmEscalation[] {
    const out: AlarmEscalation[] = [];
    for (const rec of this.escalationWatch) {
      if (rec.escalated || (rec.state !== 'unack' && rec.state !== 'rtn-unack')) {
        this.escalationWatch.delete(rec);
        continue;
      }
      const unackedForMs = nowMs - rec.annunciatedAt;
      if (unackedForMs < this.settings.escalateAfterMs) continue;
      rec.escalated = true;
      this.escalationWatch.delete(rec);
      this.stats.escalations++;
      out.push({ type: 'escalation', event: this.toEvent(rec), ts: nowMs, annunciatedAt: rec.annunciatedAt, unackedForMs });
    }
    return out;
  }

  /** The condition (after delays) changed. */
  private changeCondition(rec: AlarmRecord, active: boolean, nowMs: number, sourceTs: number, value: number | null): void {
    if (rec.pending !== PENDING_NONE) this.cancelPending(rec);
    const result = transition(rec, active ? 'raise' : 'clear');
    if (!result.ok || result.next === rec) return;
    const previous = rec.state;
    const ts = this.stamp(rec, nowMs);
    if (previous !== 'out-of-service') this.noteChange(rec, ts);
    rec.value = value;
    if (active) {
      this.historyOf(rec).raises++;
      rec.raisedAt = ts;
      rec.ackedAt = undefined;
      rec.ackedBy = undefined;
      rec.firstOut = false;
      if (result.next.state === 'unack') rec.comment = undefined;
      if (previous !== 'out-of-service') this.noteRaise(rec, ts);
    }
    rec.message = this.render(rec);
    this.apply(rec, result.next);
    // Out of service: tracked silently. Shelved and suppressed: journalled, not annunciated.
    if (rec.state !== previous || previous === 'shelved' || previous === 'suppressed') {
      this.emit(rec, previous, 'condition', ts, undefined, Number.isFinite(sourceTs) ? sourceTs : undefined);
    }
    if (active && rec.rule.firstOutTrigger && previous !== 'out-of-service') this.markFirstOut(this.scopeOf(rec), ts, nowMs);
  }

  // -------------------------------------------------------------------------
  // First-out.

  /** The first-out scope of an SIS trip: its hazard source, or its area when the tag has none. */
  private scopeOf(rec: AlarmRecord): string {
    const hs = rec.rule.hazardSource;
    return hs !== null ? `hs:${hs}` : `area:${rec.rule.area}`;
  }

  /** Remembers a condition raise (not out of service) in its hazard source's and its area's logs. */
  private noteRaise(rec: AlarmRecord, ts: number): void {
    if (rec.rule.kind === 'gateway-offline') return;
    if (rec.rule.hazardSource !== null) this.logRaise(`hs:${rec.rule.hazardSource}`, rec, ts);
    this.logRaise(`area:${rec.rule.area}`, rec, ts);
  }

  private logRaise(key: string, rec: AlarmRecord, ts: number): void {
    let log = this.raiseLogs.get(key);
    if (log === undefined) {
      log = new RaiseLog();
      this.raiseLogs.set(key, log);
    }
    this.pruneRaises(log, ts);
    log.recs.push(rec);
    log.times.push(ts);
  }

  private pruneRaises(log: RaiseLog, nowMs: number): void {
    const from = nowMs - this.settings.firstOutWindowMs;
    while (log.head < log.times.length && (log.times[log.head] as number) < from) log.head++;
    if (log.head > 256 && log.head * 2 > log.times.length) {
      log.recs = log.recs.slice(log.head);
      log.times = log.times.slice(log.head);
      log.head = 0;
    }
  }

  /**
   * A cascade trigger (an SIS trip raised, a flood started) at `triggerTs`:
   * the alarm with the earliest raise in `scope` within the first-out window
   * before it (the trigger itself included), skipping alarms now out of
   * service, becomes first-out. If its latest transition was made in the
   * same call (the trip's own raise, or the flood's crossing annunciation),
   * that event carries `firstOut: true`; otherwise a `first-out` transition
   * announces it. If that alarm is first-out already, nothing happens.
   */
  private markFirstOut(scope: string, triggerTs: number, nowMs: number): void {
    const log = this.raiseLogs.get(scope);
    if (log === undefined) return;
    this.pruneRaises(log, triggerTs);
    let first: AlarmRecord | null = null;
    for (let i = log.head; i < log.recs.length; i++) {
      const rec = log.recs[i] as AlarmRecord;
      if (rec.state === 'out-of-service') continue;
      first = rec;
      break;
    }
    if (first === null || first.firstOut) return;
    first.firstOut = true;
    // Its latest transition is in this very batch (typically the trip's own raise): mark that event instead of adding one.
    const out = this.out;
    if (out !== null) {
      for (let i = out.length - 1; i >= 0; i--) {
        const t = out[i] as AlarmTransition;
        if (t.event.id === first.rule.id && t.event.ts === first.lastTs) {
          t.event.firstOut = true;
          return;
        }
      }
    }
    this.emit(first, first.state, 'first-out', this.stamp(first, nowMs), undefined, undefined);
  }

  /** Chattering: the latest `chatterChanges` condition changes all within `chatterWindowMs`. */
  private noteChange(rec: AlarmRecord, ts: number): void {
    const n = this.settings.chatterChanges;
    const h = this.historyOf(rec);
    const ring = h.changes;
    ring[h.changeIndex] = ts;
    h.changeIndex = (h.changeIndex + 1) % n;
    h.changeCount++;
    const chattering = h.changeCount >= n && ts - (ring[h.changeIndex] as number) <= this.settings.chatterWindowMs;
    if (chattering && !h.chattering) {
      h.chatterEpisodes++;
      this.stats.chatterEpisodes++;
    }
    h.chattering = chattering;
  }

  private historyOf(rec: AlarmRecord): ChangeHistory {
    return (rec.history ??= new ChangeHistory(this.settings.chatterChanges));
  }

  // -------------------------------------------------------------------------
  // Applying and announcing.

  private stamp(rec: AlarmRecord, nowMs: number): number {
    return nowMs > rec.lastTs ? nowMs : rec.lastTs + 1;
  }

  private render(rec: AlarmRecord): string {
    return renderMessage(rec.rule, this.settings.messageLanguage, { value: rec.value, err: rec.err, detail: rec.detail });
  }

  private setState(rec: AlarmRecord, state: AlarmState): void {
    rec.state = state;
    if (state === 'normal') this.nonNormal.delete(rec);
    else this.nonNormal.add(rec);
  }

  private apply(rec: AlarmRecord, next: Lifecycle): void {
    this.setState(rec, next.state);
    rec.active = next.active;
    rec.suppressed = next.suppressed;
    // An unknown (restored) condition may stay unknown only where nothing is annunciated.
    if (rec.settle && next.state !== 'shelved' && next.state !== 'suppressed' && next.state !== 'out-of-service') rec.settle = false;
    if (next.state !== 'shelved' && rec.shelvedUntil !== undefined) {
      rec.shelvedUntil = undefined;
      rec.shelvedBy = undefined;
      this.shelvedSet.delete(rec);
    }
  }

  private emit(rec: AlarmRecord, previous: AlarmState, cause: TransitionCause, ts: number, user: string | undefined, sourceTs: number | undefined): void {
    let floodStarted = false;
    rec.lastTs = ts;
    if (rec.message === '') rec.message = this.render(rec);
    if (rec.state === 'unack' && previous !== 'unack') {
      // Annunciated (again): a new acknowledgement is owed.
      rec.ackedAt = undefined;
      rec.ackedBy = undefined;
      this.historyOf(rec).annunciations++;
      this.stats.annunciations++;
      rec.annunciatedAt = ts;
      rec.escalated = false;
      if (rec.rule.priority === 'critical') this.escalationWatch.add(rec);
      floodStarted = this.flood.annunciated(rec.rule.area, ts);
    }
    const t: AlarmTransition = { event: this.toEvent(rec), previous, cause };
    if (user !== undefined) t.user = user;
    if (sourceTs !== undefined) t.sourceTs = sourceTs;
    (this.out ??= []).push(t);
    this.stats.transitions++;
    if (floodStarted) this.markFirstOut(`area:${rec.rule.area}`, ts, ts);
  }

  private flush(): readonly AlarmTransition[] {
    const out = this.out;
    if (out === null) return NO_TRANSITIONS;
    this.out = null;
    return out;
  }

  private toEvent(rec: AlarmRecord): AlarmEvent {
    const r = rec.rule;
    const e: AlarmEvent = {
      id: r.id,
      tagId: r.tagId,
      kind: r.kind,
      priority: r.priority,
      state: rec.state,
      value: rec.value,
      limit: r.limit,
      message: rec.message === '' ? this.render(rec) : rec.message,
      raisedAt: rec.raisedAt,
      ts: rec.lastTs,
    };
    if (rec.ackedAt !== undefined) e.ackedAt = rec.ackedAt;
    if (rec.ackedBy !== undefined) e.ackedBy = rec.ackedBy;
    if (rec.comment !== undefined) e.comment = rec.comment;
    if (rec.state === 'shelved' && rec.shelvedUntil !== undefined) e.shelvedUntil = rec.shelvedUntil;
    if (rec.firstOut) e.firstOut = true;
    return e;
  }

  /** A lifecycle change with no extra fields (shelving expiry). */
  private applyLifecycle(rec: AlarmRecord, event: LifecycleEvent, nowMs: number, user: string | undefined): void {
    const result = transition(rec, event);
    if (!result.ok) return;
    const previous = rec.state;
    this.apply(rec, result.next);
    if (rec.state !== previous) this.emit(rec, previous, event as TransitionCause, this.stamp(rec, nowMs), user, undefined);
  }

  // -------------------------------------------------------------------------
  // Operator and logic actions.

  /**
   * Acknowledge: `unack` → `acked`, `rtn-unack` → `normal`. Refused (with
   * the reason) in every other state, including a second acknowledgement.
   */
  ack(alarmId: string, user: string, comment: string | undefined, nowMs: number): ActionResult {
    const found = this.target('ack', alarmId, user, nowMs, this.checkComment(comment));
    if (!(found instanceof AlarmRecord)) return found;
    const rec = found;
    const result = transition(rec, 'ack');
    if (!result.ok) {
      const detail = rec.state === 'acked' ? ` by ${rec.ackedBy ?? 'an unknown user'} at ${iso(rec.ackedAt)}` : '';
      return this.refused('ack', alarmId, result.error + detail);
    }
    const ts = this.stamp(rec, nowMs);
    rec.ackedAt = ts;
    rec.ackedBy = user;
    rec.comment = optionalText(comment);
    return this.commit(rec, result.next, 'ack', ts, user);
  }

  /**
   * Shelve for `minutes` (MIN_SHELVE_MINUTES to MAX_SHELVE_MINUTES) with a
   * reason, from normal, unack, acked or rtn-unack. Expires at a tick.
   */
  shelve(alarmId: string, user: string, minutes: number, reason: string, nowMs: number): ActionResult {
    const found = this.target('shelve', alarmId, user, nowMs, this.checkMinutes(minutes) ?? this.checkRequired('reason', reason, MAX_SHELVE_REASON_LENGTH));
    if (!(found instanceof AlarmRecord)) return found;
    const rec = found;
    const result = transition(rec, 'shelve');
    if (!result.ok) {
      const detail = rec.state === 'shelved' ? ` until ${iso(rec.shelvedUntil)} by ${rec.shelvedBy ?? 'an unknown user'}` : '';
      return this.refused('shelve', alarmId, result.error + detail);
    }
    const ts = this.stamp(rec, nowMs);
    rec.shelvedUntil = ts + minutes * MS_PER_MIN;
    rec.shelvedBy = user;
    rec.comment = reason;
    this.shelvedSet.add(rec);
    return this.commit(rec, result.next, 'shelve', ts, user);
  }

  /** End shelving early: back to the state the condition implies (active → `unack`, else `normal`). */
  unshelve(alarmId: string, user: string, comment: string | undefined, nowMs: number): ActionResult {
    const found = this.target('unshelve', alarmId, user, nowMs, this.checkComment(comment));
    if (!(found instanceof AlarmRecord)) return found;
    const result = transition(found, 'unshelve');
    if (!result.ok) return this.refused('unshelve', alarmId, result.error);
    const ts = this.stamp(found, nowMs);
    found.comment = optionalText(comment);
    return this.commit(found, result.next, 'unshelve', ts, user);
  }

  /**
   * Suppress by design (`by`: the user or the logic's name; `reason`
   * required). Ends any shelving. While out of service only the flag is
   * recorded (no transition), so that returning to service lands in
   * `suppressed`.
   */
  suppress(alarmId: string, by: string, reason: string, nowMs: number): ActionResult {
    const found = this.target('suppress', alarmId, by, nowMs, this.checkRequired('reason', reason, MAX_COMMENT_LENGTH));
    if (!(found instanceof AlarmRecord)) return found;
    if (found.logic !== null) return this.refused('suppress', alarmId, byLogic(found.logic));
    const result = transition(found, 'suppress');
    if (!result.ok) return this.refused('suppress', alarmId, result.error);
    const ts = this.stamp(found, nowMs);
    if (result.next.state !== found.state) found.comment = reason;
    return this.commit(found, result.next, 'suppress', ts, by);
  }

  /** End suppression: back to the state the condition implies (or stays out of service). */
  unsuppress(alarmId: string, by: string, comment: string | undefined, nowMs: number): ActionResult {
    const found = this.target('unsuppress', alarmId, by, nowMs, this.checkComment(comment));
    if (!(found instanceof AlarmRecord)) return found;
    if (found.logic !== null) return this.refused('unsuppress', alarmId, byLogic(found.logic));
    const result = transition(found, 'unsuppress');
    if (!result.ok) return this.refused('unsuppress', alarmId, result.error);
    const ts = this.stamp(found, nowMs);
    if (result.next.state !== found.state) found.comment = optionalText(comment);
    return this.commit(found, result.next, 'unsuppress', ts, by);
  }

  /**
   * Out of service (`on`, a comment such as the MOC reference required) or
   * back in service (comment optional: lands in `suppressed` if suppression
   * is still on, else the state the condition implies). Ends any shelving.
   */
  setOutOfService(alarmId: string, user: string, on: boolean, comment: string | undefined, nowMs: number): ActionResult {
    const action = on ? 'out-of-service' : 'in-service';
    const problem = typeof on !== 'boolean' ? `on: expected true or false, got ${String(on)}` : on ? this.checkRequired('comment', comment, MAX_COMMENT_LENGTH) : this.checkComment(comment);
    const found = this.target(action, alarmId, user, nowMs, problem);
    if (!(found instanceof AlarmRecord)) return found;
    const result = transition(found, action);
    if (!result.ok) return this.refused(action, alarmId, result.error);
    const ts = this.stamp(found, nowMs);
    found.comment = optionalText(comment);
    return this.commit(found, result.next, action, ts, user);
  }

  private commit(rec: AlarmRecord, next: Lifecycle, cause: TransitionCause, ts: number, user: string): ActionResult {
    const previous = rec.state;
    this.out = null;
    this.apply(rec, next);
    if (rec.state !== previous) this.emit(rec, previous, cause, ts, user, undefined);
    const transitions = this.out ?? [];
    this.out = null;
    return { ok: true, transitions };
  }

  /**
   * The record an action is about, or why the call is not made: a malformed
   * argument (`problem`: the reason found by the action's own checks) or an
   * unknown alarm id.
   */
  private target(action: string, alarmId: unknown, user: unknown, nowMs: unknown, problem: string | null): AlarmRecord | ActionResult {
    const id = typeof alarmId === 'string' ? alarmId : '?';
    let reason: string | null = null;
    if (typeof alarmId !== 'string') reason = `alarmId: expected a string, got ${typeof alarmId}`;
    else if (typeof user !== 'string' || user.trim() === '') reason = 'user: expected a non-empty user name';
    else if (user.length > MAX_USERNAME_LENGTH) reason = `user: longer than ${MAX_USERNAME_LENGTH} characters`;
    else if (!isFiniteNumber(nowMs)) reason = `nowMs: expected a finite time in ms, got ${String(nowMs)}`;
    else reason = problem;
    if (reason !== null) {
      this.stats.invalidCalls++;
      return { ok: false, code: 'invalid', error: `${action} "${id}": ${reason}` };
    }
    const rec = this.records.get(id);
    if (rec === undefined) return { ok: false, code: 'unknown-alarm', error: `${action} "${id}": unknown alarm id` };
    return rec;
  }

  private checkComment(comment: unknown): string | null {
    if (comment === undefined) return null;
    if (typeof comment !== 'string') return `comment: expected text, got ${typeof comment}`;
    if (comment.length > MAX_COMMENT_LENGTH) return `comment: ${comment.length} characters, at most ${MAX_COMMENT_LENGTH}`;
    return null;
  }

  private checkRequired(field: string, text: unknown, max: number): string | null {
    if (typeof text !== 'string' || text.trim() === '') return `${field}: required, must not be blank`;
    if (text.length > max) return `${field}: ${text.length} characters, at most ${max}`;
    return null;
  }

  private checkMinutes(minutes: unknown): string | null {
    if (typeof minutes !== 'number' || !Number.isInteger(minutes)) return `minutes: expected a whole number of minutes, got ${String(minutes)}`;
    if (minutes > MAX_SHELVE_MINUTES) return `minutes: ${minutes} is beyond the longest shelving of ${MAX_SHELVE_MINUTES} minutes (MAX_SHELVE_MINUTES)`;
    if (minutes < MIN_SHELVE_MINUTES) return `minutes: ${minutes} is below the shortest shelving of ${MIN_SHELVE_MINUTES} minute (MIN_SHELVE_MINUTES)`;
    return null;
  }

  private refused(action: string, alarmId: string, reason: string): ActionResult {
    return { ok: false, code: 'refused', error: `${action} "${alarmId}": ${reason}` };
  }

  // -------------------------------------------------------------------------
  // Views, restore, counters.

  /** Every alarm not in `normal` (the snapshot's `alarms`), highest priority first, then newest raise first. */
  active(): AlarmEvent[] {
    const out: AlarmEvent[] = [];
    for (const rec of this.nonNormal) out.push(this.toEvent(rec));
    return out.sort((a, b) => (PRIORITY_RANK.get(a.priority) ?? 9) - (PRIORITY_RANK.get(b.priority) ?? 9) || b.raisedAt - a.raisedAt || (a.id < b.id ? -1 : 1));
  }

  /** The current record of one alarm (any state), or undefined for an unknown id. */
  get(alarmId: string): AlarmEvent | undefined {
    const rec = this.records.get(alarmId);
    return rec === undefined ? undefined : this.toEvent(rec);
  }

  /** The rules the engine runs, as given. */
  rules(): readonly AlarmRule[] {
    return this.ruleList;
  }

  /** The rule of one alarm, or undefined for an unknown id. */
  rule(alarmId: string): AlarmRule | undefined {
    return this.records.get(alarmId)?.rule;
  }

  /**
   * Rebuilds alarm states after a restart from the journal's latest record
   * per alarm (if several records of one alarm are given, the one with the
   * greatest `ts` counts). Produces no transitions: nothing is announced
   * again. Call once, before the first reading.
   *
   * - `unack`/`acked` restore an active condition, `normal`/`rtn-unack` an
   *   inactive one; in `shelved`, `suppressed` and `out-of-service` the
   *   journal does not say, so the first evaluation sets it silently.
   * - Shelving keeps its `shelvedUntil` (expiring at the next tick if past).
   * - Delays in progress are not restored: the next readings restart them.
   * - An active `bad-quality` alarm marks its tag bad and an active
   *   `gateway-offline` alarm its gateway offline until new data says otherwise.
   * - Unacknowledged critical alarms escalate again unless listed in
   *   `options.escalated`.
   * - Flood windows and chattering counters start empty.
   */
  restore(events: readonly RestoreEvent[], options: RestoreOptions = {}): RestoreReport {
    const escalated = new Set(options.escalated ?? []);
    const latest = new Map<string, RestoreEvent>();
    let invalid = 0;
    for (const e of Array.isArray(events) ? events : []) {
      if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || !ALARM_STATES.includes(e.state) || !isFiniteNumber(e.ts)) {
        invalid++;
        continue;
      }
      const prev = latest.get(e.id);
      if (prev === undefined || e.ts >= prev.ts) latest.set(e.id, e);
    }
    const unknown: string[] = [];
    let restored = 0;
    for (const e of latest.values()) {
      const rec = this.records.get(e.id);
      if (rec === undefined) {
        unknown.push(e.id);
        continue;
      }
      this.restoreOne(rec, e, escalated.has(e.id));
      restored++;
    }
    return { restored, unknown, invalid };
  }

  private restoreOne(rec: AlarmRecord, e: RestoreEvent, escalated: boolean): void {
    if (rec.pending !== PENDING_NONE) this.cancelPending(rec);
    this.shelvedSet.delete(rec);
    this.escalationWatch.delete(rec);
    const state = e.state;
    this.setState(rec, state);
    rec.suppressed = state === 'suppressed';
    rec.active = state === 'unack' || state === 'acked';
    rec.settle = state === 'shelved' || state === 'suppressed' || state === 'out-of-service';
    rec.value = isFiniteNumber(e.value) ? e.value : null;
    rec.raisedAt = isFiniteNumber(e.raisedAt) ? e.raisedAt : 0;
    rec.ackedAt = isFiniteNumber(e.ackedAt) ? e.ackedAt : undefined;
    rec.ackedBy = typeof e.ackedBy === 'string' ? e.ackedBy : undefined;
    rec.comment = typeof e.comment === 'string' ? e.comment : undefined;
    rec.lastTs = e.ts;
    rec.firstOut = e.firstOut === true;
    rec.message = typeof e.message === 'string' ? e.message : this.render(rec);
    rec.shelvedUntil = undefined;
    rec.shelvedBy = undefined;
    if (state === 'shelved') {
      rec.shelvedUntil = isFiniteNumber(e.shelvedUntil) ? e.shelvedUntil : e.ts;
      rec.shelvedBy = typeof e.user === 'string' ? e.user : undefined;
      this.shelvedSet.add(rec);
    }
    if (state === 'unack' || state === 'rtn-unack') {
      rec.annunciatedAt = rec.raisedAt > 0 ? rec.raisedAt : e.ts;
      rec.escalated = escalated;
      if (rec.rule.priority === 'critical' && !escalated) this.escalationWatch.add(rec);
    }
    if (rec.active && rec.rule.kind === 'bad-quality' && rec.tag !== null) rec.tag.quality = 'bad';
    if (rec.active && rec.rule.kind === 'gateway-offline') {
      const gw = this.gateways.get(rec.rule.tagId);
      if (gw !== undefined) gw.online = false;
    }
  }

  counters(): AlarmCounters {
    return { ...this.stats };
  }

  /** The `limit` alarms with the most condition raises (the bad-actors Pareto), most first. */
  badActors(limit = 10): BadActor[] {
    const out: BadActor[] = [];
    for (const rec of this.records.values()) {
      const h = rec.history;
      if (h !== null && h.raises > 0) out.push({ id: rec.rule.id, raises: h.raises, annunciations: h.annunciations, chatterEpisodes: h.chatterEpisodes });
    }
    out.sort((a, b) => b.raises - a.raises || (a.id < b.id ? -1 : 1));
    return out.slice(0, Math.max(0, limit));
  }

  /** Alarms chattering at `nowMs`: their latest `chatterChanges` raises/clears all within `chatterWindowMs` before it. */
  chattering(nowMs: number): string[] {
    const n = this.settings.chatterChanges;
    const out: string[] = [];
    for (const rec of this.records.values()) {
      const h = rec.history;
      if (h === null || h.changeCount < n) continue;
      if (nowMs - (h.changes[h.changeIndex] as number) <= this.settings.chatterWindowMs) out.push(rec.rule.id);
    }
    return out;
  }

  /**
   * Flood state and annunciations in the rolling window per area. With
   * `nowMs`, the windows move to it first (a flood end found so is reported
   * by the next tick, with its exact time).
   */
  floodStatus(nowMs?: number): FloodStatus[] {
    if (nowMs !== undefined && isFiniteNumber(nowMs)) this.flood.advance(nowMs);
    return this.flood.status();
  }

  /** Annunciations in the rolling flood window (default 10 min), all areas or one (as of the latest update). */
  annunciatedInWindow(area?: string): number {
    return this.flood.count(area);
  }
}
