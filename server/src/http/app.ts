import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from '../log.js';
import type { HealthRegistry } from '../health.js';

export interface HttpAppOptions {
  logger: Logger;
  health: HealthRegistry;
  /** Built web app; when missing, `/` says how to build it. */
  webDir: string;
}

/** REST API under `/api` and the built web app, with client-side routes falling back to `index.html`. */
export async function createHttpApp(o: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger.child({ part: 'http' }) as FastifyBaseLogger,
    // Per-request lines would flood the log at control-room polling rates.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
  });

  app.get('/api/health', async (_req, reply) => {
    const report = await o.health.report();
    // 503 lets load balancers and probes act on "down" without parsing JSON.
    return reply.code(report.status === 'down' ? 503 : 200).header('cache-control', 'no-store').send(report);
  });

  const indexFile = path.join(o.webDir, 'index.html');
  if (existsSync(indexFile)) {
    await app.register(fastifyStatic, { root: o.webDir, wildcard: false, index: 'index.html' });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api/') && !req.url.startsWith('/socket.io/') && req.url !== '/metrics') {
        return reply.type('text/html').sendFile('index.html');
      }
      return reply.code(404).send({ error: 'not found', path: req.url.split('?')[0] });
    });
  } else {
    app.get('/', async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><meta charset="utf-8"><title>Park server</title><p>The web app is not built (${escapeHtml(o.webDir)} is missing). Run <code>npm run build</code>; the API is up under <a href="/api/health">/api/health</a>.</p>`),
    );
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not found', path: req.url.split('?')[0] }));
  }
  return app;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
