import { ApiError, getJson } from './client';

// The register of major hazard installations (GB 18218-2018), as the server
// serves it (`GET /api/hazard-register`, `GET /api/hazard-register/{unit}`;
// docs/hazards.md). The GB 18218 level (1–4) is static master data from
// design quantities: a scale of its own, never shown in alarm-priority colours
// (DOMAIN.md §8).
//
// These types restate the parts of server/src/hazards/register.ts,
// grading.ts and classify.ts the display reads (the web cannot import the
// server); answers are checked for the fields used before they are shown.

export interface Localized {
  readonly zh: string;
  readonly en: string;
}

export interface ShownNumber {
  readonly value: number;
  /** As printed: exact, or rounded with a leading `≈`. */
  readonly text: string;
  readonly exact: boolean;
}

export interface UnitSummary {
  readonly id: string;
  readonly name: Localized;
  readonly enterprise: string;
  readonly type: 'production' | 'storage';
  readonly S: number;
  readonly isMajorHazard: boolean;
  readonly R: number | null;
  readonly level: number | null;
  readonly levelName: Localized | null;
}

export interface RegisterEnterprise {
  readonly id: string;
  readonly name: Localized;
  readonly residentsWithin500m: number;
  readonly residentsSource: string;
  readonly units: readonly string[];
}

export interface HazardRegisterAnswer {
  readonly park: { readonly id: string; readonly name: Localized };
  readonly standard: { readonly code: string; readonly title: Localized; readonly datasetVersion: number; readonly datasetDate: string };
  readonly register: { readonly version: number; readonly date: string; readonly preparedBy: string };
  readonly enterprises: readonly RegisterEnterprise[];
  readonly summary: readonly UnitSummary[];
  readonly unregistered?: readonly { readonly site: string; readonly hazardSource: string; readonly name: Localized }[];
}

export interface ItemTerm {
  readonly id: string;
  readonly substance: { readonly name: Localized; readonly cas: readonly string[]; readonly table1Row?: number };
  readonly q: ShownNumber;
  readonly qBasis: Localized;
  readonly Q: ShownNumber;
  readonly QStep: { readonly source: string; readonly reason: Localized; readonly status?: string };
  readonly qOverQ: ShownNumber;
  readonly beta: ShownNumber;
  readonly betaStep: { readonly source: string; readonly choice: string; readonly reason: Localized; readonly status?: string };
  readonly betaQOverQ: ShownNumber;
}

export interface UnitCalculation {
  readonly standard: string;
  readonly terms: readonly ItemTerm[];
  readonly identification: { readonly S: ShownNumber; readonly formula: string; readonly threshold: ShownNumber; readonly isMajorHazard: boolean; readonly conclusion: Localized };
  readonly grading: {
    readonly alpha: { readonly residents: number; readonly alpha: ShownNumber; readonly band: Localized; readonly reason: Localized };
    readonly sumBetaQOverQ: ShownNumber;
    readonly R: ShownNumber;
    readonly formula: string;
    readonly level: { readonly level: number; readonly name: Localized; readonly rule: string };
    readonly conclusion: Localized;
  } | null;
  readonly notGraded?: Localized;
}

export interface HazardUnitAnswer {
  readonly id: string;
  readonly name: Localized;
  readonly enterprise: { readonly id: string; readonly name: Localized };
  readonly type: 'production' | 'storage';
  readonly boundary: { readonly kind: string; readonly description: Localized };
  readonly calculation: UnitCalculation;
  readonly summary: UnitSummary;
  readonly tags?: readonly { readonly id: string; readonly vessel: string; readonly item: string; readonly known: boolean; readonly gateway?: string }[];
  /** The regulatory obligations and whether the configured tags show them present (docs/hazards.md). */
  readonly obligations?: {
    readonly source: string;
    readonly version: number;
    readonly date: string;
    readonly results: readonly ObligationResult[];
  };
}

export type ObligationStatus = 'met' | 'partial' | 'missing' | 'declared' | 'not-applicable';

export interface ObligationResult {
  readonly id: string;
  readonly title: Localized;
  readonly status: ObligationStatus;
  readonly why: Localized;
  readonly evidence: Localized;
  readonly tags: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSummary(value: unknown): value is UnitSummary {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    isRecord(value.name) &&
    typeof value.S === 'number' &&
    (value.level === null || typeof value.level === 'number') &&
    (value.R === null || typeof value.R === 'number')
  );
}

function errorOf(body: unknown): string | null {
  return isRecord(body) && typeof body.error === 'string' ? body.error : null;
}

export function unitReportHref(unitId: string, format: 'csv' | 'html'): string {
  return `/api/hazard-register/${encodeURIComponent(unitId)}/report.${format}`;
}

/** `GET /api/hazard-register`. Rejects with ApiError. */
export async function fetchHazardRegister(signal?: AbortSignal): Promise<HazardRegisterAnswer> {
  const path = '/api/hazard-register';
  const response = await getJson(path, { timeoutMs: 10_000, ...(signal ? { signal } : {}) });
  if (!response.ok) throw new ApiError('http', errorOf(response.body) ?? `HTTP ${response.httpStatus}`, response.httpStatus);
  const body = response.body;
  if (!isRecord(body) || !Array.isArray(body.summary) || !body.summary.every(isSummary) || !Array.isArray(body.enterprises)) {
    throw new ApiError('invalid-response', `GET ${path}: not a hazard register`);
  }
  return body as unknown as HazardRegisterAnswer;
}

/** `GET /api/hazard-register/{unit}`. Rejects with ApiError (404: not in the register). */
export async function fetchHazardUnit(unitId: string, signal?: AbortSignal): Promise<HazardUnitAnswer> {
  const path = `/api/hazard-register/${encodeURIComponent(unitId)}`;
  const response = await getJson(path, { timeoutMs: 10_000, ...(signal ? { signal } : {}) });
  if (!response.ok) throw new ApiError('http', errorOf(response.body) ?? `HTTP ${response.httpStatus}`, response.httpStatus);
  const body = response.body;
  if (!isRecord(body) || !isSummary(body.summary) || !isRecord(body.calculation) || !Array.isArray(body.calculation.terms)) {
    throw new ApiError('invalid-response', `GET ${path}: not a register unit`);
  }
  return body as unknown as HazardUnitAnswer;
}
