import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectSocket, type Socket } from 'socket.io-client';
import type { AlarmEvent, ClientToServerEvents, RiskWarningEvent, ServerToClientEvents } from '@park/protocol';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { startSimulators, type RunningSimulators } from '@park/simulators';
import type { RunningGateway } from '@park/gateway';
import type { FeedIncident } from '../../server/src/incident-feed/incident-feed.js';
import { DEMO_PARK_FILE, startParkServer, type TestParkServer } from '../harness/park-server.js';
import { startSiteGateway } from '../harness/simulated-gateway.js';
import { tempDir } from '../harness/temp-dir.js';

type ParkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

// Issue 7 acceptance through the whole chain: simulated OPC UA devices of
// site A → gateway gw-a → broker → server. The `leak-chlorine` scenario
// turns HS-01 red on the GDS level-2 reading, opens one incident in the
// feed that collects the related alarms, and the colour change is
// journalled; `recover` plus acknowledgement closes the incident.
describe('whole chain: leak-chlorine turns HS-01 red and opens one incident', () => {
  let sims: RunningSimulators;
  let park: TestParkServer;
  let gateway: RunningGateway;
  let socket: ParkSocket;
  let cookie = '';
  const data = tempDir('leak');
  const alarms: AlarmEvent[] = [];
  const risks: RiskWarningEvent[] = [];

  const feed = async (): Promise<FeedIncident[]> => (await (await fetch(`${park.url}/api/incident-feed?hazardSource=hs01`, { headers: { cookie } })).json()) as FeedIncident[];

  beforeAll(async () => {
    const model = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
    // Model time runs 10× faster: the 20 s rise of the detectors takes 2 s.
    sims = await startSimulators({ park: model, seed: 1, opcuaPort: 0, modbusPort: 0, controlPort: 0, rtu: false, speed: 10 });
    park = await startParkServer();
    gateway = await startSiteGateway({ model, sims, gateway: 'gw-a', site: 'a', protocol: 'opcua', dataDir: data.path, mqttUrl: park.mqttUrl });

    const login = await fetch(`${park.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'commander', password: 'demo-commander' }) });
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    socket = connectSocket(park.url, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
    socket.on('alarm', (e) => alarms.push(e));
    socket.on('risk', (e) => risks.push(e));
    await new Promise((r) => socket.once('snapshot', r));
  }, 90_000);

  afterAll(async () => {
    socket?.disconnect();
    await gateway?.stop();
    await park?.stop();
    await sims?.stop();
    data.remove();
  });

  it('red on the level-2 reading, one incident collecting the related alarms, journalled; recover and acknowledge close it', async () => {
    // Normal running first: HS-01 has no colour and no incident.
    await expect.poll(() => park.server.ingest.counters.readings, { timeout: 30_000 }).toBeGreaterThan(20);
    expect(await feed()).toEqual([]);
    const startedAt = Date.now();

    sims.runScenario('leak-chlorine', 'a.hs01.t101');
    await expect.poll(() => risks.find((r) => r.hazardSource === 'hs01' && r.colour === 'red'), { timeout: 30_000 }).toBeDefined();
    const red = risks.find((r) => r.hazardSource === 'hs01' && r.colour === 'red') as RiskWarningEvent;
    // Red because of a GDS level-2 alarm (a detector's hh), which was announced no later than the colour.
    const level2 = alarms.find((a) => a.tagId.startsWith('a.hs01.gd') && a.kind === 'hh' && a.state === 'unack');
    expect(level2).toBeDefined();
    expect(red.ts).toBeGreaterThanOrEqual(level2?.ts ?? Infinity);

    // One incident, collecting the installation's alarms.
    await expect.poll(async () => (await feed()).length).toBe(1);
    await expect.poll(async () => (await feed())[0]?.alarms.some((a) => a.id === level2?.id)).toBe(true);
    const [incident] = await feed();
    expect(incident).toMatchObject({ hazardSource: 'hs01', state: 'open' });
    const hs01Raised = [...new Set(alarms.filter((a) => a.tagId.startsWith('a.hs01.') && a.state === 'unack').map((a) => a.id))];
    await expect.poll(async () => (await feed())[0]?.alarms.map((a) => a.id).sort()).toEqual(expect.arrayContaining(hs01Raised.sort()));

    // The colour change is in the journal.
    const q = encodeURIComponent(`SELECT "colour","previous" FROM "events"."risk_warning" WHERE "hazardSource" = 'hs01' AND time >= ${startedAt}ms`);
    await expect
      .poll(async () => {
        const res = (await (await fetch(`${park.influxd.url}/query?db=park&q=${q}`)).json()) as { results: { series?: { values: [string, string, string][] }[] }[] };
        return (res.results[0]?.series?.[0]?.values ?? []).map(([, colour]) => colour);
      })
      .toContain('red');

    // Recover, then acknowledge everything of HS-01: the incident closes.
    sims.runScenario('recover');
    await expect
      .poll(async () => (await feed())[0]?.alarms.filter((a) => a.state === 'unack' || a.state === 'acked').map((a) => a.id), { timeout: 60_000 })
      .toEqual([]);
    const open = (await feed())[0]?.alarms.filter((a) => a.state === 'rtn-unack').map((a) => a.id) ?? [];
    const res = await fetch(`${park.url}/api/alarms/ack`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ ids: open, comment: 'leak stopped, area cleared' }) });
    expect(res.status).toBe(200);
    await expect.poll(async () => (await feed())[0]?.state, { timeout: 20_000 }).toBe('closed');
    expect((await feed())[0]?.id).toBe(incident?.id);
  });
});
