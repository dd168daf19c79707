import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../../harness/park-server.js';

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

interface Contour {
  level: 1 | 2;
  thresholdMgM3: number;
  reached: boolean;
  distanceM: number;
  polygon: [number, number][];
}
interface ZoneAnswer {
  isolation: { radiusM: number };
  plume: null | {
    guidance: string;
    inputs: { rateGs: number; rateFrom: string; vessels?: { id: string; rateGs: number }[]; stabilityClass: string; stabilityFrom: string; fromDeg: number; downwindDeg: number; releaseHeightM: number };
    contours: Contour[];
    verified: boolean;
    limits: string[];
  };
  plumeNotDrawn?: string;
  inside: { id: string; zone: string; distanceM: number; plumeLevel?: number; concentrationMgM3?: number }[];
  incidentId?: string;
}

// The plume through the real server: live wind and stability from the
// weather station, the release rate from a falling tank level or from the
// commander, contours at the card's level-1 and level-2 concentrations,
// and the sensitive targets they reach.
describe('server: plume contours in the hazard zone', () => {
  let park: TestParkServer;
  let gw: MqttClient;
  let seq = 0;
  let cookie = '';
  const publish = async (gateway: string, readings: { id: string; v: number; ts?: number }[]): Promise<void> => {
    const now = Date.now();
    await gw.publishAsync(dataTopic('park/v1', gateway), encodeDataMessage({ gateway, seq: ++seq, readings: readings.map((r) => ({ id: r.id, v: r.v, ts: r.ts ?? now, q: 'good' as const })) }), { qos: 1 });
  };
  const zone = async (query: string): Promise<{ status: number; body: ZoneAnswer & { error?: string } }> => {
    const res = await fetch(`${park.url}/api/hazard-zone?${query}`, { headers: { cookie } });
    return { status: res.status, body: (await res.json()) as ZoneAnswer & { error?: string } };
  };

  beforeAll(async () => {
    park = await startParkServer();
    gw = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
    cookie = await login(park.url, 'commander');
  });
  afterAll(async () => {
    await gw?.endAsync(true);
    await park?.stop();
  });

  it('says why there is no plume before any level falls, and keeps the circles', async () => {
    await publish('gw-b', [
      { id: 'park.weather.wind_speed', v: 4 },
      { id: 'park.weather.wind_direction', v: 270 },
      { id: 'park.weather.stability_class', v: 4 },
    ]);
    await expect.poll(async () => (await zone('hazardSource=hs01')).body.plumeNotDrawn ?? '').toMatch(/^no release rate: give rate \(g\/s\); from the level trend/);
    const z = (await zone('hazardSource=hs01')).body;
    expect(z.plume).toBeNull();
    expect(z.isolation.radiusM).toBe(60);
  });

  it('estimates the rate from T101’s falling level and turns the contours with the wind', async () => {
    // 0.5 %/min over five minutes: 0.005 × 2.8 m = 0.014 m/min = 2.3333e-4 m/s
    // × 22 m² × 1410 kg/m³ = 7.238 kg/s = 7238 g/s (the card's demo vessel).
    const t0 = Date.now() - 5 * 60_000;
    await publish('gw-a', [0, 1, 2, 3, 4, 5].map((m) => ({ id: 'a.hs01.t101.level', v: 60 - 0.5 * m, ts: t0 + m * 60_000 })));
    await expect.poll(async () => (await zone('hazardSource=hs01')).body.plume?.inputs.rateFrom).toBe('level-trend');
    const z = (await zone('hazardSource=hs01')).body;
    const plume = z.plume;
    if (!plume) throw new Error('expected a plume');
    expect(plume.inputs.rateGs).toBeCloseTo(7238, -1);
    expect(plume.inputs.vessels?.find((v) => v.id === 't101')?.rateGs).toBeCloseTo(7238, -1);
    expect(plume.inputs).toMatchObject({ stabilityClass: 'D', stabilityFrom: 'station', fromDeg: 270, downwindDeg: 90, releaseHeightM: 1 });
    expect(plume.verified).toBe(false);
    expect(plume.guidance).toMatch(/^Guidance for the commander/);
    expect(plume.limits.join(' ')).toMatch(/Dense gases/);
    const [l1, l2] = plume.contours;
    expect([l1?.level, l1?.thresholdMgM3, l2?.level, l2?.thresholdMgM3]).toEqual([1, 2.9, 2, 8.7]);
    // Level 1 is the lower concentration: it reaches farther. Both run east of the release at (200, 400).
    expect(l1?.distanceM).toBeGreaterThan(l2?.distanceM ?? Infinity);
    for (const c of [l1, l2]) {
      expect(c?.reached).toBe(true);
      const xs = (c?.polygon ?? []).map(([x]) => x);
      const ys = (c?.polygon ?? []).map(([, y]) => y);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(200);
      expect(Math.max(...xs)).toBeCloseTo(200 + (c?.distanceM ?? 0), -1);
      // Symmetric about the centreline y = 400.
      expect(Math.max(...ys) - 400).toBeCloseTo(400 - Math.min(...ys), 0);
    }
  });

  it('takes the commander’s rate and class, and lists the targets downwind with their concentration', async () => {
    // Wind from 240.3°: downwind (60.3°) runs from hs01 (200, 400) straight at the hamlet east of site A (620, 640), 484 m away.
    await publish('gw-b', [{ id: 'park.weather.wind_direction', v: 240.3 }]);
    await expect.poll(async () => (await zone('hazardSource=hs01&rate=1000&stability=F&period=day')).body.plume?.inputs.fromDeg).toBe(240.3);
    const z = (await zone('hazardSource=hs01&rate=1000&stability=F&period=day')).body;
    expect(z.plume?.inputs).toMatchObject({ rateGs: 1000, rateFrom: 'request', stabilityClass: 'F', stabilityFrom: 'request' });
    const hamlet = z.inside.find((p) => p.id === 'hamlet-east');
    // Beyond the 300 m day protective distance, so only the plume reaches it.
    // F at 4 m/s, 484 m: σy = 0.04·484/√1.0484 = 18.9 m, σz = 0.016·484/1.1452 = 6.76 m → about 620 mg/m³ on the centreline: level 2.
    expect(hamlet).toMatchObject({ zone: 'plume', distanceM: 484, plumeLevel: 2 });
    expect(hamlet?.concentrationMgM3).toBeGreaterThan(500);
    // The park office, south-east of the release, is upwind-side of the plume: not listed.
    expect(z.inside.map((p) => p.id)).not.toContain('park-office');
  });

  it('answers for an incident with the incident’s card, and refuses a bad rate', async () => {
    const res = await fetch(`${park.url}/api/incidents`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ cardId: 'hs02-ammonia-leak' }) });
    expect(res.status).toBe(201);
    const inc = (await res.json()) as { id: string };
    const z = (await (await fetch(`${park.url}/api/incidents/${inc.id}/hazard-zone?rate=500`, { headers: { cookie } })).json()) as ZoneAnswer;
    expect(z.incidentId).toBe(inc.id);
    expect(z.plume?.contours.map((c) => c.thresholdMgM3)).toEqual([17.4, 104.5]);
    const bad = await zone('hazardSource=hs01&rate=-3');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^rate: a release rate in g\/s/);
    expect((await zone('hazardSource=hs01&stability=G')).status).toBe(400);
    // The LPG fire card has no exposure levels: circles only, with the reason.
    expect((await zone('hazardSource=hs03&rate=100')).body.plumeNotDrawn).toMatch(/has no exposure levels/);
  });
});
