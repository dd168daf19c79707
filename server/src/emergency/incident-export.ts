import { EVENTS_POLICY, type InfluxStore } from '../influx/influx-store.js';
import type { EmergencyCard } from './cards.js';
import type { Incident, TimelineEntry } from './incidents.js';

/**
 * The incident record for the after-action report (DOMAIN.md §6.3 item 7):
 * one time-ordered list of everything that happened to the incident, as CSV
 * and as printable HTML. It joins
 *
 * - the incident's own timeline: opened, alarm transitions of the
 *   installation (an `acked` one shown as an acknowledgement), valve moves,
 *   steps ticked, notes, closed;
 * - from the journals in InfluxDB, between opening and closing (or now):
 *   escalations of the installation's alarms (the single step, `alarm_escalation`,
 *   with its webhook attempts; and the chain's steps, stops and attempts) and
 *   changes of the installation's risk early-warning colour (`risk_warning`).
 *
 * Times are printed in the park's time zone with the offset, and the zone
 * is named in the header, so a printed record is unambiguous.
 */

export type RecordType = 'opened' | 'alarm' | 'ack' | 'escalation' | 'escalation-attempt' | 'escalation-step' | 'escalation-stop' | 'valve' | 'risk' | 'step' | 'note' | 'closed';

export interface RecordRow {
  ts: number;
  type: RecordType;
  user?: string;
  /** What it is about: the alarm id, valve id, step number, colour. */
  subject: string;
  text: string;
}

/** Where escalations and risk colours of an incident's window come from. */
export interface IncidentHistory {
  rows(q: { hazardSource: string; alarmId?: string | undefined; fromMs: number; toMs: number; hazardSourceOf: (tagId: string) => string | undefined }): Promise<RecordRow[]>;
}

function fromTimeline(e: TimelineEntry): RecordRow {
  const base = { ts: e.ts, ...(e.user !== undefined ? { user: e.user } : {}), text: e.text };
  switch (e.type) {
    case 'alarm':
      return { ...base, type: e.state === 'acked' ? 'ack' : 'alarm', subject: `${e.alarmId ?? ''} → ${e.state ?? ''}` };
    case 'valve':
      return { ...base, type: 'valve', subject: `${e.valve ?? ''} → ${e.position ?? ''}` };
    case 'step':
      return { ...base, type: 'step', subject: `${e.seq ?? ''} ${e.done === false ? 'undone' : 'done'}` };
    default:
      return { ...base, type: e.type, subject: '' };
  }
}

/** The rows of an incident, oldest first; on equal times the incident's own entries come first. */
export function mergeRecord(inc: Incident, history: readonly RecordRow[]): RecordRow[] {
  const own = inc.timeline.map(fromTimeline);
  const all = [...own.map((r, i) => ({ r, k: i })), ...history.map((r, i) => ({ r, k: own.length + i }))];
  all.sort((a, b) => a.r.ts - b.r.ts || a.k - b.k);
  return all.map((x) => x.r);
}

/** `2025-06-01 10:00:00.123 +08:00` in `timeZone`. */
export function localTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23', timeZoneName: 'longOffset' }).formatToParts(ms);
  const p = (t: Intl.DateTimeFormatPartTypes): string => parts.find((x) => x.type === t)?.value ?? '';
  const offset = p('timeZoneName').replace(/^GMT/, '') || '+00:00';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')}.${p('fractionalSecond')} ${offset}`;
}

function csvCell(v: string): string {
  // A leading =, +, - or @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function recordCsv(inc: Incident, rows: readonly RecordRow[], timeZone: string, warnings: readonly string[] = []): string {
  const lines = [['time', 'epochMs', 'type', 'user', 'subject', 'text'].join(',')];
  for (const r of rows) lines.push([localTime(r.ts, timeZone), String(r.ts), r.type, r.user ?? '', r.subject, r.text].map(csvCell).join(','));
  // Excel opens UTF-8 with a BOM correctly (Chinese text); the zone is in every time cell.
  const head = [`# incident ${inc.id}, card ${inc.cardId} v${inc.cardVersion}, times in ${timeZone}`, ...warnings.map((w) => `# ${w.replace(/[\r\n]+/g, ' ')}`)];
  return `\uFEFF${[...head, ...lines].join('\r\n')}\r\n`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const TYPE_LABEL: Record<RecordType, string> = {
  opened: '开启 opened',
  alarm: '报警 alarm',
  ack: '确认 acknowledged',
  escalation: '升级 escalation',
  'escalation-attempt': '通知 page attempt',
  'escalation-step': '逐级升级 escalation step',
  'escalation-stop': '升级停止 escalation stopped',
  valve: '阀门 valve',
  risk: '风险颜色 risk colour',
  step: '步骤 step',
  note: '备注 note',
  closed: '关闭 closed',
};

/** A self-contained page (no scripts, no external resources) that prints on A4. */
export function recordHtml(inc: Incident, card: EmergencyCard | undefined, rows: readonly RecordRow[], o: { timeZone: string; park: { zh: string; en: string }; generatedAt: number; warnings: string[] }): string {
  const title = card ? `${card.card.title.zh} / ${card.card.title.en}` : inc.cardId;
  const steps = card
    ? inc.steps
        .map((s) => {
          const c = card.steps[s.seq - 1];
          return `<tr><td>${s.seq}</td><td>${esc(c?.action.zh ?? '')}<br><span class="en">${esc(c?.action.en ?? '')}</span></td><td>${esc(c?.post.zh ?? '')}</td><td>${s.done ? `✔ ${esc(s.doneBy ?? '')} ${esc(s.doneAt !== undefined ? localTime(s.doneAt, o.timeZone) : '')}` : '—'}</td></tr>`;
        })
        .join('\n')
    : '';
  const body = rows.map((r) => `<tr class="t-${r.type}"><td class="time">${esc(localTime(r.ts, o.timeZone))}</td><td>${esc(TYPE_LABEL[r.type])}</td><td>${esc(r.user ?? '')}</td><td>${esc(r.subject)}</td><td>${esc(r.text)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>事故记录 Incident record ${esc(inc.id)}</title>
<style>
  @page { size: A4; margin: 15mm; }
  body { font: 11pt/1.35 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #000; }
  h1 { font-size: 15pt; margin: 0 0 4pt; }
  table { border-collapse: collapse; width: 100%; margin: 6pt 0 12pt; }
  th, td { border: 0.5pt solid #888; padding: 2pt 4pt; vertical-align: top; text-align: left; }
  th { background: #eee; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; }
  .time { white-space: nowrap; font-variant-numeric: tabular-nums; }
  .en { color: #444; font-size: 9pt; }
  .warn { border: 1pt solid #b00; padding: 4pt; }
</style></head>
<body>
<h1>事故记录 Incident record ${esc(inc.id)}</h1>
<p>${esc(o.park.zh)} / ${esc(o.park.en)}<br>
处置卡 Card: ${esc(title)} (${esc(inc.cardId)} v${inc.cardVersion}) · 重大危险源 Installation: ${esc(inc.hazardSource)}${inc.alarmId ? ` · 报警 Alarm: ${esc(inc.alarmId)}` : ''}<br>
开启 Opened: ${esc(localTime(inc.openedAt, o.timeZone))} (${esc(inc.openedBy)}) · ${inc.closedAt !== undefined ? `关闭 Closed: ${esc(localTime(inc.closedAt, o.timeZone))} (${esc(inc.closedBy ?? '')})` : '进行中 still open'}<br>
时区 Time zone: ${esc(o.timeZone)} · 生成 Generated: ${esc(localTime(o.generatedAt, o.timeZone))}</p>
${o.warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join('\n')}
<h2>处置步骤 Steps</h2>
<table><thead><tr><th>#</th><th>处置 Action</th><th>负责人 Post</th><th>执行情况 Done</th></tr></thead><tbody>
${steps}
</tbody></table>
<h2>时间线 Timeline</h2>
<table><thead><tr><th>时间 Time</th><th>类型 Type</th><th>人员 User</th><th>对象 Subject</th><th>内容 Detail</th></tr></thead><tbody>
${body}
</tbody></table>
</body></html>
`;
}

interface Row {
  time: Date;
  [k: string]: unknown;
}

/** Escalations and risk colours from the journals in InfluxDB (policy `events`). */
export class InfluxIncidentHistory implements IncidentHistory {
  constructor(private readonly store: Pick<InfluxStore, 'query'>) {}

  async rows(q: { hazardSource: string; alarmId?: string | undefined; fromMs: number; toMs: number; hazardSourceOf: (tagId: string) => string | undefined }): Promise<RecordRow[]> {
    const window = `time >= ${Math.trunc(q.fromMs)}ms AND time <= ${Math.trunc(q.toMs)}ms`;
    const ours = (alarmId: unknown): alarmId is string => typeof alarmId === 'string' && (alarmId === q.alarmId || q.hazardSourceOf(alarmId.slice(0, Math.max(0, alarmId.lastIndexOf(':')))) === q.hazardSource);
    const select = (m: string): Promise<Row[]> => this.store.query<Row>(`SELECT * FROM "${EVENTS_POLICY}"."${m}" WHERE ${window}`);
    const [esc1, att1, steps, stops, att2, risks] = await Promise.all([
      select('alarm_escalation'),
      select('alarm_escalation_attempt'),
      select('alarm_escalation_step'),
      select('alarm_escalation_stop'),
      select('alarm_escalation_step_attempt'),
      select('risk_warning'),
    ]);
    const out: RecordRow[] = [];
    const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
    for (const r of esc1) if (ours(r['alarmId'])) out.push({ ts: r.time.getTime(), type: 'escalation', subject: r['alarmId'] as string, text: `unacknowledged ${Math.round(Number(r['unackedForMs']) / 1000)} s: escalated to commanders` });
    for (const r of att1) if (ours(r['alarmId'])) out.push({ ts: r.time.getTime(), type: 'escalation-attempt', subject: r['alarmId'] as string, text: `webhook attempt ${s(r['attempt'])}: ${r['ok'] === true ? 'delivered' : `failed ${s(r['error'])}`}` });
    for (const r of steps) if (ours(r['alarmId'])) out.push({ ts: r.time.getTime(), type: 'escalation-step', subject: r['alarmId'] as string, text: `step ${s(r['step'])}/${s(r['steps'])} to ${s(r['duty'])} after ${Math.round(Number(r['unackedForMs']) / 1000)} s unacknowledged` });
    for (const r of stops) if (ours(r['alarmId'])) out.push({ ts: r.time.getTime(), type: 'escalation-stop', ...(typeof r['by'] === 'string' ? { user: r['by'] } : {}), subject: r['alarmId'] as string, text: `stopped after ${s(r['stepsSent'])} step(s): alarm ${s(r['state'])}` });
    for (const r of att2) if (ours(r['alarmId'])) out.push({ ts: r.time.getTime(), type: 'escalation-attempt', subject: r['alarmId'] as string, text: `webhook step ${s(r['step'])} (${s(r['duty'])}) attempt ${s(r['attempt'])}: ${r['ok'] === true ? 'delivered' : `failed ${s(r['error'])}`}` });
    for (const r of risks) {
      if (r['hazardSource'] !== q.hazardSource) continue;
      let reasons = '';
      try {
        const list = JSON.parse(s(r['reasons'])) as unknown;
        if (Array.isArray(list)) reasons = list.map((x: { rule?: unknown; alarms?: unknown }) => `${s(x.rule)}: ${Array.isArray(x.alarms) ? x.alarms.join(', ') : ''}`).join('; ');
      } catch {
        reasons = s(r['reasons']);
      }
      out.push({ ts: r.time.getTime(), type: 'risk', subject: `${s(r['previous'])} → ${s(r['colour'])}`, text: reasons });
    }
    return out.sort((a, b) => a.ts - b.ts);
  }
}
