import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage, type AlarmEvent, type CatalogueTag, type LiveReading } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

// Issue 7, environment monitoring through the real server and InfluxDB: an
// hour of fence-line SO₂ readings above the hourly limit (but each below the
// instant limit) makes the hourly average, computed in InfluxDB, exceed its
// limit and raise its own alarm; the average is a tag with its limits in the
// catalogue, a live value and a history.
describe('server: environment averages and their alarms', () => {
  const dir = tempDir('env');
  let park: TestParkServer;
  let gw: MqttClient;
  let cookie = '';
  const get = async <T,>(p: string): Promise<T> => (await (await fetch(`${park.url}${p}`, { headers: { cookie } })).json()) as T;

  beforeAll(async () => {
    const file = path.join(dir.path, 'environment.yaml');
    writeFileSync(
      file,
      [
        'environment:',
        '  everySeconds: 10',
        '  monitors:',
        '    - tag: park.env.so2',
        '      kind: fence-line',
        '      averages: [{ window: 1h, h: 400, priority: high, basis: "test: hourly SO2 limit" }]',
        '',
      ].join('\n'),
    );
    park = await startParkServer({ config: { environment: { monitors: file } } });
    gw = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
    cookie = await login(park.url, 'viewer');
  });
  afterAll(async () => {
    await gw?.endAsync(true);
    await park?.stop();
    dir.remove();
  });

  it('describes the monitors and their averages', async () => {
    expect(await get('/api/environment')).toEqual({
      minCoverage: 0.75,
      everySeconds: 10,
      monitors: [{ tag: 'park.env.so2', kind: 'fence-line', averages: [{ id: 'park.env.so2.avg_1h', window: '1h', limits: { h: 400 }, priority: 'high', basis: 'test: hourly SO2 limit' }] }],
    });
    expect((await fetch(`${park.url}/api/environment`)).status).toBe(401);
  });

  it('lists the hourly average as a tag with its limit', async () => {
    const tags = await get<CatalogueTag[]>('/api/tags');
    expect(tags.find((t) => t.id === 'park.env.so2.avg_1h')).toMatchObject({ unit: 'µg/m³', limits: { h: 400 }, gateway: 'park-server', site: 'b', name: { en: 'Fence-line SO₂, hourly average' } });
  });

  it('computes the hourly average in InfluxDB and raises its alarm when it exceeds the limit', async () => {
    // One reading a minute for the last hour: 450 µg/m³, under the instant H of 500 but over the hourly 400.
    const now = Date.now();
    const readings = Array.from({ length: 60 }, (_, m) => ({ id: 'park.env.so2', ts: now - (59 - m) * 60_000 - 1000, v: 450, q: 'good' as const }));
    await gw.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq: 1, readings }), { qos: 1 });

    await expect
      .poll(async () => (await get<LiveReading[]>('/api/values')).find((v) => v.id === 'park.env.so2.avg_1h'), { timeout: 40_000, interval: 500 })
      .toMatchObject({ v: 450, q: 'good' });
    await expect
      .poll(async () => (await get<AlarmEvent[]>('/api/alarms')).find((a) => a.id === 'park.env.so2.avg_1h:h'), { timeout: 20_000 })
      .toMatchObject({ state: 'unack', priority: 'high', limit: 400, value: 450 });
    // The instant value never crossed its own limit.
    expect((await get<AlarmEvent[]>('/api/alarms')).map((a) => a.id)).not.toContain('park.env.so2:h');
    // The average has a history like any tag.
    await expect
      .poll(async () => (await get<{ series: { id: string; points: unknown[] }[] }>(`/api/history?ids=park.env.so2.avg_1h&from=${new Date(now - 600_000).toISOString()}`)).series[0]?.points.length ?? 0, { timeout: 20_000 })
      .toBeGreaterThan(0);
  });
});
