import { ApiError, getJson } from './client';

// `GET /api/environment` (docs/environment.md): the monitors and the tags of
// their averages, with limits and where each limit comes from.

export interface EnvironmentAverage {
  readonly id: string;
  readonly window: string;
  readonly limits: { readonly hh?: number; readonly h?: number; readonly l?: number; readonly ll?: number };
  readonly priority: string;
  readonly basis: string;
}

export interface EnvironmentMonitor {
  readonly tag: string;
  readonly kind: 'fence-line' | 'outlet';
  readonly averages: readonly EnvironmentAverage[];
}

export interface EnvironmentAnswer {
  readonly minCoverage: number;
  readonly everySeconds: number;
  readonly monitors: readonly EnvironmentMonitor[];
}

function isAnswer(b: unknown): b is EnvironmentAnswer {
  if (typeof b !== 'object' || b === null) return false;
  const v = b as Record<string, unknown>;
  return typeof v['minCoverage'] === 'number' && Array.isArray(v['monitors']) && (v['monitors'] as unknown[]).every((m) => typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>)['tag'] === 'string' && Array.isArray((m as Record<string, unknown>)['averages']));
}

export async function fetchEnvironment(signal?: AbortSignal): Promise<EnvironmentAnswer> {
  const response = await getJson('/api/environment', { timeoutMs: 8_000, ...(signal ? { signal } : {}) });
  if (!response.ok) {
    const error = typeof response.body === 'object' && response.body !== null && typeof (response.body as { error?: unknown }).error === 'string' ? (response.body as { error: string }).error : `HTTP ${response.httpStatus}`;
    throw new ApiError('http', error, response.httpStatus);
  }
  if (!isAnswer(response.body)) throw new ApiError('invalid-response', 'GET /api/environment: not a list of monitors');
  return response.body;
}
