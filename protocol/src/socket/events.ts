/**
 * Socket.IO event maps, for `new Server<ClientToServerEvents,
 * ServerToClientEvents>()` and `io() as Socket<ServerToClientEvents,
 * ClientToServerEvents>`.
 *
 * On connect the server sends one `snapshot`; then batched `values` (at most
 * a few per second), `alarm` on every alarm state transition and `gateway`
 * when a gateway's status changes.
 */

import type { AlarmEscalationEvent, AlarmEvent, AlarmFloodEvent, RiskWarningEvent } from '../alarms.js';
import type { MetaTag, Reading, StatusMessage } from '../payloads/types.js';

/**
 * A catalogue entry: a meta tag and the gateway that publishes it, joined
 * with the park model where the tag is configured there (names in both
 * languages, place, range and limits). Tags seen only in a gateway's `meta`
 * have just the MetaTag fields and `gateway`.
 */
export interface CatalogueTag extends MetaTag {
  gateway: string;
  /** Display name in both UI languages. */
  name?: { zh: string; en: string };
  site?: string;
  /** Hazard source (重大危险源 unit) id. */
  hazardSource?: string;
  equipment?: string;
  /** Instrument range [low, high] in engineering units. */
  range?: [number, number];
  /** Alarm limits in engineering units. */
  limits?: { hh?: number; h?: number; l?: number; ll?: number };
}

/** A gateway's latest status message, as the server received it. */
export interface GatewayStatusEvent extends StatusMessage {
  /** When the server received the status message (server clock). */
  receivedAt: number;
  /** When the server first received the current `state` in a row (server clock): online or offline since. */
  stateSince?: number;
  /**
   * The devices and counters of the latest earlier status that carried any,
   * when this one carries none (a last will): what the gateway reported
   * before it was lost.
   */
  lastKnown?: { receivedAt: number; devices: StatusMessage['devices']; counters?: Record<string, number> };
}

/** A reading as the server holds it: with when it arrived, so a display can tell fresh from stale. */
export interface LiveReading extends Reading {
  /** When the server received it (server clock, ms). */
  receivedAt: number;
}

/** The park's structure for grouping and naming: sites and their hazard sources. */
export interface ParkSummary {
  id: string;
  name: { zh: string; en: string };
  /** IANA time zone of the park. */
  timezone: string;
  sites: { id: string; name: { zh: string; en: string }; hazardSources: { id: string; name: { zh: string; en: string } }[] }[];
}

/** Everything a display needs to start. */
export interface Snapshot {
  /** When the server built the snapshot. */
  ts: number;
  park: ParkSummary;
  tags: CatalogueTag[];
  /** The latest reading of each tag that has one. */
  values: LiveReading[];
  /** Alarms not in `normal` state. */
  alarms: AlarmEvent[];
  /** Floods going on now, one per area (the latest `flood-start` of each). */
  floods: AlarmFloodEvent[];
  /** Escalations whose alarm is still unacknowledged. */
  escalations: AlarmEscalationEvent[];
  /** The risk early-warning colour of every major hazard installation. */
  risks: RiskWarningEvent[];
  gateways: GatewayStatusEvent[];
}

/** New readings since the previous `values` event (latest per tag). */
export interface ValuesEvent {
  /** When the server sent the batch. */
  ts: number;
  readings: LiveReading[];
}

/** `alarm:ack` request; acknowledges the alarm `id`. */
export interface AlarmAckRequest {
  id: string;
  comment?: string;
}

/** `alarm:shelve` request; shelves the alarm `id` for `minutes`. */
export interface AlarmShelveRequest {
  id: string;
  minutes: number;
  reason: string;
}

/** The acknowledgement callback's argument. */
export type AckResult = { ok: true } | { ok: false; error: string };

export interface ServerToClientEvents {
  snapshot: (snapshot: Snapshot) => void;
  values: (batch: ValuesEvent) => void;
  alarm: (event: AlarmEvent) => void;
  escalation: (event: AlarmEscalationEvent) => void;
  flood: (event: AlarmFloodEvent) => void;
  risk: (event: RiskWarningEvent) => void;
  gateway: (status: GatewayStatusEvent) => void;
}

/**
 * Emergency-command events, kept apart from ServerToClientEvents so code
 * that implements that map keeps compiling. A commander display types its
 * socket with `ParkServerToClientEvents`.
 */
export interface EmergencyServerToClientEvents {
  /** One step of an installation's escalation chain, to the room of the step's duty (`duty:<duty>`). */
  'escalation:step': (event: EscalationStepEvent) => void;
  /** An incident opened, a step ticked or un-ticked, a note added, or closed: to commanders. */
  incident: (event: IncidentChangeEvent) => void;
}

/** Everything the server sends. */
export type ParkServerToClientEvents = ServerToClientEvents & EmergencyServerToClientEvents;

/** Who an escalation step goes to. A shift leader is a post: a display joins it with `auth: { duty: ['shift-leader'] }`. */
export type EscalationDuty = 'operator' | 'shift-leader' | 'commander';

/** A step of the escalation chain: the alarm is still unacknowledged `unackedForMs` after it was annunciated. */
export interface EscalationStepEvent extends AlarmEscalationEvent {
  /** The alarm's installation, when it has one. */
  hazardSource?: string;
  /** 1-based step number and the chain's length. */
  step: number;
  steps: number;
  duty: EscalationDuty;
  /** `ts` of the transition into `unack` that started the chain's clock. */
  annunciatedAt: number;
}

/** A change of an incident record, for the commander view (the full record: GET /api/incidents/{id}). */
export interface IncidentChangeEvent {
  type: 'opened' | 'step' | 'note' | 'closed';
  incidentId: string;
  state: 'open' | 'closed';
  cardId: string;
  cardVersion: number;
  hazardSource: string;
  /** Server time of the change (the timeline entry's `ts`). */
  ts: number;
  user?: string;
  text: string;
  /** With `step`: the step and whether it is now done. */
  seq?: number;
  done?: boolean;
  /** Steps done so far and in all. */
  stepsDone: number;
  stepCount: number;
}

export interface ClientToServerEvents {
  'alarm:ack': (request: AlarmAckRequest, callback: (result: AckResult) => void) => void;
  'alarm:shelve': (request: AlarmShelveRequest, callback: (result: AckResult) => void) => void;
}
