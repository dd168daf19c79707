import type { CatalogueTag, MetaMessage, ParkSummary } from '@park/protocol';
import type { ParkConfig } from '@park/protocol/config';

/**
 * The tag catalogue: the park model's tags (names, place, limits) joined with
 * what gateways announce in their retained `meta` messages. A tag a gateway
 * announces that the park model lacks is still listed, so nothing it
 * publishes is invisible.
 */
export class Catalogue {
  private readonly tags = new Map<string, CatalogueTag>();
  readonly park: ParkSummary;

  constructor(park: ParkConfig) {
    this.park = {
      id: park.park.id,
      name: park.park.name,
      timezone: park.park.timezone,
      sites: park.sites.map((s) => ({ id: s.id, name: s.name, hazardSources: s.hazardSources.map((h) => ({ id: h.id, name: h.name })) })),
    };
    for (const site of park.sites) {
      for (const device of site.devices) {
        for (const tag of device.tags) {
          const entry: CatalogueTag = {
            id: tag.id,
            device: device.id,
            kind: tag.kind,
            unit: tag.unit,
            description: tag.description.zh,
            source: sourceOf(device.id, tag.address),
            gateway: site.gateway,
            // The park model's own text (exactly zh and en): one object per tag, not two.
            name: tag.description,
            site: site.id,
          };
          // Set one by one, in this order: spreading `cond ? {…} : {}` left 450 bytes of garbage per tag.
          if (tag.hazardSource !== undefined) entry.hazardSource = tag.hazardSource;
          if (tag.equipment !== undefined) entry.equipment = tag.equipment;
          if (tag.range) entry.range = [tag.range[0], tag.range[1]];
          const limits = tag.limits ? pickLimits(tag.limits) : undefined;
          if (limits) entry.limits = limits;
          this.tags.set(tag.id, entry);
        }
      }
    }
  }

  /** Adds tags a gateway announces; the park model's entries keep their names and limits. */
  applyMeta(meta: MetaMessage): void {
    for (const t of meta.tags) {
      const known = this.tags.get(t.id);
      if (known) {
        known.gateway = meta.gateway;
        known.device = t.device;
        known.source = t.source;
      } else {
        this.tags.set(t.id, { ...t, gateway: meta.gateway });
      }
    }
  }

  /** Tags the server publishes itself (environment averages); a park-model tag of the same id is kept. */
  addDerived(tags: readonly CatalogueTag[]): void {
    for (const t of tags) if (!this.tags.has(t.id)) this.tags.set(t.id, t);
  }

  get(id: string): CatalogueTag | undefined {
    return this.tags.get(id);
  }

  list(): CatalogueTag[] {
    return [...this.tags.values()];
  }
}

/**
 * `opcua:<node id>` or `modbus:<device>/<table>/<address>`, as one flat
 * string: a template literal leaves a chain of five rope nodes per tag
 * (170 bytes instead of 56).
 */
function sourceOf(device: string, address: { nodeId: string } | { table: string; address: number }): string {
  return 'nodeId' in address ? ['opcua', address.nodeId].join(':') : [`modbus:${device}`, address.table, address.address].join('/');
}

function pickLimits(l: { hh?: number | undefined; h?: number | undefined; l?: number | undefined; ll?: number | undefined }): CatalogueTag['limits'] {
  const out: NonNullable<CatalogueTag['limits']> = {};
  if (l.hh !== undefined) out.hh = l.hh;
  if (l.h !== undefined) out.h = l.h;
  if (l.l !== undefined) out.l = l.l;
  if (l.ll !== undefined) out.ll = l.ll;
  return Object.keys(out).length > 0 ? out : undefined;
}
