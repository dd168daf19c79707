import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { dataTopic, encodeDataMessage, type AlarmEvent, type ClientToServerEvents, type ServerToClientEvents, type Snapshot } from '@park/protocol';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

type ParkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

// The alarm engine at work in the server: readings over MQTT raise alarms
// that are journalled, pushed over Socket.IO, acknowledged with an audit
// entry, and rebuilt after a restart without being announced again.
describe('server alarms: raise, push, acknowledge, journal, restore', () => {
  let influxd: TestInfluxd;
  const data = tempDir('alarms');
  let park: TestParkServer;
  let gateway: MqttClient;
  const sockets: ParkSocket[] = [];
  let seq = 0;

  const publish = async (id: string, v: number, q: 'good' | 'bad' = 'good'): Promise<void> => {
    await gateway.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq: ++seq, readings: [{ id, ts: Date.now(), v, q, ...(q === 'bad' ? { err: 'timeout' } : {}) }] }), { qos: 1 });
  };
  const socketFor = async (cookie: string): Promise<{ socket: ParkSocket; events: AlarmEvent[]; snapshot: Snapshot }> => {
    const socket: ParkSocket = connectSocket(park.url, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
    sockets.push(socket);
    const events: AlarmEvent[] = [];
    socket.on('alarm', (e) => events.push(e));
    const snapshot = await new Promise<Snapshot>((resolve) => socket.once('snapshot', resolve));
    return { socket, events, snapshot };
  };

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    park = await startParkServer({ influxd, dataDir: data.path });
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.disconnect());
    await gateway?.endAsync(true);
    await park?.stop();
    await influxd?.stop();
    data.remove();
  });

  it('raises a GB/T 50493 level-1 gas alarm, pushes it, and lets an operator acknowledge it with an audit entry', async () => {
    const operator = await socketFor(await login(park.url, 'operator'));
    await publish('b.hs03.gd01', 10);
    await publish('b.hs03.gd01', 30);
    await expect.poll(() => operator.events.find((e) => e.id === 'b.hs03.gd01:h')).toMatchObject({ state: 'unack', priority: 'high', value: 30, limit: 25, area: 'b' });

    const viewerCookie = await login(park.url, 'viewer');
    const active = (await (await fetch(`${park.url}/api/alarms`, { headers: { cookie: viewerCookie } })).json()) as AlarmEvent[];
    expect(active.map((a) => a.id)).toContain('b.hs03.gd01:h');

    const refused = await fetch(`${park.url}/api/alarms/b.hs03.gd01:h/ack`, { method: 'POST', headers: { cookie: viewerCookie, 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(403);

    expect(await operator.socket.emitWithAck('alarm:ack', { id: 'b.hs03.gd01:h', comment: 'field operator sent' })).toEqual({ ok: true });
    await expect.poll(() => operator.events.find((e) => e.id === 'b.hs03.gd01:h' && e.state === 'acked')).toMatchObject({ ackedBy: 'operator', comment: 'field operator sent' });
    const again = await operator.socket.emitWithAck('alarm:ack', { id: 'b.hs03.gd01:h' });
    expect(again.ok).toBe(false);

    const cookie = await login(park.url, 'operator');
    const unknown = await fetch(`${park.url}/api/alarms/x.y:hh/ack`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(unknown.status).toBe(404);

    await park.server.audit.drain();
    const audit = await park.server.store.queryAudit(Date.now() - 60_000, Date.now() + 1000);
    expect(audit.filter((a) => a.action === 'alarm-ack' && a.target === 'b.hs03.gd01:h').map((a) => a.ok).sort()).toEqual([false, true]);
  });

  it('journals every transition and rebuilds active alarms after a restart without announcing them again', async () => {
    await publish('b.hs04.t301.level', 50);
    await publish('b.hs04.t301.level', 97); // above hh 95 and h 90
    const cookie = await login(park.url, 'viewer');
    await expect
      .poll(async () => ((await (await fetch(`${park.url}/api/alarms`, { headers: { cookie } })).json()) as AlarmEvent[]).map((a) => a.id))
      .toEqual(expect.arrayContaining(['b.hs04.t301.level:hh', 'b.hs04.t301.level:h']));
    // One of them shelved by the operator: shelving, its reason and expiry must survive the restart too.
    const operatorCookie = await login(park.url, 'operator');
    const shelve = await fetch(`${park.url}/api/alarms/b.hs04.t301.level:h/shelve`, { method: 'POST', headers: { cookie: operatorCookie, 'content-type': 'application/json' }, body: JSON.stringify({ minutes: 60, reason: 'level transmitter being recalibrated' }) });
    expect(shelve.status).toBe(200);
    await expect.poll(async () => ((await (await fetch(`${park.url}/api/alarms`, { headers: { cookie } })).json()) as AlarmEvent[]).find((a) => a.id === 'b.hs04.t301.level:h')?.state).toBe('shelved');
    const before = ((await (await fetch(`${park.url}/api/alarms`, { headers: { cookie } })).json()) as AlarmEvent[]).sort((a, b) => a.id.localeCompare(b.id));

    const journal = async (): Promise<string[][]> =>
      ((await (await fetch(`${park.url}/api/alarms/journal?tag=b.hs03.gd01`, { headers: { cookie } })).json()) as { state: string; cause: string }[]).map((j) => [j.state, j.cause]);
    await expect.poll(journal).toEqual([
      ['acked', 'ack'],
      ['unack', 'condition'],
    ]);
    const bad = await fetch(`${park.url}/api/alarms/journal?tag=${encodeURIComponent("x' OR 1=1")}`, { headers: { cookie } });
    expect(bad.status).toBe(400);
    const acks = (await (await fetch(`${park.url}/api/alarms/journal?state=acked`, { headers: { cookie } })).json()) as { id: string; state: string }[];
    expect(acks.map((a) => [a.id, a.state])).toEqual([['b.hs03.gd01:h', 'acked']]);
    const kpis = (await (await fetch(`${park.url}/api/alarms/kpis`, { headers: { cookie } })).json()) as { areas: { area: string; top: { id: string }[] }[]; truncated: boolean };
    expect(kpis.truncated).toBe(false);
    expect(kpis.areas.find((a) => a.area === 'b')?.top.map((t) => t.id)).toEqual(expect.arrayContaining(['b.hs03.gd01:h', 'b.hs04.t301.level:hh']));
    const wrongKind = await fetch(`${park.url}/api/alarms/journal?kind=bogus`, { headers: { cookie } });
    expect(await wrongKind.json()).toEqual({ error: expect.stringMatching(/^kind: one of hh, h, l, ll/) });

    await gateway.endAsync(true);
    await park.stop();
    park = await startParkServer({ influxd, dataDir: data.path });
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });

    const viewer = await socketFor(await login(park.url, 'viewer'));
    const restored = [...viewer.snapshot.alarms].sort((a, b) => a.id.localeCompare(b.id));
    expect(restored.map((a) => [a.id, a.state, a.raisedAt, a.ackedBy, a.comment, a.shelvedUntil])).toEqual(before.map((a) => [a.id, a.state, a.raisedAt, a.ackedBy, a.comment, a.shelvedUntil]));
    expect(restored.find((a) => a.id === 'b.hs04.t301.level:h')).toMatchObject({ state: 'shelved', comment: 'level transmitter being recalibrated' });

    // The same condition reported again is no new alarm.
    await publish('b.hs04.t301.level', 97.5);
    await publish('b.hs03.gd01', 31);
    // …and a return to normal is the next transition of the restored alarm.
    await publish('b.hs04.t301.level', 50);
    await expect.poll(() => viewer.events.filter((e) => e.id === 'b.hs04.t301.level:hh').map((e) => e.state)).toEqual(['rtn-unack']);
    expect(viewer.events.filter((e) => e.id === 'b.hs03.gd01:h')).toEqual([]);
  });
});
