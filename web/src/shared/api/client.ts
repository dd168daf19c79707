// The one way the web app calls the park server's REST API: same origin,
// JSON, a timeout on every request, and failures as an ApiError with a code
// the interface can translate.

export const DEFAULT_REQUEST_TIMEOUT_MS = 4_000;

export type ApiErrorCode = 'timeout' | 'network' | 'http' | 'invalid-response';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** The HTTP status, for `code === 'http'`. */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface JsonResponse {
  readonly httpStatus: number;
  readonly ok: boolean;
  /** The parsed body, or `undefined` when it was not JSON. */
  readonly body: unknown;
  /** The response headers (e.g. `retry-after` on 429). */
  readonly headers: Headers;
}

export interface RequestOptions {
  /** Aborts the request (e.g. the caller stopped); rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/**
 * GET `path` and parse the body as JSON, whatever the HTTP status (some
 * endpoints, like health, answer 503 with a meaningful body); the caller
 * decides what a status means. Rejects with an ApiError on timeout or
 * network failure, or with the caller's abort reason.
 */
export async function getJson(path: string, options: RequestOptions = {}): Promise<JsonResponse> {
  return requestJson('GET', path, undefined, options);
}

/** POST a JSON body (or none) to `path`; same contract as getJson. */
export async function postJson(path: string, body: unknown, options: RequestOptions = {}): Promise<JsonResponse> {
  return requestJson('POST', path, body, options);
}

async function requestJson(method: 'GET' | 'POST', path: string, payload: unknown, options: RequestOptions): Promise<JsonResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(path, {
      method,
      headers,
      body: payload === undefined ? null : JSON.stringify(payload),
      cache: 'no-store',
      credentials: 'same-origin',
      signal,
    });
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      if (signal.aborted) throw error;
      body = undefined;
    }
    return { httpStatus: response.status, ok: response.ok, body, headers: response.headers };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.aborted) throw new ApiError('timeout', `${method} ${path}: no answer within ${timeoutMs} ms`);
    throw new ApiError('network', `${method} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
