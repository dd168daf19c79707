import type { FastifyInstance } from 'fastify';
import { isTagId, type RiskWarningEvent } from '@park/protocol';
import type { Catalogue } from '../catalogue.js';
import type { LiveValues } from '../live-values.js';
import type { Gateways } from '../gateways.js';
import type { InfluxStore } from '../influx/influx-store.js';
import { requirePermission, type AuthContext } from './auth-routes.js';

export interface ApiDeps {
  auth: AuthContext;
  catalogue: Catalogue;
  live: LiveValues;
  gateways: Gateways;
  store: InfluxStore;
  /** The risk early-warning state of an installation. */
  risk: (hazardSource: string) => RiskWarningEvent | undefined;
}

export const HISTORY_MAX_IDS = 20;
export const HISTORY_MAX_POINTS = 10_000;
export const HISTORY_DEFAULT_POINTS = 1000;
export const HISTORY_MAX_SPAN_MS = 400 * 24 * 3600_000;
const HOUR_MS = 3600_000;

type HistoryQuery = { ids: string[]; fromMs: number; toMs: number; maxPoints: number };

/** ISO 8601 date or date-time, e.g. `2026-11-29T08:00:00+08:00`. Date.parse alone accepts `0`, `-1` or `a' OR '1'='1`. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
/** Times a query may name: InfluxDB refuses times outside 1677–2262 with an error, not an empty answer. */
export const EARLIEST_QUERY_TIME_MS = Date.UTC(1970, 0, 1);
export const LATEST_QUERY_TIME_MS = Date.UTC(2200, 0, 1);

/** A time query parameter: missing or empty gives `fallback`; anything else must be an ISO 8601 time from 1970 to 2200. */
export function parseTimeParam(name: string, v: unknown, fallback: number): number | { error: string } {
  if (v === undefined || v === '') return fallback;
  if (typeof v !== 'string') return { error: `${name}: expected an ISO 8601 time` };
  const ms = ISO_TIME.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) return { error: `${name}: ${JSON.stringify(v.slice(0, 60))} is not an ISO 8601 time, e.g. 2026-11-29T08:00:00+08:00` };
  if (ms < EARLIEST_QUERY_TIME_MS || ms > LATEST_QUERY_TIME_MS) return { error: `${name}: must lie between 1970 and 2200` };
  return ms;
}

/** Checks the history query; every refusal names the parameter and the reason. */
export function parseHistoryQuery(q: Record<string, unknown>, now = Date.now()): HistoryQuery | { error: string } {
  const idsText = typeof q['ids'] === 'string' ? q['ids'] : '';
  const ids = idsText.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) return { error: 'ids: required, a comma-separated list of tag ids' };
  if (ids.length > HISTORY_MAX_IDS) return { error: `ids: at most ${HISTORY_MAX_IDS} tags per request, got ${ids.length}` };
  const bad = ids.find((id: string) => !isTagId(id)) as string | undefined;
  if (bad !== undefined) return { error: `ids: ${JSON.stringify(bad.slice(0, 140))} is not a tag id` };
  const time = (name: 'from' | 'to', fallback: number): number | { error: string } => parseTimeParam(name, q[name], fallback);
  const toMs = time('to', now);
  if (typeof toMs !== 'number') return toMs;
  const fromMs = time('from', toMs - HOUR_MS);
  if (typeof fromMs !== 'number') return fromMs;
  if (fromMs >= toMs) return { error: 'from: must be before to' };
  if (toMs - fromMs > HISTORY_MAX_SPAN_MS) return { error: `from/to: span at most ${HISTORY_MAX_SPAN_MS / 86_400_000} days` };
  let maxPoints = HISTORY_DEFAULT_POINTS;
  if (q['maxPoints'] !== undefined) {
    const n = Number(q['maxPoints']);
    if (!Number.isInteger(n) || n < 2 || n > HISTORY_MAX_POINTS) return { error: `maxPoints: a whole number from 2 to ${HISTORY_MAX_POINTS}` };
    maxPoints = n;
  }
  return { ids, fromMs, toMs, maxPoints };
}

export function registerApiRoutes(app: FastifyInstance, d: ApiDeps): void {
  const view = { preHandler: requirePermission(d.auth, 'view') };

  app.get('/api/tags', view, async () => d.catalogue.list());
  app.get('/api/values', view, async () => d.live.all());
  app.get('/api/gateways', view, async () => d.gateways.list());
  app.get('/api/park', view, async () => d.catalogue.park);

  // The major-hazard register (GB 18218 grading, inventories) extends these.
  const hazardSources = (): { id: string; site: string; name: { zh: string; en: string }; tags: string[]; risk: RiskWarningEvent | null }[] =>
    d.catalogue.park.sites.flatMap((s) =>
      s.hazardSources.map((h) => ({ id: h.id, site: s.id, name: h.name, tags: d.catalogue.list().filter((t) => t.hazardSource === h.id).map((t) => t.id), risk: d.risk(h.id) ?? null })),
    );
  app.get('/api/hazard-sources', view, async () => hazardSources());
  app.get<{ Params: { id: string } }>('/api/hazard-sources/:id', view, async (req, reply) => {
    const h = hazardSources().find((x) => x.id === req.params.id);
    return h ?? reply.code(404).send({ error: `no hazard source "${String(req.params.id).slice(0, 64)}"` });
  });

  app.get('/api/history', view, async (req, reply) => {
    const parsed = parseHistoryQuery(req.query as Record<string, unknown>);
    if ('error' in parsed) return reply.code(400).send({ error: parsed.error });
    const intervalMs = Math.max(1, Math.ceil((parsed.toMs - parsed.fromMs) / parsed.maxPoints));
    const rows = await d.store.queryHistory(parsed.ids, parsed.fromMs, parsed.toMs, intervalMs);
    const series = parsed.ids.map((id) => ({
      id,
      unit: d.catalogue.get(id)?.unit ?? '',
      points: rows.filter((r) => r.id === id).map(({ ts, mean, min, max, q }) => ({ ts, mean, min, max, q })),
    }));
    return { from: new Date(parsed.fromMs).toISOString(), to: new Date(parsed.toMs).toISOString(), intervalMs, series };
  });
}
