import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { dataTopic, encodeDataMessage, type ClientToServerEvents, type ServerToClientEvents, type ValuesEvent } from '@park/protocol';
import { REPO_ROOT, startParkServer, type TestParkServer } from '../../harness/park-server.js';

// Issue 9, hostile input over HTTP and Socket.IO: every route of
// docs/server.md fed wrong types, missing and extra fields, huge bodies, path
// tricks and InfluxQL injection attempts answers 4xx JSON with a reason (never
// 500, never a stack trace), and the server stays healthy.

type ParkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type Access = 'anyone' | 'view' | 'ack' | 'shelve' | 'configure';

interface Route {
  method: 'GET' | 'POST' | 'PUT';
  /** As written in docs/server.md, `{param}` for path parameters. */
  doc: string;
  /** A concrete path to call (placeholders filled with real or plausible ids). */
  path: string;
  access: Access;
}

/**
 * Every REST route of docs/server.md. The first test compares this list with
 * the document: a route added there without a row here fails it.
 */
const ROUTES: readonly Route[] = [
  { method: 'POST', doc: '/api/login', path: '/api/login', access: 'anyone' },
  { method: 'POST', doc: '/api/logout', path: '/api/logout', access: 'anyone' },
  { method: 'GET', doc: '/api/me', path: '/api/me', access: 'view' },
  { method: 'GET', doc: '/api/health', path: '/api/health', access: 'anyone' },
  { method: 'GET', doc: '/api/tags', path: '/api/tags', access: 'view' },
  { method: 'GET', doc: '/api/values', path: '/api/values', access: 'view' },
  { method: 'GET', doc: '/api/gateways', path: '/api/gateways', access: 'view' },
  { method: 'GET', doc: '/api/history', path: '/api/history?ids=a.hs01.t101.level', access: 'view' },
  { method: 'GET', doc: '/api/park', path: '/api/park', access: 'view' },
  { method: 'GET', doc: '/api/hazard-sources', path: '/api/hazard-sources', access: 'view' },
  { method: 'GET', doc: '/api/hazard-sources/{id}', path: '/api/hazard-sources/hs01', access: 'view' },
  { method: 'GET', doc: '/api/hazard-register', path: '/api/hazard-register', access: 'view' },
  { method: 'GET', doc: '/api/hazard-register/{unit}', path: '/api/hazard-register/hs01', access: 'view' },
  { method: 'GET', doc: '/api/hazard-register/{unit}/report.csv', path: '/api/hazard-register/hs01/report.csv', access: 'view' },
  { method: 'GET', doc: '/api/hazard-register/{unit}/report.html', path: '/api/hazard-register/hs01/report.html', access: 'view' },
  { method: 'GET', doc: '/api/alarms', path: '/api/alarms', access: 'view' },
  { method: 'GET', doc: '/api/alarms/kpis', path: '/api/alarms/kpis', access: 'view' },
  { method: 'GET', doc: '/api/alarms/journal', path: '/api/alarms/journal', access: 'view' },
  { method: 'POST', doc: '/api/alarms/{id}/ack', path: '/api/alarms/a.hs01.t101.level:hh/ack', access: 'ack' },
  { method: 'POST', doc: '/api/alarms/ack', path: '/api/alarms/ack', access: 'ack' },
  { method: 'POST', doc: '/api/alarms/{id}/shelve', path: '/api/alarms/a.hs01.t101.level:hh/shelve', access: 'shelve' },
  { method: 'POST', doc: '/api/alarms/{id}/unshelve', path: '/api/alarms/a.hs01.t101.level:hh/unshelve', access: 'shelve' },
  { method: 'GET', doc: '/metrics', path: '/metrics', access: 'anyone' },
  // Emergency disposal cards and hazard zones (server/src/emergency/, being added in parallel).
  { method: 'GET', doc: '/api/cards', path: '/api/cards', access: 'view' },
  { method: 'GET', doc: '/api/cards/{id}', path: '/api/cards/nope', access: 'view' },
  { method: 'PUT', doc: '/api/cards/{id}', path: '/api/cards/nope', access: 'configure' },
  { method: 'GET', doc: '/api/cards/match', path: '/api/cards/match?alarm=a.hs01.t101.level:hh', access: 'view' },
  { method: 'GET', doc: '/api/hazard-zone', path: '/api/hazard-zone?hazardSource=hs01', access: 'view' },
  { method: 'GET', doc: '/api/incidents/{id}/hazard-zone', path: '/api/incidents/nope/hazard-zone', access: 'view' },
  { method: 'GET', doc: '/api/hazard-register/{unit}/inventory', path: '/api/hazard-register/hs01/inventory', access: 'view' },
  { method: 'GET', doc: '/api/incident-feed', path: '/api/incident-feed', access: 'view' },
  { method: 'GET', doc: '/api/incident-feed/{id}', path: '/api/incident-feed/nope', access: 'view' },
  { method: 'GET', doc: '/api/environment', path: '/api/environment', access: 'view' },
  { method: 'GET', doc: '/api/park-map', path: '/api/park-map', access: 'view' },
];

/** `METHOD /path` of every row of the REST table in docs/server.md; `…/x` continues the previous path. */
function documentedRoutes(): string[] {
  const md = readFileSync(path.join(REPO_ROOT, 'docs', 'server.md'), 'utf8');
  const section = md.slice(md.indexOf('## REST API'), md.indexOf('## Socket.IO'));
  const found: string[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const firstCell = line.split(' | ')[0] ?? '';
    let last = '';
    for (const m of firstCell.matchAll(/`([^`]+)`/g)) {
      const text = m[1] ?? '';
      const route = /^(GET|POST|PUT|PATCH|DELETE) (\/[^?\s]*)/.exec(text);
      if (route) {
        last = `${route[1]} ${route[2]}`;
        found.push(last);
      } else if (text.startsWith('…/') && last) {
        const [method, p] = last.split(' ');
        found.push(`${method} ${(p ?? '').replace(/\/[^/]+$/, '')}${text.slice(1)}`);
      }
    }
  }
  return found;
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

/** A raw HTTP request: the path goes out exactly as given (fetch would normalise `..`). */
function raw(base: string, method: string, rawPath: string, o: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: rawPath, headers: o.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer 413 and close before it has read a huge body.
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

const STACK_TRACE = /\bat [^\n]*\.(?:ts|js|mjs):\d+|"stack"|node_modules|\/work\//;

/** A refusal: 4xx, JSON, an error with a reason, nothing of the server's insides. */
function expectRefusal(a: Answer, what: string): { error: string } {
  expect(a.status, `${what}: ${a.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(a.status, `${what}: ${a.text.slice(0, 300)}`).toBeLessThan(500);
  expect(a.type, what).toMatch(/application\/json/);
  const body = JSON.parse(a.text) as { error?: unknown; message?: unknown };
  expect(typeof body.error, `${what}: ${a.text.slice(0, 300)}`).toBe('string');
  expect((body.error as string).length, what).toBeGreaterThan(0);
  expect(a.text, what).not.toMatch(STACK_TRACE);
  return body as { error: string };
}

// Injection attempts against InfluxQL (quotes, backslashes, comments,
// statement separators, regexes) and other hostile strings.
const INJECTIONS = [
  `' OR 1=1 --`,
  `a' OR '1'='1`,
  `\\`,
  `a\\`,
  `\\' OR 1=1; DROP DATABASE park; --`,
  `"; DROP DATABASE "park`,
  `a.b'); DROP MEASUREMENT reading; --`,
  `/.*/`,
  `a.b" OR "id" =~ /.*/ --`,
  `\u0000`,
  `a\nSELECT * FROM reading`,
  `${'x'.repeat(5000)}`,
  `../../etc/passwd`,
  `%27%20OR%201%3D1`,
];
const BAD_TIMES = ['yesterday', '0', '-1', '1e400', '9999-12-31T23:59:59Z', '1000-01-01T00:00:00Z', '-271821-04-20T00:00:00Z', '+275760-09-13T00:00:00Z', `2026-01-01T00:00:00Z' OR 1=1 --`, 'NaN', '2026-02-30T25:61:00Z'];

const q = encodeURIComponent;

describe('server: hostile HTTP and Socket.IO input (issue 9)', () => {
  let park: TestParkServer;
  let gateway: MqttClient;
  let operator = '';
  let viewer = '';
  const sockets: ParkSocket[] = [];
  const socket = (o: { cookie?: string; auth?: Record<string, unknown> } = {}): ParkSocket => {
    const s: ParkSocket = connectSocket(park.url, {
      path: '/socket.io/',
      transports: ['websocket'],
      extraHeaders: o.cookie ? { cookie: o.cookie } : {},
      ...(o.auth ? { auth: o.auth } : {}),
      reconnection: false,
      autoConnect: false,
    });
    sockets.push(s);
    return s;
  };
  const login = async (username: string, password: string): Promise<string> => {
    const res = await fetch(`${park.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(res.status).toBe(200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  };
  const expectHealthy = async (): Promise<void> => {
    const res = await fetch(`${park.url}/api/health`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).not.toBe('down');
    // The sessions used above are still good: every refusal was about the
    // input, not a 401 of a session lost on the way.
    for (const [cookie, role] of [[operator, 'operator'], [viewer, 'viewer']]) {
      const me = await fetch(`${park.url}/api/me`, { headers: { cookie: cookie ?? '' } });
      expect(await me.json()).toEqual({ user: role, role });
    }
  };

  beforeAll(async () => {
    park = await startParkServer();
    gateway = await mqtt.connectAsync(park.mqttUrl, { reconnectPeriod: 0 });
    operator = await login('operator', 'demo-operator');
    viewer = await login('viewer', 'demo-viewer');
  });
  afterAll(async () => {
    sockets.forEach((s) => s.disconnect());
    await gateway?.endAsync(true);
    await park?.stop();
  });

  it('has a row for every route in docs/server.md, and the server knows every row', async () => {
    expect(ROUTES.map((r) => `${r.method} ${r.doc}`).sort()).toEqual(documentedRoutes().sort());
    // Its own session: this walk calls /api/logout too.
    const throwaway = await login('operator', 'demo-operator');
    for (const r of ROUTES) {
      const a = await raw(park.url, r.method, r.path, { headers: { cookie: throwaway, 'content-type': 'application/json' }, body: r.method !== 'GET' ? '{}' : undefined });
      // 404 from the route itself names the thing; from the router it says "not found" with the path.
      expect(a.text, `${r.method} ${r.path}: not registered`).not.toMatch(/^\{"error":"not found"/);
      expect(a.status, `${r.method} ${r.path}`).toBeLessThan(500);
    }
  });

  it('answers 401 to every data route without a login, with a forged cookie or a forged token', async () => {
    const forgeries: Record<string, string>[] = [
      {},
      { cookie: 'park_session=forged' },
      { cookie: `park_session=${'A'.repeat(10_000)}` },
      { cookie: 'park_session=%E0%A4%A' }, // malformed percent-encoding
      { cookie: 'park_session' },
      { authorization: 'Bearer forged' },
      { authorization: 'Bearer ' },
      { authorization: 'Basic b3BlcmF0b3I6ZGVtby1vcGVyYXRvcg==' },
    ];
    for (const r of ROUTES.filter((x) => x.access !== 'anyone')) {
      for (const headers of forgeries) {
        const a = await raw(park.url, r.method, r.path, { headers: { ...headers, 'content-type': 'application/json' }, body: r.method !== 'GET' ? '{"comment":"x","minutes":5,"reason":"x","ids":["a:b"]}' : undefined });
        expect(a.status, `${r.method} ${r.path} with ${JSON.stringify(headers).slice(0, 80)}: ${a.text.slice(0, 200)}`).toBe(401);
        expect(JSON.parse(a.text)).toEqual({ error: 'not logged in' });
      }
    }
    await expectHealthy();
  });

  it('answers 403 when the role may not act', async () => {
    for (const r of ROUTES.filter((x) => x.access === 'ack' || x.access === 'shelve' || x.access === 'configure')) {
      const a = await raw(park.url, r.method, r.path, { headers: { cookie: viewer, 'content-type': 'application/json' }, body: '{}' });
      expect(a.status, `${r.method} ${r.path}`).toBe(403);
      expectRefusal(a, r.path);
    }
    const commander = await login('commander', 'demo-commander');
    const shelve = await raw(park.url, 'POST', '/api/alarms/a.hs01.t101.level:hh/shelve', { headers: { cookie: commander, 'content-type': 'application/json' }, body: '{"minutes":5,"reason":"x"}' });
    expect(shelve.status).toBe(403);
  });

  it('refuses a body over 256 KiB with 413 on every POST route, logged in or not', async () => {
    const huge = JSON.stringify({ comment: 'x'.repeat(300 * 1024) });
    for (const r of ROUTES.filter((x) => x.method !== 'GET')) {
      for (const cookie of [operator, '']) {
        const a = await raw(park.url, r.method, r.path, { headers: { cookie, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(huge)) }, body: huge });
        // Fastify refuses on the declared length, before authentication runs.
        expect(a.status, `${r.path}: ${a.text.slice(0, 200)}`).toBe(413);
        expectRefusal(a, r.path);
      }
    }
    await expectHealthy();
  });

  it('refuses wrong types, missing and extra fields, and non-JSON bodies on every POST route', async () => {
    const bodies: { type: string; body: string }[] = [
      { type: 'application/json', body: '' },
      { type: 'application/json', body: '{' },
      { type: 'application/json', body: 'null' },
      { type: 'application/json', body: '[]' },
      { type: 'application/json', body: '"x"' },
      { type: 'application/json', body: '42' },
      { type: 'application/json', body: '{"__proto__":{"admin":true}}' },
      { type: 'application/json', body: '{"constructor":{"prototype":{"polluted":1}}}' },
      { type: 'application/json', body: '{"comment":42}' },
      { type: 'application/json', body: '{"comment":{"$ne":null}}' },
      { type: 'application/json', body: `{"comment":"${'c'.repeat(10_000)}"}` },
      { type: 'application/json', body: '{"comment":"ok","extra":true}' },
      { type: 'application/json', body: '{"minutes":"5","reason":"x"}' },
      { type: 'application/json', body: '{"minutes":5.5,"reason":"x"}' },
      { type: 'application/json', body: '{"minutes":-1,"reason":"x"}' },
      { type: 'application/json', body: '{"minutes":1e308,"reason":"x"}' },
      { type: 'application/json', body: '{"minutes":5,"reason":"   "}' },
      { type: 'application/json', body: '{"minutes":5}' },
      { type: 'application/json', body: '{"ids":"a:b"}' },
      { type: 'application/json', body: '{"ids":[]}' },
      { type: 'application/json', body: `{"ids":[${Array.from({ length: 501 }, (_, i) => `"a:${i}"`).join(',')}]}` },
      { type: 'application/json', body: '{"ids":[1,null,{}]}' },
      { type: 'application/json', body: `{"ids":["../../etc"]}` },
      { type: 'application/json', body: '{"ids":["a:b"],"comment":7}' },
      { type: 'application/json', body: '{"username":"operator"}' },
      { type: 'application/json', body: '{"username":42,"password":"x"}' },
      { type: 'application/json', body: '{"username":"operator","password":["demo-operator"]}' },
      { type: 'application/json', body: `{"username":"${'u'.repeat(1000)}","password":"x"}` },
      { type: 'application/json', body: '{"username":"operator","password":"demo-operator","role":"admin"}' },
      { type: 'text/plain', body: 'comment=x' },
      { type: 'application/x-www-form-urlencoded', body: 'username=operator&password=demo-operator' },
      { type: 'application/xml', body: '<ack/>' },
    ];
    for (const r of ROUTES.filter((x) => x.method === 'POST' && x.path !== '/api/logout')) {
      for (const b of bodies) {
        const a = await raw(park.url, 'POST', r.path, { headers: { cookie: operator, 'content-type': b.type }, body: b.body });
        const what = `${r.path} ${b.type} ${b.body.slice(0, 60)}`;
        if (a.status < 400) {
          // Only a body that is valid for this route may pass: an alarm that
          // does not exist then answers 404, so nothing here may be 2xx.
          throw new Error(`${what}: accepted with ${a.status} ${a.text.slice(0, 200)}`);
        }
        expectRefusal(a, what);
      }
    }
    // Nothing above got anyone an admin session or polluted a prototype.
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const me = await fetch(`${park.url}/api/me`, { headers: { cookie: operator } });
    expect(await me.json()).toEqual({ user: 'operator', role: 'operator' });
    await expectHealthy();
  });

  it('refuses path tricks and very long ids', async () => {
    const paths: [string, string][] = [
      ['POST', '/api/alarms/..%2f..%2fetc/ack'],
      ['POST', '/api/alarms/..%2F..%2Fetc%2Fpasswd/shelve'],
      ['POST', '/api/alarms/%2e%2e/unshelve'],
      ['POST', '/api/alarms/a%2Fb/ack'],
      ['POST', '/api/alarms/a%00b/ack'],
      ['POST', '/api/alarms/%E0%A4%A/ack'],
      ['POST', `/api/alarms/${'a'.repeat(150)}/ack`],
      ['POST', `/api/alarms/${'a'.repeat(100_00)}/ack`],
      ['POST', '/api/alarms/a%20OR%201%3D1/ack'],
      ['POST', "/api/alarms/a'%20OR%20'1'='1/ack"],
      ['POST', '/api/alarms//ack'],
      ['POST', '/api/alarms/../login'],
      ['GET', '/api/../../../etc/passwd'],
      ['GET', '/api/%2e%2e/%2e%2e/etc/passwd'],
      ['GET', '/api/hazard-sources/..%2f..%2fetc%2fpasswd'],
      ['GET', `/api/hazard-sources/${'h'.repeat(5000)}`],
      ['GET', '/api/hazard-sources/hs01%00'],
      ['GET', '/api/hazard-register/..%2fhs01/report.csv'],
      ['GET', '/api/hazard-register/%E0%A4%A/report.html'],
      ['GET', `/api/hazard-register/${'u'.repeat(5000)}`],
      ['GET', "/api/hazard-register/hs01'%20OR%20'1'='1"],
      ['GET', '/api/nope'],
      ['GET', '/api/alarms/%E0%A4%A'],
    ];
    for (const [method, p] of paths) {
      const a = await raw(park.url, method, p, { headers: { cookie: operator, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      const body = expectRefusal(a, `${method} ${p.slice(0, 80)}`);
      expect(a.text).not.toMatch(/root:/);
      expect(body.error.length).toBeLessThan(400);
    }
    await expectHealthy();
  });

  it('never pastes a parameter into InfluxQL: history, journal, KPIs', async () => {
    const cases: string[] = [];
    for (const s of INJECTIONS) {
      cases.push(`/api/history?ids=${q(s)}`, `/api/history?ids=a.hs01.t101.level,${q(s)}`);
      for (const k of ['tag', 'area', 'kind', 'priority', 'state', 'limit', 'from', 'to']) cases.push(`/api/alarms/journal?${k}=${q(s)}`);
      for (const k of ['area', 'from', 'to']) cases.push(`/api/alarms/kpis?${k}=${q(s)}`);
      cases.push(`/api/history?ids=a.hs01.t101.level&maxPoints=${q(s)}`);
    }
    for (const t of BAD_TIMES) {
      for (const k of ['from', 'to']) cases.push(`/api/history?ids=a.hs01.t101.level&${k}=${q(t)}`, `/api/alarms/journal?${k}=${q(t)}`, `/api/alarms/kpis?${k}=${q(t)}`);
    }
    // Arrays and objects where strings are expected.
    cases.push(
      '/api/history?ids=a.b&ids=c.d&from=x&from=y',
      '/api/history?ids[]=a.b',
      '/api/alarms/journal?tag=a&tag=b',
      '/api/alarms/journal?from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z',
      '/api/alarms/journal?limit=0',
      '/api/alarms/journal?limit=1e9',
      '/api/alarms/journal?limit=5001',
      `/api/history?ids=${Array.from({ length: 21 }, (_, i) => `t.${i}`).join(',')}`,
      `/api/history?ids=a.b&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
      `/api/alarms/kpis?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
      `/api/alarms/journal?user=${q('u'.repeat(65))}`,
    );
    const accepted: string[] = [];
    for (const p of cases) {
      const a = await raw(park.url, 'GET', p, { headers: { cookie: viewer } });
      if (a.status >= 400 && a.status < 500) expectRefusal(a, p.slice(0, 160));
      else accepted.push(`${a.status} ${p.slice(0, 120)}: ${a.text.slice(0, 160)}`);
    }
    expect(accepted).toEqual([]);
    await expectHealthy();
  });

  it('treats the journal user filter as a literal name, whatever it contains', async () => {
    // `user` is free text (user names are not restricted), so it cannot be
    // refused by pattern: it must match literally. Journal entries exist
    // (an acknowledgement attempt is not one; a raised alarm is), so an
    // injected `OR` would return them.
    const t0 = Date.now() - 2000;
    await gateway.publishAsync(
      dataTopic('park/v1', 'gw-a'),
      encodeDataMessage({ gateway: 'gw-a', seq: 1, readings: [{ id: 'a.hs01.t101.level', ts: t0, v: 99.9, q: 'good' }] }),
      { qos: 1 },
    );
    await expect.poll(async () => ((await (await fetch(`${park.url}/api/alarms/journal`, { headers: { cookie: viewer } })).json()) as unknown[]).length, { timeout: 20_000 }).toBeGreaterThan(0);
    for (const s of [...INJECTIONS.filter((x) => x.length <= 64), `' OR "user" =~ /.*/ OR '`, `\\' OR 1=1 OR '`]) {
      const a = await raw(park.url, 'GET', `/api/alarms/journal?user=${q(s)}`, { headers: { cookie: viewer } });
      const what = `user=${JSON.stringify(s)}: ${a.text.slice(0, 200)}`;
      if (a.status === 200) expect(JSON.parse(a.text), what).toEqual([]);
      else expectRefusal(a, what);
    }
    await expectHealthy();
  });

  it('refuses a Socket.IO handshake without a login, with a forged cookie or token', async () => {
    for (const o of [{}, { cookie: 'park_session=forged' }, { cookie: 'park_session=%E0%A4%A' }, { auth: { token: 'forged' } }, { auth: { token: 42 } }, { auth: { token: { $ne: '' } } }]) {
      const s = socket(o);
      const refused = new Promise<Error>((resolve) => s.once('connect_error', resolve));
      s.connect();
      expect((await refused).message, JSON.stringify(o)).toBe('not logged in');
    }
    for (const sites of ['a', [], ['nope'], [42], [{}], ['a', '../b']]) {
      const s = socket({ cookie: viewer, auth: { sites } });
      const refused = new Promise<Error>((resolve) => s.once('connect_error', resolve));
      s.connect();
      expect((await refused).message, JSON.stringify(sites)).toMatch(/^sites: expected a list of site ids/);
    }
    await expectHealthy();
  });

  it('answers malformed alarm:ack and alarm:shelve with {ok:false, error} and survives missing callbacks', async () => {
    const s = socket({ cookie: operator });
    const connected = new Promise<void>((resolve) => s.once('snapshot', () => resolve()));
    s.connect();
    await connected;
    const payloads: unknown[] = [
      undefined,
      null,
      42,
      'a:b',
      [],
      ['a:b'],
      {},
      { id: 42 },
      { id: null },
      { id: '../../etc' },
      { id: `a' OR 1=1 --` },
      { id: 'a'.repeat(50_000) },
      { id: 'a:b', comment: 42 },
      { id: 'a:b', comment: 'c'.repeat(50_000) },
      { id: 'a:b', extra: true },
      { id: 'a:b', minutes: '5', reason: 'x' },
      { id: 'a:b', minutes: 5.5, reason: 'x' },
      { id: 'a:b', minutes: 0, reason: 'x' },
      { id: 'a:b', minutes: 5, reason: '' },
      { id: 'a:b', minutes: 5, reason: { toString: 'x' } },
      { __proto__: { id: 'a:b' } },
    ];
    type AckEmitter = (event: string, ...args: unknown[]) => Promise<unknown>;
    const emitWithAck = s.timeout(10_000).emitWithAck.bind(s.timeout(10_000)) as unknown as AckEmitter;
    for (const event of ['alarm:ack', 'alarm:shelve']) {
      for (const p of payloads) {
        const answer = (await emitWithAck(event, p)) as { ok: boolean; error?: unknown };
        expect(answer.ok, `${event} ${JSON.stringify(p)?.slice(0, 80)}`).toBe(false);
        expect(typeof answer.error).toBe('string');
        expect(String(answer.error)).not.toMatch(STACK_TRACE);
      }
      // No callback, a callback in the wrong place, extra arguments.
      const plain = s as unknown as { emit(event: string, ...args: unknown[]): void };
      plain.emit(event, { id: 'a:b' });
      plain.emit(event);
      plain.emit(event, () => undefined, { id: 'a:b' });
      plain.emit(event, { id: 'a:b' }, 'not a function');
      plain.emit(event, 1, 2, 3, 4, 5, () => undefined);
    }
    // Events the server does not know, and a message over the 64 KiB limit
    // (the server drops that client, nobody else).
    const plain = s as unknown as { emit(event: string, ...args: unknown[]): void };
    plain.emit('admin:drop-database', { really: true });
    plain.emit('snapshot', { forged: true });
    // The socket still answers (an alarm that does not exist).
    const answer = (await emitWithAck('alarm:ack', { id: 'zz.none:hh' })) as { ok: boolean; error?: string };
    expect(answer).toMatchObject({ ok: false, error: expect.any(String) });

    const big = socket({ cookie: operator });
    const bigUp = new Promise<void>((resolve) => big.once('snapshot', () => resolve()));
    big.connect();
    await bigUp;
    const dropped = new Promise<string>((resolve) => big.once('disconnect', resolve));
    (big as unknown as { emit(event: string, ...args: unknown[]): void }).emit('alarm:ack', { id: 'a:b', comment: 'x'.repeat(200 * 1024) }, () => undefined);
    expect(await dropped).toMatch(/transport (close|error)/);
    expect(s.connected).toBe(true);
    await expectHealthy();
  });

  it('keeps pushing values to one display while another floods bad events', async () => {
    const flooder = socket({ cookie: operator });
    const watcher = socket({ cookie: viewer });
    const up = (s: ParkSocket): Promise<void> => new Promise((resolve) => s.once('snapshot', () => resolve()));
    const ready = Promise.all([up(flooder), up(watcher)]);
    flooder.connect();
    watcher.connect();
    await ready;
    const seen: ValuesEvent[] = [];
    watcher.on('values', (v) => seen.push(v));

    const FLOOD_EVENTS = 20_000;
    const plain = flooder as unknown as { emit(event: string, ...args: unknown[]): void };
    let answered = 0;
    for (let i = 0; i < FLOOD_EVENTS; i++) {
      switch (i % 4) {
        case 0:
          plain.emit('alarm:ack', { id: i }, () => answered++);
          break;
        case 1:
          plain.emit('alarm:shelve', 'x'.repeat(1000), () => answered++);
          break;
        case 2:
          plain.emit('alarm:ack');
          break;
        default:
          plain.emit('no-such-event', i);
      }
    }
    // While the flood is being handled, a gateway sends readings.
    const marker = 4242.5;
    const now = Date.now();
    for (let i = 0; i < 10; i++) {
      await gateway.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq: 1000 + i, readings: [{ id: 'b.hs03.gd01', ts: now + i, v: marker + i, q: 'good' }] }), { qos: 1 });
    }
    await expect.poll(() => seen.flatMap((v) => v.readings).some((r) => r.id === 'b.hs03.gd01' && r.v === marker + 9), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => answered, { timeout: 30_000 }).toBe(FLOOD_EVENTS / 2);
    expect(flooder.connected).toBe(true);
    await expectHealthy();
  });
});
