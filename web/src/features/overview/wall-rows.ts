import type { CatalogueTag } from '@park/protocol';

// The wall as a list of fixed-height rows, so only the rows in view are
// rendered (hand-rolled windowing): a heading row per site, hazard source
// and equipment, then the equipment's tiles in rows of `columns`.
//
// Groups keep the catalogue's order (the park model's order, which is how
// the park is laid out), first appearance first. Tags outside the park model
// (announced only in a gateway's meta) come last under their own heading.

export interface EquipmentGroup {
  readonly key: string;
  /** Undefined: the tag names no equipment. */
  readonly id: string | undefined;
  readonly tags: CatalogueTag[];
}

export interface HazardGroup {
  readonly key: string;
  /** Undefined: not part of a hazard source (utilities, weather, environment). */
  readonly id: string | undefined;
  readonly equipment: EquipmentGroup[];
  count: number;
}

export interface SiteGroup {
  readonly key: string;
  /** Undefined: not in the park model. */
  readonly id: string | undefined;
  readonly hazards: HazardGroup[];
  count: number;
}

export function groupTags(tags: readonly CatalogueTag[]): SiteGroup[] {
  const sites = new Map<string, SiteGroup>();
  const hazards = new Map<string, HazardGroup>();
  const equipments = new Map<string, EquipmentGroup>();
  for (const tag of tags) {
    const siteKey = tag.site === undefined ? '\u0000none' : `s:${tag.site}`;
    let site = sites.get(siteKey);
    if (!site) {
      site = { key: siteKey, id: tag.site, hazards: [], count: 0 };
      sites.set(siteKey, site);
    }
    const hazardKey = `${siteKey}/${tag.hazardSource === undefined ? '\u0000none' : `h:${tag.hazardSource}`}`;
    let hazard = hazards.get(hazardKey);
    if (!hazard) {
      hazard = { key: hazardKey, id: tag.hazardSource, equipment: [], count: 0 };
      hazards.set(hazardKey, hazard);
      site.hazards.push(hazard);
    }
    const equipmentKey = `${hazardKey}/${tag.equipment === undefined ? '\u0000none' : `e:${tag.equipment}`}`;
    let equipment = equipments.get(equipmentKey);
    if (!equipment) {
      equipment = { key: equipmentKey, id: tag.equipment, tags: [] };
      equipments.set(equipmentKey, equipment);
      hazard.equipment.push(equipment);
    }
    equipment.tags.push(tag);
    hazard.count++;
    site.count++;
  }
  const ordered = [...sites.values()];
  // Tags outside the park model last.
  ordered.sort((a, b) => Number(a.id === undefined) - Number(b.id === undefined));
  // Hazard sources before the "other" group of each site.
  for (const site of ordered) site.hazards.sort((a, b) => Number(a.id === undefined) - Number(b.id === undefined));
  return ordered;
}

export type WallRow =
  | { readonly kind: 'site'; readonly key: string; readonly top: number; readonly height: number; readonly id: string | undefined; readonly count: number }
  | { readonly kind: 'hazard'; readonly key: string; readonly top: number; readonly height: number; readonly id: string | undefined; readonly count: number }
  | { readonly kind: 'equipment'; readonly key: string; readonly top: number; readonly height: number; readonly id: string | undefined; readonly count: number }
  | { readonly kind: 'tiles'; readonly key: string; readonly top: number; readonly height: number; readonly tags: readonly CatalogueTag[] };

/** Row heights in CSS pixels. */
export interface RowMetrics {
  readonly site: number;
  readonly hazard: number;
  readonly equipment: number;
  /** A row of tiles including the gap below it. */
  readonly tiles: number;
}

export interface WallLayout {
  readonly rows: readonly WallRow[];
  readonly height: number;
}

export function layoutRows(sites: readonly SiteGroup[], columns: number, metrics: RowMetrics): WallLayout {
  const rows: WallRow[] = [];
  let top = 0;
  const cols = Math.max(1, columns);
  for (const site of sites) {
    rows.push({ kind: 'site', key: site.key, top, height: metrics.site, id: site.id, count: site.count });
    top += metrics.site;
    for (const hazard of site.hazards) {
      rows.push({ kind: 'hazard', key: hazard.key, top, height: metrics.hazard, id: hazard.id, count: hazard.count });
      top += metrics.hazard;
      for (const equipment of hazard.equipment) {
        rows.push({ kind: 'equipment', key: equipment.key, top, height: metrics.equipment, id: equipment.id, count: equipment.tags.length });
        top += metrics.equipment;
        for (let i = 0; i < equipment.tags.length; i += cols) {
          rows.push({ kind: 'tiles', key: `${equipment.key}#${i / cols}`, top, height: metrics.tiles, tags: equipment.tags.slice(i, i + cols) });
          top += metrics.tiles;
        }
      }
    }
  }
  return { rows, height: top };
}

/** The rows overlapping [from, to) (CSS pixels from the top), by binary search. */
export function visibleRange(rows: readonly WallRow[], from: number, to: number): { start: number; end: number } {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const row = rows[mid];
    if (row && row.top + row.height <= from) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < rows.length && (rows[end]?.top ?? Infinity) < to) end++;
  return { start: lo, end };
}
