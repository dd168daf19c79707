import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Role } from '@park/protocol';
import { createHttpApp } from '../../../server/src/http/app.js';
import { createLogger } from '../../../server/src/log.js';
import { HealthRegistry } from '../../../server/src/health.js';
import { UserDirectory } from '../../../server/src/auth/users.js';
import { SessionStore } from '../../../server/src/auth/sessions.js';
import { LoginThrottle } from '../../../server/src/auth/login-throttle.js';
import { tokenDigest } from '../../../server/src/auth/passwords.js';
import type { AuthContext } from '../../../server/src/http/auth-routes.js';
import { LiveValues } from '../../../server/src/live-values.js';
import type { AuditEntry } from '../../../server/src/influx/influx-store.js';
import { createEmergency, type Emergency } from '../../../server/src/emergency/emergency.js';
import { MemoryEmergencyJournal } from '../../../server/src/emergency/emergency-journal.js';
import { registerEmergencyRoutes } from '../../../server/src/emergency/emergency-routes.js';
import type { EmergencyCard } from '../../../server/src/emergency/cards.js';
import { seedData } from './helpers.js';

// 10:00 in Shanghai: day.
const NOW = Date.parse('2025-06-01T02:00:00Z');
const ROLES: Role[] = ['viewer', 'operator', 'commander', 'engineer'];
const as = (role: Role) => ({ authorization: `Bearer emergency-routes-${role}` });

describe('emergency routes', () => {
  let app: FastifyInstance;
  let emergency: Emergency;
  const live = new LiveValues();
  const audit: Omit<AuditEntry, 'ts'>[] = [];
  const journal = new MemoryEmergencyJournal();
  const reading = (id: string, v: number) => ({ id, ts: NOW, v, q: 'good' as const });

  beforeAll(async () => {
    const auditLog = { record: (e: Omit<AuditEntry, 'ts'>) => void audit.push(e) };
    const auth: AuthContext = {
      users: await UserDirectory.create({ users: [], tokens: ROLES.map((role) => ({ name: role, role, sha256: tokenDigest(`emergency-routes-${role}`) })), demo: false }),
      sessions: new SessionStore(60_000),
      throttle: new LoginThrottle(),
      audit: auditLog as never,
      sessionTtlMs: 60_000,
      secureCookies: false,
    };
    // From the west at 5 m/s: the chlorine zone points east. T101's inlet valve closed, T102's open, T103's without readings.
    live.apply({ gateway: 'gw-b', seq: 1, readings: [reading('park.weather.wind_speed', 5), reading('park.weather.wind_direction', 270), reading('park.weather.stability_class', 4)] }, NOW);
    live.apply({ gateway: 'gw-a', seq: 1, readings: [reading('a.hs01.t101.xv_open', 0), reading('a.hs01.t101.xv_closed', 1), reading('a.hs01.t102.xv_open', 1), reading('a.hs01.t102.xv_closed', 0)] }, NOW);
    emergency = createEmergency({ data: seedData(), journal, audit: auditLog, log: createLogger('silent'), live });
    app = await createHttpApp({ logger: createLogger('silent'), health: new HealthRegistry(), webDir: '/nonexistent' });
    registerEmergencyRoutes(app, { auth, live, emergency, now: () => NOW });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
  });

  it.each([
    ['GET', '/api/cards'],
    ['GET', '/api/cards/hs01-chlorine-leak'],
    ['GET', '/api/hazard-zone?hazardSource=hs01'],
    ['GET', '/api/incidents'],
    ['POST', '/api/incidents'],
  ] as const)('%s %s needs a login', async (method, url) => {
    expect((await app.inject({ method, url })).statusCode).toBe(401);
  });

  it('lists the cards and serves one with its valves live', async () => {
    const list = await app.inject({ method: 'GET', url: '/api/cards', headers: as('viewer') });
    expect(list.json<{ id: string }[]>().map((c) => c.id)).toEqual(['hs01-chlorine-leak', 'hs02-ammonia-leak', 'hs03-lpg-fire', 'hs04-methanol-spill']);
    const res = await app.inject({ method: 'GET', url: '/api/cards/hs01-chlorine-leak', headers: as('viewer') });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ card: EmergencyCard; valves: { id: string; position: string }[]; assemblyPoint: { id: string; kind: string } }>();
    expect(body.valves.map((v) => [v.id, v.position])).toEqual([
      ['t101-inlet', 'closed'],
      ['t102-inlet', 'open'],
      ['t103-inlet', 'unknown'],
    ]);
    expect(body.assemblyPoint).toMatchObject({ id: 'ap-a-west', kind: 'assembly' });
    expect((await app.inject({ method: 'GET', url: '/api/cards/hs09-nothing', headers: as('viewer') })).statusCode).toBe(404);
  });

  it('matches cards to an alarm', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/cards/match?alarm=a.hs01.gd01:hh', headers: as('viewer') });
    expect(res.json()).toMatchObject({ alarm: 'a.hs01.gd01:hh', matches: [{ reason: 'pattern', card: { id: 'hs01-chlorine-leak' } }] });
    expect((await app.inject({ method: 'GET', url: '/api/cards/match', headers: as('viewer') })).json()).toEqual({ error: 'alarm: required, an alarm id such as a.hs01.gd01:hh' });
  });

  it('draws the chlorine zone downwind of hs01 with the live wind', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/hazard-zone?hazardSource=hs01&spill=small', headers: as('viewer') });
    expect(res.statusCode).toBe(200);
    const z = res.json<{ period: string; wind: { downwindDeg: number; stabilityClass: number }; isolation: { radiusM: number }; protectiveAction: { distanceM: number; shape: string; halfAngleDeg: number }; inside: { id: string; zone: string }[]; verified: boolean; warnings: string[] }>();
    expect(z.period).toBe('day');
    expect(z.wind).toMatchObject({ speedMs: 5, fromDeg: 270, downwindDeg: 90, stabilityClass: 4 });
    expect(z.isolation.radiusM).toBe(60);
    expect(z.protectiveAction).toMatchObject({ distanceM: 300, shape: 'sector', halfAngleDeg: 30 });
    // hs02 is 130 m east, 20 m north of hs01: 131.5 m at 81°, inside the ±30° sector.
    expect(z.inside).toEqual([expect.objectContaining({ id: 'hs02', zone: 'protective-action', distanceM: 132, bearingDeg: 81 })]);
    expect(z.verified).toBe(false);
    const night = await app.inject({ method: 'GET', url: '/api/hazard-zone?hazardSource=hs01&period=night', headers: as('viewer') });
    expect(night.json<{ protectiveAction: { distanceM: number } }>().protectiveAction.distanceM).toBe(1100);
  });

  it.each([
    ['/api/hazard-zone', 400, 'hazardSource: required, e.g. hs01'],
    ['/api/hazard-zone?hazardSource=hs01&spill=huge', 400, 'spill: one of small, large, got "huge"'],
    ['/api/hazard-zone?hazardSource=hs01&period=dusk', 400, 'period: one of day, night, got "dusk"'],
    ['/api/hazard-zone?hazardSource=hs09', 404, 'hazardSource: "hs09" is not on the park map (placed: hs01, hs02, hs03, hs04)'],
    ['/api/hazard-zone?hazardSource=hs01&spill=large', 409, /^no large-spill isolation distance on the card \(it has: small/],
  ])('refuses %s', async (url, status, error) => {
    const res = await app.inject({ method: 'GET', url, headers: as('viewer') });
    expect(res.statusCode).toBe(status);
    expect(res.json<{ error: string }>().error).toMatch(typeof error === 'string' ? new RegExp(`^${error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : error);
  });

  it('lets an engineer save a new version, audited, and refuses the rest with reasons', async () => {
    const current = (await app.inject({ method: 'GET', url: '/api/cards/hs02-ammonia-leak', headers: as('viewer') })).json<{ card: EmergencyCard }>().card;
    const next = { ...current, card: { ...current.card, version: 2, reviewDate: '2025-06-01' } };
    expect((await app.inject({ method: 'PUT', url: '/api/cards/hs02-ammonia-leak', headers: as('commander'), payload: next })).statusCode).toBe(403);
    const stale = await app.inject({ method: 'PUT', url: '/api/cards/hs02-ammonia-leak', headers: as('engineer'), payload: { ...next, card: { ...next.card, version: 3 } } });
    expect([stale.statusCode, stale.json()]).toEqual([409, { error: 'card.version: must be 2 (the current version is 1; someone may have saved in between)' }]);
    const bad = await app.inject({ method: 'PUT', url: '/api/cards/hs02-ammonia-leak', headers: as('engineer'), payload: { ...next, valves: [{ ...next.valves[0], closedTag: 'a.hs02.t201.level' }] } });
    expect([bad.statusCode, bad.json()]).toEqual([400, { error: 'invalid card', problems: ['valves[0].closedTag: tag "a.hs02.t201.level" is analog; a valve position needs a discrete tag'] }]);
    const ok = await app.inject({ method: 'PUT', url: '/api/cards/hs02-ammonia-leak', headers: as('engineer'), payload: next });
    expect(ok.statusCode).toBe(200);
    const after = (await app.inject({ method: 'GET', url: '/api/cards/hs02-ammonia-leak', headers: as('viewer') })).json<{ card: EmergencyCard; versions: { version: number; savedBy: string }[] }>();
    expect(after.card.card).toMatchObject({ version: 2, reviewDate: '2025-06-01' });
    expect(after.versions.map((v) => [v.version, v.savedBy])).toEqual([
      [1, 'seed'],
      [2, 'token:engineer'],
    ]);
    expect((await app.inject({ method: 'GET', url: '/api/cards/hs02-ammonia-leak?version=1', headers: as('viewer') })).json<{ card: EmergencyCard }>().card.card.version).toBe(1);
    expect(audit.filter((a) => a.action === 'card-edit').map((a) => [a.user, a.ok])).toEqual([
      ['token:engineer', false],
      ['token:engineer', false],
      ['token:engineer', true],
    ]);
    expect(journal.points.filter((p) => p.measurement === 'emergency_card').map((p) => [p.tags['cardId'], p.fields['version']])).toEqual([['hs02-ammonia-leak', 2]]);
  });

  it('runs an incident: open, tick, note, close; viewers may only look', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/incidents', headers: as('viewer'), payload: { cardId: 'hs03-lpg-fire' } })).statusCode).toBe(403);
    for (const [payload, error] of [
      [{}, 'cardId: required: cardId or alarmId'],
      [{ cardId: 'hs03-lpg-fire', urgent: true }, 'urgent: unknown option (check the spelling; see docs/configuration.md)'],
      [{ alarmId: 'no spaces allowed' }, 'alarmId: must be an alarm id such as a.hs01.gd01:hh'],
      [{ cardId: 'hs03-lpg-fire', note: '   ' }, 'note: must not be empty'],
    ] as const) {
      const res = await app.inject({ method: 'POST', url: '/api/incidents', headers: as('commander'), payload });
      expect([res.statusCode, res.json()]).toEqual([400, { error }]);
    }
    const opened = await app.inject({ method: 'POST', url: '/api/incidents', headers: as('commander'), payload: { alarmId: 'b.hs03.v201.temperature:hh' } });
    expect(opened.statusCode).toBe(201);
    const id = opened.json<{ id: string; cardId: string }>().id;
    expect(opened.json<{ cardId: string }>().cardId).toBe('hs03-lpg-fire');

    expect((await app.inject({ method: 'POST', url: `/api/incidents/${id}/steps/1`, headers: as('operator'), payload: {} })).statusCode).toBe(200);
    const badStep = await app.inject({ method: 'POST', url: `/api/incidents/${id}/steps/x`, headers: as('commander'), payload: {} });
    expect([badStep.statusCode, badStep.json()]).toEqual([400, { error: 'step: a step number from 1, got "x"' }]);
    const badDone = await app.inject({ method: 'POST', url: `/api/incidents/${id}/steps/2`, headers: as('commander'), payload: { done: 'yes' } });
    expect([badDone.statusCode, badDone.json()]).toEqual([400, { error: 'done: expected true or false, got "yes"' }]);
    expect((await app.inject({ method: 'POST', url: `/api/incidents/${id}/notes`, headers: as('commander'), payload: { text: 'cooling water on V202' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: `/api/incidents/${id}/close`, headers: as('commander'), payload: { summary: 'fire out' } })).statusCode).toBe(200);
    const again = await app.inject({ method: 'POST', url: `/api/incidents/${id}/close`, headers: as('commander'), payload: {} });
    expect([again.statusCode, again.json()]).toEqual([409, { error: `incident ${id} is already closed (by token:commander)` }]);

    const got = (await app.inject({ method: 'GET', url: `/api/incidents/${id}`, headers: as('viewer') })).json<{ state: string; steps: { seq: number; done: boolean; doneBy?: string }[]; timeline: { type: string; user?: string }[]; card: EmergencyCard; valves: unknown[] }>();
    expect(got.state).toBe('closed');
    expect(got.steps[0]).toMatchObject({ seq: 1, done: true, doneBy: 'token:operator' });
    expect(got.timeline.map((e) => [e.type, e.user])).toEqual([
      ['opened', 'token:commander'],
      ['step', 'token:operator'],
      ['note', 'token:commander'],
      ['closed', 'token:commander'],
    ]);
    expect(got.card.card.id).toBe('hs03-lpg-fire');
    expect(got.valves).toHaveLength(2);
    const closed = (await app.inject({ method: 'GET', url: '/api/incidents?state=closed', headers: as('viewer') })).json<{ id: string }[]>();
    expect(closed.map((i) => i.id)).toContain(id);
    expect((await app.inject({ method: 'GET', url: '/api/incidents/inc-nope', headers: as('viewer') })).statusCode).toBe(404);
  });
});
