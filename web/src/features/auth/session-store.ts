import { useSyncExternalStore } from 'react';
import { isRole, type LoginResponse } from '@park/protocol';
import { ApiError, getJson, postJson } from '../../shared/api/client';

// Who is logged in, outside React. The server keeps the session in an
// HttpOnly cookie; the page never sees the token. `GET /api/me` on load
// decides between the login screen and the display.

export type SessionState =
  | { readonly kind: 'checking' }
  /** `reason`: why the login screen shows (nothing on first visit). */
  | { readonly kind: 'anonymous'; readonly reason: 'logged-out' | 'expired' | null }
  /** `/api/me` could not be asked; retried every ME_RETRY_INTERVAL_MS. */
  | { readonly kind: 'unreachable'; readonly error: ApiError }
  | { readonly kind: 'authenticated'; readonly user: LoginResponse['user']; readonly role: LoginResponse['role'] };

export type LoginFailure =
  | { readonly kind: 'wrong-credentials' }
  | { readonly kind: 'throttled'; readonly retryAtWallMs: number }
  | { readonly kind: 'unreachable'; readonly error: ApiError }
  | { readonly kind: 'http'; readonly status: number }
  | { readonly kind: 'invalid-response' };

const ME_RETRY_INTERVAL_MS = 5_000;
/** When a 429 gives no usable Retry-After. */
const DEFAULT_THROTTLE_WAIT_S = 60;

let state: SessionState = { kind: 'checking' };
const listeners = new Set<() => void>();
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let checkSeq = 0;

function commit(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener();
}

function parseIdentity(body: unknown): LoginResponse | null {
  if (typeof body !== 'object' || body === null) return null;
  const { user, role } = body as Record<string, unknown>;
  return typeof user === 'string' && user !== '' && isRole(role) ? { user, role } : null;
}

function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError('network', error instanceof Error ? error.message : String(error));
}

/** Asks the server who this browser is; `expiredIfNone` when a live session was just refused. */
export async function checkSession(expiredIfNone = false): Promise<void> {
  clearTimeout(retryTimer);
  const seq = ++checkSeq;
  const wasAuthenticated = state.kind === 'authenticated';
  try {
    const response = await getJson('/api/me');
    if (seq !== checkSeq) return;
    const identity = response.ok ? parseIdentity(response.body) : null;
    if (identity) commit({ kind: 'authenticated', ...identity });
    else if (response.httpStatus === 401 || response.httpStatus === 403) {
      commit({ kind: 'anonymous', reason: expiredIfNone || wasAuthenticated ? 'expired' : null });
    } else throw new ApiError(response.ok ? 'invalid-response' : 'http', `GET /api/me: HTTP ${response.httpStatus}`, response.httpStatus);
  } catch (error) {
    if (seq !== checkSeq) return;
    // While logged in, a failed check keeps the display (the socket shows the
    // link state); before that, the login screen says the server is unreachable.
    if (state.kind !== 'authenticated') commit({ kind: 'unreachable', error: asApiError(error) });
    retryTimer = setTimeout(() => void checkSession(expiredIfNone), ME_RETRY_INTERVAL_MS);
  }
}

function retryAtFrom(response: { headers: Headers; body: unknown }): number {
  const header = Number(response.headers.get('retry-after'));
  const seconds = Number.isFinite(header) && header > 0 ? header : DEFAULT_THROTTLE_WAIT_S;
  return Date.now() + seconds * 1000;
}

/** Logs in; null on success (the state becomes `authenticated`), else why not. */
export async function logIn(username: string, password: string): Promise<LoginFailure | null> {
  let response;
  try {
    response = await postJson('/api/login', { username, password });
  } catch (error) {
    return { kind: 'unreachable', error: asApiError(error) };
  }
  if (response.ok) {
    const identity = parseIdentity(response.body);
    if (!identity) return { kind: 'invalid-response' };
    clearTimeout(retryTimer);
    checkSeq++;
    commit({ kind: 'authenticated', ...identity });
    return null;
  }
  if (response.httpStatus === 401) return { kind: 'wrong-credentials' };
  if (response.httpStatus === 429) return { kind: 'throttled', retryAtWallMs: retryAtFrom(response) };
  return { kind: 'http', status: response.httpStatus };
}

/** Ends the session on the server; on failure the display stays (the cookie would still be valid). */
export async function logOut(): Promise<ApiError | null> {
  try {
    const response = await postJson('/api/logout', undefined);
    if (!response.ok) return new ApiError('http', `POST /api/logout: HTTP ${response.httpStatus}`, response.httpStatus);
  } catch (error) {
    return asApiError(error);
  }
  clearTimeout(retryTimer);
  checkSeq++;
  commit({ kind: 'anonymous', reason: 'logged-out' });
  return null;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, () => state);
}
