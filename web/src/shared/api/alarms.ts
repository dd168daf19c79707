import { ALARM_PRIORITIES, ALARM_STATES, type AlarmEvent } from '@park/protocol';
import { ApiError, getJson, postJson } from './client';

// The alarm routes of the REST API: acknowledge, shelve, journal search.
// Actions answer in words: the result is kept with the server's reason, so
// the interface can say what happened to each request.

export type ActionOutcome =
  | { readonly ok: true }
  /** `status`: the HTTP status (0: no answer); `error`: the server's reason, or ours. */
  | { readonly ok: false; readonly status: number; readonly error: string; readonly code: 'http' | 'timeout' | 'network' };

function errorOf(body: unknown): string | null {
  if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string') return (body as { error: string }).error;
  return null;
}

async function post(path: string, body: unknown): Promise<ActionOutcome> {
  try {
    const response = await postJson(path, body, { timeoutMs: 8_000 });
    if (response.ok) return { ok: true };
    return { ok: false, status: response.httpStatus, error: errorOf(response.body) ?? `HTTP ${response.httpStatus}`, code: 'http' };
  } catch (error) {
    const apiError = error instanceof ApiError ? error : null;
    return {
      ok: false,
      status: 0,
      error: error instanceof Error ? error.message : String(error),
      code: apiError?.code === 'timeout' ? 'timeout' : 'network',
    };
  }
}

export function ackAlarm(id: string, comment: string): Promise<ActionOutcome> {
  const trimmed = comment.trim();
  return post(`/api/alarms/${encodeURIComponent(id)}/ack`, trimmed === '' ? {} : { comment: trimmed });
}

export function shelveAlarm(id: string, minutes: number, reason: string): Promise<ActionOutcome> {
  return post(`/api/alarms/${encodeURIComponent(id)}/shelve`, { minutes, reason: reason.trim() });
}

export function unshelveAlarm(id: string, comment: string): Promise<ActionOutcome> {
  const trimmed = comment.trim();
  return post(`/api/alarms/${encodeURIComponent(id)}/unshelve`, trimmed === '' ? {} : { comment: trimmed });
}

/** One journal point: an alarm transition with its cause, user and area. */
export interface JournalEntry extends AlarmEvent {
  readonly previous: string;
  readonly cause: string;
  readonly user?: string;
  readonly area: string;
}

export interface JournalQuery {
  readonly fromMs: number;
  readonly toMs: number;
  readonly tag?: string;
  readonly area?: string;
  readonly user?: string;
  readonly limit: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEntry(value: unknown): value is JournalEntry {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.tagId === 'string' &&
    typeof value.ts === 'number' &&
    typeof value.kind === 'string' &&
    (ALARM_PRIORITIES as readonly unknown[]).includes(value.priority) &&
    (ALARM_STATES as readonly unknown[]).includes(value.state)
  );
}

/** `GET /api/alarms/journal`, newest first. Rejects with ApiError (the server's reason for a 400). */
export async function fetchJournal(query: JournalQuery, signal?: AbortSignal): Promise<JournalEntry[]> {
  const params = new URLSearchParams({ from: new Date(query.fromMs).toISOString(), to: new Date(query.toMs).toISOString(), limit: String(query.limit) });
  if (query.tag) params.set('tag', query.tag);
  if (query.area) params.set('area', query.area);
  if (query.user) params.set('user', query.user);
  const path = `/api/alarms/journal?${params.toString()}`;
  const response = await getJson(path, { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
  if (!response.ok) throw new ApiError('http', errorOf(response.body) ?? `HTTP ${response.httpStatus}`, response.httpStatus);
  if (!Array.isArray(response.body)) throw new ApiError('invalid-response', `GET ${path}: not a list`);
  return response.body.filter(isEntry);
}
