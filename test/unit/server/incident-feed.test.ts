import { describe, expect, it } from 'vitest';
import type { AlarmEvent, AlarmPriority, AlarmState } from '@park/protocol';
import { IncidentFeed } from '../../../server/src/incident-feed/incident-feed.js';

const feed = () => new IncidentFeed({ hazardSourceOf: (id) => (id.startsWith('gw') ? undefined : id.split('.')[1]), siteOf: (hs) => (hs === 'hs01' ? 'a' : 'b') });

const alarm = (id: string, state: AlarmState, priority: AlarmPriority, raisedAt: number, extra: Partial<AlarmEvent> = {}): AlarmEvent => ({
  id,
  tagId: id.split(':')[0] as string,
  kind: 'hh',
  priority,
  state,
  value: 1,
  limit: 1,
  message: `${id} ${state}`,
  raisedAt,
  ts: raisedAt,
  ...extra,
});

describe('incident feed', () => {
  it('opens one incident per installation with the first alarm, lets related alarms join, and closes when all are cleared and acknowledged', () => {
    const f = feed();
    const gd = alarm('a.hs01.gd01:gas-l2', 'unack', 'critical', 1000);
    expect(f.update([gd], 1001).map((c) => c.type)).toEqual(['opened']);
    const [incident] = f.list();
    expect(incident).toMatchObject({ id: 'hs01-1000', hazardSource: 'hs01', site: 'a', state: 'open', firstAlarm: 'a.hs01.gd01:gas-l2', priority: 'critical' });

    // A second detector and a level alarm of the same installation join; nothing new opens.
    const gd2 = alarm('a.hs01.gd02:gas-l1', 'unack', 'high', 1500);
    const lvl = alarm('a.hs01.t101.level:l', 'unack', 'low', 1600);
    expect(f.update([gd, gd2, lvl], 1700).map((c) => [c.type, c.alarmId])).toEqual([
      ['joined', 'a.hs01.gd02:gas-l1'],
      ['joined', 'a.hs01.t101.level:l'],
    ]);
    expect(f.list()).toHaveLength(1);

    // Acknowledged, then returned: still open while any one is not normal.
    const acked = [gd, gd2, lvl].map((a) => ({ ...a, state: 'acked' as const }));
    expect(f.update(acked, 2000).map((c) => c.type)).toEqual(['updated', 'updated', 'updated']);
    expect(f.update([{ ...gd, state: 'rtn-unack' }], 3000).map((c) => c.type)).toEqual(['updated', 'updated', 'updated']);
    expect(f.list()[0]?.state).toBe('open');
    expect(f.list()[0]?.alarms.map((a) => a.state)).toEqual(['rtn-unack', 'normal', 'normal']);

    // The last one acknowledged: closed.
    const changes = f.update([], 4000);
    expect(changes.map((c) => c.type)).toEqual(['updated', 'closed']);
    expect(f.list({ state: 'closed' })[0]).toMatchObject({ id: 'hs01-1000', state: 'closed', closedAt: 4000 });
    expect(f.list({ state: 'open' })).toEqual([]);
  });

  it('does not open on low and medium alarms alone, but they join an open incident', () => {
    const f = feed();
    expect(f.update([alarm('b.hs03.v201.level:h', 'unack', 'medium', 10)], 11)).toEqual([]);
    const changes = f.update([alarm('b.hs03.v201.level:h', 'unack', 'medium', 10), alarm('b.hs03.gd01:gas-l1', 'unack', 'high', 20)], 21);
    expect(changes.map((c) => c.type)).toEqual(['opened']);
    // Opened at the earliest raise among its alarms, the cause listed first.
    expect(f.list()[0]).toMatchObject({ id: 'hs03-10', openedAt: 10, firstAlarm: 'b.hs03.v201.level:h', priority: 'high' });
  });

  it('puts a first-out alarm first, keeps installations apart, and leaves gateway alarms out', () => {
    const f = feed();
    f.update(
      [
        alarm('a.hs01.t101.pressure:h', 'unack', 'high', 100),
        alarm('a.hs01.t101.level:hh', 'unack', 'high', 200, { firstOut: true }),
        alarm('b.hs03.gd01:gas-l2', 'unack', 'critical', 300),
        alarm('gw-a:gateway-offline', 'unack', 'critical', 50),
      ],
      400,
    );
    expect(f.list().map((i) => [i.hazardSource, i.firstAlarm])).toEqual([
      ['hs03', 'b.hs03.gd01:gas-l2'],
      ['hs01', 'a.hs01.t101.level:hh'],
    ]);
    expect(f.list({ hazardSource: 'hs01' })[0]?.alarms[0]).toMatchObject({ id: 'a.hs01.t101.level:hh', firstOut: true });
  });

  it('lets shelved and out-of-service alarms close an incident, and opens a new one on the next raise', () => {
    const f = feed();
    const a = alarm('a.hs01.gd01:gas-l2', 'unack', 'critical', 1000);
    f.update([a], 1000);
    expect(f.update([{ ...a, state: 'shelved' }], 2000).map((c) => c.type)).toEqual(['updated', 'closed']);
    f.update([{ ...a, state: 'unack', raisedAt: 5000 }], 5000);
    expect(f.list().map((i) => [i.id, i.state])).toEqual([
      ['hs01-5000', 'open'],
      ['hs01-1000', 'closed'],
    ]);
  });

  it('keeps a restored open incident and its id, with only what changed since as changes', () => {
    const f = feed();
    const a = alarm('a.hs01.gd01:gas-l2', 'unack', 'critical', 1000);
    f.update([a], 1000);
    const saved = f.list();
    const g = feed();
    g.restore(saved);
    expect(g.update([a], 2000)).toEqual([]);
    expect(g.update([{ ...a, state: 'acked' }], 3000).map((c) => [c.type, c.incident.id])).toEqual([['updated', 'hs01-1000']]);
  });
});
