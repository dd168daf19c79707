import { z } from 'zod';
import { idSchema, loadConfigFile, localizedTextSchema, parseConfigText, tagIdSchema, type LocalizedText, type ParkConfig } from '@park/protocol/config';
import { Ratio, shown } from './exact.js';
import { casCheckDigitOk, loadGb18218Catalogue, table1Name, type Gb18218Catalogue, type Table1Row } from './gb18218-catalogue.js';
import { classify, type CategoriesInput } from './classify.js';
import { alphaFor, gradeUnit, type AlphaStep, type GradingItem, type SubstanceLabel, type UnitCalculation } from './grading.js';

/**
 * The park's register of major hazard installations (`seeds/hazard-register.yaml`):
 * park → enterprise (a site of the park model, with the residents within
 * 500 m of its boundary for α) → unit (a hazard source of that site:
 * production or storage, with its boundary) → inventory items (substance,
 * design maximum quantity, vessels and the live tags that measure them).
 *
 * The loader checks the file against the park model and the GB 18218
 * dataset and reports every problem at once as `file: path: reason (line,
 * column)`; then it grades each unit (grading.ts). Design quantities are
 * static, so the register is graded once at start.
 */

const positive = z.number().finite().positive();

const substanceRefSchema = z.strictObject({
  /** Table 1 row number. */
  row: z.number().int().min(1).optional(),
  cas: z.string().min(1).optional(),
  /** Chinese or English name, full name or alias as in Table 1; for a substance outside Table 1, its name. */
  name: z.string().min(1).optional(),
  /** English name of a substance outside Table 1 (Table 1 rows have their own). */
  en: z.string().min(1).optional(),
  /** Set for a substance that is not in Table 1: Q and β then come from its categories. */
  outsideTable1: z.literal(true).optional(),
});

const vesselSchema = z.strictObject({
  id: idSchema,
  volumeM3: positive.optional(),
  densityTPerM3: positive.optional(),
  /** Largest fraction of the volume the vessel is designed to hold. */
  maxFill: z.number().positive().max(1).optional(),
  /** Live tags measuring this vessel's content (inventory in t, level in %), from the park model. */
  tags: z.array(tagIdSchema).default([]),
  /**
   * How the live content in tonnes is read (live-inventory.ts): a weight tag
   * (`measures: inventory`, unit t) or a level tag (`measures: level`, unit %)
   * turned into volume by the vessel's shape or strapping table, then into
   * tonnes by the density. Without it the vessel's `t` tag is used, else its
   * `%` tag as a vertical cylinder.
   */
  live: z
    .strictObject({
      tag: tagIdSchema,
      measures: z.enum(['inventory', 'level']),
      shape: z.enum(['vertical-cylinder', 'horizontal-cylinder', 'sphere']).optional(),
      /** Level in % → volume in m³, from the vessel's strapping table; rising, from 0 % to 100 %. */
      strapping: z.array(z.tuple([z.number().finite().min(0).max(100), z.number().finite().min(0)])).min(2).optional(),
    })
    .optional(),
});

const classificationSchema = z.strictObject({
  /** Table 2 symbols (J1…J5, W1.1…W11) from the SDS. */
  categories: z.array(z.string().min(1)).min(1),
  /** Where the classification comes from (SDS, revision, section). */
  source: z.string().min(1),
  /** A safety engineer's choice of β among the categories, instead of the largest. */
  betaOverride: z
    .strictObject({
      category: z.string().min(1),
      by: z.string().min(1),
      date: z.string().min(1),
      reason: z.string().min(1),
    })
    .optional(),
});

const itemSchema = z.strictObject({
  id: idSchema,
  substance: substanceRefSchema,
  /** Design maximum quantity q, t (GB 18218-2018 4.2.2: not the live level). */
  designMaxT: positive,
  /** The design document the quantity comes from. */
  basis: z.string().min(1).optional(),
  vessels: z.array(vesselSchema).default([]),
  classification: classificationSchema.optional(),
  /**
   * Properties of the substance as stored that the regulatory obligations
   * depend on and the dataset cannot tell (e.g. liquefied, highly toxic);
   * toxic and flammable gas are also derived from Table 3 and the categories.
   */
  properties: z.array(z.enum(['toxic-gas', 'liquefied-gas', 'highly-toxic-liquid', 'highly-toxic', 'flammable-gas'])).default([]),
  note: z.string().min(1).optional(),
});

export const UNIT_TYPES = ['production', 'storage'] as const;
/** 3.5/3.6: shut-off valves bound a production unit; a dike a tank farm; an independent building a warehouse. */
export const BOUNDARY_KINDS = ['shutoff-valve', 'dike', 'building'] as const;

const unitSchema = z.strictObject({
  /** The park model's hazard source id of this unit (`hs01`). */
  id: idSchema,
  type: z.enum(UNIT_TYPES),
  boundary: z.strictObject({ kind: z.enum(BOUNDARY_KINDS), description: localizedTextSchema }),
  items: z.array(itemSchema).min(1),
  /** Obligations met by something the tags cannot show (video…): obligation id → what and where, for an inspector. */
  declared: z.record(idSchema, z.string().min(1)).default({}),
});

const enterpriseSchema = z.strictObject({
  /** The park model's site id of this enterprise. */
  id: idSchema,
  /** Permanent residents within 500 m outward from the plant boundary (Table 5). */
  residentsWithin500m: z.number().int().min(0),
  /** Where that number comes from (survey, GIS layer, date). */
  residentsSource: z.string().min(1),
  units: z.array(unitSchema).min(1),
});

export const registerFileSchema = z.strictObject({
  register: z.strictObject({
    park: idSchema,
    standard: z.string().min(1),
    version: z.number().int().min(1),
    date: z.string().min(1),
    preparedBy: z.string().min(1),
  }),
  enterprises: z.array(enterpriseSchema).min(1),
});

export type RegisterFile = z.output<typeof registerFileSchema>;
type ItemInput = RegisterFile['enterprises'][number]['units'][number]['items'][number];
type SubstanceRef = ItemInput['substance'];

export interface RegisteredTag {
  id: string;
  /** Engineering unit from the park model: `t` for an inventory, `%` for a level. */
  unit: string;
  description: LocalizedText;
}

export interface RegisteredVessel {
  id: string;
  volumeM3?: number | undefined;
  densityTPerM3?: number | undefined;
  maxFill?: number | undefined;
  tags: RegisteredTag[];
  /** How the live content is read; absent when no tag can give it. */
  live?: LiveMeasure | undefined;
}

export type VesselShape = 'vertical-cylinder' | 'horizontal-cylinder' | 'sphere';

/** A vessel's live content in tonnes: a weight tag, or a level through shape or strapping and density. */
export type LiveMeasure =
  | { tag: string; measures: 'inventory' }
  | { tag: string; measures: 'level'; shape: VesselShape; strapping?: readonly (readonly [number, number])[] | undefined; volumeM3: number; densityTPerM3: number };

export const SUBSTANCE_PROPERTIES = ['toxic-gas', 'liquefied-gas', 'highly-toxic-liquid', 'highly-toxic', 'flammable-gas'] as const;
export type SubstanceProperty = (typeof SUBSTANCE_PROPERTIES)[number];

export interface RegisteredItem {
  id: string;
  substance: SubstanceLabel;
  designMaxT: number;
  basis?: string | undefined;
  vessels: RegisteredVessel[];
  classification?: CategoriesInput | undefined;
  /** What the obligations look at, and where each came from: the register (`declared`), Table 3 or a Table 2 category. */
  properties: { property: SubstanceProperty; from: string }[];
  note?: string | undefined;
}

export interface RegisteredUnit {
  id: string;
  name: LocalizedText;
  enterprise: { id: string; name: LocalizedText };
  type: (typeof UNIT_TYPES)[number];
  boundary: { kind: (typeof BOUNDARY_KINDS)[number]; description: LocalizedText };
  items: RegisteredItem[];
  calculation: UnitCalculation;
  declared: Record<string, string>;
}

export interface RegisteredEnterprise {
  id: string;
  name: LocalizedText;
  residentsWithin500m: number;
  residentsSource: string;
  alpha: AlphaStep;
  units: string[];
}

/** The graded register: what the routes and reports serve. */
export interface HazardRegister {
  park: { id: string; name: LocalizedText };
  standard: { code: string; title: LocalizedText; datasetVersion: number; datasetDate: string };
  register: RegisterFile['register'];
  enterprises: RegisteredEnterprise[];
  units: RegisteredUnit[];
  /** Hazard sources of the park model that the register does not (yet) grade. */
  unregistered: { site: string; hazardSource: string; name: LocalizedText }[];
}

/** The short line per unit for lists: S, R and level. */
export interface UnitSummary {
  id: string;
  name: LocalizedText;
  enterprise: string;
  type: RegisteredUnit['type'];
  S: number;
  isMajorHazard: boolean;
  R: number | null;
  level: number | null;
  levelName: LocalizedText | null;
}

export function summarizeUnit(u: RegisteredUnit): UnitSummary {
  const g = u.calculation.grading;
  return {
    id: u.id,
    name: u.name,
    enterprise: u.enterprise.id,
    type: u.type,
    S: u.calculation.identification.S.value,
    isMajorHazard: u.calculation.identification.isMajorHazard,
    R: g ? g.R.value : null,
    level: g ? g.level.level : null,
    levelName: g ? g.level.name : null,
  };
}

/** How far a stated design quantity may differ from its vessels' volume × density × fill before it is refused. */
export const DESIGN_QUANTITY_TOLERANCE = 0.005;

interface Problem {
  path: (string | number)[];
  reason: string;
  input?: unknown;
}

interface ParkIndex {
  id: string;
  name: LocalizedText;
  sites: Map<string, { name: LocalizedText; hazardSources: Map<string, LocalizedText> }>;
  hazardSourceSite: Map<string, string>;
  tags: Map<string, { site: string; hazardSource?: string | undefined; equipment?: string | undefined; unit: string; description: LocalizedText }>;
}

function indexPark(park: ParkConfig): ParkIndex {
  const idx: ParkIndex = { id: park.park.id, name: park.park.name, sites: new Map(), hazardSourceSite: new Map(), tags: new Map() };
  for (const s of park.sites) {
    idx.sites.set(s.id, { name: s.name, hazardSources: new Map(s.hazardSources.map((h) => [h.id, h.name])) });
    for (const h of s.hazardSources) idx.hazardSourceSite.set(h.id, s.id);
    for (const d of s.devices) for (const t of d.tags) idx.tags.set(t.id, { site: s.id, hazardSource: t.hazardSource, equipment: t.equipment, unit: t.unit, description: t.description });
  }
  return idx;
}

interface Resolved {
  register: HazardRegister;
  problems: Problem[];
}

/**
 * Checks the parsed file against the park model and the dataset, chooses Q
 * and β per item and grades each unit. Pure. Problems carry paths into the
 * file; when there are any, `register` is incomplete and must not be used.
 */
export function resolveRegister(file: RegisterFile, catalogue: Gb18218Catalogue, park: ParkConfig): Resolved {
  const problems: Problem[] = [];
  const add = (path: (string | number)[], reason: string, input?: unknown): void => {
    problems.push(input === undefined ? { path, reason } : { path, reason, input });
  };
  const p = indexPark(park);
  if (file.register.park !== p.id) add(['register', 'park'], `the park model (park.yaml) is "${p.id}", got "${file.register.park}"`, file.register.park);
  if (file.register.standard !== catalogue.code) add(['register', 'standard'], `the GB 18218 dataset is "${catalogue.code}", got "${file.register.standard}"`, file.register.standard);

  const rules = catalogue.rules();
  const enterprises: RegisteredEnterprise[] = [];
  const units: RegisteredUnit[] = [];
  const seenEnterprise = new Map<string, string>();
  const seenUnit = new Map<string, string>();
  const seenTag = new Map<string, string>();

  file.enterprises.forEach((e, ei) => {
    const ePath = ['enterprises', ei];
    const site = p.sites.get(e.id);
    if (seenEnterprise.has(e.id)) add([...ePath, 'id'], `duplicate enterprise "${e.id}" (first at ${seenEnterprise.get(e.id)})`, e.id);
    seenEnterprise.set(e.id, `enterprises[${ei}]`);
    if (!site) add([...ePath, 'id'], `no site "${e.id}" in the park model (sites: ${[...p.sites.keys()].join(', ')})`, e.id);
    const enterpriseName = site?.name ?? { zh: e.id, en: e.id };
    const alpha = alphaFor(e.residentsWithin500m, rules).step;
    enterprises.push({ id: e.id, name: enterpriseName, residentsWithin500m: e.residentsWithin500m, residentsSource: e.residentsSource, alpha, units: e.units.map((u) => u.id) });

    e.units.forEach((u, ui) => {
      const uPath = [...ePath, 'units', ui];
      if (seenUnit.has(u.id)) add([...uPath, 'id'], `duplicate unit "${u.id}" (first at ${seenUnit.get(u.id)})`, u.id);
      seenUnit.set(u.id, `enterprises[${ei}].units[${ui}]`);
      const unitName = site?.hazardSources.get(u.id);
      if (site && !unitName) {
        const elsewhere = p.hazardSourceSite.get(u.id);
        add(
          [...uPath, 'id'],
          elsewhere !== undefined
            ? `hazard source "${u.id}" belongs to site "${elsewhere}" in the park model, not "${e.id}"`
            : `no hazard source "${u.id}" at site "${e.id}" in the park model (it has ${[...site.hazardSources.keys()].map((h) => `"${h}"`).join(', ') || 'none'})`,
          u.id,
        );
      }

      const seenItem = new Set<string>();
      const seenVessel = new Set<string>();
      const items: RegisteredItem[] = [];
      const gradingItems: GradingItem[] = [];
      u.items.forEach((it, ii) => {
        const iPath = [...uPath, 'items', ii];
        if (seenItem.has(it.id)) add([...iPath, 'id'], `duplicate item "${it.id}" in unit "${u.id}"`, it.id);
        seenItem.add(it.id);

        const vessels: RegisteredVessel[] = it.vessels.map((v, vi) => {
          const vPath = [...iPath, 'vessels', vi];
          if (seenVessel.has(v.id)) add([...vPath, 'id'], `duplicate vessel "${v.id}" in unit "${u.id}"`, v.id);
          seenVessel.add(v.id);
          const tags = v.tags.map((tagId, ti): RegisteredTag => {
            const tPath = [...vPath, 'tags', ti];
            const tag = p.tags.get(tagId);
            if (seenTag.has(tagId)) add(tPath, `tag "${tagId}" is already registered at ${seenTag.get(tagId)}`, tagId);
            seenTag.set(tagId, `enterprises[${ei}].units[${ui}].items[${ii}].vessels[${vi}]`);
            if (!tag) {
              add(tPath, `no tag "${tagId}" in the park model`, tagId);
              return { id: tagId, unit: '', description: { zh: tagId, en: tagId } };
            }
            if (tag.hazardSource !== u.id) add(tPath, `tag "${tagId}" belongs to ${tag.hazardSource !== undefined ? `hazard source "${tag.hazardSource}"` : 'no hazard source'} in the park model, not "${u.id}"`, tagId);
            else if (tag.equipment !== undefined && tag.equipment !== v.id) add(tPath, `tag "${tagId}" measures equipment "${tag.equipment}" in the park model, not vessel "${v.id}"`, tagId);
            return { id: tagId, unit: tag.unit, description: tag.description };
          });
          const live = liveMeasure(v, tags, (path, reason, input) => add([...vPath, ...path], reason, input));
          return { id: v.id, volumeM3: v.volumeM3, densityTPerM3: v.densityTPerM3, maxFill: v.maxFill, tags, live };
        });

        const substance = resolveSubstance(it.substance, catalogue, (path, reason, input) => add([...iPath, 'substance', ...path], reason, input));
        const basis = quantityBasis(it, (path, reason, input) => add([...iPath, ...path], reason, input));
        const item: RegisteredItem = {
          id: it.id,
          substance: substance?.label ?? { name: { zh: it.substance.name ?? '?', en: it.substance.en ?? it.substance.name ?? '?' }, cas: it.substance.cas ? [it.substance.cas] : [] },
          designMaxT: it.designMaxT,
          basis: it.basis,
          vessels,
          classification: it.classification,
          properties: it.properties.map((property) => ({ property, from: 'declared' })),
          note: it.note,
        };
        items.push(item);
        if (!substance) return;
        const c = classify(substance.row, it.classification, catalogue);
        if (!c.ok) {
          for (const pr of c.problems) add([...iPath, ...pr.path], pr.reason, pr.input);
          return;
        }
        for (const d of derivedProperties(c.beta.source, it.classification?.categories ?? [])) if (!item.properties.some((x) => x.property === d.property)) item.properties.push(d);
        gradingItems.push({ id: it.id, substance: substance.label, q: { valueT: it.designMaxT, basis }, Q: c.Q, beta: c.beta });
      });

      if (gradingItems.length !== u.items.length) return;
      units.push({
        id: u.id,
        name: unitName ?? { zh: u.id, en: u.id },
        enterprise: { id: e.id, name: enterpriseName },
        type: u.type,
        boundary: u.boundary,
        items,
        calculation: gradeUnit({ items: gradingItems, residentsWithin500m: e.residentsWithin500m }, rules),
        declared: u.declared,
      });
    });
  });

  const unregistered: HazardRegister['unregistered'] = [];
  for (const [siteId, s] of p.sites) for (const [h, name] of s.hazardSources) if (!seenUnit.has(h)) unregistered.push({ site: siteId, hazardSource: h, name });

  const d = catalogue.data;
  return {
    register: {
      park: { id: p.id, name: p.name },
      standard: { code: d.standard.code, title: d.standard.title, datasetVersion: d.dataset.version, datasetDate: d.dataset.date },
      register: file.register,
      enterprises,
      units,
      unregistered,
    },
    problems,
  };
}

type Report = (path: (string | number)[], reason: string, input?: unknown) => void;

/** Properties the dataset tells: a Table 3 gas is a toxic gas; W2 a flammable gas; J1 and J3 toxic gases. */
function derivedProperties(betaSource: 'table-3' | 'table-4', categories: readonly string[]): { property: SubstanceProperty; from: string }[] {
  const out: { property: SubstanceProperty; from: string }[] = [];
  if (betaSource === 'table-3') out.push({ property: 'toxic-gas', from: 'table-3' });
  for (const c of categories) {
    if (c === 'W2') out.push({ property: 'flammable-gas', from: `category ${c}` });
    if ((c === 'J1' || c === 'J3') && !out.some((x) => x.property === 'toxic-gas')) out.push({ property: 'toxic-gas', from: `category ${c}` });
  }
  return out;
}
type VesselInput = ItemInput['vessels'][number];

/**
 * The vessel's live measure, checked: the tag is one of the vessel's tags with
 * the right unit (t or %), a level needs volume and density, a strapping
 * table rises from 0 % to 100 %. Without `live`, the vessel's `t` tag, else
 * its `%` tag as a vertical cylinder when volume and density are known.
 */
function liveMeasure(v: VesselInput, tags: readonly RegisteredTag[], report: Report): LiveMeasure | undefined {
  const spec = v.live ?? defaultLive(v, tags);
  if (!spec) return undefined;
  const explicit = v.live !== undefined;
  const tag = tags.find((t) => t.id === spec.tag);
  const at = (...path: (string | number)[]): (string | number)[] => (explicit ? ['live', ...path] : path);
  if (!tag) {
    report(at('tag'), `"${spec.tag}" is not one of this vessel's tags (${tags.map((t) => t.id).join(', ') || 'none'})`, spec.tag);
    return undefined;
  }
  const wantUnit = spec.measures === 'inventory' ? 't' : '%';
  if (tag.unit !== '' && tag.unit !== wantUnit) {
    report(at('tag'), `a${spec.measures === 'inventory' ? 'n inventory' : ' level'} tag must be in ${wantUnit}; "${tag.id}" is in ${tag.unit}`, spec.tag);
    return undefined;
  }
  if (spec.measures === 'inventory') return { tag: spec.tag, measures: 'inventory' };
  if (v.volumeM3 === undefined || v.densityTPerM3 === undefined) {
    report(at('measures'), 'a level gives tonnes only with the vessel\'s volumeM3 and densityTPerM3', spec.measures);
    return undefined;
  }
  const strapping = spec.strapping;
  if (strapping) {
    const [first, last] = [strapping[0] as readonly [number, number], strapping[strapping.length - 1] as readonly [number, number]];
    if (first[0] !== 0 || last[0] !== 100) report(at('strapping'), `must run from 0 % to 100 % (got ${first[0]} % to ${last[0]} %)`);
    for (let i = 1; i < strapping.length; i++) {
      const [a, b] = [strapping[i - 1] as readonly [number, number], strapping[i] as readonly [number, number]];
      if (!(b[0] > a[0]) || b[1] < a[1]) {
        report(at('strapping', i), 'levels must rise and volumes must not fall', [...b]);
        return undefined;
      }
    }
    if (last[1] > v.volumeM3 * 1.05) report(at('strapping', strapping.length - 1), `${last[1]} m³ at 100 % is more than the vessel's ${v.volumeM3} m³`, [...last]);
  }
  return { tag: spec.tag, measures: 'level', shape: spec.shape ?? 'vertical-cylinder', strapping, volumeM3: v.volumeM3, densityTPerM3: v.densityTPerM3 };
}

function defaultLive(v: VesselInput, tags: readonly RegisteredTag[]): NonNullable<VesselInput['live']> | undefined {
  const weight = tags.find((t) => t.unit === 't');
  if (weight) return { tag: weight.id, measures: 'inventory' };
  const level = tags.find((t) => t.unit === '%');
  if (level && v.volumeM3 !== undefined && v.densityTPerM3 !== undefined) return { tag: level.id, measures: 'level' };
  return undefined;
}

/** The Table 1 row (or none, outside Table 1) and the label shown for the item's substance. */
function resolveSubstance(ref: SubstanceRef, catalogue: Gb18218Catalogue, report: Report): { row?: Table1Row; label: SubstanceLabel } | undefined {
  const rowsText = (rows: readonly Table1Row[]): string => rows.map((r) => `${r.no} ${table1Name(r)}`).join('; ');
  let ok = true;
  if (ref.cas !== undefined && !casCheckDigitOk(ref.cas)) {
    report(['cas'], /^\d{2,7}-\d{2}-\d$/.test(ref.cas) ? 'wrong CAS check digit (a typing error?)' : 'must be a CAS number such as 7782-50-5', ref.cas);
    ok = false;
  }

  if (ref.outsideTable1) {
    if (ref.name === undefined) {
      report(['name'], 'required for a substance outside Table 1');
      ok = false;
    }
    if (ref.row !== undefined) {
      report(['row'], 'a substance outside Table 1 has no Table 1 row', ref.row);
      ok = false;
    }
    const byCas = ref.cas !== undefined ? catalogue.byCas(ref.cas) : [];
    const byName = ref.name !== undefined ? catalogue.byName(ref.name) : [];
    if (byCas.length > 0) report(['outsideTable1'], `CAS ${ref.cas} is in Table 1 (row ${rowsText(byCas)}): refer to the row instead`, true);
    else if (byName.length > 0) report(['outsideTable1'], `"${ref.name}" is in Table 1 (row ${rowsText(byName)}): refer to the row instead`, true);
    if (!ok || byCas.length > 0 || byName.length > 0) return undefined;
    return { label: { name: { zh: ref.name as string, en: ref.en ?? (ref.name as string) }, cas: ref.cas !== undefined ? [ref.cas] : [] } };
  }

  if (ref.en !== undefined) {
    report(['en'], 'only for a substance outside Table 1: a Table 1 row has its own English name', ref.en);
    ok = false;
  }
  if (ref.row === undefined && ref.cas === undefined && ref.name === undefined) {
    report([], 'required: row, cas or name of a Table 1 substance (or outsideTable1: true with its name)');
    return undefined;
  }
  const OUTSIDE_HINT = 'if the substance is not in Table 1, set outsideTable1: true and give its classification';
  const matches: { key: 'row' | 'cas' | 'name'; rows: readonly Table1Row[] }[] = [];
  if (ref.row !== undefined) {
    const row = catalogue.row(ref.row);
    if (!row) report(['row'], `Table 1 has rows 1–${catalogue.rows().length}, got ${ref.row}`, ref.row);
    matches.push({ key: 'row', rows: row ? [row] : [] });
  }
  if (ref.cas !== undefined && ok) {
    const rows = catalogue.byCas(ref.cas);
    if (rows.length === 0) report(['cas'], `no Table 1 row lists CAS ${ref.cas} (${OUTSIDE_HINT})`, ref.cas);
    matches.push({ key: 'cas', rows });
  }
  if (ref.name !== undefined) {
    const rows = catalogue.byName(ref.name);
    if (rows.length === 0) report(['name'], `no Table 1 row is named "${ref.name}" (${OUTSIDE_HINT})`, ref.name);
    matches.push({ key: 'name', rows });
  }
  if (!ok || matches.some((m) => m.rows.length === 0)) return undefined;
  const candidates = matches.reduce<readonly Table1Row[]>((acc, m) => acc.filter((r) => m.rows.includes(r)), catalogue.rows());
  if (candidates.length === 0) {
    report([], `row, cas and name disagree: ${matches.map((m) => `${m.key} → row ${m.rows.map((r) => r.no).join(', ')}`).join('; ')}`);
    return undefined;
  }
  if (candidates.length > 1) {
    report([], `matches several Table 1 rows (${rowsText(candidates)}): add row: N to choose one`);
    return undefined;
  }
  const row = candidates[0] as Table1Row;
  return { row, label: { name: { zh: table1Name(row), en: row.en }, cas: ref.cas !== undefined ? [ref.cas] : row.cas, table1Row: row.no } };
}

/**
 * How q was obtained, for the report. When every vessel gives volume,
 * density and fill, their sum must agree with `designMaxT`, so a vessel
 * added or resized without updating the quantity is caught.
 */
function quantityBasis(it: ItemInput, report: Report): LocalizedText {
  const source = it.basis;
  const lines: string[] = [];
  const products: Ratio[] = [];
  it.vessels.forEach((v, vi) => {
    const given = [v.volumeM3, v.densityTPerM3, v.maxFill].filter((x) => x !== undefined).length;
    if (given > 0 && given < 3) {
      report(['vessels', vi], 'give volumeM3, densityTPerM3 and maxFill together (or none of them)');
      return;
    }
    if (given === 0) return;
    const product = Ratio.fromNumber(v.volumeM3 as number).mul(Ratio.fromNumber(v.densityTPerM3 as number)).mul(Ratio.fromNumber(v.maxFill as number));
    products.push(product);
    lines.push(`${v.id} ${v.volumeM3} m³ × ${v.densityTPerM3} t/m³ × ${v.maxFill} = ${shown(product).text} t`);
  });
  const q = Ratio.fromNumber(it.designMaxT);
  const capacityKnown = it.vessels.length > 0 && products.length === it.vessels.length;
  if (capacityKnown) {
    const total = Ratio.sum(products);
    if (q.sub(total).abs().cmp(total.mul(Ratio.fromNumber(DESIGN_QUANTITY_TOLERANCE))) > 0) {
      report(['designMaxT'], `${it.designMaxT} t does not match the vessels' volume × density × maxFill, ${shown(total).text} t (${lines.join('; ')}): correct one of them`, it.designMaxT);
    }
  }
  const qText = shown(q).text;
  const zhSource = source !== undefined ? `（依据：${source}）` : '';
  const enSource = source !== undefined ? ` (source: ${source})` : '';
  if (!capacityKnown) return { zh: `设计最大量 ${qText} t${zhSource}`, en: `design maximum quantity ${qText} t${enSource}` };
  return {
    zh: `设计最大量：${lines.join('；')}；合计 ${shown(Ratio.sum(products)).text} t，登记 ${qText} t${zhSource}`,
    en: `design maximum: ${lines.join('; ')}; total ${shown(Ratio.sum(products)).text} t, registered ${qText} t${enSource}`,
  };
}

/** The register schema with the checks against the park model and dataset, so every problem has a line number. */
export function registerSchema(catalogue: Gb18218Catalogue, park: ParkConfig) {
  return registerFileSchema.superRefine((file, ctx) => {
    // zod runs refinements after non-fatal issues too (a negative count, a
    // malformed id); those are reported already and would only add noise here.
    if (!registerFileSchema.safeParse(file).success) return;
    for (const pr of resolveRegister(file, catalogue, park).problems) ctx.addIssue({ code: 'custom', path: pr.path, message: pr.reason, input: pr.input });
  });
}

/**
 * Loads the GB 18218 dataset and the register, checks them against the park
 * model and grades every unit. Throws a `ConfigError` (every problem, with
 * file, path, reason, line and column) when either file is wrong: start-up
 * should stop on it like any configuration error.
 */
export function loadHazardRegister(registerFile: string, parkConfig: ParkConfig, catalogueFile: string | Gb18218Catalogue): HazardRegister {
  const catalogue = typeof catalogueFile === 'string' ? loadGb18218Catalogue(catalogueFile) : catalogueFile;
  const file = loadConfigFile(registerFile, registerSchema(catalogue, parkConfig)).value;
  return resolveRegister(file, catalogue, parkConfig).register;
}

/** The same for register text in memory; `file` names it in messages. */
export function parseHazardRegister(text: string, file: string, parkConfig: ParkConfig, catalogue: Gb18218Catalogue): HazardRegister {
  const parsed = parseConfigText(text, file, registerSchema(catalogue, parkConfig));
  return resolveRegister(parsed, catalogue, parkConfig).register;
}
