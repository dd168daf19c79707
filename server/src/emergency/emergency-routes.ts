import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { isAlarmId } from '@park/protocol';
import { describeIssue, formatPath, idSchema } from '@park/protocol/config';
import { identityOf, requirePermission, type AuthContext } from '../http/auth-routes.js';
import type { LiveValues } from '../live-values.js';
import { valveState, type EmergencyCard, type ValveState } from './cards.js';
import { computeHazardZone, dayOrNight, DAY_NIGHT, SPILL_SIZES, type DayNight, type SpillSize, type WindInput } from './hazard-zone.js';
import { TEXT_MAX, type Incident, type IncidentResult } from './incidents.js';
import type { Emergency } from './emergency.js';
import type { MapPoint } from './park-map.js';
import { registerParkMapRoute } from './park-map-route.js';
import { STABILITY_CLASSES, type StabilityClass } from './plume.js';
import { computePlume, mergeInside } from './plume-zone.js';
import { mergeRecord, recordCsv, recordHtml, type RecordRow } from './incident-export.js';

/**
 * REST for emergency command (docs/emergency.md):
 *
 *   GET  /api/cards                          view       card summaries
 *   GET  /api/cards/match?alarm={alarmId}    view       the cards an alarm opens, best first
 *   GET  /api/cards/{id}[?version=N]         view       the card, its valves' live positions, its versions, its assembly point
 *   PUT  /api/cards/{id}                     configure  a new version of the card (version = current + 1), audited
 *   GET  /api/hazard-zone?hazardSource=…&spill=small|large[&period=day|night][&card=…][&rate=g/s][&stability=A…F]
 *                                            view       isolation circle, downwind protective action zone and plume contours, live wind
 *   GET  /api/incidents/{id}/hazard-zone[?spill=…&period=…&rate=…&stability=…]
 *                                            view       the same for the incident's installation and card version
 *   POST /api/incidents                      ack        {cardId?, alarmId?, note?}
 *   GET  /api/incidents[?state=open|closed]  view       newest first
 *   GET  /api/incidents/{id}                 view       with its card (the version it was opened with) and valve positions
 *   GET  /api/incidents/{id}/record.csv      view       the incident record (timeline, escalations, risk colours), CSV
 *   GET  /api/incidents/{id}/record.html     view       the same, printable HTML
 *   POST /api/incidents/{id}/steps/{n}       ack        {done?: true|false, comment?}
 *   POST /api/incidents/{id}/notes           ack        {text}
 *   POST /api/incidents/{id}/close           ack        {summary?}
 *
 * Every refusal is `{error}` (400 with `problems: ["path: reason"]` for a
 * card); 404 unknown card or incident; 409 not possible in the current state.
 */

/** The largest release rate the API takes, g/s (10 t/s: beyond any tank in the park). */
export const MAX_RATE_GS = 10_000_000;

/** A weather reading older than this (server receive time) is not used for the zone. */
export const WIND_MAX_AGE_MS = 5 * 60_000;

export interface EmergencyRouteDeps {
  auth: AuthContext;
  live: Pick<LiveValues, 'get'>;
  emergency: Emergency;
  /** Clock for the wind's age and day/night; default Date.now. */
  now?: () => number;
}

const alarmIdField = z.string().refine((s) => isAlarmId(s), 'must be an alarm id such as a.hs01.gd01:hh');
const textField = (max: number) => z.string().trim().min(1).max(max);

const openBody = z.strictObject({ cardId: idSchema.optional(), alarmId: alarmIdField.optional(), note: textField(TEXT_MAX).optional() }).refine((b) => b.cardId !== undefined || b.alarmId !== undefined, { message: 'required: cardId or alarmId', path: ['cardId'] });
const stepBody = z.strictObject({ done: z.boolean().default(true), comment: textField(500).optional() });
const noteBody = z.strictObject({ text: textField(TEXT_MAX) });
const closeBody = z.strictObject({ summary: textField(TEXT_MAX).optional() });

function parseBody<S extends z.ZodType>(schema: S, body: unknown): { ok: true; value: z.output<S> } | { ok: false; error: string } {
  const r = schema.safeParse(body ?? {}, { reportInput: true });
  if (r.success) return { ok: true, value: r.data };
  const reasons = r.error.issues.map((i) => {
    const d = describeIssue(i);
    const p = formatPath(d.path);
    return p ? `${p}: ${d.reason}` : d.reason;
  });
  return { ok: false, error: reasons.join('; ') };
}

function quote(s: unknown): string {
  return JSON.stringify(String(s).slice(0, 100));
}

export function cardSummary(c: EmergencyCard) {
  return { id: c.card.id, version: c.card.version, title: c.card.title, hazardSource: c.card.hazardSource, scenario: c.card.scenario, post: c.card.post, reviewDate: c.card.reviewDate, autoOpen: c.card.autoOpen };
}

type Answer = { status: number; body: Record<string, unknown> };
const send = (reply: FastifyReply, a: Answer): FastifyReply => reply.code(a.status).send(a.body);

export function registerEmergencyRoutes(app: FastifyInstance, deps: EmergencyRouteDeps): void {
  const { emergency } = deps;
  const now = deps.now ?? Date.now;
  const view = { preHandler: requirePermission(deps.auth, 'view') };
  const act = { preHandler: requirePermission(deps.auth, 'ack') };
  const configure = { preHandler: requirePermission(deps.auth, 'configure') };
  registerParkMapRoute(app, { auth: deps.auth, map: emergency.data.map });

  const read = (id: string): { v: number; q: 'good' | 'uncertain' | 'bad'; ts: number } | undefined => {
    const v = deps.live.get(id);
    return v ? { v: v.v, q: v.q, ts: v.ts } : undefined;
  };
  const valves = (card: EmergencyCard): ValveState[] => card.valves.map((v) => valveState(v, read));
  const pointOf = (id: string): MapPoint | null => emergency.data.map?.points.find((p) => p.id === id) ?? null;
  const sendResult = (reply: FastifyReply, r: IncidentResult<Incident>, status = 200): FastifyReply =>
    r.ok ? reply.code(status).send(r.value) : reply.code(r.status).send({ error: r.error, ...(r.incidentId !== undefined ? { incidentId: r.incidentId } : {}) });

  app.get('/api/cards', view, async () => emergency.cards.list().map(cardSummary));

  app.get('/api/cards/match', view, async (req, reply) => {
    const alarm = (req.query as Record<string, unknown>)['alarm'];
    if (typeof alarm !== 'string' || alarm === '') return reply.code(400).send({ error: 'alarm: required, an alarm id such as a.hs01.gd01:hh' });
    if (!isAlarmId(alarm)) return reply.code(400).send({ error: `alarm: ${quote(alarm)} is not an alarm id` });
    return { alarm, matches: emergency.cards.match(alarm, emergency.hazardSourceOf).map((m) => ({ reason: m.reason, card: cardSummary(m.card) })) };
  });

  app.get<{ Params: { id: string } }>('/api/cards/:id', view, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    let version: number | undefined;
    if (q['version'] !== undefined) {
      version = Number(q['version']);
      if (!Number.isInteger(version) || version < 1) return reply.code(400).send({ error: 'version: a whole number from 1' });
    }
    const card = emergency.cards.get(req.params.id, version);
    if (!card) return reply.code(404).send({ error: version === undefined ? `no card ${quote(req.params.id)}` : `no version ${version} of card ${quote(req.params.id)}` });
    return { card, valves: valves(card), versions: emergency.cards.history(card.card.id), assemblyPoint: pointOf(card.assemblyPoint) };
  });

  app.put<{ Params: { id: string } }>('/api/cards/:id', configure, async (req, reply) => {
    const r = emergency.cards.replace(identityOf(req), req.params.id, req.body ?? null, now());
    if (!r.ok) return reply.code(r.status).send({ error: r.error, ...(r.problems ? { problems: r.problems } : {}) });
    return { card: r.card, versions: emergency.cards.history(r.card.card.id) };
  });

  app.get('/api/hazard-zone', view, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const hs = q['hazardSource'];
    if (typeof hs !== 'string' || hs === '') return reply.code(400).send({ error: 'hazardSource: required, e.g. hs01' });
    const cardId = q['card'];
    const candidates = emergency.cards.list().filter((c) => c.card.hazardSource === hs);
    const card = typeof cardId === 'string' && cardId !== '' ? candidates.find((c) => c.card.id === cardId) : candidates[0];
    return send(reply, zoneFor(q, hs, card, () => (typeof cardId === 'string' && cardId !== '' ? `card: no card ${quote(cardId)} for ${hs}` : `no card for ${hs}: the distances come from its card`)));
  });

  app.get<{ Params: { id: string } }>('/api/incidents/:id/hazard-zone', view, async (req, reply) => {
    const inc = emergency.incidents.get(req.params.id);
    if (!inc) return reply.code(404).send({ error: `no incident ${quote(req.params.id)}` });
    const card = emergency.cards.get(inc.cardId, inc.cardVersion) ?? emergency.cards.get(inc.cardId);
    const r = zoneFor(req.query as Record<string, unknown>, inc.hazardSource, card, () => `card ${quote(inc.cardId)} of the incident is gone`);
    return send(reply, r.status === 200 ? { status: 200, body: { ...r.body, incidentId: inc.id } } : r);
  });

  /** The hazard zone of `hs` with `card`'s distances and plume data, for the query's spill, period, rate and stability. */
  function zoneFor(q: Record<string, unknown>, hs: string, card: EmergencyCard | undefined, noCard: () => string): Answer {
    const fail = (status: 400 | 404 | 409, error: string): Answer => ({ status, body: { error } });
    const spill = q['spill'] ?? 'small';
    if (!(SPILL_SIZES as readonly unknown[]).includes(spill)) return fail(400, `spill: one of ${SPILL_SIZES.join(', ')}, got ${quote(spill)}`);
    const periodIn = q['period'];
    if (periodIn !== undefined && !(DAY_NIGHT as readonly unknown[]).includes(periodIn)) return fail(400, `period: one of ${DAY_NIGHT.join(', ')}, got ${quote(periodIn)}`);
    let rateGs: number | undefined;
    if (q['rate'] !== undefined) {
      rateGs = Number(q['rate']);
      if (typeof q['rate'] !== 'string' || q['rate'].trim() === '' || !Number.isFinite(rateGs) || rateGs <= 0 || rateGs > MAX_RATE_GS) return fail(400, `rate: a release rate in g/s above 0 and at most ${MAX_RATE_GS}, got ${quote(q['rate'])}`);
    }
    const stabilityIn = q['stability'];
    if (stabilityIn !== undefined && !(STABILITY_CLASSES as readonly unknown[]).includes(stabilityIn)) return fail(400, `stability: one of ${STABILITY_CLASSES.join(', ')}, got ${quote(stabilityIn)}`);
    const map = emergency.data.map;
    if (!map) return fail(409, 'no park map loaded: the server has no coordinates');
    const release = map.installations.get(hs);
    if (!release) return fail(404, `hazardSource: ${quote(hs)} is not on the park map (placed: ${[...map.installations.keys()].join(', ')})`);
    if (!card) return fail(404, noCard());
    const t = now();
    const period: DayNight = (periodIn as DayNight | undefined) ?? dayOrNight(t, emergency.data.park.park.timezone);
    const { wind, notes } = liveWind(t);
    const r = computeHazardZone({ release: { id: hs, x: release.x, y: release.y }, distances: card.zone, spill: spill as SpillSize, period, wind, points: map.points });
    if (!r.ok) return fail(409, r.reason);
    const p = computePlume({
      release: { id: hs, x: release.x, y: release.y },
      card,
      wind: { speedMs: r.zone.wind.speedMs, fromDeg: r.zone.wind.fromDeg, stabilityIndex: wind.stabilityClass },
      period,
      request: { rateGs, stability: stabilityIn as StabilityClass | undefined },
      levelSamples: (tagId) => emergency.levels.samples(tagId, t),
      points: map.points,
    });
    return {
      status: 200,
      body: {
        ...r.zone,
        card: card.card.id,
        cardVersion: card.card.version,
        periodFrom: periodIn === undefined ? 'clock' : 'request',
        inside: p.plume ? mergeInside(r.zone.inside, p.targets) : r.zone.inside,
        plume: p.plume,
        ...(p.plume ? {} : { plumeNotDrawn: p.reason }),
        warnings: [...notes, ...r.zone.warnings, ...p.warnings],
      },
    };
  }

  /** The weather station's wind, each value only when good and fresh. */
  function liveWind(t: number): { wind: WindInput; notes: string[] } {
    const w = emergency.data.map?.weather;
    const notes: string[] = [];
    if (!w) return { wind: { speedMs: undefined, fromDeg: undefined }, notes: ['no weather station on the park map'] };
    const usable = (id: string | undefined, what: string): number | undefined => {
      if (id === undefined) return undefined;
      const v = deps.live.get(id);
      if (!v) notes.push(`${what} (${id}): no reading yet`);
      else if (v.q !== 'good') notes.push(`${what} (${id}): quality ${v.q}`);
      else if (t - v.receivedAt > WIND_MAX_AGE_MS) notes.push(`${what} (${id}): last reading ${Math.round((t - v.receivedAt) / 1000)} s old`);
      else return v.v;
      return undefined;
    };
    const stability = usable(w.stabilityClassTag, 'stability class');
    return { wind: { speedMs: usable(w.windSpeedTag, 'wind speed'), fromDeg: usable(w.windDirectionTag, 'wind direction'), ...(stability !== undefined ? { stabilityClass: stability } : {}) }, notes };
  }

  app.post('/api/incidents', act, async (req, reply) => {
    const b = parseBody(openBody, req.body);
    if (!b.ok) return reply.code(400).send({ error: b.error });
    return sendResult(reply, emergency.incidents.openIncident(identityOf(req), b.value, now()), 201);
  });

  app.get('/api/incidents', view, async (req, reply) => {
    const state = (req.query as Record<string, unknown>)['state'];
    if (state !== undefined && state !== 'open' && state !== 'closed') return reply.code(400).send({ error: `state: one of open, closed, got ${quote(state)}` });
    return emergency.incidents.list().filter((i) => state === undefined || i.state === state);
  });

  app.get<{ Params: { id: string } }>('/api/incidents/:id', view, async (req, reply) => {
    const inc = emergency.incidents.get(req.params.id);
    if (!inc) return reply.code(404).send({ error: `no incident ${quote(req.params.id)}` });
    const card = emergency.cards.get(inc.cardId, inc.cardVersion) ?? emergency.cards.get(inc.cardId);
    return { ...inc, card: card ?? null, valves: card ? valves(card) : [] };
  });

  /** The incident record with the journals' escalations and risk colours; a journal that cannot be read is named in `warnings`. */
  async function record(id: string): Promise<{ inc: Incident; card: EmergencyCard | undefined; rows: RecordRow[]; warnings: string[] } | undefined> {
    const inc = emergency.incidents.get(id);
    if (!inc) return undefined;
    const card = emergency.cards.get(inc.cardId, inc.cardVersion) ?? emergency.cards.get(inc.cardId);
    const warnings: string[] = [];
    let history: RecordRow[] = [];
    if (!emergency.history) warnings.push('no journal store: escalations and risk colours are not in this record');
    else {
      try {
        history = await emergency.history.rows({ hazardSource: inc.hazardSource, alarmId: inc.alarmId, fromMs: inc.openedAt, toMs: inc.closedAt ?? now(), hazardSourceOf: emergency.hazardSourceOf });
      } catch (err) {
        warnings.push(`escalations and risk colours could not be read: ${(err as Error).message}`);
      }
    }
    return { inc, card, rows: mergeRecord(inc, history), warnings };
  }

  app.get<{ Params: { id: string } }>('/api/incidents/:id/record.csv', view, async (req, reply) => {
    const r = await record(req.params.id);
    if (!r) return reply.code(404).send({ error: `no incident ${quote(req.params.id)}` });
    const tz = emergency.data.park.park.timezone;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${r.inc.id}.csv"`)
      .send(recordCsv(r.inc, r.rows, tz, r.warnings));
  });

  app.get<{ Params: { id: string } }>('/api/incidents/:id/record.html', view, async (req, reply) => {
    const r = await record(req.params.id);
    if (!r) return reply.code(404).send({ error: `no incident ${quote(req.params.id)}` });
    const html = recordHtml(r.inc, r.card, r.rows, { timeZone: emergency.data.park.park.timezone, park: emergency.data.park.park.name, generatedAt: now(), warnings: r.warnings });
    return reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(html);
  });

  app.post<{ Params: { id: string; n: string } }>('/api/incidents/:id/steps/:n', act, async (req, reply) => {
    const n = Number(req.params.n);
    if (!/^\d{1,4}$/.test(req.params.n) || n < 1) return reply.code(400).send({ error: `step: a step number from 1, got ${quote(req.params.n)}` });
    const b = parseBody(stepBody, req.body);
    if (!b.ok) return reply.code(400).send({ error: b.error });
    return sendResult(reply, emergency.incidents.tickStep(identityOf(req), req.params.id, n, b.value, now()));
  });

  app.post<{ Params: { id: string } }>('/api/incidents/:id/notes', act, async (req, reply) => {
    const b = parseBody(noteBody, req.body);
    if (!b.ok) return reply.code(400).send({ error: b.error });
    return sendResult(reply, emergency.incidents.addNote(identityOf(req), req.params.id, b.value.text, now()));
  });

  app.post<{ Params: { id: string } }>('/api/incidents/:id/close', act, async (req, reply) => {
    const b = parseBody(closeBody, req.body);
    if (!b.ok) return reply.code(400).send({ error: b.error });
    return sendResult(reply, emergency.incidents.close(identityOf(req), req.params.id, b.value.summary, now()));
  });
}
