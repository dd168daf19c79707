import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { io as connectSocket, type Socket } from 'socket.io-client';
import type { AlarmEscalationEvent, AlarmEvent, ClientToServerEvents, EscalationStepEvent, IncidentChangeEvent, ParkServerToClientEvents, Role } from '@park/protocol';
import { createHttpApp } from '../../../server/src/http/app.js';
import { createLogger } from '../../../server/src/log.js';
import { HealthRegistry } from '../../../server/src/health.js';
import { UserDirectory } from '../../../server/src/auth/users.js';
import { SessionStore } from '../../../server/src/auth/sessions.js';
import { LoginThrottle } from '../../../server/src/auth/login-throttle.js';
import { tokenDigest } from '../../../server/src/auth/passwords.js';
import type { AuthContext } from '../../../server/src/http/auth-routes.js';
import { Catalogue } from '../../../server/src/catalogue.js';
import { LiveValues } from '../../../server/src/live-values.js';
import { Gateways } from '../../../server/src/gateways.js';
import { SocketHub } from '../../../server/src/realtime/socket-hub.js';
import type { InfluxStore } from '../../../server/src/influx/influx-store.js';
import { ChainPolicies, EscalationChain } from '../../../server/src/alarm-service/escalation-chain.js';
import { EscalationChainJournal } from '../../../server/src/alarm-service/escalation-chain-journal.js';
import { EscalationNotifier } from '../../../server/src/alarm-service/escalation-notifier.js';
import { createEmergency, type Emergency } from '../../../server/src/emergency/emergency.js';
import { MemoryEmergencyJournal } from '../../../server/src/emergency/emergency-journal.js';
import { startTestInfluxd, type TestInfluxd } from '../../harness/influxd.js';
import { park, seedData } from '../../unit/emergency/helpers.js';

type ParkSocket = Socket<ParkServerToClientEvents, ClientToServerEvents>;
const token = (user: string): string => `escalation-push-${user}`;
const USERS: [string, Role][] = [
  ['operator', 'operator'],
  ['leader', 'operator'],
  ['commander', 'commander'],
  ['viewer', 'viewer'],
];

// The escalation chain and incident changes through a real Socket.IO hub,
// a real paging webhook and a real InfluxDB: each step reaches its duty's
// room only, is paged and journalled with its attempts, and stops at the
// acknowledgement; incident changes reach the commanders.
describe('escalation chain and incident push over Socket.IO', () => {
  let influxd: TestInfluxd;
  let store: InfluxStore;
  let app: FastifyInstance;
  let hub: SocketHub;
  let hook: Server;
  let url: string;
  let chain: EscalationChain;
  let chainJournal: EscalationChainJournal;
  let notifier: EscalationNotifier;
  let emergency: Emergency;
  const pages: { page: string; status: number }[] = [];
  let refusedOnce = false;
  const sockets: ParkSocket[] = [];
  const log = createLogger('silent');

  const open = async (user: string, auth: Record<string, unknown> = {}): Promise<ParkSocket> => {
    const s: ParkSocket = connectSocket(url, { path: '/socket.io/', transports: ['websocket'], auth: { token: token(user), ...auth }, reconnection: false, autoConnect: false });
    sockets.push(s);
    return s;
  };
  const connected = async (s: ParkSocket): Promise<void> => {
    const snap = new Promise((r) => s.once('snapshot', r));
    s.connect();
    await snap;
  };

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    store = influxd.store('chain');
    await store.ensureSchema({ rawDays: 30, rollupDays: 400, eventDays: 1095 });
    // The paging gateway: refuses the first page of GD01's first step, answers everything else.
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const b = JSON.parse(body) as { type: string; duty: string; step: number; alarm: { id: string } };
        const refuse = !refusedOnce && b.alarm.id === 'a.hs01.gd01:hh' && b.step === 1;
        if (refuse) refusedOnce = true;
        const status = refuse ? 503 : 200;
        pages.push({ page: `${b.type} ${b.alarm.id} ${b.step} ${b.duty}`, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));

    const auth: AuthContext = {
      users: await UserDirectory.create({ users: [], tokens: USERS.map(([name, role]) => ({ name, role, sha256: tokenDigest(token(name)) })), demo: false }),
      sessions: new SessionStore(60_000),
      throttle: new LoginThrottle(),
      audit: { record: () => undefined } as never,
      sessionTtlMs: 60_000,
      secureCookies: false,
    };
    app = await createHttpApp({ logger: log, health: new HealthRegistry(), webDir: '/nonexistent' });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const catalogue = new Catalogue(park());
    hub = new SocketHub(app.server, {
      auth,
      catalogue,
      live: new LiveValues(),
      gateways: new Gateways(),
      alarms: { active: () => [], activeFloods: () => [], openEscalations: () => [], ack: () => ({ ok: true }), shelve: () => ({ ok: true }) },
      risks: () => [],
      alarmSite: () => undefined,
      alarmHazardSource: () => undefined,
      log,
    });
    chainJournal = new EscalationChainJournal(store, log);
    notifier = new EscalationNotifier({ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/page`, timeoutMs: 5000, retries: 3, headers: {} }, { id: 'binjiang', name: { zh: '滨江', en: 'Binjiang' } }, (a) => chainJournal.attempt(a), log);
    const policies = new ChainPolicies(
      {
        installations: {
          hs01: {
            priorities: ['critical'],
            steps: [
              { duty: 'operator', afterSeconds: 0 },
              { duty: 'shift-leader', afterSeconds: 60 },
              { duty: 'commander', afterSeconds: 180 },
            ],
          },
        },
      },
      60,
    );
    chain = new EscalationChain({ policies, hazardSourceOf: (id) => catalogue.get(id.split(':')[0] ?? '')?.hazardSource, push: (e) => hub.escalationStep(e), notify: (e) => notifier.notifyStep(e), journal: (r) => chainJournal.record(r), log });
    emergency = createEmergency({ data: seedData(), journal: new MemoryEmergencyJournal(), audit: { record: () => undefined }, log, live: { get: () => undefined } });
    emergency.onIncidentChange((e) => hub.incident(e));
  });

  afterAll(async () => {
    sockets.forEach((s) => s.disconnect());
    notifier?.stop();
    await chainJournal?.drain();
    chainJournal?.close();
    hub?.close();
    await app?.close();
    await new Promise((r) => hook?.close(r));
    await influxd?.stop();
  });

  it('sends each step to its duty only, pages it, journals it, and stops at the acknowledgement', async () => {
    const operator = await open('operator');
    const leader = await open('leader', { duty: ['shift-leader'] });
    const commander = await open('commander');
    const got = new Map<ParkSocket, string[]>();
    const legacy: AlarmEscalationEvent[] = [];
    for (const s of [operator, leader, commander]) {
      got.set(s, []);
      s.on('escalation:step', (e: EscalationStepEvent) => got.get(s)?.push(`${e.step}/${e.steps} ${e.duty} ${e.alarm.id}`));
    }
    commander.on('escalation', (e) => legacy.push(e));
    operator.on('escalation', (e) => legacy.push(e));
    await Promise.all([operator, leader, commander].map(connected));

    const T = Date.now();
    const raise: AlarmEvent = { id: 'a.hs01.gd01:hh', tagId: 'a.hs01.gd01', kind: 'hh', priority: 'critical', state: 'unack', value: 0.9, limit: 0.66, message: 'chlorine GD01 level 2', raisedAt: T, ts: T };
    chain.onAlarm(raise);
    chain.tick(T);
    chain.tick(T + 60_000);
    await expect.poll(() => got.get(leader)).toEqual(['1/3 operator a.hs01.gd01:hh', '2/3 shift-leader a.hs01.gd01:hh']);
    expect(got.get(operator)).toEqual(['1/3 operator a.hs01.gd01:hh']);
    // The shift leader acknowledges: the commander is never paged.
    chain.onAlarm({ ...raise, state: 'acked', ts: T + 90_000, ackedAt: T + 90_000, ackedBy: 'leader' });
    expect(chain.tick(T + 180_000)).toEqual([]);

    // A second alarm nobody acknowledges reaches the commander, also as the plain escalation.
    const other: AlarmEvent = { ...raise, id: 'a.hs01.gd02:hh', tagId: 'a.hs01.gd02', raisedAt: T, ts: T };
    chain.onAlarm(other);
    chain.tick(T + 180_000);
    await expect.poll(() => got.get(commander)).toEqual(['3/3 commander a.hs01.gd02:hh']);
    await expect.poll(() => legacy.map((e) => e.alarm.id)).toEqual(['a.hs01.gd02:hh']);
    expect(got.get(commander)?.some((x) => x.includes('gd01'))).toBe(false);

    // Paged: GD01's first step refused once and retried; every step of both alarms got through once.
    await expect
      .poll(() => pages.filter((p) => p.status === 200).map((p) => p.page).sort(), { timeout: 10_000 })
      .toEqual([
        'alarm-escalation-step a.hs01.gd01:hh 1 operator',
        'alarm-escalation-step a.hs01.gd01:hh 2 shift-leader',
        'alarm-escalation-step a.hs01.gd02:hh 1 operator',
        'alarm-escalation-step a.hs01.gd02:hh 2 shift-leader',
        'alarm-escalation-step a.hs01.gd02:hh 3 commander',
      ]);
    expect(pages.filter((p) => p.status === 503).map((p) => p.page)).toEqual(['alarm-escalation-step a.hs01.gd01:hh 1 operator']);

    await chainJournal.drain();
    await expect
      .poll(async () => (await store.query<{ alarmId: string; duty: string; step: number }>(`SELECT "step", "alarmId", "duty" FROM "events"."alarm_escalation_step"`)).map((r) => `${r.alarmId} ${r.step} ${r.duty}`).sort())
      .toEqual(['a.hs01.gd01:hh 1 operator', 'a.hs01.gd01:hh 2 shift-leader', 'a.hs01.gd02:hh 1 operator', 'a.hs01.gd02:hh 2 shift-leader', 'a.hs01.gd02:hh 3 commander']);
    const stops = await store.query<{ alarmId: string; by: string; stepsSent: number; state: string }>(`SELECT "stepsSent", "by", "state", "alarmId" FROM "events"."alarm_escalation_stop"`);
    expect(stops.map((r) => [r.alarmId, r.stepsSent, r.state, r.by])).toEqual([['a.hs01.gd01:hh', 2, 'acked', 'leader']]);
    await expect
      .poll(
        async () => {
          await chainJournal.drain();
          const rows = await store.query<{ attempt: number; ok: boolean; step: number; duty: string }>(`SELECT "attempt", "ok", "step", "duty" FROM "events"."alarm_escalation_step_attempt" WHERE "alarmId" = 'a.hs01.gd01:hh'`);
          return rows.map((r) => [r.step, r.duty, r.attempt, r.ok]).sort((x, y) => Number(x[0]) - Number(y[0]) || Number(x[2]) - Number(y[2]));
        },
        { timeout: 10_000 },
      )
      .toEqual([
        [1, 'operator', 1, false],
        [1, 'operator', 2, true],
        [2, 'shift-leader', 1, true],
      ]);
  });

  it('refuses an escalation duty to a viewer', async () => {
    const viewer = await open('viewer', { duty: ['shift-leader'] });
    const refused = new Promise<Error>((r) => viewer.once('connect_error', r));
    viewer.connect();
    expect((await refused).message).toBe('duty: role "viewer" may not take an escalation duty');
    const odd = await open('operator', { duty: ['janitor'] });
    const refusedOdd = new Promise<Error>((r) => odd.once('connect_error', r));
    odd.connect();
    expect((await refusedOdd).message).toBe('duty: expected a list of duties (operator, shift-leader, commander)');
  });

  it('pushes incident changes to commanders only', async () => {
    const commander = await open('commander');
    const operator = await open('operator');
    const toCommander: IncidentChangeEvent[] = [];
    const toOperator: IncidentChangeEvent[] = [];
    commander.on('incident', (e) => toCommander.push(e));
    operator.on('incident', (e) => toOperator.push(e));
    await Promise.all([commander, operator].map(connected));
    const who = { user: 'commander', role: 'commander' as const };
    const opened = emergency.incidents.openIncident(who, { cardId: 'hs01-chlorine-leak' });
    if (!opened.ok) throw new Error(opened.error);
    const id = opened.value.id;
    expect(emergency.incidents.tickStep(who, id, 1, { done: true }).ok).toBe(true);
    expect(emergency.incidents.close(who, id, 'leak stopped').ok).toBe(true);
    await expect.poll(() => toCommander.map((e) => [e.type, e.incidentId, e.state, e.stepsDone])).toEqual([
      ['opened', id, 'open', 0],
      ['step', id, 'open', 1],
      ['closed', id, 'closed', 1],
    ]);
    expect(toCommander[1]).toMatchObject({ seq: 1, done: true, user: 'commander', stepCount: 7, cardId: 'hs01-chlorine-leak', hazardSource: 'hs01' });
    expect(toCommander[2]?.text).toBe('leak stopped');
    expect(toOperator).toEqual([]);
  });
});
