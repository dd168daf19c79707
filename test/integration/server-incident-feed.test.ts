import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import type { FeedIncident } from '../../server/src/incident-feed/incident-feed.js';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

// Issue 7: the commanders' incident feed through the real server. Readings
// over MQTT raise alarms in HS-03; the first opens one incident, the next
// joins it; after a restart the same incident (same id, same members) is
// back; clearing and acknowledging closes it.
describe('server: incident feed per installation', () => {
  let influxd: TestInfluxd;
  const data = tempDir('feed');
  let park: TestParkServer;
  let gateway: MqttClient;
  let seq = 0;

  const publish = async (id: string, v: number): Promise<void> => {
    await gateway.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq: ++seq, readings: [{ id, ts: Date.now(), v, q: 'good' }] }), { qos: 1 });
  };
  const feed = async (query = ''): Promise<FeedIncident[]> => (await (await fetch(`${park.url}/api/incident-feed${query}`, { headers: { cookie: await login(park.url, 'viewer') } })).json()) as FeedIncident[];
  const ack = async (id: string): Promise<number> =>
    (await fetch(`${park.url}/api/alarms/${id}/ack`, { method: 'POST', headers: { cookie: await login(park.url, 'operator'), 'content-type': 'application/json' }, body: '{}' })).status;

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    park = await startParkServer({ influxd, dataDir: data.path });
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await gateway?.endAsync(true);
    await park?.stop();
    await influxd?.stop();
    data.remove();
  });

  it('needs a login and checks its query', async () => {
    expect((await fetch(`${park.url}/api/incident-feed`)).status).toBe(401);
    const cookie = await login(park.url, 'viewer');
    const bad = await fetch(`${park.url}/api/incident-feed?state=maybe`, { headers: { cookie } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('state: expected open or closed');
    expect((await fetch(`${park.url}/api/incident-feed/hs03-1`, { headers: { cookie } })).status).toBe(404);
  });

  it('opens one incident with the first alarm, joins the next, keeps it through a restart and closes it when all are cleared and acknowledged', async () => {
    await publish('b.hs03.gd01', 0);
    await publish('b.hs03.gd01', 30); // level 1 gas alarm (high): opens
    await expect.poll(async () => (await feed('?hazardSource=hs03')).length).toBe(1);
    await publish('b.hs03.gd02', 0);
    await publish('b.hs03.gd02', 60); // another detector of the same installation: joins
    await expect.poll(async () => (await feed('?state=open'))[0]?.alarms.map((a) => a.id)).toEqual(['b.hs03.gd01:h', 'b.hs03.gd02:h', 'b.hs03.gd02:hh']);
    const [opened] = await feed();
    expect(opened).toMatchObject({ hazardSource: 'hs03', site: 'b', state: 'open', firstAlarm: 'b.hs03.gd01:h', priority: 'critical' });

    // Restart on the same data folder and InfluxDB: the same incident comes back.
    await gateway.endAsync(true);
    await park.stop();
    park = await startParkServer({ influxd, dataDir: data.path });
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
    const restored = await feed();
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({ id: opened?.id, state: 'open', firstAlarm: 'b.hs03.gd01:h' });
    expect(restored[0]?.alarms.map((a) => a.id)).toEqual(['b.hs03.gd01:h', 'b.hs03.gd02:h', 'b.hs03.gd02:hh']);

    // Cleared but not acknowledged: still open. Acknowledged: closed.
    await publish('b.hs03.gd01', 0);
    await publish('b.hs03.gd02', 0);
    await expect.poll(async () => (await feed())[0]?.alarms.map((a) => a.state)).toEqual(['rtn-unack', 'rtn-unack', 'rtn-unack']);
    expect((await feed())[0]?.state).toBe('open');
    for (const id of ['b.hs03.gd01:h', 'b.hs03.gd02:h', 'b.hs03.gd02:hh']) expect(await ack(id)).toBe(200);
    await expect.poll(async () => (await feed())[0]?.state).toBe('closed');
    expect((await feed('?state=open')).length).toBe(0);
    const closed = await (await fetch(`${park.url}/api/incident-feed/${opened?.id}`, { headers: { cookie: await login(park.url, 'viewer') } })).json();
    expect(closed).toMatchObject({ id: opened?.id, state: 'closed' });
  });
});
