import { describe, expect, it } from 'vitest';
import type { AlarmEvent, Quality } from '@park/protocol';
import { createLogger } from '../../../server/src/log.js';
import { createEmergency, type Emergency } from '../../../server/src/emergency/emergency.js';
import { MemoryEmergencyJournal } from '../../../server/src/emergency/emergency-journal.js';
import type { AuditEntry } from '../../../server/src/influx/influx-store.js';
import { seedData } from './helpers.js';

const T0 = Date.parse('2025-06-01T08:00:00Z');
const commander = { user: 'commander', role: 'commander' as const };

function setup(journal = new MemoryEmergencyJournal()) {
  const audit: Omit<AuditEntry, 'ts'>[] = [];
  const values = new Map<string, { v: number; q: Quality; ts: number; receivedAt: number }>();
  const set = (id: string, v: number) => values.set(id, { v, q: 'good', ts: T0, receivedAt: T0 });
  set('a.hs01.t101.xv_open', 1);
  set('a.hs01.t101.xv_closed', 0);
  const em: Emergency = createEmergency({ data: seedData(), journal, audit: { record: (e) => void audit.push(e) }, log: createLogger('silent'), live: { get: (id) => { const v = values.get(id); return v ? { id, ...v } : undefined; } } });
  return { em, audit, journal, set };
}

const alarm = (over: Partial<AlarmEvent>): AlarmEvent => ({ id: 'a.hs01.gd02:hh', tagId: 'a.hs01.gd02', kind: 'hh', priority: 'critical', state: 'unack', value: 1.6, limit: 0.6, message: 'GD02 chlorine HH 1.6 ppm', raisedAt: T0, ts: T0, ...over });

describe('incident record', () => {
  it('opens by itself on a new raise of an autoOpen card trigger, once', () => {
    const { em, audit } = setup();
    em.incidents.onAlarm(alarm({}), T0);
    em.incidents.onAlarm(alarm({ id: 'a.hs01.gd03:hh', tagId: 'a.hs01.gd03' }), T0 + 5);
    const [inc, ...rest] = em.incidents.list();
    expect(rest).toEqual([]);
    expect(inc).toMatchObject({ state: 'open', cardId: 'hs01-chlorine-leak', cardVersion: 1, hazardSource: 'hs01', alarmId: 'a.hs01.gd02:hh', openedBy: 'system' });
    expect(inc?.timeline.map((e) => [e.type, e.alarmId ?? ''])).toEqual([
      ['opened', ''],
      ['alarm', 'a.hs01.gd02:hh'],
      ['alarm', 'a.hs01.gd03:hh'],
    ]);
    expect(audit).toEqual([expect.objectContaining({ action: 'incident-open', user: 'system', ok: true })]);
  });

  it('does not open on an acknowledgement, nor for a card without autoOpen', () => {
    const { em } = setup();
    em.incidents.onAlarm(alarm({ state: 'acked', ts: T0 + 10 }), T0 + 10);
    em.incidents.onAlarm(alarm({ id: 'b.hs03.v201.pressure:hh', tagId: 'b.hs03.v201.pressure' }), T0);
    expect(em.incidents.list()).toEqual([]);
  });

  it('records steps, notes, valve moves and the close in order, and rebuilds from the journal', async () => {
    const { em, audit, journal, set } = setup();
    const opened = em.incidents.openIncident(commander, { alarmId: 'a.hs01.gd01:h', note: 'smell at the east door' }, T0);
    if (!opened.ok) throw new Error(opened.error);
    const id = opened.value.id;
    expect(em.incidents.openIncident(commander, { cardId: 'hs01-chlorine-leak' }, T0)).toMatchObject({ ok: false, status: 409, incidentId: id });
    expect(em.incidents.tickStep(commander, id, 1, { done: true }, T0 + 1000).ok).toBe(true);
    expect(em.incidents.tickStep(commander, id, 1, { done: true }, T0 + 1001)).toMatchObject({ ok: false, status: 409, error: 'step 1 is already done (by commander)' });
    expect(em.incidents.tickStep(commander, id, 9, { done: true }, T0 + 1001)).toMatchObject({ ok: false, status: 404, error: `incident ${id} has steps 1 to 7, not 9` });
    set('a.hs01.t101.xv_open', 0);
    em.incidents.onValues(['a.hs01.t101.xv_open'], T0 + 2000);
    set('a.hs01.t101.xv_closed', 1);
    em.incidents.onValues(['a.hs01.t101.xv_closed'], T0 + 2000); // same ms: still its own, later entry
    expect(em.incidents.tickStep(commander, id, 2, { done: true, comment: 'T101 closed' }, T0 + 3000).ok).toBe(true);
    expect(em.incidents.close(commander, id, 'leak stopped', T0 + 9000).ok).toBe(true);
    expect(em.incidents.addNote(commander, id, 'late', T0 + 9500)).toMatchObject({ ok: false, status: 409 });

    const inc = em.incidents.get(id);
    expect(inc?.timeline.map((e) => [e.type, e.user ?? '', e.seq ?? e.position ?? ''])).toEqual([
      ['opened', 'commander', ''],
      ['note', 'commander', ''],
      ['step', 'commander', 1],
      ['valve', '', 'travel'],
      ['valve', '', 'closed'],
      ['step', 'commander', 2],
      ['closed', 'commander', ''],
    ]);
    const ts = inc?.timeline.map((e) => e.ts) ?? [];
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(new Set(ts).size).toBe(ts.length);
    expect(inc?.steps.slice(0, 3)).toEqual([
      { seq: 1, done: true, doneAt: T0 + 1000, doneBy: 'commander' },
      { seq: 2, done: true, doneAt: T0 + 3000, doneBy: 'commander' },
      { seq: 3, done: false },
    ]);
    expect(audit.map((a) => [a.action, a.ok])).toEqual([
      ['incident-open', true],
      ['incident-open', false],
      ['incident-step', true],
      ['incident-step', false],
      ['incident-step', false],
      ['incident-step', true],
      ['incident-close', true],
      ['incident-note', false],
    ]);

    // A restart: a new book over the same journal has the same record.
    const again = setup(journal).em;
    await again.start(T0 - 1);
    expect(again.incidents.get(id)).toEqual(inc);
  });
});
