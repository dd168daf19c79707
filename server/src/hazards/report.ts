import type { LocalizedText } from '@park/protocol/config';
import type { HazardRegister, RegisteredUnit } from './register.js';
import type { ItemTerm } from './grading.js';
import { REPORT_DECIMALS } from './exact.js';

/**
 * The per-unit calculation sheet (计算书) a regulator checks by hand: every
 * item's q, Q, q/Q, β and β·q/Q with where each came from, S, α and why, R
 * and the level. Two renderings of the same content: CSV (UTF-8 with BOM, so
 * spreadsheet programs read the Chinese text) and a self-contained printable
 * HTML page (no scripts, no external assets; every text escaped).
 */

const UNIT_TYPE: Record<RegisteredUnit['type'], LocalizedText> = {
  production: { zh: '生产单元', en: 'production unit' },
  storage: { zh: '储存单元', en: 'storage unit' },
};

const BOUNDARY: Record<RegisteredUnit['boundary']['kind'], LocalizedText> = {
  'shutoff-valve': { zh: '以切断阀为界', en: 'bounded by shut-off valves' },
  dike: { zh: '以防火堤（围堰）为界', en: 'bounded by the dike' },
  building: { zh: '以独立建筑为界', en: 'bounded by an independent building' },
};

const TITLE: LocalizedText = { zh: '危险化学品重大危险源辨识与分级计算书', en: 'Major hazard installation: identification and grading' };
const ROUNDING_NOTE: LocalizedText = {
  zh: `带“≈”的数值四舍五入至${REPORT_DECIMALS}位小数；求和与比较按精确值计算。`,
  en: `Values marked "≈" are rounded to ${REPORT_DECIMALS} decimals; sums and comparisons use the exact values.`,
};

function substanceCells(t: ItemTerm): { zh: string; en: string; cas: string; row: string } {
  return { zh: t.substance.name.zh, en: t.substance.name.en, cas: t.substance.cas.join('; ') || '—', row: t.substance.table1Row !== undefined ? String(t.substance.table1Row) : '—' };
}

function levelText(u: RegisteredUnit): LocalizedText {
  const g = u.calculation.grading;
  return g ? g.level.name : (u.calculation.notGraded ?? { zh: '不分级', en: 'not graded' });
}

// ---------------------------------------------------------------- CSV

/**
 * A cell as RFC 4180 wants it. Text that a spreadsheet would run as a formula
 * (starting with =, +, -, @, tab or CR) gets a leading apostrophe.
 */
export function csvCell(value: string | number): string {
  let s = typeof value === 'number' ? String(value) : value;
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(cells: readonly (string | number)[]): string {
  return cells.map(csvCell).join(',');
}

export const CSV_BOM = '\uFEFF';

/** The unit's calculation sheet as CSV: UTF-8 with a byte-order mark, CRLF line ends. */
export function unitReportCsv(register: HazardRegister, unit: RegisteredUnit): string {
  const c = unit.calculation;
  const g = c.grading;
  const lines: string[] = [];
  const row = (...cells: (string | number)[]): void => void lines.push(csvLine(cells));
  row(`${TITLE.zh} ${TITLE.en}`);
  row('标准 Standard', register.standard.code, register.standard.title.zh, register.standard.title.en);
  row('数据集 Dataset', `${register.standard.code} v${register.standard.datasetVersion} (${register.standard.datasetDate})`);
  row('登记表 Register', `v${register.register.version} (${register.register.date})`, register.register.preparedBy);
  row('园区 Park', register.park.id, register.park.name.zh, register.park.name.en);
  row('企业 Enterprise', unit.enterprise.id, unit.enterprise.name.zh, unit.enterprise.name.en);
  row('单元 Unit', unit.id, unit.name.zh, unit.name.en);
  row('单元类型 Unit type', unit.type, UNIT_TYPE[unit.type].zh, UNIT_TYPE[unit.type].en);
  row('边界 Boundary', unit.boundary.kind, `${BOUNDARY[unit.boundary.kind].zh}：${unit.boundary.description.zh}`, `${BOUNDARY[unit.boundary.kind].en}: ${unit.boundary.description.en}`);
  lines.push('');
  row('序号 No.', '物质 Substance', 'Substance (en)', 'CAS', '表1序号 Table 1 row', 'q (t)', 'q 依据', 'q basis', 'Q (t)', 'Q 依据', 'Q basis', 'q/Q', 'β', 'β 依据', 'β basis', 'β·q/Q');
  c.terms.forEach((t, i) => {
    const s = substanceCells(t);
    row(i + 1, s.zh, s.en, s.cas, s.row, t.q.text, t.qBasis.zh, t.qBasis.en, t.Q.text, t.QStep.reason.zh, t.QStep.reason.en, t.qOverQ.text, t.beta.text, t.betaStep.reason.zh, t.betaStep.reason.en, t.betaQOverQ.text);
  });
  lines.push('');
  row('步骤 Step', '值 Value', '算式 Formula', '说明', 'Explanation');
  row('S = Σq/Q (式1)', c.identification.S.text, c.identification.formula, c.identification.conclusion.zh, c.identification.conclusion.en);
  row('辨识 Identification', c.identification.isMajorHazard ? '是 yes' : '否 no', `S ≥ ${c.identification.threshold.text}`, c.identification.isMajorHazard ? '构成重大危险源' : '不构成重大危险源', c.identification.isMajorHazard ? 'major hazard installation' : 'not a major hazard installation');
  if (g) {
    row('α (表5 Table 5)', g.alpha.alpha.text, '', g.alpha.reason.zh, g.alpha.reason.en);
    row('Σβ·q/Q', g.sumBetaQOverQ.text, c.terms.map((t) => t.betaQOverQ.text).join(' + '), '', '');
    row('R = α·Σβ·q/Q (式2)', g.R.text, g.formula, '', '');
    row('级别 Level (表6 Table 6)', g.level.level, g.level.rule, g.conclusion.zh, g.conclusion.en);
  } else {
    row('级别 Level', '—', '', levelText(unit).zh, levelText(unit).en);
  }
  lines.push('');
  row('说明 Note', ROUNDING_NOTE.zh, ROUNDING_NOTE.en);
  return CSV_BOM + lines.join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------- HTML

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** `中文 <span class="en">English</span>`, both escaped. */
function bi(t: LocalizedText, tag = 'span'): string {
  return `${escapeHtml(t.zh)} <${tag} class="en">${escapeHtml(t.en)}</${tag}>`;
}

const STYLE = `
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em;color:#111;font-size:14px;line-height:1.5}
h1{font-size:20px;margin:0 0 .5em}h2{font-size:16px;margin:1.5em 0 .5em;border-bottom:1px solid #999}
.en{color:#555;font-weight:normal}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #999;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.formula{font-family:monospace;font-size:15px;background:#f6f6f6;padding:6px;border:1px solid #ddd}
.result{font-weight:bold}.note{font-size:12px;color:#444}
.level{font-size:18px;font-weight:bold}
@media print{body{margin:1cm}h2{break-after:avoid}tr{break-inside:avoid}}
`;

export interface ReportOptions {
  /** Printed in the footer; omit for a reproducible page. */
  generatedAt?: Date | undefined;
}

/** The unit's calculation sheet as one printable HTML page. */
export function unitReportHtml(register: HazardRegister, unit: RegisteredUnit, options: ReportOptions = {}): string {
  const c = unit.calculation;
  const g = c.grading;
  const out: string[] = [];
  const push = (s: string): void => void out.push(s);
  const title = `${TITLE.zh} ${unit.id} ${unit.name.zh}`;

  push('<!doctype html>');
  push('<html lang="zh-CN"><head><meta charset="utf-8">');
  push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  push(`<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>`);
  push(`<h1>${bi(TITLE)}</h1>`);

  push(`<h2>${bi({ zh: '基本信息', en: 'Unit' })}</h2><table>`);
  const info = (label: LocalizedText, value: string): void => push(`<tr><th>${bi(label)}</th><td>${value}</td></tr>`);
  info({ zh: '标准', en: 'Standard' }, `${escapeHtml(register.standard.code)} ${bi(register.standard.title)}`);
  info({ zh: '数据集', en: 'Dataset' }, escapeHtml(`${register.standard.code} v${register.standard.datasetVersion} (${register.standard.datasetDate})`));
  info({ zh: '登记表', en: 'Register' }, escapeHtml(`v${register.register.version} (${register.register.date}), ${register.register.preparedBy}`));
  info({ zh: '园区', en: 'Park' }, `${escapeHtml(register.park.id)} ${bi(register.park.name)}`);
  info({ zh: '企业', en: 'Enterprise' }, `${escapeHtml(unit.enterprise.id)} ${bi(unit.enterprise.name)}`);
  info({ zh: '单元', en: 'Unit' }, `${escapeHtml(unit.id)} ${bi(unit.name)}`);
  info({ zh: '单元类型', en: 'Unit type' }, bi(UNIT_TYPE[unit.type]));
  info({ zh: '单元边界', en: 'Boundary' }, `${bi(BOUNDARY[unit.boundary.kind])}<br>${bi(unit.boundary.description)}`);
  push('</table>');

  push(`<h2>1 ${bi({ zh: '危险化学品、实际存在量与临界量', en: 'Hazardous chemicals, quantities and critical quantities' })}</h2>`);
  push('<table><thead><tr>');
  for (const h of [
    { zh: '序号', en: 'No.' },
    { zh: '物质', en: 'Substance' },
    { zh: 'CAS号', en: 'CAS' },
    { zh: '实际存在量 q (t)', en: 'design maximum q (t)' },
    { zh: '临界量 Q (t)', en: 'critical quantity Q (t)' },
    { zh: 'q/Q', en: '' },
    { zh: '校正系数 β', en: 'correction factor β' },
    { zh: 'β·q/Q', en: '' },
  ]) {
    push(`<th>${h.en ? bi(h) : escapeHtml(h.zh)}</th>`);
  }
  push('</tr></thead><tbody>');
  c.terms.forEach((t, i) => {
    const s = substanceCells(t);
    const rowNote = t.substance.table1Row !== undefined ? `<div class="note">${bi({ zh: `表1第${t.substance.table1Row}项`, en: `Table 1 row ${t.substance.table1Row}` })}</div>` : '';
    push('<tr>');
    push(`<td class="num">${i + 1}</td>`);
    push(`<td>${escapeHtml(s.zh)}<br><span class="en">${escapeHtml(s.en)}</span>${rowNote}</td>`);
    push(`<td>${escapeHtml(s.cas)}</td>`);
    push(`<td class="num">${escapeHtml(t.q.text)}</td>`);
    push(`<td class="num">${escapeHtml(t.Q.text)}</td>`);
    push(`<td class="num">${escapeHtml(t.qOverQ.text)}</td>`);
    push(`<td class="num">${escapeHtml(t.beta.text)}</td>`);
    push(`<td class="num">${escapeHtml(t.betaQOverQ.text)}</td>`);
    push('</tr>');
  });
  push('</tbody></table>');

  push(`<table><thead><tr><th>${bi({ zh: '序号', en: 'No.' })}</th><th>${bi({ zh: '取值依据', en: 'Where each value comes from' })}</th></tr></thead><tbody>`);
  c.terms.forEach((t, i) => {
    const marks: string[] = [];
    if (t.betaStep.choice === 'largest') marks.push(bi({ zh: '多类别取最大β为本平台约定', en: 'largest β of several categories: this platform’s choice' }));
    if (t.betaStep.choice === 'override') marks.push(bi({ zh: 'β由安全工程师指定', en: 'β chosen by a safety engineer' }));
    if (t.QStep.status && t.QStep.status !== 'verified') marks.push(bi({ zh: `Q数据核实状态：${t.QStep.status}`, en: `Q data status: ${t.QStep.status}` }));
    if (t.betaStep.status && t.betaStep.status !== 'verified') marks.push(bi({ zh: `β数据核实状态：${t.betaStep.status}`, en: `β data status: ${t.betaStep.status}` }));
    push('<tr>');
    push(`<td class="num">${i + 1}</td><td>`);
    push(`<div>q: ${bi(t.qBasis)}</div>`);
    push(`<div>Q: ${bi(t.QStep.reason)}</div>`);
    push(`<div>β: ${bi(t.betaStep.reason)}</div>`);
    if (marks.length > 0) push(`<div class="note">${marks.join('<br>')}</div>`);
    push('</td></tr>');
  });
  push('</tbody></table>');

  push(`<h2>2 ${bi({ zh: '重大危险源辨识（式1）', en: 'Identification (formula 1)' })}</h2>`);
  push(`<p>${bi({ zh: `S = q₁/Q₁ + q₂/Q₂ + … + qₙ/Qₙ；S ≥ ${c.identification.threshold.text} 即为重大危险源`, en: `a unit with S ≥ ${c.identification.threshold.text} is a major hazard installation` })}</p>`);
  push(`<div class="formula">${escapeHtml(c.identification.formula)}</div>`);
  push(`<p class="result">${bi(c.identification.conclusion)}</p>`);

  if (g) {
    push(`<h2>3 ${bi({ zh: '厂外暴露人员校正系数 α（表5）', en: 'Correction factor α for people exposed outside the plant (Table 5)' })}</h2>`);
    push(`<p>${bi(g.alpha.reason)}</p>`);
    push(`<h2>4 ${bi({ zh: '重大危险源分级（式2、表6）', en: 'Grading (formula 2, Table 6)' })}</h2>`);
    push(`<p>${bi({ zh: 'R = α(β₁q₁/Q₁ + β₂q₂/Q₂ + … + βₙqₙ/Qₙ)', en: 'R = α · Σ β·q/Q' })}</p>`);
    push(`<div class="formula">${escapeHtml(g.formula)}</div>`);
    push(`<p class="level">${bi(g.level.name)}（${escapeHtml(g.level.rule)}）</p>`);
    push(`<p class="result">${bi(g.conclusion)}</p>`);
  } else {
    push(`<h2>3 ${bi({ zh: '分级', en: 'Grading' })}</h2>`);
    push(`<p class="result">${bi(levelText(unit))}</p>`);
  }

  push(`<h2>${bi({ zh: '容器与在线监测位号', en: 'Vessels and live tags' })}</h2>`);
  push(`<table><thead><tr><th>${bi({ zh: '物质', en: 'Item' })}</th><th>${bi({ zh: '容器', en: 'Vessel' })}</th><th>${bi({ zh: '容积 (m³)', en: 'volume (m³)' })}</th><th>${bi({ zh: '密度 (t/m³)', en: 'density (t/m³)' })}</th><th>${bi({ zh: '最大充装率', en: 'max. fill' })}</th><th>${bi({ zh: '位号', en: 'Tags' })}</th></tr></thead><tbody>`);
  for (const item of unit.items) {
    if (item.vessels.length === 0) push(`<tr><td>${escapeHtml(item.id)}</td><td colspan="5">—</td></tr>`);
    for (const v of item.vessels) {
      const tags = v.tags.map((t) => `${escapeHtml(t.id)}${t.unit ? ` (${escapeHtml(t.unit)})` : ''} ${bi(t.description)}`).join('<br>') || '—';
      const n = (x: number | undefined): string => (x === undefined ? '—' : escapeHtml(x));
      push(`<tr><td>${escapeHtml(item.id)}</td><td>${escapeHtml(v.id)}</td><td class="num">${n(v.volumeM3)}</td><td class="num">${n(v.densityTPerM3)}</td><td class="num">${n(v.maxFill)}</td><td>${tags}</td></tr>`);
    }
  }
  push('</tbody></table>');

  const notes = unit.items.filter((i) => i.note !== undefined || i.classification !== undefined);
  push(`<h2>${bi({ zh: '说明', en: 'Notes' })}</h2><ul>`);
  push(`<li>${bi(ROUNDING_NOTE)}</li>`);
  push(`<li>${bi({ zh: 'q 按设计最大量确定（GB 18218-2018 4.2.2），不是实时液位。', en: 'q is the design maximum quantity (GB 18218-2018 4.2.2), not the live level.' })}</li>`);
  for (const i of notes) {
    if (i.classification) push(`<li>${escapeHtml(i.id)}: ${bi({ zh: `危险性类别 ${i.classification.categories.join('、')}，来源：${i.classification.source}`, en: `hazard categories ${i.classification.categories.join(', ')}, source: ${i.classification.source}` })}</li>`);
    if (i.note) push(`<li>${escapeHtml(i.id)}: ${escapeHtml(i.note)}</li>`);
  }
  push('</ul>');
  if (options.generatedAt) push(`<p class="note">${bi({ zh: '生成时间', en: 'Generated' })}: ${escapeHtml(options.generatedAt.toISOString())}</p>`);
  push('</body></html>');
  return out.join('\n') + '\n';
}
