import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { SimError, type ScenarioInfo, type ScenarioRun } from '../model/types.js';
import type { PointState } from '../point-state.js';

/**
 * The HTTP control API (fixed interface, docs/simulators.md):
 *
 *   GET    /api/sim/points               every point: id, protocol, address, unit, value, quality
 *   GET    /api/sim/points/{id}          one point
 *   PUT    /api/sim/points/{id}          {"value": number} holds the value until DELETE
 *   DELETE /api/sim/points/{id}          releases a held value
 *   GET    /api/sim/scenarios            the scenarios and the ones running
 *   POST   /api/sim/scenarios/{name}     optional {"target": "..."}
 *   POST   /api/sim/reset                back to the initial state, holds released
 *
 * Bad input gets a 4xx with `{"error": reason}`; nothing a client sends can
 * stop the simulators.
 */

const MAX_BODY_BYTES = 16 * 1024;

export interface ControlTarget {
  points(): PointState[];
  point(id: string): PointState;
  hold(id: string, value: unknown): PointState;
  release(id: string): PointState;
  scenarios(): { scenarios: ScenarioInfo[]; active: ScenarioRun[] };
  runScenario(name: string, target?: string): ScenarioRun;
  reset(): void;
}

export interface ControlServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startControlServer(target: ControlTarget, options: { host: string; port: number; logger?: Logger }): Promise<ControlServer> {
  const server: Server = createServer((req, res) => {
    handle(target, req, res).catch((err: unknown) => {
      const status = err instanceof SimError ? err.status : 500;
      if (status === 500) options.logger?.error({ err: (err as Error).message, method: req.method, url: req.url }, 'control api: unexpected error');
      send(res, status, { error: (err as Error).message });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(target: ControlTarget, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter((s) => s !== '');
  const method = req.method ?? 'GET';
  if (parts[0] !== 'api' || parts[1] !== 'sim') throw new SimError(404, `no such resource ${url.pathname}; the control API is under /api/sim`);
  const [, , resource, rawId, ...rest] = parts;
  const id = rawId === undefined ? undefined : decodeURIComponent(rawId);
  if (rest.length > 0) throw new SimError(404, `no such resource ${url.pathname}`);

  if (resource === 'points' && id === undefined) {
    allow(method, ['GET']);
    return send(res, 200, { points: target.points() });
  }
  if (resource === 'points' && id !== undefined) {
    allow(method, ['GET', 'PUT', 'DELETE']);
    if (method === 'GET') return send(res, 200, target.point(id));
    if (method === 'DELETE') return send(res, 200, target.release(id));
    const body = await readJson(req);
    if (!isObject(body) || !('value' in body)) throw new SimError(400, 'body must be a JSON object {"value": number}');
    const extra = Object.keys(body).filter((k) => k !== 'value');
    if (extra.length > 0) throw new SimError(400, `unknown field ${extra.map((k) => `"${k}"`).join(', ')}; the body is {"value": number}`);
    return send(res, 200, target.hold(id, body['value']));
  }
  if (resource === 'scenarios' && id === undefined) {
    allow(method, ['GET']);
    return send(res, 200, target.scenarios());
  }
  if (resource === 'scenarios' && id !== undefined) {
    allow(method, ['POST']);
    const body = await readJson(req, true);
    let scenarioTarget: string | undefined;
    if (body !== undefined) {
      if (!isObject(body)) throw new SimError(400, 'body must be empty or a JSON object {"target": "..."}');
      const extra = Object.keys(body).filter((k) => k !== 'target');
      if (extra.length > 0) throw new SimError(400, `unknown field ${extra.map((k) => `"${k}"`).join(', ')}; the body is {"target": "..."}`);
      const t = body['target'];
      if (t !== undefined && typeof t !== 'string') throw new SimError(400, `target must be text, got ${JSON.stringify(t)}`);
      scenarioTarget = t;
    }
    return send(res, 200, target.runScenario(id, scenarioTarget));
  }
  if (resource === 'reset' && id === undefined) {
    allow(method, ['POST']);
    target.reset();
    return send(res, 200, { reset: true });
  }
  throw new SimError(404, `no such resource ${url.pathname}`);
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new SimError(405, `method ${method} not allowed here; use ${methods.join(' or ')}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function readJson(req: IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new SimError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') {
    if (optional) return undefined;
    throw new SimError(400, 'a JSON body is required');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SimError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
