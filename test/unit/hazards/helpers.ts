import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parkSchema, type ParkConfig } from '@park/protocol/config';
import { loadGb18218Catalogue, type Gb18218Catalogue } from '../../../server/src/hazards/gb18218-catalogue.js';
import { classify, type CategoriesInput } from '../../../server/src/hazards/classify.js';
import type { GradingItem } from '../../../server/src/hazards/grading.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CATALOGUE_FILE = path.join(REPO_ROOT, 'seeds', 'gb18218-2018.yaml');
export const REGISTER_FILE = path.join(REPO_ROOT, 'seeds', 'hazard-register.yaml');
export const PARK_FILE = path.join(REPO_ROOT, 'seeds', 'park.yaml');

export const catalogueText = (): string => readFileSync(CATALOGUE_FILE, 'utf8');
export const registerText = (): string => readFileSync(REGISTER_FILE, 'utf8');

let catalogueCache: Gb18218Catalogue | undefined;
export function catalogue(): Gb18218Catalogue {
  catalogueCache ??= loadGb18218Catalogue(CATALOGUE_FILE);
  return catalogueCache;
}

let parkCache: ParkConfig | undefined;
export function park(): ParkConfig {
  parkCache ??= loadConfigFile(PARK_FILE, parkSchema).value;
  return parkCache;
}

export { problemsOf } from '../../harness/config-errors.js';

/** Replaces exactly one occurrence of `from` (a test must not silently edit nothing). */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one "${from}" in the text`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/**
 * A grading item for a Table 1 row (Q and β chosen by classify.ts from the
 * shipped dataset) or, with `row` undefined, for a substance outside Table 1.
 */
export function item(id: string, row: number | undefined, qT: number, categories?: CategoriesInput): GradingItem {
  const c = catalogue();
  const r = row === undefined ? undefined : c.row(row);
  if (row !== undefined && !r) throw new Error(`no Table 1 row ${row}`);
  const chosen = classify(r, categories, c);
  if (!chosen.ok) throw new Error(chosen.problems.map((p) => p.reason).join('; '));
  return {
    id,
    substance: { name: r ? { zh: r.zh, en: r.en } : { zh: id, en: id }, cas: r?.cas ?? [], table1Row: r?.no },
    q: { valueT: qT, basis: { zh: '测试', en: 'test' } },
    Q: chosen.Q,
    beta: chosen.beta,
  };
}
