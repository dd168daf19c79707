import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { dataTopic, encodeDataMessage, encodeStatusMessage, statusTopic, type ClientToServerEvents, type ServerToClientEvents, type Snapshot, type ValuesEvent, type GatewayStatusEvent } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

type ParkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

async function login(url: string, username: string, password: string): Promise<{ status: number; cookie: string; body: unknown }> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { status: res.status, cookie, body: await res.json() };
}

describe('server API: login, roles, catalogue, values, history, metrics, Socket.IO', () => {
  let park: TestParkServer;
  let gateway: MqttClient;
  const sockets: ParkSocket[] = [];
  let operatorCookie = '';
  let viewerCookie = '';

  const socket = (cookie: string): ParkSocket => {
    const s: ParkSocket = connectSocket(park.url, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie }, reconnection: false, autoConnect: false });
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    park = await startParkServer();
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
    operatorCookie = (await login(park.url, 'operator', 'demo-operator')).cookie;
    viewerCookie = (await login(park.url, 'viewer', 'demo-viewer')).cookie;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.disconnect());
    await gateway?.endAsync(true);
    await park?.stop();
  });

  it('logs the demo users in with their role and refuses a wrong password', async () => {
    const ok = await login(park.url, 'commander', 'demo-commander');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ user: 'commander', role: 'commander' });
    expect(ok.cookie).toMatch(/^park_session=.{40,}/);
    const me = await fetch(`${park.url}/api/me`, { headers: { cookie: ok.cookie } });
    expect(await me.json()).toEqual({ user: 'commander', role: 'commander' });

    const bad = await login(park.url, 'commander', 'wrong');
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ error: 'wrong user name or password' });
    const malformed = await fetch(`${park.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'x' }) });
    expect(malformed.status).toBe(400);
  });

  it('throttles password guessing for one user name', async () => {
    for (let i = 0; i < 5; i++) expect((await login(park.url, 'engineer', `guess-${i}`)).status).toBe(401);
    const refused = await login(park.url, 'engineer', 'demo-engineer');
    expect(refused.status).toBe(429);
    expect((refused.body as { error: string }).error).toMatch(/too many failed logins; try again in \d+ s/);
  });

  it('records logins in the audit trail', async () => {
    await park.server.audit.drain();
    const entries = await park.server.store.queryAudit(Date.now() - 60_000, Date.now() + 1000);
    expect(entries.some((e) => e.action === 'login' && e.user === 'operator' && e.ok)).toBe(true);
    expect(entries.some((e) => e.action === 'login-failed' && e.user === 'commander' && !e.ok)).toBe(true);
  });

  it('requires a login for data, and serves the catalogue joined with the park model', async () => {
    expect((await fetch(`${park.url}/api/tags`)).status).toBe(401);
    const res = await fetch(`${park.url}/api/tags`, { headers: { cookie: viewerCookie } });
    expect(res.status).toBe(200);
    const tags = (await res.json()) as { id: string; unit: string; gateway: string; name?: { zh: string; en: string }; limits?: unknown }[];
    const level = tags.find((t) => t.id === 'a.hs01.t101.level');
    expect(level).toMatchObject({ unit: '%', gateway: 'gw-a', site: 'a', hazardSource: 'hs01' });
    expect(level?.name?.zh).toBeTruthy();
    expect(level?.name?.en).toBeTruthy();
  });

  it('keeps live values, serves history, and pushes values and gateway status over Socket.IO', async () => {
    const unauthenticated = socket('');
    const refused = new Promise<Error>((resolve) => unauthenticated.once('connect_error', resolve));
    unauthenticated.connect();
    expect((await refused).message).toBe('not logged in');

    const s = socket(viewerCookie);
    const snapshot = new Promise<Snapshot>((resolve) => s.once('snapshot', resolve));
    s.connect();
    const snap = await snapshot;
    expect(snap.tags.length).toBeGreaterThan(0);
    expect(snap.alarms).toEqual([]);
    expect(snap.park.sites.map((s) => s.id)).toEqual(['a', 'b']);
    expect(snap.park.sites[0]?.hazardSources[0]?.name.zh).toBe('液氯储罐区');

    const values: ValuesEvent[] = [];
    s.on('values', (v) => values.push(v));
    const gatewayEvent = new Promise<GatewayStatusEvent>((resolve) => s.once('gateway', resolve));

    const t0 = Date.now() - 5000;
    await gateway.publishAsync(statusTopic('park/v1', 'gw-b'), encodeStatusMessage({ gateway: 'gw-b', state: 'online', ts: t0, version: '0.1.0', devices: { 'b-plc': 'connected' } }), { qos: 1, retain: true });
    for (let i = 0; i < 5; i++) {
      await gateway.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq: 100 + i, readings: [{ id: 'b.hs03.gd01', ts: t0 + i * 1000, v: 2 + i, q: 'good' }] }), { qos: 1 });
    }
    expect((await gatewayEvent).state).toBe('online');
    await expect.poll(() => values.flatMap((v) => v.readings).find((r) => r.id === 'b.hs03.gd01' && r.v === 6)).toMatchObject({ receivedAt: expect.any(Number) });

    const liveRes = await fetch(`${park.url}/api/values`, { headers: { cookie: viewerCookie } });
    const live = (await liveRes.json()) as { id: string; v: number; ts: number; receivedAt: number }[];
    expect(live.find((v) => v.id === 'b.hs03.gd01')).toMatchObject({ v: 6, ts: t0 + 4000, q: 'good' });

    const gateways = (await (await fetch(`${park.url}/api/gateways`, { headers: { cookie: viewerCookie } })).json()) as { gateway: string; state: string }[];
    expect(gateways).toEqual([expect.objectContaining({ gateway: 'gw-b', state: 'online' })]);

    expect(await park.server.ingest.drain()).toBe(true);
    const from = new Date(t0 - 1).toISOString();
    const to = new Date(t0 + 5000).toISOString();
    const hist = await fetch(`${park.url}/api/history?ids=b.hs03.gd01&from=${from}&to=${to}&maxPoints=1000`, { headers: { cookie: viewerCookie } });
    expect(hist.status).toBe(200);
    const body = (await hist.json()) as { series: { id: string; unit: string; points: { mean: number }[] }[] };
    expect(body.series[0]?.unit).toBe('%LEL');
    expect(body.series[0]?.points.map((p) => p.mean)).toEqual([2, 3, 4, 5, 6]);
  });

  it.each([
    ['no ids', '', 'ids: required, a comma-separated list of tag ids'],
    ['an injection attempt in ids', `ids=${encodeURIComponent(`a' OR 1=1 --`)}`, `ids: "a' OR 1=1 --" is not a tag id`],
    ['a bad time', 'ids=a.b&from=yesterday', 'from: "yesterday" is not an ISO 8601 time, e.g. 2026-11-29T08:00:00+08:00'],
    ['from after to', 'ids=a.b&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from: must be before to'],
    ['too many points', 'ids=a.b&maxPoints=100000', 'maxPoints: a whole number from 2 to 10000'],
  ])('refuses a history query with %s', async (_what, query, error) => {
    const res = await fetch(`${park.url}/api/history?${query}`, { headers: { cookie: viewerCookie } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error });
  });

  it('checks the role of every alarm action on the socket', async () => {
    const viewer = socket(viewerCookie);
    viewer.connect();
    const refused = await viewer.emitWithAck('alarm:ack', { id: 'a.hs01.t101.level:hh', comment: 'seen' });
    expect(refused).toEqual({ ok: false, error: 'role "viewer" may not acknowledge alarms' });
    const operator = socket(operatorCookie);
    operator.connect();
    const bad = await operator.emitWithAck('alarm:shelve', { id: 'a.hs01.t101.level:hh', minutes: 0, reason: 'x' });
    expect(bad.ok).toBe(false);
  });

  it('lists the hazard sources with their tags', async () => {
    const list = (await (await fetch(`${park.url}/api/hazard-sources`, { headers: { cookie: viewerCookie } })).json()) as { id: string; site: string; tags: string[] }[];
    expect(list.map((h) => h.id)).toEqual(['hs01', 'hs02', 'hs03', 'hs04']);
    const one = (await (await fetch(`${park.url}/api/hazard-sources/hs01`, { headers: { cookie: viewerCookie } })).json()) as { site: string; tags: string[] };
    expect(one.site).toBe('a');
    expect(one.tags).toContain('a.hs01.t101.level');
    expect((await fetch(`${park.url}/api/hazard-sources/nope`, { headers: { cookie: viewerCookie } })).status).toBe(404);
  });

  it('serves the graded major-hazard register and its report', async () => {
    const reg = (await (await fetch(`${park.url}/api/hazard-register`, { headers: { cookie: viewerCookie } })).json()) as { summary?: { id: string; level: number | null }[]; units?: { id: string }[] };
    const text = JSON.stringify(reg);
    for (const id of ['hs01', 'hs02', 'hs03', 'hs04']) expect(text).toContain(`"${id}"`);
    const csv = await fetch(`${park.url}/api/hazard-register/hs01/report.csv`, { headers: { cookie: viewerCookie } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect((await fetch(`${park.url}/api/hazard-register/hs01/report.html`)).status).toBe(401);
  });

  it('sends a large push of values in batches of at most 2,000 readings, all of them, in order', async () => {
    const s = socket(viewerCookie);
    const snapshot = new Promise<Snapshot>((resolve) => s.once('snapshot', resolve));
    s.connect();
    await snapshot;
    const batches: ValuesEvent[] = [];
    s.on('values', (v) => batches.push(v));
    const t0 = Date.now() - 60_000;
    const ids = Array.from({ length: 4500 }, (_, i) => `bulk.t${String(i).padStart(4, '0')}`);
    // Published as the values of one push interval: one message of 4,500 readings.
    await gateway.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq: 900, readings: ids.map((id, i) => ({ id, ts: t0, v: i, q: 'good' as const })) }), { qos: 1 });
    const bulk = (): ValuesEvent[] => batches.filter((b) => b.readings.some((r) => r.id.startsWith('bulk.')));
    await expect.poll(() => bulk().flatMap((b) => b.readings).filter((r) => r.id.startsWith('bulk.')).length, { timeout: 10_000 }).toBe(ids.length);
    expect(bulk().length).toBeGreaterThanOrEqual(3);
    for (const b of bulk()) expect(b.readings.length).toBeLessThanOrEqual(2000);
    expect(bulk().flatMap((b) => b.readings).filter((r) => r.id.startsWith('bulk.')).map((r) => r.v)).toEqual(ids.map((_, i) => i));
    s.disconnect();
  });

  it('publishes Prometheus metrics', async () => {
    const text = await (await fetch(`${park.url}/metrics`)).text();
    expect(text).toMatch(/^park_ingest_readings_total \d+$/m);
    expect(text).toContain('# TYPE park_ingest_backlog_readings gauge');
    // Process memory, so a site can see how close the server runs to its heap limit.
    const gauge = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    const used = gauge('park_process_heap_used_bytes');
    expect(used).toBeGreaterThan(1_000_000);
    expect(gauge('park_process_heap_total_bytes')).toBeGreaterThanOrEqual(used);
    expect(gauge('park_process_resident_memory_bytes')).toBeGreaterThan(gauge('park_process_heap_total_bytes') / 2);
    expect(gauge('park_process_external_memory_bytes')).toBeGreaterThanOrEqual(0);
    // The rollup of readings stored late (this test's may wait for it): none failed.
    expect(gauge('park_ingest_rollup_late_failures_total')).toBe(0);
    expect([0, 1]).toContain(gauge('park_ingest_rollup_late_pending'));
    expect(gauge('park_ingest_rollup_late_ranges_total')).toBeGreaterThanOrEqual(0);
  });
});
