import type { CheckReport } from './report.js';

/**
 * The check's plain-text report: sections of aligned columns with Chinese
 * and English headers, for a terminal (Chinese characters count as two
 * columns) or a printed commissioning record.
 */

/** Display width: East Asian wide and full-width characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || (c >= 0x300 && c <= 0x36f)) continue;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0x303e) ||
      (c >= 0x3041 && c <= 0x33ff) ||
      (c >= 0x3400 && c <= 0x4dbf) ||
      (c >= 0x4e00 && c <= 0x9fff) ||
      (c >= 0xa000 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

function pad(s: string, width: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return right ? fill + s : s + fill;
}

/** Rows under a two-line (Chinese / English) header; the last column is not padded. `right`: right-aligned column indexes. */
export function table(header: [string[], string[]], rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const all = [header[0], header[1], ...rows];
  const cols = Math.max(...all.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (i === r.length - 1 && !right.has(i) ? cell : pad(cell, widths[i] ?? 0, right.has(i))))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w, i) => '-'.repeat(i === cols - 1 ? Math.min(w, 40) : w)).join('  ');
  return [line(header[0]), line(header[1]), rule, ...rows.map(line)].map((l) => `  ${l}`);
}

/** A value as read: up to 6 significant digits, no exponent for ordinary magnitudes. */
export function formatValue(v: number | null): string {
  if (v === null) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e9 || a < 1e-4)) return v.toExponential(4);
  return String(Number(v.toPrecision(6)));
}

const PLAN_TAGS_WIDTH = 90;

/** `a, b, c` broken into lines of at most `width` characters (an item longer than that stands alone). */
function wrapList(items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const item of items) {
    if (cur && cur.length + 2 + item.length > width) {
      lines.push(`${cur},`);
      cur = item;
    } else cur = cur ? `${cur}, ${item}` : item;
  }
  lines.push(cur);
  return lines;
}

function isoLocal(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const two = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(ms + off * 60_000).toISOString().slice(0, 19).replace('T', ' ');
  return `${local} ${sign}${two(off / 60)}:${two(off % 60)}`;
}

export function formatReport(r: CheckReport): string {
  const out: string[] = [];
  const verdict = r.result === 'pass' ? 'PASS 通过' : 'FAIL 不通过';
  out.push(`park-gateway check 调试检查 — gateway ${r.gateway}, version ${r.version}`);
  out.push(`  config 配置文件: ${r.configFile}`);
  out.push(`  time 时间:       ${isoLocal(r.startedAt)} (${(r.durationMs / 1000).toFixed(1)} s)`);
  out.push('');

  out.push('设备 Devices');
  out.push(
    ...table(
      [
        ['设备', '协议', '地址', '连通', '测点', '好', '可疑', '坏', '原因'],
        ['device', 'protocol', 'address', 'reachable', 'tags', 'good', 'uncert.', 'bad', 'reason'],
      ],
      r.devices.map((d) => [d.id, d.protocol, d.address, d.reachable ? 'yes 是' : 'NO 否', String(d.tags), String(d.good), String(d.uncertain), String(d.bad), d.reason || '—']),
      new Set([4, 5, 6, 7]),
    ),
  );
  out.push('');

  if (r.plan.length > 0) {
    out.push('Modbus 读取计划 Read plan (one request per block 每块一次请求)');
    out.push(
      ...table(
        [
          ['设备', '站号', '周期 ms', '区', '起始', '数量', '测点'],
          ['device', 'unit', 'every ms', 'table', 'start', 'count', 'tags'],
        ],
        r.plan.flatMap((p) =>
          wrapList(p.tags, PLAN_TAGS_WIDTH).map((line, i) =>
            i === 0 ? [p.device, String(p.unit), String(p.intervalMs), p.table, String(p.start), String(p.count), `${p.tags.length}: ${line}`] : ['', '', '', '', '', '', `${' '.repeat(String(p.tags.length).length + 2)}${line}`],
          ),
        ),
        new Set([1, 2, 4, 5]),
      ),
    );
    out.push('  (tables 区: hr holding 保持寄存器, ir input 输入寄存器, co coil 线圈, di discrete input 离散输入; start is the 0-based protocol address)');
    out.push('');
  }

  out.push('测点首值 First value of every tag');
  out.push(
    ...table(
      [
        ['测点', '设备', '数值', '单位', '质量', '错误', '地址', '描述'],
        ['tag', 'device', 'value', 'unit', 'quality', 'err', 'source', 'description'],
      ],
      r.tags.map((t) => [t.id, t.device, formatValue(t.value), t.unit || '—', t.q === 'good' ? 'good' : t.q.toUpperCase(), t.err ?? '', t.source, t.description]),
      new Set([2]),
    ),
  );
  out.push('');

  out.push('OPC UA 未解析节点 Unresolved nodes');
  if (r.unresolved.length === 0) out.push(r.devices.some((d) => d.protocol === 'opcua') ? '  none 无' : '  (no OPC UA device 无 OPC UA 设备)');
  else
    out.push(
      ...table(
        [
          ['设备', '测点', '节点', '原因'],
          ['device', 'tag', 'node', 'reason'],
        ],
        r.unresolved.map((u) => [u.device, u.tag, u.node, u.reason]),
      ),
    );
  out.push('');

  const clock = r.clock.state === 'synced' ? 'synchronised 已同步' : r.clock.state === 'unsynced' ? 'NOT synchronised 未同步' : 'unknown 未知';
  out.push(`系统时钟 System clock: ${clock} (${r.clock.source}: ${r.clock.detail})`);
  out.push(`MQTT broker 消息服务器: ${r.broker.url} — ${r.broker.reachable ? `reachable 可达 (CONNACK in ${r.broker.connectMs} ms)` : `UNREACHABLE 不可达: ${r.broker.reason}`}`);
  out.push(`published 已发布: ${r.published > 0 ? `${r.published} readings 条 (--publish)` : 'nothing 无 (use --publish to send the first values)'}`);
  out.push('');

  if (r.notes.length > 0) {
    out.push('驱动日志 Driver messages');
    for (const n of r.notes.slice(0, 50)) out.push(`  [${n.level}] ${n.device ? `${n.device}: ` : ''}${n.text}`);
    if (r.notes.length > 50) out.push(`  … ${r.notes.length - 50} more (see --json)`);
    out.push('');
  }
  for (const w of r.warnings) out.push(`warning 注意: ${w}`);
  for (const f of r.failures) out.push(`FAIL 失败: ${f}`);
  const tagsGood = r.tags.filter((t) => t.q === 'good').length;
  out.push(
    `结论 Result: ${verdict} — ${r.devices.filter((d) => d.reachable).length}/${r.devices.length} devices reachable, ${tagsGood}/${r.tags.length} tags good, broker ${r.broker.reachable ? 'reachable' : 'unreachable'}, clock ${r.clock.state}`,
  );
  out.push('');
  out.push('Checked by 检查人: ____________________   Date 日期: ____________   Signature 签字: ____________________');
  return `${out.join('\n')}\n`;
}
