import { ApiError, getJson, type RequestOptions } from './client';

// GET /api/health. These types restate the server's contract for now; they
// will come from @park/protocol (one definition shared with the server) once
// it defines the health payload, and this file will then only fetch.

export const HEALTH_STATUSES = ['ok', 'degraded', 'down'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export interface ComponentHealth {
  readonly status: HealthStatus;
  readonly detail?: string;
}

export interface HealthReport {
  readonly status: HealthStatus;
  /** Keyed by component name, e.g. `influxdb`, `mqtt`. */
  readonly components: Readonly<Record<string, ComponentHealth>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHealthStatus(value: unknown): value is HealthStatus {
  return typeof value === 'string' && (HEALTH_STATUSES as readonly string[]).includes(value);
}

/**
 * Checks an answer against the contract. Anything it does not understand
 * (an unknown status word included) is an invalid answer, shown as "not
 * live", never guessed at.
 */
export function parseHealthReport(body: unknown): HealthReport | string {
  if (!isRecord(body)) return 'not a JSON object';
  if (!isHealthStatus(body.status)) return `status: unexpected ${JSON.stringify(body.status)}`;
  if (!isRecord(body.components)) return 'components: not an object';
  const components: Record<string, ComponentHealth> = {};
  for (const [name, value] of Object.entries(body.components)) {
    if (!isRecord(value)) return `components.${name}: not an object`;
    if (!isHealthStatus(value.status)) return `components.${name}.status: unexpected ${JSON.stringify(value.status)}`;
    if (value.detail !== undefined && typeof value.detail !== 'string') return `components.${name}.detail: not a string`;
    components[name] = value.detail === undefined ? { status: value.status } : { status: value.status, detail: value.detail };
  }
  return { status: body.status, components };
}

/** A valid report is accepted whatever the HTTP status (a server that is `down` may say so with 503). */
export async function fetchHealth(options: RequestOptions = {}): Promise<HealthReport> {
  const response = await getJson('/api/health', options);
  const report = parseHealthReport(response.body);
  if (typeof report !== 'string') return report;
  if (!response.ok) throw new ApiError('http', `GET /api/health: HTTP ${response.httpStatus}`, response.httpStatus);
  throw new ApiError('invalid-response', `GET /api/health: ${report}`);
}
