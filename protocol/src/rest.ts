/** REST API types under `/api` (see ARCHITECTURE.md, "Fixed interfaces"). */

/** User roles; only the right role may acknowledge, shelve or change anything. */
export type Role = 'viewer' | 'operator' | 'commander' | 'engineer' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'commander', 'engineer', 'admin'];

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && (ROLES as readonly string[]).includes(x);
}

export type HealthStatus = 'ok' | 'degraded' | 'down';
export const HEALTH_STATUSES: readonly HealthStatus[] = ['ok', 'degraded', 'down'];

export interface ComponentHealth {
  status: HealthStatus;
  /** One line for people, e.g. `influx: 3 failed writes in the last minute`. */
  detail?: string;
}

/** `GET /api/health` */
export interface HealthResponse {
  status: HealthStatus;
  /** Component name (`mqtt`, `influx`, …) → its health. */
  components: Record<string, ComponentHealth>;
}

/** `POST /api/login` body. */
export interface LoginRequest {
  username: string;
  password: string;
}

/** `POST /api/login` response (with the session cookie). */
export interface LoginResponse {
  user: string;
  role: Role;
}

/** `POST /api/alarms/{id}/ack` body. */
export interface AlarmAckBody {
  comment?: string;
}

/** `POST /api/alarms/{id}/shelve` body. */
export interface AlarmShelveBody {
  /** MIN_SHELVE_MINUTES to MAX_SHELVE_MINUTES. */
  minutes: number;
  /** Why; required (journalled and audited). */
  reason: string;
}
