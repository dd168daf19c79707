// Display settings that a site may tune without a code change. Each has a
// default here, may be set at build time (`VITE_…` environment variables,
// read by Vite) and overridden per screen with a URL parameter, e.g.
// `http://park:8080/?staleAfterS=90` for a wall fed by slow gateways.

/**
 * A value with no update for this long is marked stale (数据超时). Gateways
 * report by exception and re-send an unchanged value every integrity period
 * (60 s by default): the window must be longer than that, or every steady
 * value would show as stale. 90 s leaves room for one late message.
 */
export const DEFAULT_STALE_AFTER_MS = 90_000;
const MIN_STALE_AFTER_MS = 1_000;
const MAX_STALE_AFTER_MS = 24 * 3_600_000;

function positiveSeconds(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds)) return undefined;
  const ms = Math.round(seconds * 1000);
  return ms >= MIN_STALE_AFTER_MS && ms <= MAX_STALE_AFTER_MS ? ms : undefined;
}

function readStaleAfterMs(): number {
  let fromUrl: string | null = null;
  try {
    fromUrl = new URLSearchParams(window.location.search).get('staleAfterS');
  } catch {
    // No location (never in a browser): the default.
  }
  const env = import.meta.env as Record<string, string | undefined>;
  return positiveSeconds(fromUrl) ?? positiveSeconds(env['VITE_STALE_AFTER_S']) ?? DEFAULT_STALE_AFTER_MS;
}

export interface DisplayConfig {
  /** No update for longer than this (server clock): the value is stale. */
  readonly staleAfterMs: number;
}

export const displayConfig: DisplayConfig = { staleAfterMs: readStaleAfterMs() };
