import type { FastifyInstance } from 'fastify';
import { requirePermission, type AuthContext } from '../http/auth-routes.js';
import type { EnvironmentSetup } from './environment.js';

/**
 * `GET /api/environment` (any logged-in role): the environment monitors and
 * the tags of their averages with limits, priority and basis, for the
 * environment page. The values themselves are ordinary tags (`/api/values`,
 * `/api/history`, Socket.IO).
 */
export interface EnvironmentAnswer {
  minCoverage: number;
  everySeconds: number;
  monitors: {
    tag: string;
    kind: 'fence-line' | 'outlet';
    averages: { id: string; window: string; limits: { hh?: number; h?: number; l?: number; ll?: number }; priority: string; basis: string }[];
  }[];
}

export function registerEnvironmentRoutes(app: FastifyInstance, deps: { auth: AuthContext; setup: EnvironmentSetup | undefined }): void {
  app.get('/api/environment', { preHandler: requirePermission(deps.auth, 'view') }, async (_req, reply): Promise<EnvironmentAnswer | typeof reply> => {
    const setup = deps.setup;
    if (!setup) return reply.code(404).send({ error: 'no environment monitors are configured (environment.monitors)' });
    const byId = new Map(setup.averages.map((a) => [a.id, a]));
    return {
      minCoverage: setup.minCoverage,
      everySeconds: setup.everyMs / 1000,
      monitors: setup.monitors.map((m) => ({
        tag: m.tag,
        kind: m.kind,
        averages: m.averages.flatMap((id) => {
          const a = byId.get(id);
          return a ? [{ id, window: a.window, limits: a.limits, priority: a.priority, basis: a.basis }] : [];
        }),
      })),
    };
  });
}
