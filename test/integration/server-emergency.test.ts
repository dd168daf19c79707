import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

// Emergency command through the real server: a chlorine level-2 reading
// opens an incident with the chlorine card by itself, the commander ticks a
// step, and the downwind zone follows the live wind.
describe('server: emergency cards, incidents and the downwind zone', () => {
  let park: TestParkServer;
  let gw: MqttClient;
  let seq = 0;
  const publish = async (gateway: string, readings: { id: string; v: number }[]): Promise<void> => {
    const ts = Date.now();
    await gw.publishAsync(dataTopic('park/v1', gateway), encodeDataMessage({ gateway, seq: ++seq, readings: readings.map((r) => ({ ...r, ts, q: 'good' as const })) }), { qos: 1 });
  };

  beforeAll(async () => {
    park = await startParkServer();
    gw = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await gw?.endAsync(true);
    await park?.stop();
  });

  it('serves the four demo cards', async () => {
    const cookie = await login(park.url, 'viewer');
    const cards = (await (await fetch(`${park.url}/api/cards`, { headers: { cookie } })).json()) as { id: string }[];
    expect(cards.map((c) => c.id).sort()).toEqual(['hs01-chlorine-leak', 'hs02-ammonia-leak', 'hs03-lpg-fire', 'hs04-methanol-spill']);
  });

  it('opens an incident with the chlorine card on a level-2 chlorine reading; the commander ticks a step', async () => {
    await publish('gw-a', [{ id: 'a.hs01.gd01', v: 0.05 }]);
    await publish('gw-a', [{ id: 'a.hs01.gd01', v: 0.9 }]);
    const cookie = await login(park.url, 'commander');
    const open = async (): Promise<{ id: string; cardId: string; state: string }[]> =>
      (await (await fetch(`${park.url}/api/incidents?state=open`, { headers: { cookie } })).json()) as { id: string; cardId: string; state: string }[];
    await expect.poll(async () => (await open()).map((i) => i.cardId), { timeout: 10_000 }).toEqual(['hs01-chlorine-leak']);
    const [incident] = await open();
    const tick = await fetch(`${park.url}/api/incidents/${incident?.id}/steps/1`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ done: true, comment: 'alarm raised, evacuating upwind' }) });
    expect(tick.status).toBe(200);
    const detail = JSON.stringify(await (await fetch(`${park.url}/api/incidents/${incident?.id}`, { headers: { cookie } })).json());
    expect(detail).toContain('alarm raised, evacuating upwind');
    expect(detail).toContain('commander');
    const viewer = await login(park.url, 'viewer');
    const refused = await fetch(`${park.url}/api/incidents/${incident?.id}/notes`, { method: 'POST', headers: { cookie: viewer, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x' }) });
    expect(refused.status).toBe(403);
  });

  it('draws the downwind zone from the live wind', async () => {
    await publish('gw-b', [
      { id: 'park.weather.wind_speed', v: 4 },
      { id: 'park.weather.wind_direction', v: 270 },
    ]);
    const cookie = await login(park.url, 'commander');
    await expect
      .poll(async () => {
        const res = await fetch(`${park.url}/api/hazard-zone?hazardSource=hs01&spill=small`, { headers: { cookie } });
        return res.status === 200 ? JSON.stringify(await res.json()) : `HTTP ${res.status}`;
      })
      .toContain('"wind":{"speedMs":4,"fromDeg":270,"downwindDeg":90}');
  });
});
