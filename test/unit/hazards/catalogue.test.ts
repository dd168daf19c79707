import { describe, expect, it } from 'vitest';
import {
  GB18218_2018_TABLE1_ROWS,
  casCheckDigitOk,
  parseGb18218Catalogue,
  table1Name,
} from '../../../server/src/hazards/gb18218-catalogue.js';
import { catalogue, catalogueText, problemsOf, replaceOnce } from './helpers.js';

/** Spot values from DOMAIN.md §1.5 (Table 1), written out by hand, not read from the dataset. */
const TABLE1_SPOTS: [no: number, zh: string, cas: string[], q: number][] = [
  [1, '氨', ['7664-41-7'], 10],
  [4, '二氧化硫', ['7446-09-5'], 20],
  [6, '碳酰氯', ['75-44-5'], 0.3],
  [12, '氯', ['7782-50-5'], 5],
  [13, '煤气', [], 20],
  [25, '氰化氢', ['74-90-8'], 1],
  [30, '异氰酸甲酯', ['624-83-9'], 0.75],
  [43, '硝酸铵', ['6484-52-2'], 5],
  [44, '硝酸铵', ['6484-52-2'], 50],
  [45, '硝酸铵肥料', [], 200],
  [49, '甲烷', ['74-82-8', '8006-14-2'], 50],
  [52, '液化石油气', ['68476-85-7', '74-98-6', '106-97-8'], 50],
  [57, '苯', ['71-43-2'], 50],
  [65, '甲醇', ['67-56-1'], 500],
  [66, '汽油', ['86290-81-5'], 200],
  [85, '钠', ['7440-23-5'], 10],
];

describe('GB 18218-2018 dataset: Table 1', () => {
  const c = catalogue();

  it('has all 85 rows, numbered 1–85 in order', () => {
    expect(GB18218_2018_TABLE1_ROWS).toBe(85);
    expect(c.rows()).toHaveLength(85);
    expect(c.rows().map((r) => r.no)).toEqual(Array.from({ length: 85 }, (_, i) => i + 1));
  });

  it.each(TABLE1_SPOTS)('row %i is %s, CAS %j, Q = %d t', (no, zh, cas, q) => {
    const row = c.row(no);
    expect(row?.zh).toBe(zh);
    expect(row?.cas).toEqual(cas);
    expect(row?.q).toBe(q);
  });

  it('splits nitrocellulose into six rows with their own Q (2018, not the single 2009 row)', () => {
    const nc = c.byCas('9004-70-0');
    expect(nc.map((r) => [r.no, r.q])).toEqual([
      [37, 1],
      [38, 1],
      [39, 10],
      [40, 50],
      [41, 50],
      [42, 50],
    ]);
  });

  it('has unique full names and aliases that lead to one row', () => {
    const names = c.rows().map(table1Name);
    expect(new Set(names).size).toBe(85);
    for (const r of c.rows()) for (const a of r.aliases) expect(c.byName(a).map((x) => x.no), a).toEqual([r.no]);
  });

  it('has valid CAS check digits, and shares a CAS only between the variants of nitrocellulose and ammonium nitrate', () => {
    const all = c.rows().flatMap((r) => r.cas);
    for (const cas of all) expect(casCheckDigitOk(cas), cas).toBe(true);
    const shared = [...new Set(all.filter((x, i) => all.indexOf(x) !== i))].sort();
    expect(shared).toEqual(['6484-52-2', '9004-70-0']);
  });

  it('finds a row by CAS, name, alias, full name or English name, ignoring full-width punctuation', () => {
    expect(c.byCas('74-98-6').map((r) => r.no)).toEqual([52]); // propane is covered by the LPG row
    expect(c.byName('液氯').map((r) => r.no)).toEqual([12]);
    expect(c.byName('光气').map((r) => r.no)).toEqual([6]);
    expect(c.byName('天然气').map((r) => r.no)).toEqual([49]);
    expect(c.byName('methanol').map((r) => r.no)).toEqual([65]);
    expect(c.byName('硝酸铵(含可燃物≤0.2%)').map((r) => r.no)).toEqual([44]);
    expect(c.byName('硝化纤维素').map((r) => r.no)).toEqual([37, 38, 39, 40, 41]);
  });

  it('keeps the verification markers of DOMAIN.md', () => {
    expect(c.data.table1.status).toBe('verified');
    expect(c.data.table1.enStatus).toBe('derived'); // English names are our translations
    expect(c.row(42)?.status).toBe('partly-verified'); // ≤55 % vs ≤25 %
    expect(c.row(42)?.qualifier).toContain('≤55%');
    expect(c.category('J5')?.status).toBe('partly-verified');
    expect(c.table3(13)).toMatchObject({ zh: '一氧化碳', linkStatus: 'derived' });
    expect(c.data.rules.betaWhenSeveralCategoriesStatus).toBe('derived');
  });
});

describe('GB 18218-2018 dataset: Tables 2–6', () => {
  const c = catalogue();

  it('gives Table 2 Q and Table 4 β per category', () => {
    const spot = (s: string) => [c.category(s)?.q, c.category(s)?.beta];
    expect(c.categoryList()).toHaveLength(24);
    expect(spot('J1')).toEqual([5, 4]);
    expect(spot('J2')).toEqual([50, 1]);
    expect(spot('J3')).toEqual([50, 2]);
    expect(spot('J5')).toEqual([500, 1]);
    expect(spot('W1.1')).toEqual([1, 2]);
    expect(spot('W2')).toEqual([10, 1.5]);
    expect(spot('W3')).toEqual([150, 1]);
    expect(spot('W5.1')).toEqual([10, 1.5]);
    expect(spot('W5.3')).toEqual([1000, 1]);
    expect(spot('W5.4')).toEqual([5000, 1]);
    expect(spot('W9.2')).toEqual([200, 1]);
    expect(spot('W11')).toEqual([200, 1]);
  });

  it('gives the 14 Table 3 toxic gases their β, each linked to its Table 1 row', () => {
    const beta = (row: number) => c.table3(row)?.beta;
    expect(c.data.table3.rows).toHaveLength(14);
    expect([beta(13), beta(4), beta(1), beta(7)]).toEqual([2, 2, 2, 2]); // CO, SO2, NH3, EO
    expect([beta(11), beta(17)]).toEqual([3, 3]); // HCl, CH3Br
    expect(beta(12)).toBe(4); // Cl2
    expect([beta(10), beta(20)]).toEqual([5, 5]); // H2S, HF
    expect([beta(3), beta(25)]).toEqual([10, 10]); // NO2, HCN
    expect([beta(6), beta(9), beta(30)]).toEqual([20, 20, 20]); // phosgene, PH3, MIC
    expect(beta(65)).toBeUndefined(); // methanol: Table 4
  });

  it('gives the Table 5 α bands and the Table 6 levels with their lower bounds', () => {
    const rules = c.rules();
    expect(rules.identificationThreshold).toBe(1);
    expect(rules.alphaBands.map((b) => [b.minPeople, b.alpha])).toEqual([
      [100, 2],
      [50, 1.5],
      [30, 1.2],
      [1, 1],
      [0, 0.5],
    ]);
    expect(rules.levels.map((l) => [l.level, l.minR])).toEqual([
      [1, 100],
      [2, 50],
      [3, 10],
      [4, undefined],
    ]);
  });
});

describe('GB 18218-2018 dataset: refused files', () => {
  const text = catalogueText();
  const parse = (t: string) => () => parseGb18218Catalogue(t, 'gb.yaml');

  it('accepts the shipped file', () => {
    expect(parseGb18218Catalogue(text, 'gb.yaml').rows()).toHaveLength(85);
  });

  it('refuses GB 18218-2009 values: one nitrocellulose row of 10 t and no AN fertilizer row', () => {
    // The 2009 table as some public datasets carry it (DOMAIN.md §1.9).
    let old = text;
    for (const no of [38, 39, 40, 41]) old = old.replace(new RegExp(`\\n    - \\{ no: ${no}, zh: 硝化纤维素,[^\\n]*`), '');
    old = old.replace(/no: 37, zh: 硝化纤维素, qualifier: [^,]*, aliases: \[硝化棉\], (en: "[^"]*"), cas: \[9004-70-0\], q: 1 \}/, 'no: 37, zh: 硝化纤维素, aliases: [硝化棉], $1, cas: [9004-70-0], q: 10 }');
    old = old.replace(/\n    - \{ no: 45, zh: 硝酸铵肥料[^\n]*/, '');
    const problems = problemsOf(parse(old));
    expect(problems.some((p) => /looks like GB 18218-2009 data, not 2018: 1 nitrocellulose .*no 硝酸铵肥料/.test(p)), problems.join('\n')).toBe(true);
    expect(problems.some((p) => p.includes('Table 1 of GB 18218-2018 has 85 rows, got 80'))).toBe(true);
  });

  it('refuses a wrong CAS check digit, with file, path and line', () => {
    const bad = replaceOnce(text, 'cas: [7782-50-5]', 'cas: [7782-50-6]');
    expect(problemsOf(parse(bad))).toEqual([expect.stringMatching(/^gb\.yaml: table1\.rows\[11\]\.cas\[0\]: wrong CAS check digit \(a typing error\?\) \(line \d+, column \d+\)$/)]);
  });

  it('refuses a Table 3 gas linked to a row of another name (the OCR error 液甲烷 for 溴甲烷)', () => {
    const bad = replaceOnce(text, '{ zh: 溴甲烷, en: Methyl bromide, beta: 3, table1Row: 17 }', '{ zh: 液甲烷, en: Methyl bromide, beta: 3, table1Row: 17 }');
    expect(problemsOf(parse(bad))).toEqual([expect.stringContaining('table3.rows[5].table1Row: row 17 is "溴甲烷", not "液甲烷"')]);
  });

  it('refuses a missing Table 4 β, a level table without an open lowest level and another standard', () => {
    const bad = replaceOnce(
      replaceOnce(replaceOnce(text, '- { symbols: [W11], beta: 1 }\n', ''), '- { level: 4, name: { zh: 四级, en: Level 4 } }', '- { level: 4, name: { zh: 四级, en: Level 4 }, minR: 1 }'),
      'code: GB18218-2018',
      'code: GB18218-2009',
    );
    const problems = problemsOf(parse(bad)).join('\n');
    expect(problems).toContain('standard.code: this platform grades with GB18218-2018, got "GB18218-2009"');
    expect(problems).toContain('table2.rows[23].symbol: "W11" has no β in table4');
    expect(problems).toContain('table6.rows[3].minR: the lowest level (4) takes every R below the next bound: leave out minR');
  });

  it('refuses unknown keys (a typo is not silently ignored)', () => {
    const bad = replaceOnce(text, '{ no: 65, zh: 甲醇, en: Methanol, cas: [67-56-1], q: 500 }', '{ no: 65, zh: 甲醇, en: Methanol, cas: [67-56-1], Q: 500 }');
    const problems = problemsOf(parse(bad)).join('\n');
    expect(problems).toContain('table1.rows[64].q: required');
    expect(problems).toContain('table1.rows[64].Q: unknown option');
  });
});
