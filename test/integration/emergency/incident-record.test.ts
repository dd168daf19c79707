import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startParkServer, type TestParkServer } from '../../harness/park-server.js';

async function login(url: string, user: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `demo-${user}` }) });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

interface Incident {
  id: string;
  cardId: string;
  timeline: { type: string; state?: string; position?: string; valve?: string }[];
}

/** Splits one CSV line (quoted cells may hold commas and doubled quotes). */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

// The incident record through the real server: a chlorine level-2 alarm
// opens the incident, escalates (1 s), turns the installation's risk
// colour, a valve closes, a step is ticked, the alarm is acknowledged and
// the incident closed; the CSV and the printable page list each of these
// in that order, in park time with the offset.
describe('server: incident record export', () => {
  let park: TestParkServer;
  let gw: MqttClient;
  let seq = 0;
  let cookie = '';
  const publish = async (gateway: string, readings: { id: string; v: number }[]): Promise<void> => {
    const ts = Date.now();
    await gw.publishAsync(dataTopic('park/v1', gateway), encodeDataMessage({ gateway, seq: ++seq, readings: readings.map((r) => ({ ...r, ts, q: 'good' as const })) }), { qos: 1 });
  };
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${park.url}${path}`, { headers: { cookie } })).json()) as T;
  const post = (path: string, body: unknown): Promise<Response> => fetch(`${park.url}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    park = await startParkServer({ config: { alarms: { escalation: { afterSeconds: 1 } } } });
    gw = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
    cookie = await login(park.url, 'commander');
  });
  afterAll(async () => {
    await gw?.endAsync(true);
    await park?.stop();
  });

  it('lists every alarm transition, escalation, risk colour, valve move, step, acknowledgement and the close in order', async () => {
    await publish('gw-a', [
      { id: 'a.hs01.gd01', v: 0.05 },
      { id: 'a.hs01.t101.xv_open', v: 1 },
      { id: 'a.hs01.t101.xv_closed', v: 0 },
    ]);
    await publish('gw-a', [{ id: 'a.hs01.gd01', v: 0.9 }]);
    await expect.poll(async () => (await get<Incident[]>('/api/incidents?state=open')).map((i) => i.cardId), { timeout: 10_000 }).toEqual(['hs01-chlorine-leak']);
    const [opened] = await get<Incident[]>('/api/incidents?state=open');
    const id = opened?.id ?? '';
    // The escalation and the risk colour are journalled by the alarm service; wait for both.
    await expect
      .poll(async () => (await park.server.store.query<{ alarmId: string }>(`SELECT "unackedForMs", "alarmId" FROM "events"."alarm_escalation"`)).map((r) => r.alarmId), { timeout: 10_000 })
      .toContain('a.hs01.gd01:hh');
    await expect.poll(async () => (await park.server.store.query<{ colour: string }>(`SELECT "colour" FROM "events"."risk_warning" WHERE "hazardSource" = 'hs01'`)).length, { timeout: 10_000 }).toBeGreaterThan(0);

    await publish('gw-a', [
      { id: 'a.hs01.t101.xv_open', v: 0 },
      { id: 'a.hs01.t101.xv_closed', v: 1 },
    ]);
    await expect.poll(async () => (await get<Incident>(`/api/incidents/${id}`)).timeline.filter((e) => e.type === 'valve').map((e) => `${e.valve} ${e.position}`)).toEqual(['t101-inlet closed']);
    expect((await post(`/api/incidents/${id}/steps/2`, { done: true, comment: 'T101 inlet closed from the DCS' })).status).toBe(200);
    expect((await post('/api/alarms/a.hs01.gd01:hh/ack', { comment: 'seen, team on the way' })).status).toBe(200);
    await expect.poll(async () => (await get<Incident>(`/api/incidents/${id}`)).timeline.some((e) => e.type === 'alarm' && e.state === 'acked')).toBe(true);
    expect((await post(`/api/incidents/${id}/close`, { summary: 'leak stopped, all clear' })).status).toBe(200);

    const res = await fetch(`${park.url}/api/incidents/${id}/record.csv`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const lines = text.replace(/^\uFEFF/, '').split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe(`# incident ${id}, card hs01-chlorine-leak v1, times in Asia/Shanghai`);
    expect(lines[1]).toBe('time,epochMs,type,user,subject,text');
    const rows = lines.slice(2).map(cells).map(([time, epochMs, type, user, subject, detail]) => ({ time: time ?? '', ms: Number(epochMs), type, user, subject: subject ?? '', detail: detail ?? '' }));
    // Park time with its offset, in time order.
    expect(rows.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+08:00$/.test(r.time))).toBe(true);
    expect(rows.map((r) => r.ms)).toEqual([...rows.map((r) => r.ms)].sort((a, b) => a - b));

    const at = (pred: (r: (typeof rows)[number]) => boolean, what: string): number => {
      const i = rows.findIndex(pred);
      if (i < 0) throw new Error(`${what} not in the record:\n${lines.join('\n')}`);
      return i;
    };
    const iOpened = at((r) => r.type === 'opened' && r.user === 'system', 'opened');
    const iRaise = at((r) => r.type === 'alarm' && r.subject === 'a.hs01.gd01:hh → unack', 'the raise');
    const iRisk = at((r) => r.type === 'risk' && /^none → /.test(r.subject), 'the risk colour');
    const iEscalation = at((r) => r.type === 'escalation' && r.subject === 'a.hs01.gd01:hh', 'the escalation');
    const iValve = at((r) => r.type === 'valve' && r.subject === 't101-inlet → closed', 'the valve');
    const iStep = at((r) => r.type === 'step' && r.subject === '2 done' && r.user === 'commander', 'the step');
    const iAck = at((r) => r.type === 'ack' && r.subject === 'a.hs01.gd01:hh → acked', 'the acknowledgement');
    const iClosed = at((r) => r.type === 'closed' && r.detail === 'leak stopped, all clear', 'the close');
    expect(iOpened).toBeLessThanOrEqual(iRaise);
    // The raise and the colour it causes fall within the same few milliseconds; both come before the escalation a second later.
    expect(iOpened).toBeLessThan(iRisk);
    expect(iRaise).toBeLessThan(iEscalation);
    expect(iRisk).toBeLessThan(iEscalation);
    expect(iEscalation).toBeLessThan(iValve);
    expect(iValve).toBeLessThan(iStep);
    expect(iStep).toBeLessThan(iAck);
    expect(iAck).toBeLessThan(iClosed);
    expect(rows[iAck]?.user).toBe('commander');

    const page = await fetch(`${park.url}/api/incidents/${id}/record.html`, { headers: { cookie: await login(park.url, 'viewer') } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain(`事故记录 Incident record ${id}`);
    expect(html).toContain('Time zone: Asia/Shanghai');
    expect(html).toContain('T101 inlet closed from the DCS');
    // Each event type appears in the printed timeline in the same order.
    const order = ['开启 opened', '风险颜色 risk colour', '升级 escalation', '阀门 valve', '步骤 step', '确认 acknowledged', '关闭 closed'].map((label) => html.indexOf(`<td>${label}</td>`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect((await fetch(`${park.url}/api/incidents/${id}/record.csv`)).status).toBe(401);
    expect((await fetch(`${park.url}/api/incidents/inc-none/record.html`, { headers: { cookie } })).status).toBe(404);
  });
});
