/**
 * Alarm vocabulary (ISA-18.2 / IEC 62682) shared by the alarm engine, the
 * journal, Socket.IO and the web. Types only, plus the lists of values.
 *
 * Alarm priority is one of four scales that must never be mixed (DOMAIN.md
 * §8): GDS level 1/2, alarm priority, the risk early-warning colour and the
 * GB 18218 major-hazard level each have their own enumeration elsewhere.
 */

/**
 * Where an alarm is in its lifecycle:
 * - `normal`: condition inactive and nothing to acknowledge;
 * - `unack`: condition active, not yet acknowledged (annunciated);
 * - `acked`: condition active, acknowledged by an operator;
 * - `rtn-unack`: returned to normal before anyone acknowledged it; still
 *   waits for an acknowledgement (which takes it to `normal`);
 * - `shelved`: taken off annunciation by an operator, with a reason, until
 *   `shelvedUntil`; returns automatically when shelving expires;
 * - `suppressed`: suppressed by design (logic: equipment not running, a
 *   plant state), still evaluated and journalled;
 * - `out-of-service`: removed for maintenance under management of change.
 * The optional ISA-18.2 "latched" state is not used in v1.
 */
export type AlarmState = 'normal' | 'unack' | 'acked' | 'rtn-unack' | 'shelved' | 'suppressed' | 'out-of-service';
export const ALARM_STATES: readonly AlarmState[] = ['normal', 'unack', 'acked', 'rtn-unack', 'shelved', 'suppressed', 'out-of-service'];

/**
 * Process alarm priority from rationalization; `critical` additionally
 * escalates to commanders while unacknowledged. Highest first.
 */
export type AlarmPriority = 'critical' | 'high' | 'medium' | 'low';
export const ALARM_PRIORITIES: readonly AlarmPriority[] = ['critical', 'high', 'medium', 'low'];

/**
 * What raised the alarm: limits `hh`, `h`, `l`, `ll` (with deadband and
 * on/off delays); `roc` rate of change; `discrete` (SIS trip, bypass active,
 * valve position mismatch, a GDS level); `bad-quality` (instrument fault);
 * `stale` (no good value within a window: communication loss);
 * `gateway-offline`; `frozen` (a transmitter reporting exactly the same
 * value for longer than a configured window: a stuck instrument).
 */
export type AlarmKind = 'hh' | 'h' | 'l' | 'll' | 'roc' | 'discrete' | 'bad-quality' | 'stale' | 'gateway-offline' | 'frozen';
export const ALARM_KINDS: readonly AlarmKind[] = ['hh', 'h', 'l', 'll', 'roc', 'discrete', 'bad-quality', 'stale', 'gateway-offline', 'frozen'];

/**
 * One alarm state transition (the `alarm` Socket.IO event, one journal
 * point) or, in a snapshot, an alarm's current record. Times are ms since
 * the epoch.
 */
export interface AlarmEvent {
  /** The alarm (one per tag and kind), ALARM_ID_PATTERN, e.g. `a.hs01.t101.level:hh`. */
  id: string;
  /** The tag; for `gateway-offline` alarms, the gateway id. */
  tagId: string;
  kind: AlarmKind;
  priority: AlarmPriority;
  /** The state after this transition. */
  state: AlarmState;
  /** The value at this transition; null when there is none (`stale`, `gateway-offline`). */
  value: number | null;
  /** The limit crossed (`hh`…`ll`: engineering units; `roc`: units per minute); null for other kinds. */
  limit: number | null;
  /** Human text for operators, e.g. `T101 level high high 9.2 m (limit 9.0 m)`. */
  message: string;
  /** When the alarm last went from normal to active; kept through ack, return to normal and shelving. */
  raisedAt: number;
  /** When it was acknowledged since it was raised; absent until then. */
  ackedAt?: number;
  /** Who acknowledged it (user name); set together with ackedAt. */
  ackedBy?: string;
  /** The comment given with the latest acknowledgement, shelving (its reason) or service change. */
  comment?: string;
  /** When shelving expires; present only while `state` is `shelved`. */
  shelvedUntil?: number;
  /**
   * True when this alarm was chosen as the first-out of a cascade: the
   * earliest alarm raised in the hazard source of an SIS trip (or in the
   * area of a flood) within the first-out window before it. Set by a
   * transition with cause `first-out`; kept until the alarm's next raise.
   * Absent otherwise. The choice is described in docs/alarms.md ("First-out").
   */
  firstOut?: boolean;
  /** When this transition happened. */
  ts: number;
  /** The site (flood and KPI area) the alarm belongs to; set by the server when it announces the alarm. */
  area?: string;
}

/** A critical alarm left unacknowledged too long: the `escalation` Socket.IO event, for commanders. */
export interface AlarmEscalationEvent {
  /** The alarm as it stands (`unack` or `rtn-unack`). */
  alarm: AlarmEvent;
  /** When the server escalated it. */
  ts: number;
  /** How long it had been annunciated without acknowledgement. */
  unackedForMs: number;
}

/**
 * An alarm flood starting or ending in an area (site): more than 10 new
 * alarms in 10 minutes starts one, fewer than 5 ends it (DOMAIN.md §7.3).
 */
export interface AlarmFloodEvent {
  type: 'flood-start' | 'flood-end';
  area: string;
  ts: number;
  /** Annunciations in the window now. */
  count: number;
  startedAt: number;
  /** Most annunciations in the window during this flood. */
  peak: number;
}

/**
 * Risk early-warning colour of a major hazard installation (the national
 * red/orange/yellow/blue scheme: major, larger, general, low risk warning).
 * Its own scale: never an alarm priority, a GDS level or the GB 18218 level.
 */
export type RiskColour = 'red' | 'orange' | 'yellow' | 'blue' | 'none';
export const RISK_COLOURS: readonly RiskColour[] = ['red', 'orange', 'yellow', 'blue', 'none'];

/** The `risk` Socket.IO event and one point of the risk journal: an installation's colour changed. */
export interface RiskWarningEvent {
  hazardSource: string;
  site: string;
  colour: RiskColour;
  previous: RiskColour;
  /** Why, most severe first: the rule and the alarm ids that met it. */
  reasons: { rule: string; alarms: string[] }[];
  ts: number;
}
