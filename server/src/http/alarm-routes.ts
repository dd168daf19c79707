import type { FastifyInstance, FastifyReply } from 'fastify';
import { ALARM_KINDS, ALARM_PRIORITIES, ALARM_STATES, isAlarmId, isTagId, validateAlarmAckBody, validateAlarmShelveBody } from '@park/protocol';
import type { AlarmService, ActionOutcome } from '../alarm-service/alarm-service.js';
import type { AlarmJournal } from '../alarm-service/alarm-journal.js';
import { computeAlarmKpis, KPI_DEFAULTS } from '../alarms/kpis.js';
import { identityOf, requirePermission, type AuthContext } from './auth-routes.js';
import { parseTimeParam } from './api-routes.js';

export const JOURNAL_DEFAULT_LIMIT = 500;
export const JOURNAL_MAX_LIMIT = 5000;
const DAY_MS = 86_400_000;

const STATUS_OF: Record<string, number> = { invalid: 400, 'unknown-alarm': 404, refused: 409 };

function send(reply: FastifyReply, r: ActionOutcome): FastifyReply {
  if (r.ok) return reply.send({ ok: true });
  return reply.code('code' in r ? (STATUS_OF[r.code] ?? 409) : 409).send({ ok: false, error: r.error });
}

/** A query parameter given twice arrives as a list: name it rather than ignore it. */
function repeatedParam(q: Record<string, unknown>): { error: string } | undefined {
  const k = Object.keys(q).find((key) => Array.isArray(q[key]));
  return k === undefined ? undefined : { error: `${k.slice(0, 64)}: given more than once` };
}

export const KPI_MAX_SPAN_DAYS = 31;
/** Records read for one KPI report; a busier period is reported as truncated. */
export const KPI_MAX_RECORDS = 200_000;

export function registerAlarmRoutes(app: FastifyInstance, d: { auth: AuthContext; alarms: AlarmService; journal: AlarmJournal }): void {
  // Alarm-system KPIs (DOMAIN.md §7.3) over a period, per area, from the journal.
  app.get('/api/alarms/kpis', { preHandler: requirePermission(d.auth, 'view') }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const repeated = repeatedParam(q);
    if (repeated) return reply.code(400).send(repeated);
    const toMs = parseTimeParam('to', q['to'], Date.now());
    if (typeof toMs !== 'number') return reply.code(400).send(toMs);
    const fromMs = parseTimeParam('from', q['from'], toMs - DAY_MS);
    if (typeof fromMs !== 'number') return reply.code(400).send(fromMs);
    if (fromMs >= toMs) return reply.code(400).send({ error: 'from: must be before to' });
    if (toMs - fromMs > KPI_MAX_SPAN_DAYS * DAY_MS) return reply.code(400).send({ error: `from/to: at most ${KPI_MAX_SPAN_DAYS} days` });
    const area = typeof q['area'] === 'string' && q['area'] !== '' ? q['area'] : undefined;
    if (area !== undefined && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(area)) return reply.code(400).send({ error: 'area: not a site id' });
    // Standing alarms were raised before the period: read a day more.
    const records = await d.journal.search({ fromMs: fromMs - KPI_DEFAULTS.standingAfterMs, toMs, limit: KPI_MAX_RECORDS, ...(area !== undefined ? { area } : {}) });
    const floods = (await d.journal.floodEdges(fromMs - KPI_DEFAULTS.standingAfterMs, toMs)).filter((f) => area === undefined || f.area === area);
    const report = computeAlarmKpis(records, floods, { from: fromMs, to: toMs });
    return { ...report, truncated: records.length >= KPI_MAX_RECORDS };
  });

  app.get('/api/alarms', { preHandler: requirePermission(d.auth, 'view') }, async () => d.alarms.active());

  app.get('/api/alarms/journal', { preHandler: requirePermission(d.auth, 'view') }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    // A repeated parameter arrives as a list: refused, not silently ignored.
    const repeated = repeatedParam(q);
    if (repeated) return reply.code(400).send(repeated);
    const str = (k: string): string | undefined => (typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined);
    const toMs = parseTimeParam('to', q['to'], Date.now());
    if (typeof toMs !== 'number') return reply.code(400).send(toMs);
    const fromMs = parseTimeParam('from', q['from'], toMs - DAY_MS);
    if (typeof fromMs !== 'number') return reply.code(400).send(fromMs);
    if (fromMs >= toMs) return reply.code(400).send({ error: 'from: must be before to' });
    const tag = str('tag');
    if (tag !== undefined && !isTagId(tag)) return reply.code(400).send({ error: `tag: ${JSON.stringify(String(tag).slice(0, 140))} is not a tag id` });
    const area = str('area');
    if (area !== undefined && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(area)) return reply.code(400).send({ error: 'area: not a site id' });
    const user = str('user');
    if (user !== undefined && user.length > 64) return reply.code(400).send({ error: 'user: at most 64 characters' });
    // InfluxQL string literals cannot hold NUL or a line break (a parse error, a 500); no user name has one.
    if (user !== undefined && /[\u0000-\u001f\u007f]/.test(user)) return reply.code(400).send({ error: 'user: must not contain control characters' });
    const oneOf = (k: 'kind' | 'priority' | 'state', allowed: readonly string[]): string | { error: string } | undefined => {
      const v = str(k);
      return v === undefined || allowed.includes(v) ? v : { error: `${k}: one of ${allowed.join(', ')}` };
    };
    const kind = oneOf('kind', ALARM_KINDS);
    const priority = oneOf('priority', ALARM_PRIORITIES);
    const state = oneOf('state', ALARM_STATES);
    for (const f of [kind, priority, state]) if (typeof f === 'object') return reply.code(400).send(f);
    let limit = JOURNAL_DEFAULT_LIMIT;
    if (q['limit'] !== undefined) {
      limit = Number(q['limit']);
      if (!Number.isInteger(limit) || limit < 1 || limit > JOURNAL_MAX_LIMIT) return reply.code(400).send({ error: `limit: a whole number from 1 to ${JOURNAL_MAX_LIMIT}` });
    }
    return d.journal.search({
      fromMs,
      toMs,
      limit,
      ...(tag !== undefined ? { tagId: tag } : {}),
      ...(area !== undefined ? { area } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(typeof kind === 'string' ? { kind } : {}),
      ...(typeof priority === 'string' ? { priority } : {}),
      ...(typeof state === 'string' ? { state } : {}),
    });
  });

  app.post<{ Params: { id: string } }>('/api/alarms/:id/ack', { preHandler: requirePermission(d.auth, 'ack') }, async (req, reply) => {
    if (!isAlarmId(req.params.id)) return reply.code(400).send({ ok: false, error: 'not an alarm id' });
    const body = validateAlarmAckBody(req.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.reason });
    return send(reply, d.alarms.ack(identityOf(req), { id: req.params.id, ...(body.value.comment !== undefined ? { comment: body.value.comment } : {}) }));
  });

  app.post<{ Params: { id: string } }>('/api/alarms/:id/unshelve', { preHandler: requirePermission(d.auth, 'shelve') }, async (req, reply) => {
    if (!isAlarmId(req.params.id)) return reply.code(400).send({ ok: false, error: 'not an alarm id' });
    const body = validateAlarmAckBody(req.body ?? {});
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.reason });
    return send(reply, d.alarms.unshelve(identityOf(req), req.params.id, body.value.comment));
  });

  // Acknowledge a page of alarms at once; each gets its own result (and audit entry).
  app.post('/api/alarms/ack', { preHandler: requirePermission(d.auth, 'ack') }, async (req, reply) => {
    const body = req.body as { ids?: unknown; comment?: unknown } | undefined;
    const ids = body?.ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 500) return reply.code(400).send({ ok: false, error: 'ids: a list of 1 to 500 alarm ids' });
    const bad = ids.find((id) => !isAlarmId(id));
    if (bad !== undefined) return reply.code(400).send({ ok: false, error: `ids: ${JSON.stringify(String(bad).slice(0, 200))} is not an alarm id` });
    const comment = validateAlarmAckBody(body?.comment === undefined ? {} : { comment: body.comment });
    if (!comment.ok) return reply.code(400).send({ ok: false, error: comment.reason });
    const who = identityOf(req);
    const results = (ids as string[]).map((id) => {
      const r = d.alarms.ack(who, { id, ...(comment.value.comment !== undefined ? { comment: comment.value.comment } : {}) });
      return r.ok ? { id, ok: true } : { id, ok: false, error: r.error };
    });
    return { ok: results.every((r) => r.ok), results };
  });

  app.post<{ Params: { id: string } }>('/api/alarms/:id/shelve', { preHandler: requirePermission(d.auth, 'shelve') }, async (req, reply) => {
    if (!isAlarmId(req.params.id)) return reply.code(400).send({ ok: false, error: 'not an alarm id' });
    const body = validateAlarmShelveBody(req.body);
    if (!body.ok) return reply.code(400).send({ ok: false, error: body.reason });
    return send(reply, d.alarms.shelve(identityOf(req), { id: req.params.id, minutes: body.value.minutes, reason: body.value.reason }));
  });
}
