import { ApiError, getJson, postJson } from './client';
import type { Localized } from './hazards';

// Emergency command over the REST API (docs/emergency.md): disposal cards
// (应急处置卡), incidents and the first-30-minute hazard zone. These types
// restate the parts of server/src/emergency/* the display reads (the web
// cannot import the server); answers are checked for the fields used.
// Coordinates are local metres on the site plan: x east, y north.

export type ValvePosition = 'open' | 'closed' | 'travel' | 'mismatch' | 'unknown';

export interface ValveState {
  readonly id: string;
  readonly name: Localized;
  readonly position: ValvePosition;
  readonly ts?: number;
  readonly tags: readonly { readonly id: string; readonly v: number | null; readonly q: string | null }[];
}

export interface CardStep {
  readonly seq: number;
  readonly action: Localized;
  readonly post: Localized;
  readonly timeLimitMin?: number;
  readonly valves?: readonly string[];
}

export interface EmergencyCard {
  readonly card: {
    readonly id: string;
    readonly version: number;
    readonly title: Localized;
    readonly hazardSource: string;
    readonly scenario: { readonly substance: string; readonly event: string };
    readonly post: Localized;
    readonly reviewDate: string;
    readonly reviewedBy?: string;
    readonly autoOpen?: boolean;
  };
  readonly substance: {
    readonly name: Localized;
    readonly cas?: string;
    readonly un?: string;
    readonly ergGuide?: number;
    readonly verified: boolean;
    readonly ghs: readonly Localized[];
    readonly firstAid: Localized;
    readonly fireFighting: Localized;
    readonly spill: Localized;
  };
  readonly zone: { readonly kind: string; readonly verified: boolean; readonly source: string };
  readonly valves: readonly { readonly id: string; readonly name: Localized }[];
  readonly steps: readonly CardStep[];
  readonly ppe: readonly Localized[];
  readonly contacts: readonly { readonly role: Localized; readonly name?: string; readonly phone: string }[];
  readonly assemblyPoint: string;
  readonly precautions?: readonly Localized[];
}

export interface CardSummary {
  readonly id: string;
  readonly version: number;
  readonly title: Localized;
  readonly hazardSource: string;
  readonly scenario: { readonly substance: string; readonly event: string };
  readonly post: Localized;
  readonly reviewDate: string;
  readonly autoOpen: boolean;
}

export interface MapPoint {
  readonly id: string;
  readonly kind: string;
  readonly x: number;
  readonly y: number;
  readonly name: Localized;
  readonly people?: number;
}

export interface CardAnswer {
  readonly card: EmergencyCard;
  readonly valves: readonly ValveState[];
  readonly assemblyPoint: MapPoint | null;
}

export interface TimelineEntry {
  readonly ts: number;
  readonly type: 'opened' | 'alarm' | 'valve' | 'step' | 'note' | 'closed';
  readonly user?: string;
  readonly text: string;
  readonly alarmId?: string;
  readonly seq?: number;
  readonly done?: boolean;
  readonly valve?: string;
  readonly position?: ValvePosition;
}

export interface IncidentStep {
  readonly seq: number;
  readonly done: boolean;
  readonly doneAt?: number;
  readonly doneBy?: string;
}

export interface Incident {
  readonly id: string;
  readonly state: 'open' | 'closed';
  readonly cardId: string;
  readonly cardVersion: number;
  readonly hazardSource: string;
  readonly alarmId?: string;
  readonly openedAt: number;
  readonly openedBy: string;
  readonly closedAt?: number;
  readonly closedBy?: string;
  readonly steps: readonly IncidentStep[];
  readonly timeline: readonly TimelineEntry[];
}

export interface IncidentDetail extends Incident {
  readonly card: EmergencyCard | null;
  readonly valves: readonly ValveState[];
}

export type SpillSize = 'small' | 'large';
export type Polygon = readonly (readonly [number, number])[];

export interface InsidePoint {
  readonly id: string;
  readonly kind: string;
  readonly name: Localized;
  readonly people?: number;
  readonly distanceM: number;
  readonly bearingDeg: number;
  readonly zone: 'isolation' | 'protective-action' | 'plume';
  /** With `plume`: the highest contour level reached there and the estimated concentration. */
  readonly plumeLevel?: 1 | 2;
  readonly concentrationMgM3?: number;
}

/** One contour of the Gaussian plume: where the ground-level concentration exceeds `thresholdMgM3`. */
export interface PlumeContour {
  readonly level: 1 | 2;
  readonly thresholdMgM3: number;
  readonly reached: boolean;
  readonly distanceM: number;
  readonly beyondRange: boolean;
  readonly polygon: Polygon;
}

/** The plume layer of the hazard zone: guidance, with every input shown (docs/emergency.md). */
export interface PlumeLayer {
  readonly guidance: string;
  readonly inputs: {
    readonly rateGs: number;
    readonly rateFrom: 'request' | 'level-trend';
    readonly windSpeedMs: number;
    readonly fromDeg: number;
    readonly downwindDeg: number;
    readonly stabilityClass: string;
    readonly stabilityFrom: 'request' | 'station' | 'pasquill-table';
    readonly releaseHeightM: number;
  };
  readonly basis: string;
  readonly contours: readonly PlumeContour[];
  readonly verified: boolean;
  readonly limits: readonly string[];
}

export interface HazardZone {
  readonly release: { readonly id: string; readonly x: number; readonly y: number };
  readonly spill: SpillSize;
  readonly period: 'day' | 'night';
  readonly periodFrom?: 'clock' | 'request';
  readonly card?: string;
  readonly wind: { readonly speedMs?: number; readonly fromDeg?: number; readonly stabilityClass?: number; readonly downwindDeg: number | null };
  readonly isolation: { readonly radiusM: number; readonly polygon: Polygon };
  readonly protectiveAction: { readonly distanceM: number; readonly shape: 'sector' | 'circle'; readonly downwindDeg: number | null; readonly halfAngleDeg: number; readonly polygon: Polygon } | null;
  readonly inside: readonly InsidePoint[];
  /** Absent from servers without the plume model; null with `plumeNotDrawn` saying why. */
  readonly plume?: PlumeLayer | null;
  readonly plumeNotDrawn?: string;
  readonly verified: boolean;
  readonly source: string;
  readonly limits: string;
  readonly warnings: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorOf(body: unknown): string | null {
  return isRecord(body) && typeof body.error === 'string' ? body.error : null;
}

function isIncident(value: unknown): value is Incident {
  return isRecord(value) && typeof value.id === 'string' && typeof value.cardId === 'string' && typeof value.openedAt === 'number' && Array.isArray(value.steps) && Array.isArray(value.timeline);
}

function isCard(value: unknown): value is EmergencyCard {
  return isRecord(value) && isRecord(value.card) && isRecord(value.substance) && Array.isArray(value.steps) && Array.isArray(value.ppe) && Array.isArray(value.contacts);
}

function isPolygon(value: unknown): value is Polygon {
  return Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'number' && typeof p[1] === 'number');
}

async function getChecked<T>(path: string, check: (body: unknown) => body is T, what: string, signal?: AbortSignal): Promise<T> {
  const response = await getJson(path, { timeoutMs: 8_000, ...(signal ? { signal } : {}) });
  if (!response.ok) throw new ApiError('http', errorOf(response.body) ?? `HTTP ${response.httpStatus}`, response.httpStatus);
  if (!check(response.body)) throw new ApiError('invalid-response', `GET ${path}: not ${what}`);
  return response.body;
}

/** `GET /api/incidents[?state=]`, newest first. */
export function fetchIncidents(state: 'open' | 'closed' | undefined, signal?: AbortSignal): Promise<readonly Incident[]> {
  const path = state ? `/api/incidents?state=${state}` : '/api/incidents';
  return getChecked(path, (b): b is readonly Incident[] => Array.isArray(b) && b.every(isIncident), 'a list of incidents', signal);
}

function isDetail(b: unknown): b is IncidentDetail {
  return isIncident(b) && isRecord(b) && (b.card === null || isCard(b.card)) && Array.isArray(b.valves);
}

/** `GET /api/incidents/{id}`: with its card (the version it was opened with) and the live valves. */
export function fetchIncident(id: string, signal?: AbortSignal): Promise<IncidentDetail> {
  return getChecked(
    `/api/incidents/${encodeURIComponent(id)}`,
    isDetail,
    'an incident',
    signal,
  );
}

/** `GET /api/cards`. */
export function fetchCards(signal?: AbortSignal): Promise<readonly CardSummary[]> {
  return getChecked('/api/cards', (b): b is readonly CardSummary[] => Array.isArray(b) && b.every((c) => isRecord(c) && typeof c.id === 'string' && isRecord(c.title)), 'a list of cards', signal);
}

/** `GET /api/cards/{id}`: the card, its live valves and its assembly point. */
export function fetchCard(id: string, signal?: AbortSignal): Promise<CardAnswer> {
  return getChecked(`/api/cards/${encodeURIComponent(id)}`, (b): b is CardAnswer => isRecord(b) && isCard(b.card) && Array.isArray(b.valves), 'a card', signal);
}

/** `GET /api/hazard-zone`. A 409 (no distance for this spill size) rejects with the server's reason. */
export function fetchHazardZone(hazardSource: string, spill: SpillSize, card: string | undefined, signal?: AbortSignal): Promise<HazardZone> {
  const params = new URLSearchParams({ hazardSource, spill });
  if (card) params.set('card', card);
  return getChecked(
    `/api/hazard-zone?${params.toString()}`,
    (b): b is HazardZone =>
      isRecord(b) &&
      isRecord(b.release) &&
      typeof b.release.x === 'number' &&
      typeof b.release.y === 'number' &&
      isRecord(b.wind) &&
      isRecord(b.isolation) &&
      isPolygon(b.isolation.polygon) &&
      (b.protectiveAction === null || (isRecord(b.protectiveAction) && isPolygon(b.protectiveAction.polygon))) &&
      Array.isArray(b.inside) &&
      Array.isArray(b.warnings) &&
      (b.plume === undefined || b.plume === null || (isRecord(b.plume) && isRecord(b.plume.inputs) && Array.isArray(b.plume.contours) && b.plume.contours.every((c) => isRecord(c) && isPolygon(c.polygon)))),
    'a hazard zone',
    signal,
  );
}

export type EmergencyOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number; readonly error: string; readonly incidentId?: string };

async function act<T>(path: string, body: unknown, check: (b: unknown) => b is T): Promise<EmergencyOutcome<T>> {
  try {
    const response = await postJson(path, body, { timeoutMs: 8_000 });
    if (response.ok && check(response.body)) return { ok: true, value: response.body };
    if (response.ok) return { ok: false, status: response.httpStatus, error: `POST ${path}: invalid answer` };
    const b = response.body;
    const incidentId = isRecord(b) && typeof b.incidentId === 'string' ? b.incidentId : undefined;
    return { ok: false, status: response.httpStatus, error: errorOf(b) ?? `HTTP ${response.httpStatus}`, ...(incidentId ? { incidentId } : {}) };
  } catch (error) {
    return { ok: false, status: 0, error: error instanceof Error ? error.message : String(error) };
  }
}

export function openIncident(cardId: string, note?: string, alarmId?: string): Promise<EmergencyOutcome<Incident>> {
  const trimmed = note?.trim();
  return act('/api/incidents', { cardId, ...(trimmed ? { note: trimmed } : {}), ...(alarmId ? { alarmId } : {}) }, isIncident);
}

export interface CardMatch {
  readonly reason: string;
  readonly card: CardSummary;
}

const matches = new Map<string, Promise<readonly CardMatch[]>>();

/** `GET /api/cards/match?alarm=`: the disposal cards an alarm opens, best first; asked once per alarm id and page. */
export function fetchCardMatches(alarmId: string): Promise<readonly CardMatch[]> {
  let p = matches.get(alarmId);
  if (!p) {
    p = getChecked(
      `/api/cards/match?alarm=${encodeURIComponent(alarmId)}`,
      (b): b is { matches: CardMatch[] } => isRecord(b) && Array.isArray(b.matches) && b.matches.every((m) => isRecord(m) && isRecord(m.card) && typeof m.card.id === 'string'),
      'card matches',
    ).then((b) => b.matches);
    // A failed answer is asked again next time.
    p.catch(() => matches.delete(alarmId));
    matches.set(alarmId, p);
  }
  return p;
}

export function tickStep(id: string, seq: number, done: boolean, comment?: string): Promise<EmergencyOutcome<Incident>> {
  const trimmed = comment?.trim();
  return act(`/api/incidents/${encodeURIComponent(id)}/steps/${seq}`, trimmed ? { done, comment: trimmed } : { done }, isIncident);
}

export function addIncidentNote(id: string, text: string): Promise<EmergencyOutcome<Incident>> {
  return act(`/api/incidents/${encodeURIComponent(id)}/notes`, { text: text.trim() }, isIncident);
}

/**
 * The comment given when a step was ticked. The server keeps it only inside
 * the timeline text (`完成 步骤 n：<action zh> — <comment>`), so it is taken
 * from there, after the known prefix.
 */
export function stepComment(entry: TimelineEntry, actionZh: string | undefined): string | null {
  if (entry.type !== 'step' || entry.seq === undefined) return null;
  const prefix = `${entry.done === false ? '撤销' : '完成'} 步骤 ${entry.seq}${actionZh ? `：${actionZh}` : ''}`;
  if (!entry.text.startsWith(prefix)) return null;
  const rest = entry.text.slice(prefix.length);
  return rest.startsWith(' — ') ? rest.slice(3) : null;
}

/** `GET /api/park-map`: the whole site plan in local metres (x east, y north). */
export interface SitePlan {
  readonly sites: readonly { readonly site: string; readonly outline: Polygon }[];
  readonly buildings: readonly { readonly id: string; readonly name?: Localized; readonly outline: Polygon }[];
  readonly tanks: readonly { readonly id: string; readonly x: number; readonly y: number; readonly r: number; readonly hazardSource?: string; readonly name?: Localized }[];
  readonly roads: readonly { readonly id: string; readonly name?: Localized; readonly path: Polygon; readonly widthM: number }[];
}

export interface ParkMapAnswer {
  readonly points: readonly MapPoint[];
  readonly weather: { readonly x: number; readonly y: number } | null;
  readonly plan: SitePlan;
}

function isParkMap(b: unknown): b is ParkMapAnswer {
  if (!isRecord(b) || !Array.isArray(b.points) || !isRecord(b.plan)) return false;
  const plan = b.plan;
  return (
    b.points.every((p) => isRecord(p) && typeof p.id === 'string' && typeof p.x === 'number' && typeof p.y === 'number' && isRecord(p.name)) &&
    Array.isArray(plan.sites) &&
    plan.sites.every((s) => isRecord(s) && isPolygon(s.outline)) &&
    Array.isArray(plan.buildings) &&
    plan.buildings.every((x) => isRecord(x) && typeof x.id === 'string' && isPolygon(x.outline)) &&
    Array.isArray(plan.tanks) &&
    plan.tanks.every((x) => isRecord(x) && typeof x.id === 'string' && typeof x.x === 'number' && typeof x.y === 'number' && typeof x.r === 'number') &&
    Array.isArray(plan.roads) &&
    plan.roads.every((x) => isRecord(x) && typeof x.id === 'string' && isPolygon(x.path) && typeof x.widthM === 'number')
  );
}

/** `GET /api/park-map`. Rejects with ApiError (404: the server has no map). */
export function fetchParkMap(signal?: AbortSignal): Promise<ParkMapAnswer> {
  return getChecked('/api/park-map', isParkMap, 'a park map', signal);
}
