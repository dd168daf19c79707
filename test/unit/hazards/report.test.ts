import { describe, expect, it } from 'vitest';
import { loadHazardRegister, parseHazardRegister } from '../../../server/src/hazards/register.js';
import { CSV_BOM, csvCell, escapeHtml, unitReportCsv, unitReportHtml } from '../../../server/src/hazards/report.js';
import { CATALOGUE_FILE, REGISTER_FILE, catalogue, park, registerText, replaceOnce } from './helpers.js';

const register = loadHazardRegister(REGISTER_FILE, park(), CATALOGUE_FILE);
const unit = (id: string) => {
  const u = register.units.find((x) => x.id === id);
  if (!u) throw new Error(`no unit ${id}`);
  return u;
};

/** Splits CSV text (quoted cells may hold commas, quotes and line breaks) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += ch;
  }
  return rows;
}

describe('calculation sheet as CSV', () => {
  const csv = unitReportCsv(register, unit('hs01'));
  const rows = parseCsv(csv.slice(1));

  it('is UTF-8 text with a byte-order mark and CRLF line ends', () => {
    expect(csv.startsWith(CSV_BOM)).toBe(true);
    expect(Buffer.from(csv, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('shows each term: substance, CAS, q, Q, q/Q, β and β·q/Q with their sources', () => {
    const header = rows.findIndex((r) => r[0] === '序号 No.');
    expect(rows[header]).toEqual(['序号 No.', '物质 Substance', 'Substance (en)', 'CAS', '表1序号 Table 1 row', 'q (t)', 'q 依据', 'q basis', 'Q (t)', 'Q 依据', 'Q basis', 'q/Q', 'β', 'β 依据', 'β basis', 'β·q/Q']);
    const term = rows[header + 1] ?? [];
    expect([term[0], term[1], term[2], term[3], term[4], term[5], term[8], term[11], term[12], term[15]]).toEqual(['1', '氯', 'Chlorine', '7782-50-5', '12', '105.84', '5', '21.168', '4', '84.672']);
    expect(term[10]).toBe('Table 1 row 12 Chlorine: Q = 5 t');
    expect(term[13]).toBe('表3（毒性气体校正系数）氯：β = 4');
  });

  it('shows S, α with its reason, R with its formula and the level', () => {
    const step = (name: string) => rows.find((r) => r[0]?.startsWith(name)) ?? [];
    expect(step('S = Σq/Q').slice(0, 2)).toEqual(['S = Σq/Q (式1)', '21.168']);
    expect(step('α').slice(0, 2)).toEqual(['α (表5 Table 5)', '1.2']);
    expect(step('α')[4]).toContain('36; Table 5 band "30–49", α = 1.2');
    expect(step('R = ').slice(0, 3)).toEqual(['R = α·Σβ·q/Q (式2)', '101.6064', 'R = α × Σβq/Q = 1.2 × (4 × 21.168) = 1.2 × 84.672 = 101.6064']);
    expect(step('级别').slice(0, 3)).toEqual(['级别 Level (表6 Table 6)', '1', 'R ≥ 100']);
  });

  it('quotes cells with commas, quotes and line breaks, and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('-1+1')).toBe("'-1+1");
    expect(csvCell(-1)).toBe('-1');
  });
});

describe('calculation sheet as printable HTML', () => {
  const html = unitReportHtml(register, unit('hs03'));

  it('is one self-contained page: no scripts, no external assets', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import|https?:/i);
  });

  it('has Chinese and English headings and every step of the calculation', () => {
    for (const heading of ['危险化学品重大危险源辨识与分级计算书', 'Major hazard installation: identification and grading', '重大危险源辨识（式1）', 'Identification (formula 1)', '厂外暴露人员校正系数 α（表5）', '重大危险源分级（式2、表6）', 'Grading (formula 2, Table 6)']) {
      expect(html).toContain(escapeHtml(heading));
    }
    expect(html).toContain('S = 19.72');
    expect(html).toContain('表1第52项 液化石油气（含丙烷、丁烷及其混合物）：临界量 50 t');
    expect(html).toContain('表4 W2：β = 1.5');
    expect(html).toContain('R = α × Σβq/Q = 2 × (1.5 × 19.72) = 2 × 29.58 = 59.16');
    expect(html).toContain('二级');
    expect(html).toContain('50 ≤ R &lt; 100');
    expect(html).toContain('b.hs03.v201.level');
  });

  it('escapes every text from the files', () => {
    const evil = replaceOnce(
      replaceOnce(registerText(), 'zh: 球罐组防火堤（V201、V202为同一罐组）', 'zh: "<script>alert(1)</script>"'),
      'basis: "demo: sphere data sheets V201–V202, design fill 85 %"',
      'basis: "<img src=x onerror=alert(1)> & \\"quotes\\""',
    );
    const r = parseHazardRegister(evil, 'reg.yaml', park(), catalogue());
    const hs03 = r.units.find((u) => u.id === 'hs03');
    if (!hs03) throw new Error('no hs03');
    const page = unitReportHtml(r, hs03);
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
  });

  it('says when a unit is not a major hazard and is not graded', () => {
    // Ammonia cut to 9 t: S = 0.9.
    const small = parseHazardRegister(
      replaceOnce(replaceOnce(registerText(), 'designMaxT: 51.85 ', 'designMaxT: 9 '), '- { id: t201, volumeM3: 100, densityTPerM3: 0.61, maxFill: 0.85, tags: [a.hs02.t201.level],\n                  live: { tag: a.hs02.t201.level, measures: level, shape: horizontal-cylinder } }', '- { id: t201, tags: [a.hs02.t201.level] }'),
      'reg.yaml',
      park(),
      catalogue(),
    );
    const hs02 = small.units[1];
    if (!hs02) throw new Error('no hs02');
    expect(unitReportHtml(small, hs02)).toContain('S = 0.9 &lt; 1，不构成重大危险源');
    expect(unitReportHtml(small, hs02)).toContain('not a major hazard installation: not graded');
    expect(parseCsv(unitReportCsv(small, hs02).slice(1)).find((r) => r[0] === '级别 Level')).toEqual(['级别 Level', '—', '', '不构成重大危险源，不分级', 'not a major hazard installation: not graded']);
  });
});
