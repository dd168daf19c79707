import type { FastifyInstance } from 'fastify';
import { idSchema } from '@park/protocol/config';
import { requirePermission, type AuthContext } from '../http/auth-routes.js';
import type { FeedIncident, IncidentFeed } from './incident-feed.js';

/**
 * REST of the incident feed, for any logged-in role (`view`):
 *
 *   GET /api/incident-feed[?hazardSource=hs01][&state=open|closed]   open incidents first, newest first
 *   GET /api/incident-feed/{id}                                       one incident
 */
export function registerIncidentFeedRoutes(app: FastifyInstance, deps: { auth: AuthContext; feed: IncidentFeed }): void {
  const view = { preHandler: requirePermission(deps.auth, 'view') };

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/incident-feed', view, async (req, reply): Promise<FeedIncident[] | typeof reply> => {
    const { hazardSource, state } = req.query;
    if (hazardSource !== undefined && !idSchema.safeParse(hazardSource).success) return reply.code(400).send({ error: 'hazardSource: expected an installation id such as hs01' });
    if (state !== undefined && state !== 'open' && state !== 'closed') return reply.code(400).send({ error: 'state: expected open or closed' });
    return deps.feed.list({ ...(hazardSource ? { hazardSource } : {}), ...(state ? { state } : {}) });
  });

  app.get<{ Params: { id: string } }>('/api/incident-feed/:id', view, async (req, reply) => {
    const incident = deps.feed.get(req.params.id);
    if (!incident) return reply.code(404).send({ error: `no incident "${String(req.params.id).slice(0, 64)}" in the feed` });
    return incident;
  });
}
