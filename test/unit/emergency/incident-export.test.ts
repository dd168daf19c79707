import { describe, expect, it } from 'vitest';
import { localTime, mergeRecord, recordCsv, recordHtml } from '../../../server/src/emergency/incident-export.js';
import type { Incident } from '../../../server/src/emergency/incidents.js';

const T = Date.parse('2025-06-01T02:00:00.250Z');
const incident: Incident = {
  id: 'inc-20250601-020000-abcd',
  state: 'closed',
  cardId: 'hs01-chlorine-leak',
  cardVersion: 1,
  hazardSource: 'hs01',
  openedAt: T,
  openedBy: 'system',
  closedAt: T + 3000,
  closedBy: 'commander',
  steps: [{ seq: 1, done: true, doneAt: T + 2000, doneBy: 'operator' }],
  timeline: [
    { ts: T, type: 'opened', user: 'system', text: 'card' },
    { ts: T + 1000, type: 'alarm', alarmId: 'a.hs01.gd01:hh', state: 'acked', user: 'operator', text: 'GD01 → acked (operator)' },
    { ts: T + 2000, type: 'step', seq: 1, done: true, user: 'operator', text: '=HYPERLINK("x"), "quoted"' },
    { ts: T + 3000, type: 'closed', user: 'commander', text: '<b>done</b>' },
  ],
};

describe('incident record export', () => {
  it('prints park time with the offset', () => {
    expect(localTime(T, 'Asia/Shanghai')).toBe('2025-06-01 10:00:00.250 +08:00');
    expect(localTime(T, 'UTC')).toBe('2025-06-01 02:00:00.250 +00:00');
  });

  it('merges journal rows by time, the incident’s own entries first on a tie', () => {
    const rows = mergeRecord(incident, [
      { ts: T + 1000, type: 'risk', subject: 'none → red', text: 'gas level 2' },
      { ts: T + 500, type: 'escalation', subject: 'a.hs01.gd01:hh', text: 'escalated' },
    ]);
    expect(rows.map((r) => r.type)).toEqual(['opened', 'escalation', 'ack', 'risk', 'step', 'closed']);
    expect(rows[2]).toMatchObject({ user: 'operator', subject: 'a.hs01.gd01:hh → acked' });
  });

  it('writes CSV a spreadsheet cannot run, and HTML that cannot inject markup', () => {
    const csv = recordCsv(incident, mergeRecord(incident, []), 'Asia/Shanghai', ['journal unreadable']);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('\uFEFF# incident inc-20250601-020000-abcd, card hs01-chlorine-leak v1, times in Asia/Shanghai');
    expect(lines[1]).toBe('# journal unreadable');
    expect(lines).toContain(`2025-06-01 10:00:02.250 +08:00,${T + 2000},step,operator,1 done,"'=HYPERLINK(""x""), ""quoted"""`);
    const html = recordHtml(incident, undefined, mergeRecord(incident, []), { timeZone: 'Asia/Shanghai', park: { zh: '园区', en: 'Park' }, generatedAt: T, warnings: [] });
    expect(html).toContain('&lt;b&gt;done&lt;/b&gt;');
    expect(html).not.toContain('<b>done</b>');
    expect(html).not.toMatch(/<script/i);
  });
});
