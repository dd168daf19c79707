import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectSocket, type Socket } from 'socket.io-client';
import type { AlarmEvent, ClientToServerEvents, RiskWarningEvent, ServerToClientEvents } from '@park/protocol';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { startSimulators, type RunningSimulators } from '@park/simulators';
import type { RunningGateway } from '@park/gateway';
import { DEMO_PARK_FILE, startParkServer, type TestParkServer } from '../harness/park-server.js';
import { startSiteGateway } from '../harness/simulated-gateway.js';
import { tempDir } from '../harness/temp-dir.js';

type ParkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

// The whole chain: simulated Modbus devices → gateway → broker → server →
// alarm engine → Socket.IO. The `overfill` scenario (docs/simulators.md)
// takes methanol tank T302 through H and HH until its SIS trips: the
// operator's display receives exactly those alarms, H first.
describe('whole chain: the overfill scenario raises the documented alarms', () => {
  let sims: RunningSimulators;
  let park: TestParkServer;
  let gateway: RunningGateway;
  let socket: ParkSocket;
  const data = tempDir('chain');
  const alarms: AlarmEvent[] = [];
  const risks: RiskWarningEvent[] = [];

  beforeAll(async () => {
    const model = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
    // Model time runs 10× faster, so the tank fills in seconds.
    sims = await startSimulators({ park: model, seed: 1, opcuaPort: 0, modbusPort: 0, controlPort: 0, rtu: false, speed: 10 });
    park = await startParkServer();
    gateway = await startSiteGateway({ model, sims, gateway: 'gw-b', site: 'b', protocol: 'modbus-tcp', dataDir: data.path, mqttUrl: park.mqttUrl });

    const login = await fetch(`${park.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'demo-operator' }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    socket = connectSocket(park.url, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
    socket.on('alarm', (e) => alarms.push(e));
    socket.on('risk', (e) => risks.push(e));
    await new Promise((r) => socket.once('snapshot', r));
  }, 60_000);

  afterAll(async () => {
    socket?.disconnect();
    await gateway?.stop();
    await park?.stop();
    await sims?.stop();
    data.remove();
  });

  it('H, then HH, then the critical SIS trip of T302 reach the operator', async () => {
    // Normal running first: no alarm from site B's Modbus devices.
    await expect.poll(() => park.server.ingest.counters.readings, { timeout: 15_000 }).toBeGreaterThan(20);
    expect(alarms.filter((a) => a.tagId.startsWith('b.') && a.kind !== 'stale')).toEqual([]);

    sims.runScenario('overfill', 'b.hs04.t302');
    // Unique ids in the order they were first raised (a first-out mark is a second event of the same alarm).
    const raised = (): string[] => [...new Set(alarms.filter((a) => a.state === 'unack' && a.tagId.startsWith('b.hs04.t302')).map((a) => a.id))];
    await expect.poll(() => [...raised()].sort(), { timeout: 30_000 }).toEqual(['b.hs04.t302.hh_trip:discrete', 'b.hs04.t302.level:h', 'b.hs04.t302.level:hh']);
    // H comes first; HH and the trip it causes are seen in the same poll cycle, in either order.
    expect(raised()[0]).toBe('b.hs04.t302.level:h');
    const trip = alarms.find((a) => a.id === 'b.hs04.t302.hh_trip:discrete');
    expect(trip?.priority).toBe('critical');
    const hh = alarms.find((a) => a.id === 'b.hs04.t302.level:hh');
    expect(hh).toMatchObject({ priority: 'high', limit: 90 });
    expect(hh?.value).toBeGreaterThanOrEqual(90);
    // The trip marks the cause of the cascade in its hazard source: the H alarm came first.
    await expect.poll(() => alarms.some((a) => a.id === 'b.hs04.t302.level:h' && a.firstOut === true)).toBe(true);
    // The installation's risk early warning turns red for the trip, and says why.
    await expect.poll(() => risks.filter((r) => r.hazardSource === 'hs04').at(-1)).toMatchObject({ colour: 'red', site: 'b' });
    expect(risks.filter((r) => r.hazardSource === 'hs04').at(-1)?.reasons[0]).toEqual({ rule: 'SIS trip', alarms: ['b.hs04.t302.hh_trip:discrete'] });
  });
});
