import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { dataTopic, encodeDataMessage, encodeStatusMessage, statusTopic, type AlarmEscalationEvent, type ClientToServerEvents, type ServerToClientEvents, type Snapshot, type ValuesEvent } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

type ParkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

// Escalation of an unacknowledged critical alarm to commanders (their room
// and a webhook with retries, each attempt journalled); per-site displays;
// acknowledging many; offline gateways in health.
describe('server: escalation, per-site displays, acknowledging many, gateway health', () => {
  let park: TestParkServer;
  let gateway: MqttClient;
  let hook: Server;
  const hookCalls: { alarmId: string; status: number }[] = [];
  const sockets: ParkSocket[] = [];
  let seq = 0;

  const open = async (user: string, auth: Record<string, unknown> = {}): Promise<ParkSocket> => {
    const cookie = await login(park.url, user);
    const s: ParkSocket = connectSocket(park.url, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie }, auth, reconnection: false, autoConnect: false });
    sockets.push(s);
    return s;
  };
  const publish = async (gw: string, id: string, v: number): Promise<void> => {
    await gateway.publishAsync(dataTopic('park/v1', gw), encodeDataMessage({ gateway: gw, seq: ++seq, readings: [{ id, ts: Date.now(), v, q: 'good' }] }), { qos: 1 });
  };

  beforeAll(async () => {
    // The paging gateway: fails the first call, then answers.
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const status = hookCalls.length === 0 ? 503 : 200;
        hookCalls.push({ alarmId: (JSON.parse(body) as { alarm: { id: string } }).alarm.id, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/page`;
    park = await startParkServer({ config: { alarms: { escalation: { afterSeconds: 1, webhook: { url, retries: 3 } } } } });
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.disconnect());
    await gateway?.endAsync(true);
    await park?.stop();
    await new Promise((r) => hook?.close(r));
  });

  it('escalates an unacknowledged critical alarm to the commanders room and the webhook, retrying and journalling each attempt', async () => {
    const commander = await open('commander');
    const operator = await open('operator');
    const toCommander: AlarmEscalationEvent[] = [];
    const toOperator: AlarmEscalationEvent[] = [];
    commander.on('escalation', (e) => toCommander.push(e));
    operator.on('escalation', (e) => toOperator.push(e));
    commander.connect();
    operator.connect();
    await Promise.all([commander, operator].map((s) => new Promise((r) => s.once('snapshot', r))));

    await publish('gw-b', 'b.hs03.gd02', 5);
    await publish('gw-b', 'b.hs03.gd02', 60); // level 2: critical
    await expect.poll(() => toCommander.map((e) => e.alarm.id), { timeout: 10_000 }).toContain('b.hs03.gd02:hh');
    expect(toCommander.find((e) => e.alarm.id === 'b.hs03.gd02:hh')?.unackedForMs).toBeGreaterThanOrEqual(1000);
    await expect.poll(() => hookCalls.filter((c) => c.alarmId === 'b.hs03.gd02:hh').map((c) => c.status), { timeout: 10_000 }).toEqual([503, 200]);
    expect(toOperator).toEqual([]);
    // A commander who connects now still sees it; an operator's snapshot has none.
    const late = await open('commander');
    const lateSnapshot = new Promise<Snapshot>((r) => late.once('snapshot', r));
    late.connect();
    expect((await lateSnapshot).escalations.map((e) => e.alarm.id)).toContain('b.hs03.gd02:hh');
    await expect
      .poll(async () => {
        const rows = await park.server.store.query<{ attempt: number; ok: boolean }>(`SELECT "attempt", "ok" FROM "events"."alarm_escalation_attempt" WHERE "alarmId" = 'b.hs03.gd02:hh'`);
        return rows.map((r) => [r.attempt, r.ok]);
      })
      .toEqual([
        [1, false],
        [2, true],
      ]);
  });

  it('gives a per-site display only its site', async () => {
    const siteA = await open('viewer', { sites: ['a'] });
    const snapshot = new Promise<Snapshot>((r) => siteA.once('snapshot', r));
    const values: ValuesEvent[] = [];
    siteA.on('values', (v) => values.push(v));
    siteA.connect();
    const snap = await snapshot;
    expect(snap.tags.length).toBeGreaterThan(0);
    expect(snap.tags.every((t) => t.site === 'a')).toBe(true);
    await publish('gw-b', 'b.hs04.t301.level', 40);
    await publish('gw-a', 'a.hs01.t101.level', 41);
    await expect.poll(() => values.flatMap((v) => v.readings).map((r) => r.id)).toContain('a.hs01.t101.level');
    expect(values.flatMap((v) => v.readings).some((r) => r.id.startsWith('b.'))).toBe(false);

    // …or one installation only.
    const hs04 = await open('viewer', { hazardSources: ['hs04'] });
    const hsSnapshot = new Promise<Snapshot>((r) => hs04.once('snapshot', r));
    const hsValues: ValuesEvent[] = [];
    hs04.on('values', (v) => hsValues.push(v));
    hs04.connect();
    const hsSnap = await hsSnapshot;
    expect(hsSnap.tags.length).toBeGreaterThan(0);
    expect(hsSnap.tags.every((t) => t.hazardSource === 'hs04')).toBe(true);
    await publish('gw-b', 'b.hs03.v201.level', 40);
    await publish('gw-b', 'b.hs04.t301.level', 42);
    await expect.poll(() => hsValues.flatMap((v) => v.readings).map((r) => r.id)).toContain('b.hs04.t301.level');
    expect(hsValues.flatMap((v) => v.readings).some((r) => !r.id.startsWith('b.hs04.'))).toBe(false);

    const wrong = await open('viewer', { sites: ['zz'] });
    const refused = new Promise<Error>((r) => wrong.once('connect_error', r));
    wrong.connect();
    expect((await refused).message).toBe('sites: expected a list of site ids (a, b)');
  });

  it('shelves and unshelves over REST', async () => {
    await publish('gw-b', 'b.hs03.gd06', 30);
    const cookie = await login(park.url, 'operator');
    const post = (path: string, body: unknown): Promise<Response> => fetch(`${park.url}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await expect.poll(async () => ((await (await fetch(`${park.url}/api/alarms`, { headers: { cookie } })).json()) as { id: string }[]).map((a) => a.id)).toContain('b.hs03.gd06:h');
    expect((await post('/api/alarms/b.hs03.gd06:h/shelve', { minutes: 30, reason: 'detector being calibrated' })).status).toBe(200);
    expect((await post('/api/alarms/b.hs03.gd06:h/unshelve', { comment: 'calibration done' })).status).toBe(200);
    const again = await post('/api/alarms/b.hs03.gd06:h/unshelve', {});
    expect(again.status).toBe(409);
  });

  it('acknowledges a page of alarms with one comment, each with its own result', async () => {
    await publish('gw-b', 'b.hs03.gd03', 30);
    await publish('gw-b', 'b.hs03.gd04', 30);
    const cookie = await login(park.url, 'operator');
    await expect
      .poll(async () => ((await (await fetch(`${park.url}/api/alarms`, { headers: { cookie } })).json()) as { id: string }[]).map((a) => a.id))
      .toEqual(expect.arrayContaining(['b.hs03.gd03:h', 'b.hs03.gd04:h']));
    const res = await fetch(`${park.url}/api/alarms/ack`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: ['b.hs03.gd03:h', 'b.hs03.gd04:h', 'x.none:hh'], comment: 'shift handover' }),
    });
    expect(await res.json()).toEqual({
      ok: false,
      results: [
        { id: 'b.hs03.gd03:h', ok: true },
        { id: 'b.hs03.gd04:h', ok: true },
        { id: 'x.none:hh', ok: false, error: expect.stringMatching(/x\.none:hh/) },
      ],
    });
  });

  it('reports offline gateways in health', async () => {
    await gateway.publishAsync(statusTopic('park/v1', 'gw-z'), encodeStatusMessage({ gateway: 'gw-z', state: 'offline', ts: Date.now(), version: '0.1.0', devices: {} }), { qos: 1, retain: true });
    await expect
      .poll(async () => ((await (await fetch(`${park.url}/api/health`)).json()) as { components: Record<string, { status: string; detail?: string }> }).components['gateways'])
      .toEqual({ status: 'degraded', detail: 'offline: gw-z' });
  });
});
