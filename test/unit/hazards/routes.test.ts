import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../../../server/src/http/app.js';
import { createLogger } from '../../../server/src/log.js';
import { HealthRegistry } from '../../../server/src/health.js';
import { UserDirectory } from '../../../server/src/auth/users.js';
import { SessionStore } from '../../../server/src/auth/sessions.js';
import { LoginThrottle } from '../../../server/src/auth/login-throttle.js';
import { tokenDigest } from '../../../server/src/auth/passwords.js';
import type { AuditLog } from '../../../server/src/audit/audit-log.js';
import type { AuthContext } from '../../../server/src/http/auth-routes.js';
import { Catalogue } from '../../../server/src/catalogue.js';
import { REPORT_CSP, registerHazardRoutes, type HazardRegisterResponse, type HazardUnitResponse } from '../../../server/src/hazards/hazard-routes.js';
import { loadHazardRegister } from '../../../server/src/hazards/register.js';
import type { UnitLiveInventory } from '../../../server/src/hazards/live-inventory.js';
import { loadObligations } from '../../../server/src/hazards/obligations.js';
import { rulesFromPark } from '../../../server/src/alarms/rules.js';
import path from 'node:path';
import { CATALOGUE_FILE, REGISTER_FILE, REPO_ROOT, park } from './helpers.js';

const VIEWER_TOKEN = 'hazard-routes-test-viewer';
const viewer = { authorization: `Bearer ${VIEWER_TOKEN}` };

describe('hazard register routes', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    // Nothing here logs in with a password, so the audit log is never written to.
    const audit = { record: () => undefined } as unknown as AuditLog;
    const auth: AuthContext = {
      users: await UserDirectory.create({ users: [], tokens: [{ name: 'test', role: 'viewer', sha256: tokenDigest(VIEWER_TOKEN) }], demo: false }),
      sessions: new SessionStore(60_000),
      throttle: new LoginThrottle(),
      audit,
      sessionTtlMs: 60_000,
      secureCookies: false,
    };
    app = await createHttpApp({ logger: createLogger('silent'), health: new HealthRegistry(), webDir: '/nonexistent' });
    const now = Date.now();
    const live = new Map([['a.hs02.t201.level', { id: 'a.hs02.t201.level', ts: now, v: 50, q: 'good' as const, receivedAt: now }]]);
    const obligations = { data: loadObligations(path.join(REPO_ROOT, 'seeds', 'major-hazard-obligations.yaml')), context: { park: park(), rules: rulesFromPark(park()), rawRetentionDays: 30 } };
    registerHazardRoutes(app, { auth, register: loadHazardRegister(REGISTER_FILE, park(), CATALOGUE_FILE), catalogue: new Catalogue(park()), live, obligations });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
  });

  it.each(['/api/hazard-register', '/api/hazard-register/hs01', '/api/hazard-register/hs01/report.csv', '/api/hazard-register/hs01/report.html', '/api/hazard-register/hs01/inventory'])('%s needs a login', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(401);
  });

  it('serves the whole graded register with a summary per unit', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/hazard-register', headers: viewer });
    expect(res.statusCode).toBe(200);
    const body = res.json<HazardRegisterResponse>();
    expect(body.summary.map((s) => [s.id, s.level])).toEqual([
      ['hs01', 1],
      ['hs02', 3],
      ['hs03', 2],
      ['hs04', 2],
    ]);
    expect(body.units[0]?.calculation.grading?.R.text).toBe('101.6064');
    expect(body.enterprises.map((e) => [e.id, e.alpha.alpha.value])).toEqual([
      ['a', 1.2],
      ['b', 2],
    ]);
  });

  it('serves one unit with its calculation and the state of its tags in the catalogue', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/hazard-register/hs03', headers: viewer });
    expect(res.statusCode).toBe(200);
    const body = res.json<HazardUnitResponse>();
    expect(body.summary).toMatchObject({ id: 'hs03', S: 19.72, R: 59.16, level: 2 });
    expect(body.calculation.terms[0]?.betaStep.reason.en).toBe('Table 4 W2: β = 1.5');
    expect(body.tags).toEqual([
      { id: 'b.hs03.v201.level', vessel: 'v201', item: 'lpg', known: true, gateway: 'gw-b' },
      { id: 'b.hs03.v202.level', vessel: 'v202', item: 'lpg', known: true, gateway: 'gw-b' },
    ]);
  });

  it('answers 404 for an unknown or malformed unit id', async () => {
    for (const url of ['/api/hazard-register/hs99', '/api/hazard-register/HS01', '/api/hazard-register/hs99/report.csv', '/api/hazard-register/%3Cx%3E/report.html']) {
      const res = await app.inject({ method: 'GET', url, headers: viewer });
      expect(res.statusCode, url).toBe(404);
      expect(res.json<{ error: string }>().error, url).toMatch(/^no unit ".*" in the hazard register$/);
    }
  });

  it('serves the calculation sheet as CSV with a BOM, as an attachment', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/hazard-register/hs02/report.csv', headers: viewer });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="gb18218-hs02.csv"');
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(res.body).toContain('R = α × Σβq/Q = 1.2 × (2 × 5.185) = 1.2 × 10.37 = 12.444');
  });

  it('serves the printable page with a policy that allows nothing but its own style', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/hazard-register/hs04/report.html', headers: viewer });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(REPORT_CSP);
    expect(res.body).toContain('R = α × Σβq/Q = 2 × (1 × 28.44) = 2 × 28.44 = 56.88');
  });

  it('serves the live inventory of a unit against its design maximum', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/hazard-register/hs02/inventory', headers: viewer });
    expect(res.statusCode).toBe(200);
    const body = res.json() as UnitLiveInventory;
    // Half the horizontal 100 m³ ammonia tank: 50 m³ × 0.61 t/m³ = 30.5 t of the 51.85 t design maximum.
    expect(body.items[0]).toMatchObject({ id: 'ammonia', liveT: 30.5, designMaxT: 51.85, complete: true });
    expect(body.items[0]?.vessels[0]).toMatchObject({ id: 't201', tag: 'a.hs02.t201.level', value: 50, unit: '%', quality: 'good' });
    expect(body.liveS).toBeCloseTo(3.05, 9);
    const missing = await app.inject({ method: 'GET', url: '/api/hazard-register/hs09/inventory', headers: viewer });
    expect(missing.statusCode).toBe(404);
  });

  it('answers each unit with its regulatory obligations and what shows them present', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/hazard-register/hs03', headers: viewer });
    const body = res.json() as HazardUnitResponse;
    expect(body.obligations?.version).toBe(1);
    expect(body.obligations?.results.find((r) => r.id === 'independent-sis')).toMatchObject({ status: 'met', why: { en: 'level 2; has liquefied-gas' } });
    expect(body.obligations?.results.map((r) => r.id)).toEqual(['continuous-monitoring', 'gas-detection', 'data-retention', 'emergency-shutoff', 'tank-farm-shutoff', 'independent-sis', 'video']);
  });
});
