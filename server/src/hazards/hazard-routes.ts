import type { FastifyInstance, FastifyReply } from 'fastify';
import { idSchema } from '@park/protocol/config';
import { requirePermission, type AuthContext } from '../http/auth-routes.js';
import type { LiveReading } from '@park/protocol';
import type { Catalogue } from '../catalogue.js';
import { unitLiveInventory } from './live-inventory.js';
import { evaluateObligations, type ObligationContext, type ObligationResult, type ObligationsData } from './obligations.js';
import { summarizeUnit, type HazardRegister, type RegisteredUnit, type UnitSummary } from './register.js';
import { unitReportCsv, unitReportHtml } from './report.js';

/**
 * REST for the register of major hazard installations (GB 18218-2018), all
 * for any logged-in role (`view`):
 *
 *   GET /api/hazard-register                        the whole graded register
 *   GET /api/hazard-register/{unitId}               one unit with every step of its calculation
 *   GET /api/hazard-register/{unitId}/report.csv    its calculation sheet, CSV (UTF-8 with BOM)
 *   GET /api/hazard-register/{unitId}/report.html   the same as a printable page
 *   GET /api/hazard-register/{unitId}/inventory     live inventory against the design maximum (live-inventory.ts)
 *
 * The register is static design data graded once at start (`loadHazardRegister`).
 */
export interface HazardRouteDeps {
  auth: AuthContext;
  register: HazardRegister;
  /** The tag catalogue: when given, each registered tag also says whether it is in the catalogue and which gateway reads it. */
  catalogue?: Catalogue | undefined;
  /** The live value table: without it the inventory route answers 503. */
  live?: { get(id: string): LiveReading | undefined } | undefined;
  /** The regulatory obligations and what to check them against: when given, each unit answers with `obligations`. */
  obligations?: { data: ObligationsData; context: ObligationContext } | undefined;
}

export interface HazardRegisterResponse extends HazardRegister {
  /** One line per unit: S, R, level. */
  summary: UnitSummary[];
}

export interface UnitTagStatus {
  id: string;
  vessel: string;
  item: string;
  /** Listed in the tag catalogue (park model or a gateway's meta). */
  known: boolean;
  gateway?: string | undefined;
}

export interface HazardUnitResponse extends RegisteredUnit {
  summary: UnitSummary;
  /** Present when the routes were given the tag catalogue. */
  tags?: UnitTagStatus[] | undefined;
  /** Present when the routes were given the obligations (obligations.ts). */
  obligations?: { source: string; version: number; date: string; results: ObligationResult[] } | undefined;
}

/** Content security policy of the printable page: its own inline style, nothing else. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

export function registerHazardRoutes(app: FastifyInstance, deps: HazardRouteDeps): void {
  const view = { preHandler: requirePermission(deps.auth, 'view') };
  const units = new Map(deps.register.units.map((u) => [u.id, u]));

  const find = (id: string, reply: FastifyReply): RegisteredUnit | undefined => {
    const unit = idSchema.safeParse(id).success ? units.get(id) : undefined;
    if (!unit) void reply.code(404).send({ error: `no unit "${String(id).slice(0, 64)}" in the hazard register` });
    return unit;
  };

  app.get('/api/hazard-register', view, async (): Promise<HazardRegisterResponse> => ({ ...deps.register, summary: deps.register.units.map(summarizeUnit) }));

  app.get<{ Params: { unitId: string } }>('/api/hazard-register/:unitId', view, async (req, reply) => {
    const unit = find(req.params.unitId, reply);
    if (!unit) return reply;
    const body: HazardUnitResponse = { ...unit, summary: summarizeUnit(unit) };
    const ob = deps.obligations;
    if (ob) body.obligations = { source: ob.data.source, version: ob.data.version, date: ob.data.date, results: evaluateObligations(unit, ob.data.items, ob.context) };
    const catalogue = deps.catalogue;
    if (catalogue) {
      body.tags = unit.items.flatMap((item) =>
        item.vessels.flatMap((v) =>
          v.tags.map((t) => {
            const known = catalogue.get(t.id);
            return { id: t.id, vessel: v.id, item: item.id, known: known !== undefined, gateway: known?.gateway };
          }),
        ),
      );
    }
    return body;
  });

  app.get<{ Params: { unitId: string } }>('/api/hazard-register/:unitId/inventory', view, async (req, reply) => {
    const unit = find(req.params.unitId, reply);
    if (!unit) return reply;
    const live = deps.live;
    if (!live) return reply.code(503).send({ error: 'live values are not available on this server' });
    return unitLiveInventory(unit, (id) => live.get(id), Date.now());
  });

  app.get<{ Params: { unitId: string } }>('/api/hazard-register/:unitId/report.csv', view, async (req, reply) => {
    const unit = find(req.params.unitId, reply);
    if (!unit) return reply;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="gb18218-${unit.id}.csv"`)
      .header('x-content-type-options', 'nosniff')
      .send(unitReportCsv(deps.register, unit));
  });

  app.get<{ Params: { unitId: string } }>('/api/hazard-register/:unitId/report.html', view, async (req, reply) => {
    const unit = find(req.params.unitId, reply);
    if (!unit) return reply;
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', REPORT_CSP)
      .header('x-content-type-options', 'nosniff')
      .send(unitReportHtml(deps.register, unit, { generatedAt: new Date() }));
  });
}
