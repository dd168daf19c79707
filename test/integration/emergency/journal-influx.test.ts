import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInfluxd, type TestInfluxd } from '../../harness/influxd.js';
import type { InfluxStore } from '../../../server/src/influx/influx-store.js';
import { createLogger } from '../../../server/src/log.js';
import { createEmergency } from '../../../server/src/emergency/emergency.js';
import { InfluxEmergencyJournal } from '../../../server/src/emergency/emergency-journal.js';
import type { AuditEntry } from '../../../server/src/influx/influx-store.js';
import { seedData } from '../../unit/emergency/helpers.js';

// Card edits and incidents written to a real InfluxDB (policy `events`) come back after a restart.
describe('emergency journal in InfluxDB', () => {
  let influxd: TestInfluxd;
  let store: InfluxStore;
  const T0 = Date.now() - 60_000;
  const who = { user: 'commander', role: 'commander' as const };

  beforeAll(async () => {
    influxd = await startTestInfluxd();
    store = influxd.store('emergency');
    await store.ensureSchema({ rawDays: 30, rollupDays: 400, eventDays: 1095 });
  });

  afterAll(async () => {
    await influxd?.stop();
  });

  const make = () => {
    const audit: Omit<AuditEntry, 'ts'>[] = [];
    const em = createEmergency({ data: seedData(), journal: new InfluxEmergencyJournal(store, createLogger('silent')), audit: { record: (e) => void audit.push(e) }, log: createLogger('silent'), live: { get: () => undefined } });
    return em;
  };

  it('rebuilds card versions and the incident timeline from the events policy', async () => {
    const first = make();
    await first.start(T0 - 1);
    const card = structuredClone(first.cards.get('hs01-chlorine-leak'));
    if (!card) throw new Error('no seed card');
    card.card.version = 2;
    card.precautions.push({ zh: '测试', en: 'test' });
    expect(first.cards.replace({ user: 'engineer', role: 'engineer' }, card.card.id, card, T0).ok).toBe(true);

    const opened = first.incidents.openIncident(who, { alarmId: 'a.hs01.gd04:hh', note: 'first note' }, T0 + 1);
    if (!opened.ok) throw new Error(opened.error);
    const id = opened.value.id;
    expect(opened.value.cardVersion).toBe(2);
    first.incidents.tickStep(who, id, 1, { done: true }, T0 + 2);
    first.incidents.tickStep(who, id, 2, { done: true }, T0 + 2); // same ms: its own point
    first.incidents.tickStep(who, id, 2, { done: false, comment: 'valve still open' }, T0 + 3);
    first.incidents.onAlarm({ id: 'a.hs01.gd04:hh', tagId: 'a.hs01.gd04', kind: 'hh', priority: 'critical', state: 'acked', value: 2, limit: 0.6, message: 'GD04 HH', raisedAt: T0, ackedAt: T0 + 4, ackedBy: 'operator', ts: T0 + 4 }, T0 + 4);
    first.incidents.close(who, id, 'done', T0 + 5);
    expect(await first.drain(10_000)).toBe(true);
    first.close();

    const second = make();
    await second.start(T0 - 1);
    expect(second.cards.get('hs01-chlorine-leak')?.card.version).toBe(2);
    expect(second.cards.history('hs01-chlorine-leak').map((v) => [v.version, v.savedBy])).toEqual([
      [1, 'seed'],
      [2, 'engineer'],
    ]);
    expect(second.incidents.get(id)).toEqual(first.incidents.get(id));
    expect(second.incidents.get(id)?.timeline.map((e) => e.type)).toEqual(['opened', 'note', 'step', 'step', 'step', 'alarm', 'closed']);
    expect(second.incidents.get(id)?.steps.slice(0, 2).map((s) => s.done)).toEqual([true, false]);
    second.close();
  });
});
