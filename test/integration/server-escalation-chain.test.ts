import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { dataTopic, encodeDataMessage, type AlarmEscalationEvent, type ClientToServerEvents, type EscalationStepEvent, type IncidentChangeEvent, type ParkServerToClientEvents } from '@park/protocol';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

type ParkSocket = Socket<ParkServerToClientEvents, ClientToServerEvents>;

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

// The escalation chain and the incident push wired into the real server:
// an unacknowledged critical alarm in HS-03 goes to the operator on duty,
// then to the commander (also as the plain `escalation`), and stops when
// acknowledged; an incident opened by hand reaches the commanders.
describe('server: escalation chain per installation and incident push', () => {
  let influxd: TestInfluxd;
  let park: TestParkServer;
  let gateway: MqttClient;
  const sockets: ParkSocket[] = [];
  let seq = 0;

  const publish = async (id: string, v: number): Promise<void> => {
    await gateway.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq: ++seq, readings: [{ id, ts: Date.now(), v, q: 'good' }] }), { qos: 1 });
  };
  const connect = async (user: string): Promise<{ socket: ParkSocket; steps: EscalationStepEvent[]; plain: AlarmEscalationEvent[]; incidents: IncidentChangeEvent[] }> => {
    const socket: ParkSocket = connectSocket(park.url, { path: '/socket.io/', transports: ['websocket'], extraHeaders: { cookie: await login(park.url, user) }, reconnection: false });
    sockets.push(socket);
    const out = { socket, steps: [] as EscalationStepEvent[], plain: [] as AlarmEscalationEvent[], incidents: [] as IncidentChangeEvent[] };
    socket.on('escalation:step', (e) => out.steps.push(e));
    socket.on('escalation', (e) => out.plain.push(e));
    socket.on('incident', (e) => out.incidents.push(e));
    await new Promise((resolve) => socket.once('snapshot', resolve));
    return out;
  };

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    park = await startParkServer({
      influxd,
      config: {
        alarms: {
          escalation: {
            afterSeconds: 60,
            chain: {
              installations: {
                hs03: {
                  priorities: ['critical'],
                  steps: [
                    { duty: 'operator', afterSeconds: 1 },
                    { duty: 'commander', afterSeconds: 2 },
                  ],
                },
              },
            },
          },
        },
      },
    });
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.disconnect());
    await gateway?.endAsync(true);
    await park?.stop();
    await influxd?.stop();
  });

  it('pages the operator, then the commander, and stops on acknowledgement', async () => {
    const operator = await connect('operator');
    const commander = await connect('commander');
    await publish('b.hs03.gd01', 0);
    await publish('b.hs03.gd01', 60); // level 2 gas alarm: critical
    await expect.poll(() => operator.steps.map((e) => [e.duty, e.alarm.id]), { timeout: 10_000 }).toContainEqual(['operator', 'b.hs03.gd01:hh']);
    await expect.poll(() => commander.steps.map((e) => [e.duty, e.alarm.id]), { timeout: 10_000 }).toContainEqual(['commander', 'b.hs03.gd01:hh']);
    expect(commander.plain.map((e) => e.alarm.id)).toContain('b.hs03.gd01:hh');
    // Each duty hears only its own step.
    expect(operator.steps.every((e) => e.duty === 'operator')).toBe(true);
    expect(commander.steps.every((e) => e.duty === 'commander')).toBe(true);

    expect(await operator.socket.emitWithAck('alarm:ack', { id: 'b.hs03.gd01:hh' })).toEqual({ ok: true });
    await expect
      .poll(async () => {
        const q = encodeURIComponent(`SELECT count("stepsSent") FROM "events"."alarm_escalation_stop" WHERE "alarmId" = 'b.hs03.gd01:hh'`);
        const res = (await (await fetch(`${influxd.url}/query?db=park&q=${q}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
        return res.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
      })
      .toBe(1);
  });

  it('pushes an incident opened by a commander to the commanders', async () => {
    const commander = await connect('commander');
    const res = await fetch(`${park.url}/api/incidents`, {
      method: 'POST',
      headers: { cookie: await login(park.url, 'commander'), 'content-type': 'application/json' },
      body: JSON.stringify({ cardId: 'hs03-lpg-fire', note: 'drill' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await expect.poll(() => commander.incidents.map((e) => [e.type, e.incidentId])).toContainEqual(['opened', id]);
  });
});
