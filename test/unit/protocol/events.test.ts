// The Socket.IO event maps and alarm types are types only; this file pins
// their shape for `tsc -p test` and checks the value lists at run time.
import { describe, expect, it } from 'vitest';
import {
  ALARM_KINDS,
  ALARM_PRIORITIES,
  ALARM_STATES,
  HEALTH_STATUSES,
  ROLES,
  type AckResult,
  type AlarmEvent,
  type ClientToServerEvents,
  type HealthResponse,
  type LoginResponse,
  type ServerToClientEvents,
  type Snapshot,
} from '@park/protocol';
import { NOW } from './helpers.js';

const alarm: AlarmEvent = {
  id: 'a.hs01.t101.level:hh',
  tagId: 'a.hs01.t101.level',
  kind: 'hh',
  priority: 'critical',
  state: 'acked',
  value: 9.2,
  limit: 9,
  message: 'T101 level high high 9.2 m (limit 9.0 m)',
  raisedAt: NOW - 60_000,
  ackedAt: NOW,
  ackedBy: 'operator',
  comment: 'field informed',
  ts: NOW,
};

describe('Socket.IO and REST types', () => {
  it('type a server that answers both client events', () => {
    const received: string[] = [];
    const server: ClientToServerEvents = {
      'alarm:ack': (request, callback) => {
        received.push(request.id);
        callback({ ok: true });
      },
      'alarm:shelve': (request, callback) => callback({ ok: false, error: `alarm ${request.id} is not active` }),
    };
    const results: AckResult[] = [];
    server['alarm:ack']({ id: alarm.id }, (r) => results.push(r));
    server['alarm:shelve']({ id: alarm.id, minutes: 30, reason: 'r' }, (r) => results.push(r));
    expect(results).toEqual([{ ok: true }, { ok: false, error: 'alarm a.hs01.t101.level:hh is not active' }]);
  });

  it('type what the server sends', () => {
    const snapshot: Snapshot = {
      ts: NOW,
      park: { id: 'p', name: { zh: '园区', en: 'Park' }, timezone: 'Asia/Shanghai', sites: [{ id: 'a', name: { zh: '甲', en: 'A' }, hazardSources: [] }] },
      tags: [{ gateway: 'gw-a', id: 'a.hs01.t101.level', device: 'd', kind: 'analog', unit: 'm', description: '', source: 's' }],
      values: [{ id: 'a.hs01.t101.level', ts: NOW, v: 9.2, q: 'good', receivedAt: NOW + 40 }],
      alarms: [alarm],
      floods: [],
      escalations: [],
      risks: [{ hazardSource: 'hs01', site: 'a', colour: 'red', previous: 'none', reasons: [{ rule: 'SIS trip', alarms: ['a.hs01.t101.sis_trip:discrete'] }], ts: NOW }],
      gateways: [{ gateway: 'gw-a', state: 'online', ts: NOW, version: '0.1.0', devices: { d: 'connected' }, receivedAt: NOW }],
    };
    const seen: unknown[] = [];
    const client: ServerToClientEvents = {
      snapshot: (s) => seen.push(s.alarms.length),
      values: (b) => seen.push(b.readings.length),
      alarm: (e) => seen.push(e.state),
      escalation: (x) => seen.push(x.unackedForMs),
      flood: (f) => seen.push(f.type),
      risk: (r) => seen.push(r.colour),
      gateway: (g) => seen.push(g.state),
    };
    client.snapshot(snapshot);
    client.values({ ts: NOW, readings: snapshot.values });
    client.alarm(alarm);
    client.escalation({ alarm, ts: NOW, unackedForMs: 61_000 });
    client.flood({ type: 'flood-start', area: 'a', ts: NOW, count: 11, startedAt: NOW, peak: 11 });
    client.risk(snapshot.risks[0]!);
    client.gateway(snapshot.gateways[0]!);
    expect(seen).toEqual([1, 1, 'acked', 61_000, 'flood-start', 'red', 'online']);
    const health: HealthResponse = { status: 'degraded', components: { mqtt: { status: 'ok' }, influx: { status: 'down', detail: 'ECONNREFUSED' } } };
    const login: LoginResponse = { user: 'operator', role: 'operator' };
    expect([health.status, login.role]).toEqual(['degraded', 'operator']);
  });

  it('list the alarm vocabulary', () => {
    expect(ALARM_STATES).toEqual(['normal', 'unack', 'acked', 'rtn-unack', 'shelved', 'suppressed', 'out-of-service']);
    expect(ALARM_PRIORITIES).toEqual(['critical', 'high', 'medium', 'low']);
    expect(ALARM_KINDS).toEqual(['hh', 'h', 'l', 'll', 'roc', 'discrete', 'bad-quality', 'stale', 'gateway-offline', 'frozen']);
    expect(ROLES).toEqual(['viewer', 'operator', 'commander', 'engineer', 'admin']);
    expect(HEALTH_STATUSES).toEqual(['ok', 'degraded', 'down']);
  });
});
