import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { dataTopic, encodeDataMessage, type AlarmEvent, type ClientToServerEvents, type Reading, type ServerToClientEvents } from '@park/protocol';
import { fleetPark } from '@park/simulators';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';
import { freePort } from '../harness/ports.js';
import { tempDir } from '../harness/temp-dir.js';

type ParkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const GATEWAY = 'gw-fleet';
/** 5,000 load tags on five Modbus units. */
const UNITS = 5;
const POINTS = 1000;
const PROBES = Array.from({ length: 20 }, (_, i) => `probe.t${String(i + 1).padStart(2, '0')}`);
const LIMIT_H = 100;
const ROUNDS = 3;
const MESSAGES_PER_WAVE = 10;

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** The load-test fleet and a site of probe tags with an H limit, as the benchmarks build them. */
function writePark(file: string): string[] {
  const park = fleetPark({ devices: UNITS, points: POINTS, opcuaVariables: 0 }) as unknown as { sites: Record<string, unknown>[] };
  park.sites.push({
    id: 'probe',
    name: { zh: '报警探针', en: 'Alarm probes' },
    gateway: GATEWAY,
    hazardSources: [],
    devices: [
      {
        id: 'probe-unit',
        protocol: 'modbus-tcp',
        host: '127.0.0.1',
        port: 5021,
        unitId: 1,
        tags: PROBES.map((id, i) => ({ id, description: { zh: `探针 ${i + 1}`, en: `Probe ${i + 1}` }, address: { table: 'holding', address: 2 * i, type: 'float32', order: 'ABCD' }, limits: { h: LIMIT_H, deadband: 0 } })),
      },
    ],
  });
  writeFileSync(file, JSON.stringify(park));
  return Array.from({ length: UNITS * POINTS }, (_, k) => `fleet.m${String(Math.floor(k / POINTS) + 1).padStart(3, '0')}.p${String((k % POINTS) + 1).padStart(5, '0')}`);
}

/** The states an alarm went through, one entry per change (a first-out marking repeats the state and is dropped). */
function stateChanges(events: readonly AlarmEvent[], id: string): string[] {
  const out: string[] = [];
  for (const e of events) if (e.id === id && out[out.length - 1] !== e.state) out.push(e.state);
  return out;
}

// The server's half of the alarm-latency benchmark: probe tags cross their
// limit while a gateway's whole load turns bad and good again around them
// (devices timing out under load). Every crossing that reaches the server
// over MQTT must give exactly one alarm and one return to normal, on a
// display watching the probes' site and on one watching the whole park.
describe('server: every limit crossing published over MQTT raises its alarm, through waves of instrument faults', () => {
  const dir = tempDir('crossings');
  let load: string[];
  let park: TestParkServer;
  let gateway: MqttClient;
  const sockets: ParkSocket[] = [];
  let seq = 0;

  const open = async (user: string, auth: Record<string, unknown>): Promise<AlarmEvent[]> => {
    const cookie = await login(park.url, user);
    const socket: ParkSocket = connectSocket(park.url, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie }, auth, reconnection: false });
    sockets.push(socket);
    const events: AlarmEvent[] = [];
    socket.on('alarm', (e) => events.push(e));
    await new Promise<void>((resolve, reject) => {
      socket.once('snapshot', () => resolve());
      socket.once('connect_error', reject);
    });
    return events;
  };
  const publish = (readings: Reading[]): Promise<unknown> => gateway.publishAsync(dataTopic('park/v1', GATEWAY), encodeDataMessage({ gateway: GATEWAY, seq: ++seq, readings }), { qos: 1 });

  /** Every load tag bad (or good again), in messages of 500, with two probes set to `probe` in each. */
  const wave = (q: 'bad' | 'good', probe: number): Promise<unknown[]> => {
    const ts = Date.now();
    const per = load.length / MESSAGES_PER_WAVE;
    return Promise.all(
      Array.from({ length: MESSAGES_PER_WAVE }, (_, m) => {
        const readings: Reading[] = load.slice(m * per, (m + 1) * per).map((id) => (q === 'bad' ? { id, ts, v: 0, q: 'bad', err: 'timeout' } : { id, ts, v: 1, q: 'good' }));
        for (const id of PROBES.slice(2 * m, 2 * m + 2)) readings.push({ id, ts, v: probe, q: 'good' });
        return publish(readings);
      }),
    );
  };

  beforeAll(async () => {
    const file = path.join(dir.path, 'park.json');
    load = writePark(file);
    // The embedded broker, as the benchmarks run it: the ingest runs before the broker acknowledges.
    park = await startParkServer({ park: file, mqtt: { url: undefined, embedded: { host: '127.0.0.1', port: await freePort() } }, config: { hazards: {}, emergency: {} } });
    gateway = await mqtt.connectAsync(park.server.mqttUrl, { reconnectPeriod: 0 });
    await wave('good', LIMIT_H / 2);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.disconnect());
    await gateway?.endAsync(true);
    await park?.stop();
    dir.remove();
  });

  it('gives each crossing one alarm and one return, in order, to a per-site display and a whole-park display, and journals them', async () => {
    const probeSite = await open('operator', { sites: ['probe'] });
    const everything = await open('viewer', {});
    for (let round = 0; round < ROUNDS; round++) {
      await wave('bad', 2 * LIMIT_H);
      await wave('good', LIMIT_H / 2);
    }
    // A last crossing of the first probe: once both displays have it, they have everything sent before it.
    await publish([{ id: PROBES[0] as string, ts: Date.now(), v: 2 * LIMIT_H, q: 'good' }]);
    const last = `${PROBES[0]}:h`;
    for (const events of [probeSite, everything]) await expect.poll(() => stateChanges(events, last).length, { timeout: 50_000 }).toBe(2 * ROUNDS + 1);

    const crossings = Array.from({ length: ROUNDS }, () => ['unack', 'rtn-unack']).flat();
    for (const events of [probeSite, everything]) {
      for (const id of PROBES) expect(stateChanges(events, `${id}:h`), id).toEqual(id === PROBES[0] ? [...crossings, 'unack'] : crossings);
    }
    // The per-site display hears its site only; the whole-park one every instrument fault too.
    expect(new Set(probeSite.map((e) => e.area))).toEqual(new Set(['probe']));
    const faults = everything.filter((e) => e.kind === 'bad-quality');
    expect(new Set(faults.map((e) => e.tagId)).size).toBe(load.length);
    expect(stateChanges(faults, `${load[load.length - 1]}:bad-quality`)).toEqual(crossings);

    const cookie = await login(park.url, 'viewer');
    const journal = async (): Promise<number> => {
      const entries = (await (await fetch(`${park.url}/api/alarms/journal?area=probe&kind=h&limit=5000`, { headers: { cookie } })).json()) as { cause: string }[];
      return entries.filter((e) => e.cause === 'condition').length;
    };
    await expect.poll(journal, { timeout: 30_000 }).toBe(PROBES.length * 2 * ROUNDS + 1);
  }, 180_000);
});
