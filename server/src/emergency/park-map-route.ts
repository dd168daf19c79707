import type { FastifyInstance } from 'fastify';
import { requirePermission, type AuthContext } from '../http/auth-routes.js';
import { parkMapAnswer, type ParkMap } from './park-map.js';

/**
 * `GET /api/park-map` (view): the site plan in local metres (x east, y
 * north): the places (installations, assembly points, gates, sensitive
 * targets), the weather station's place and the drawn plan (site fences,
 * buildings, tanks, roads). 404 when the server has no map configured.
 */
export function registerParkMapRoute(app: FastifyInstance, deps: { auth: AuthContext; map: ParkMap | undefined }): void {
  const view = { preHandler: requirePermission(deps.auth, 'view') };
  // The map is read once at start: the answer never changes while the server runs.
  const answer = deps.map ? parkMapAnswer(deps.map) : undefined;
  app.get('/api/park-map', view, async (_req, reply) => answer ?? reply.code(404).send({ error: 'no park map configured (emergency.map)' }));
}
