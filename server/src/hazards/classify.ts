import type { LocalizedText } from '@park/protocol/config';
import { table1Name, type Category, type Gb18218Catalogue, type Table1Row, type VerificationStatus } from './gb18218-catalogue.js';

/**
 * Chooses Q and β for one substance, as GB 18218-2018 4.1.2 and 4.3 say,
 * and records why. Pure: reads only the loaded dataset.
 *
 * Q  Table 1 row → its Q. Otherwise Table 2 by hazard category; with several
 *    categories the lowest Q (the standard's rule).
 * β  A Table 3 toxic gas → its β. Otherwise Table 4 by category; with several
 *    categories the largest β (our documented choice: the standard is silent),
 *    unless a safety engineer chose one of them (`betaOverride`), recorded with
 *    who, when and why. β is never defaulted: a substance neither in Table 3
 *    nor given a category is an error (DOMAIN.md §1.8).
 */

/** Hazard categories of a substance (Table 2 symbols), from its SDS, as the register states them. */
export interface CategoriesInput {
  categories: readonly string[];
  /** Where the classification comes from, e.g. the SDS and its revision. */
  source: string;
  betaOverride?: BetaOverride | undefined;
}

export interface BetaOverride {
  /** One of `categories`: whose Table 4 β applies instead of the largest. */
  category: string;
  by: string;
  date: string;
  reason: string;
}

export interface QStep {
  valueT: number;
  source: 'table-1' | 'table-2';
  table1Row?: number | undefined;
  /** Table 2 categories considered, with their Q. */
  categories?: { symbol: string; q: number }[] | undefined;
  /** The category or categories that gave the lowest Q. */
  chosen?: string[] | undefined;
  reason: LocalizedText;
  status?: VerificationStatus | undefined;
}

export interface BetaStep {
  value: number;
  source: 'table-3' | 'table-4';
  /** How β was chosen: Table 3's own entry, the only category, the largest of several, or an engineer's override. */
  choice: 'table-3' | 'single-category' | 'largest' | 'override';
  categories?: { symbol: string; beta: number }[] | undefined;
  /** The category whose Table 4 β applies. */
  category?: string | undefined;
  override?: BetaOverride | undefined;
  reason: LocalizedText;
  /** `derived` when the choice is ours (largest of several, a Table 3 link we made), not the standard's text. */
  status?: VerificationStatus | undefined;
}

/** A problem at a path relative to the item (e.g. `['classification', 'categories', 1]`). */
export interface ClassifyProblem {
  path: (string | number)[];
  reason: string;
  input?: unknown;
}

export type Classified = { ok: true; Q: QStep; beta: BetaStep } | { ok: false; problems: ClassifyProblem[] };

export function classify(row: Table1Row | undefined, categories: CategoriesInput | undefined, catalogue: Gb18218Catalogue): Classified {
  const problems: ClassifyProblem[] = [];
  const gas = row ? catalogue.table3(row.no) : undefined;

  if (gas && categories) {
    return { ok: false, problems: [{ path: ['classification'], reason: `β of ${table1Name(row as Table1Row)} comes from Table 3 (β = ${gas.beta}): remove classification` }] };
  }
  const cats: Category[] = [];
  if (categories) {
    const seen = new Set<string>();
    categories.categories.forEach((s, i) => {
      const c = catalogue.category(s);
      if (!c) problems.push({ path: ['classification', 'categories', i], reason: `"${s}" is not a Table 2 category (${catalogue.categoryList().map((x) => x.symbol).join(', ')})`, input: s });
      else if (seen.has(s)) problems.push({ path: ['classification', 'categories', i], reason: `"${s}" is listed twice`, input: s });
      else cats.push(c);
      seen.add(s);
    });
    const o = categories.betaOverride;
    if (o && !categories.categories.includes(o.category)) {
      problems.push({ path: ['classification', 'betaOverride', 'category'], reason: `must be one of the substance's categories (${categories.categories.join(', ')}), got "${o.category}"`, input: o.category });
    }
  } else if (!row) {
    problems.push({ path: ['classification'], reason: 'required for a substance outside Table 1: its hazard categories (Table 2 symbols from the SDS) set Q and β' });
  } else if (!gas) {
    problems.push({ path: ['classification'], reason: `required: ${table1Name(row)} (Table 1 row ${row.no}) is not a Table 3 toxic gas, so β comes from Table 4 by its hazard category (from the SDS, e.g. W2 or W5.3); β is never assumed` });
  }
  if (problems.length > 0) return { ok: false, problems };

  const Q = row ? qFromTable1(row) : qFromCategories(cats);
  const beta = gas
    ? {
        value: gas.beta,
        source: 'table-3' as const,
        choice: 'table-3' as const,
        reason: {
          zh: `表3（毒性气体校正系数）${gas.zh}：β = ${gas.beta}`,
          en: `Table 3 (toxic gases) ${gas.en}: β = ${gas.beta}`,
        },
        ...(gas.linkStatus !== undefined ? { status: gas.linkStatus } : {}),
      }
    : betaFromCategories(cats, categories?.betaOverride);
  return { ok: true, Q, beta };
}

function qFromTable1(row: Table1Row): QStep {
  return {
    valueT: row.q,
    source: 'table-1',
    table1Row: row.no,
    reason: { zh: `表1第${row.no}项 ${table1Name(row)}：临界量 ${row.q} t`, en: `Table 1 row ${row.no} ${row.en}: Q = ${row.q} t` },
    ...(row.status !== undefined ? { status: row.status } : {}),
  };
}

function qFromCategories(cats: readonly Category[]): QStep {
  const lowest = Math.min(...cats.map((c) => c.q));
  const chosen = cats.filter((c) => c.q === lowest).map((c) => c.symbol);
  const list = cats.map((c) => `${c.symbol} ${c.q} t`).join('，');
  const listEn = cats.map((c) => `${c.symbol} ${c.q} t`).join(', ');
  const several = cats.length > 1;
  return {
    valueT: lowest,
    source: 'table-2',
    categories: cats.map((c) => ({ symbol: c.symbol, q: c.q })),
    chosen,
    reason: several
      ? { zh: `不在表1中；按表2危险性类别（${list}）取最低临界量 ${lowest} t（${chosen.join('、')}）`, en: `not in Table 1; Table 2 categories (${listEn}): the lowest Q, ${lowest} t (${chosen.join(', ')})` }
      : { zh: `不在表1中；按表2危险性类别 ${list}`, en: `not in Table 1; Table 2 category ${listEn}` },
    ...(cats.some((c) => c.status !== undefined && c.status !== 'verified') ? { status: 'partly-verified' as const } : {}),
  };
}

function betaFromCategories(cats: readonly Category[], override: BetaOverride | undefined): BetaStep {
  const listed = cats.map((c) => ({ symbol: c.symbol, beta: c.beta }));
  const list = listed.map((c) => `${c.symbol} β = ${c.beta}`).join(', ');
  if (override) {
    const c = cats.find((x) => x.symbol === override.category) as Category;
    return {
      value: c.beta,
      source: 'table-4',
      choice: 'override',
      categories: listed,
      category: c.symbol,
      override,
      reason: {
        zh: `表4（${list}）：安全工程师指定取 ${c.symbol} 的 β = ${c.beta}（${override.by}，${override.date}：${override.reason}）`,
        en: `Table 4 (${list}): ${c.symbol} β = ${c.beta} chosen by a safety engineer (${override.by}, ${override.date}: ${override.reason})`,
      },
    };
  }
  if (cats.length === 1) {
    const c = cats[0] as Category;
    return { value: c.beta, source: 'table-4', choice: 'single-category', categories: listed, category: c.symbol, reason: { zh: `表4 ${c.symbol}：β = ${c.beta}`, en: `Table 4 ${c.symbol}: β = ${c.beta}` } };
  }
  const largest = cats.reduce((m, c) => (c.beta > m.beta ? c : m));
  return {
    value: largest.beta,
    source: 'table-4',
    choice: 'largest',
    categories: listed,
    category: largest.symbol,
    reason: {
      zh: `表4（${list}）：多个类别时取最大 β = ${largest.beta}（${largest.symbol}）；此取法为本平台的保守约定，标准未规定，可由安全工程师指定`,
      en: `Table 4 (${list}): the largest, β = ${largest.beta} (${largest.symbol}); taking the largest of several is this platform's conservative choice, not the standard's, and a safety engineer may choose another`,
    },
    status: 'derived',
  };
}
