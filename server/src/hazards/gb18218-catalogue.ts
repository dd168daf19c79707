import { z } from 'zod';
import { loadConfigFile, parseConfigText, localizedTextSchema, type LocalizedText } from '@park/protocol/config';

/**
 * The GB 18218-2018 dataset (`seeds/gb18218-2018.yaml`): Table 1 (named
 * chemicals, Q), Table 2 (categories, Q), Table 3 (β of toxic gases),
 * Table 4 (β by category), Table 5 (α), Table 6 (levels) and the
 * identification threshold. The calculation reads every number from here.
 *
 * The loader refuses a dataset that is not the 2018 edition: wrong row count,
 * a CAS number with a wrong check digit, or the signs of GB 18218-2009 data
 * (DOMAIN.md §1.9: one nitrocellulose row, no ammonium-nitrate fertilizer).
 */

export const GB18218_2018 = 'GB18218-2018';
/** Rows of Table 1 in the 2018 edition (the 2009 edition had 78): a guard against a truncated or outdated file. */
export const GB18218_2018_TABLE1_ROWS = 85;

/** DOMAIN.md's verification legend: ✅ verified, ⚠️ partly-verified, ❌ unverified, 🔧 derived. */
export const VERIFICATION_STATUSES = ['verified', 'partly-verified', 'unverified', 'derived'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];
const status = z.enum(VERIFICATION_STATUSES);

const CAS_PATTERN = /^\d{2,7}-\d{2}-\d$/;
/** A CAS registry number: digits-digits-check digit, with a valid check digit. */
export const casSchema = z
  .string()
  .regex(CAS_PATTERN, 'must be a CAS number such as 7782-50-5')
  .refine((c) => !CAS_PATTERN.test(c) || casCheckDigitOk(c), { message: 'wrong CAS check digit (a typing error?)' });

/** CAS check digit: the sum of each digit times its position from the right (after the check digit), mod 10. */
export function casCheckDigitOk(cas: string): boolean {
  if (!CAS_PATTERN.test(cas)) return false;
  const digits = cas.replace(/-/g, '');
  const body = digits.slice(0, -1);
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i + 1);
  return sum % 10 === Number(digits[digits.length - 1]);
}

const positive = z.number().finite().positive();
const SYMBOL_PATTERN = /^[JW]\d+(\.\d+)?$/;
const symbolSchema = z.string().regex(SYMBOL_PATTERN, 'must be a Table 2 symbol such as J1, W2 or W5.3');

const table1RowSchema = z.strictObject({
  no: z.number().int().min(1),
  /** The name as printed, without its condition. */
  zh: z.string().min(1),
  /** The condition printed with the name (concentration, water content…): part of the row's identity. */
  qualifier: z.string().min(1).optional(),
  aliases: z.array(z.string().min(1)).default([]),
  en: z.string().min(1),
  /** Empty where the standard gives no CAS number (coal gas, AN fertilizer, alkylaluminium). */
  cas: z.array(casSchema),
  /** Critical quantity, t. */
  q: positive,
  status: status.optional(),
  note: z.string().min(1).optional(),
});

const table2RowSchema = z.strictObject({
  symbol: symbolSchema,
  class: localizedTextSchema,
  description: localizedTextSchema,
  q: positive,
  status: status.optional(),
  note: z.string().min(1).optional(),
});

const table3RowSchema = z.strictObject({
  zh: z.string().min(1),
  en: z.string().min(1),
  beta: positive,
  table1Row: z.number().int().min(1),
  /** How sure the link to the Table 1 row is (absent: the gas is that row). */
  linkStatus: status.optional(),
  note: z.string().min(1).optional(),
});

const datasetShape = z.strictObject({
    standard: z.strictObject({
      code: z.string().min(1),
      title: localizedTextSchema,
      issued: z.string().min(1),
      inForce: z.string().min(1),
      replaces: z.string().min(1),
      status,
      source: z.string().min(1),
    }),
    dataset: z.strictObject({
      version: z.number().int().min(1),
      date: z.string().min(1),
      changes: z.array(z.string().min(1)).min(1),
      sources: z.array(z.string().min(1)).min(1),
    }),
    identification: z.strictObject({ threshold: positive, status }),
    rules: z.strictObject({
      qWhenSeveralCategories: z.literal('lowest'),
      qWhenSeveralCategoriesStatus: status,
      betaWhenSeveralCategories: z.literal('largest'),
      betaWhenSeveralCategoriesStatus: status,
    }),
    table1: z.strictObject({ status, pages: z.string().min(1), enStatus: status, rows: z.array(table1RowSchema).min(1) }),
    table2: z.strictObject({ status, descriptionZhStatus: status, rows: z.array(table2RowSchema).min(1) }),
    table3: z.strictObject({ status, pages: z.string().min(1), rows: z.array(table3RowSchema).min(1) }),
    table4: z.strictObject({ status, rows: z.array(z.strictObject({ symbols: z.array(symbolSchema).min(1), beta: positive })).min(1) }),
    table5: z.strictObject({
      status,
      basis: localizedTextSchema,
      rows: z.array(z.strictObject({ minPeople: z.number().int().min(0), alpha: positive, label: localizedTextSchema })).min(1),
    }),
    table6: z.strictObject({
      status,
      rows: z.array(z.strictObject({ level: z.number().int().min(1), name: localizedTextSchema, minR: positive.optional() })).min(2),
    }),
  });

export const gb18218Schema = datasetShape.superRefine((d, ctx) => {
  // zod runs refinements after non-fatal issues too; those are reported already.
  if (datasetShape.safeParse(d).success) checkDataset(d, ctx);
});

export type Gb18218Data = z.output<typeof gb18218Schema>;
export type Table1Row = Gb18218Data['table1']['rows'][number];
export type Table2Row = Gb18218Data['table2']['rows'][number];
export type Table3Row = Gb18218Data['table3']['rows'][number];

/** The row's full name as printed: name plus its condition in full-width parentheses. */
export function table1Name(row: Pick<Table1Row, 'zh' | 'qualifier'>): string {
  return row.qualifier ? `${row.zh}（${row.qualifier}）` : row.zh;
}

function checkDataset(d: Gb18218Data, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string, input?: unknown): void => ctx.addIssue({ code: 'custom', path, message, input });

  if (d.standard.code !== GB18218_2018) issue(['standard', 'code'], `this platform grades with ${GB18218_2018}, got "${d.standard.code}"`, d.standard.code);

  // Table 1: numbered 1…85 in order, unique full names, CAS shared only by variants.
  const rows = d.table1.rows;
  rows.forEach((r, i) => {
    if (r.no !== i + 1) issue(['table1', 'rows', i, 'no'], `rows must be numbered 1, 2, 3… in order: expected ${i + 1}, got ${r.no}`, r.no);
  });
  if (rows.length !== GB18218_2018_TABLE1_ROWS) issue(['table1', 'rows'], `Table 1 of GB 18218-2018 has ${GB18218_2018_TABLE1_ROWS} rows, got ${rows.length}`, rows);
  const names = new Map<string, number>();
  rows.forEach((r, i) => {
    const name = table1Name(r);
    const first = names.get(name);
    if (first !== undefined) issue(['table1', 'rows', i, 'zh'], `duplicate name "${name}" (also row ${first})`, r.zh);
    else names.set(name, r.no);
  });
  const casRows = new Map<string, Table1Row[]>();
  for (const r of rows) for (const c of r.cas) casRows.set(c, [...(casRows.get(c) ?? []), r]);
  rows.forEach((r, i) => {
    r.cas.forEach((c, ci) => {
      const shared = casRows.get(c) ?? [];
      if (shared.length > 1 && !r.qualifier) {
        issue(['table1', 'rows', i, 'cas', ci], `CAS ${c} is shared by rows ${shared.map((s) => s.no).join(', ')}: each of them needs a qualifier that tells them apart`, c);
      }
    });
  });

  // GB 18218-2009 data (DOMAIN.md §1.9): one nitrocellulose row (10 t), AN > 0.2 % as the only AN row, no AN fertilizer.
  const NITROCELLULOSE_CAS = '9004-70-0';
  const AMMONIUM_NITRATE_CAS = '6484-52-2';
  const nc = rows.filter((r) => r.cas.includes(NITROCELLULOSE_CAS) && r.zh === '硝化纤维素');
  const an = rows.filter((r) => r.cas.includes(AMMONIUM_NITRATE_CAS));
  const fertilizer = rows.find((r) => r.zh === '硝酸铵肥料');
  const from2009: string[] = [];
  if (nc.length < 2) from2009.push(`${nc.length} nitrocellulose (${NITROCELLULOSE_CAS}) row(s) where 2018 splits it into five`);
  if (an.length < 2) from2009.push(`${an.length} ammonium nitrate (${AMMONIUM_NITRATE_CAS}) row(s) where 2018 has two`);
  if (!fertilizer || fertilizer.q !== 200) from2009.push('no 硝酸铵肥料 (AN fertilizer) row with Q = 200 t');
  if (from2009.length > 0) issue(['table1', 'rows'], `looks like GB 18218-2009 data, not 2018: ${from2009.join('; ')}`);

  // Table 2 and Table 4: unique symbols; Table 4 gives every Table 2 symbol exactly one β.
  const symbols = new Map<string, number>();
  d.table2.rows.forEach((r, i) => {
    if (symbols.has(r.symbol)) issue(['table2', 'rows', i, 'symbol'], `duplicate symbol "${r.symbol}"`, r.symbol);
    else symbols.set(r.symbol, i);
  });
  const betaOf = new Map<string, number>();
  d.table4.rows.forEach((r, i) => {
    r.symbols.forEach((s, si) => {
      if (!symbols.has(s)) issue(['table4', 'rows', i, 'symbols', si], `"${s}" is not a Table 2 symbol`, s);
      else if (betaOf.has(s)) issue(['table4', 'rows', i, 'symbols', si], `"${s}" already has β = ${betaOf.get(s)}`, s);
      else betaOf.set(s, r.beta);
    });
  });
  for (const [s, i] of symbols) if (!betaOf.has(s)) issue(['table2', 'rows', i, 'symbol'], `"${s}" has no β in table4`, s);

  // Table 3: each gas linked to one Table 1 row, and by the same name unless the link is marked as ours.
  const linked = new Set<number>();
  d.table3.rows.forEach((g, i) => {
    const row = rows[g.table1Row - 1];
    if (!row) issue(['table3', 'rows', i, 'table1Row'], `no Table 1 row ${g.table1Row}`, g.table1Row);
    else if (row.zh !== g.zh && g.linkStatus === undefined) issue(['table3', 'rows', i, 'table1Row'], `row ${g.table1Row} is "${row.zh}", not "${g.zh}": fix the row number, or mark a deliberate link with linkStatus and a note`, g.table1Row);
    if (linked.has(g.table1Row)) issue(['table3', 'rows', i, 'table1Row'], `Table 1 row ${g.table1Row} already has a Table 3 β`, g.table1Row);
    linked.add(g.table1Row);
  });

  // Table 5: one band per starting count, one for nobody.
  const starts = new Set<number>();
  d.table5.rows.forEach((r, i) => {
    if (starts.has(r.minPeople)) issue(['table5', 'rows', i, 'minPeople'], `duplicate band start ${r.minPeople}`, r.minPeople);
    starts.add(r.minPeople);
  });
  if (!starts.has(0)) issue(['table5', 'rows'], 'needs a band with minPeople: 0 (nobody exposed)');

  // Table 6: levels 1…n; a higher level (smaller number) has a higher bound; only the lowest has none.
  const levels = [...d.table6.rows].sort((a, b) => a.level - b.level);
  levels.forEach((l, i) => {
    const at = d.table6.rows.indexOf(l);
    if (l.level !== i + 1) issue(['table6', 'rows', at, 'level'], `levels must be 1, 2, 3… without gaps or repeats, got ${l.level}`, l.level);
    const last = i === levels.length - 1;
    if (last && l.minR !== undefined) issue(['table6', 'rows', at, 'minR'], `the lowest level (${l.level}) takes every R below the next bound: leave out minR`, l.minR);
    if (!last && l.minR === undefined) issue(['table6', 'rows', at, 'minR'], `required for level ${l.level}: its inclusive lower bound of R`);
    const lower = levels[i + 1];
    if (!last && lower?.minR !== undefined && l.minR !== undefined && l.minR <= lower.minR) {
      issue(['table6', 'rows', at, 'minR'], `level ${l.level} must start above level ${lower.level} (${lower.minR}), got ${l.minR}`, l.minR);
    }
  });
}

/** A Table 2 category with its Table 4 β. */
export interface Category {
  symbol: string;
  class: LocalizedText;
  description: LocalizedText;
  q: number;
  beta: number;
  status?: VerificationStatus | undefined;
  note?: string | undefined;
}

/** One α band of Table 5, from `minPeople` up to the next band. */
export interface AlphaBand {
  minPeople: number;
  alpha: number;
  label: LocalizedText;
}

/** One level of Table 6; `minR` absent for the lowest level. */
export interface LevelBand {
  level: number;
  name: LocalizedText;
  minR?: number | undefined;
}

/** The numbers the pure calculation needs, all from the dataset. */
export interface GradingRules {
  standard: string;
  identificationThreshold: number;
  /** Highest band first. */
  alphaBands: readonly AlphaBand[];
  alphaBasis: LocalizedText;
  /** Level 1 (highest bound) first; the last has no bound. */
  levels: readonly LevelBand[];
}

/** The loaded dataset with the look-ups the register and the calculation use. */
export class Gb18218Catalogue {
  readonly data: Gb18218Data;
  private readonly byCasMap = new Map<string, Table1Row[]>();
  private readonly byNameMap = new Map<string, Table1Row[]>();
  private readonly categories = new Map<string, Category>();
  private readonly table3ByRow = new Map<number, Table3Row>();

  constructor(data: Gb18218Data) {
    this.data = data;
    const add = (map: Map<string, Table1Row[]>, key: string, row: Table1Row): void => {
      const list = map.get(key) ?? [];
      if (!list.includes(row)) list.push(row);
      map.set(key, list);
    };
    for (const row of data.table1.rows) {
      for (const c of row.cas) add(this.byCasMap, c, row);
      for (const n of [row.zh, table1Name(row), ...row.aliases, row.en]) add(this.byNameMap, nameKey(n), row);
    }
    const betaOf = new Map<string, number>();
    for (const r of data.table4.rows) for (const s of r.symbols) betaOf.set(s, r.beta);
    for (const r of data.table2.rows) {
      this.categories.set(r.symbol, { symbol: r.symbol, class: r.class, description: r.description, q: r.q, beta: betaOf.get(r.symbol) ?? Number.NaN, status: r.status, note: r.note });
    }
    for (const g of data.table3.rows) this.table3ByRow.set(g.table1Row, g);
  }

  get code(): string {
    return this.data.standard.code;
  }

  get version(): number {
    return this.data.dataset.version;
  }

  rows(): readonly Table1Row[] {
    return this.data.table1.rows;
  }

  row(no: number): Table1Row | undefined {
    return this.data.table1.rows[no - 1];
  }

  /** Table 1 rows listing this CAS number (several for nitrocellulose and ammonium nitrate). */
  byCas(cas: string): readonly Table1Row[] {
    return this.byCasMap.get(cas.trim()) ?? [];
  }

  /** Table 1 rows whose name, full name, alias or English name this is (case and spacing ignored). */
  byName(name: string): readonly Table1Row[] {
    return this.byNameMap.get(nameKey(name)) ?? [];
  }

  category(symbol: string): Category | undefined {
    return this.categories.get(symbol);
  }

  categoryList(): readonly Category[] {
    return [...this.categories.values()];
  }

  /** Table 3's β entry for a Table 1 row, if the row is one of its toxic gases. */
  table3(rowNo: number): Table3Row | undefined {
    return this.table3ByRow.get(rowNo);
  }

  rules(): GradingRules {
    return {
      standard: this.code,
      identificationThreshold: this.data.identification.threshold,
      alphaBands: [...this.data.table5.rows].sort((a, b) => b.minPeople - a.minPeople),
      alphaBasis: this.data.table5.basis,
      levels: [...this.data.table6.rows].sort((a, b) => a.level - b.level),
    };
  }
}

/** Names compare without case, spaces or the difference between full-width and ASCII punctuation. */
function nameKey(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

/** Reads and checks the dataset; throws a `ConfigError` listing every problem with file, path and line. */
export function loadGb18218Catalogue(file: string): Gb18218Catalogue {
  return new Gb18218Catalogue(loadConfigFile(file, gb18218Schema).value);
}

/** The same for text in memory (tests, uploads); `file` names it in messages. */
export function parseGb18218Catalogue(text: string, file: string): Gb18218Catalogue {
  return new Gb18218Catalogue(parseConfigText(text, file, gb18218Schema));
}
