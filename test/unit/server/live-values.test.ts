import { describe, expect, it } from 'vitest';
import { LiveValues, type LiveSlot } from '../../../server/src/live-values.js';

const msg = (readings: { id: string; ts: number; v: number; q: 'good' | 'bad'; err?: string }[]) => ({ gateway: 'gw-a', seq: 1, readings });

describe('LiveValues', () => {
  it('keeps the latest reading, clears an error once the tag reads good, and ignores older replays', () => {
    const live = new LiveValues();
    live.apply(msg([{ id: 't1', ts: 1000, v: 0, q: 'bad', err: 'timeout' }]), 1001);
    expect(live.get('t1')).toMatchObject({ q: 'bad', err: 'timeout', receivedAt: 1001 });
    live.apply(msg([{ id: 't1', ts: 2000, v: 4.5, q: 'good' }]), 2001);
    expect(live.get('t1')?.err).toBeUndefined();
    // On the wire (Socket.IO encodes JSON) the cleared error is absent, not null.
    expect(JSON.parse(JSON.stringify(live.takeChanged()))).toEqual([{ id: 't1', ts: 2000, v: 4.5, q: 'good', receivedAt: 2001 }]);
    live.apply(msg([{ id: 't1', ts: 1500, v: 9, q: 'good' }]), 2002);
    expect(live.get('t1')).toMatchObject({ ts: 2000, v: 4.5 });
    expect(live.takeChanged()).toEqual([]);
  });

  it('hands out copies: a later reading does not change what was taken', () => {
    const live = new LiveValues();
    live.apply(msg([{ id: 't1', ts: 1000, v: 1, q: 'good' }]), 1000);
    const [taken] = live.takeChanged();
    live.apply(msg([{ id: 't1', ts: 2000, v: 2, q: 'good' }]), 2000);
    expect(taken?.v).toBe(1);
    expect(live.all()[0]?.v).toBe(2);
  });
});

describe('LiveValues with per-tag slots', () => {
  it('keeps the same table as without slots, fills each slot once and marks a tag changed once per take', () => {
    const plain = new LiveValues();
    const slotted = new LiveValues();
    const slots: LiveSlot[] = [{ live: null }, { live: null }];
    const m1 = msg([
      { id: 't1', ts: 1000, v: 1, q: 'good' },
      { id: 't2', ts: 1000, v: 2, q: 'bad', err: 'timeout' },
    ]);
    plain.apply(m1, 1001);
    slotted.apply(m1, 1001, slots);
    // The first reading creates the entry; the slot is filled at the next one.
    const m2 = msg([
      { id: 't1', ts: 2000, v: 1.5, q: 'good' },
      { id: 't2', ts: 500, v: 9, q: 'good' },
    ]);
    plain.apply(m2, 2001);
    slotted.apply(m2, 2001, slots);
    expect(slots.map((s) => s.live?.id)).toEqual(['t1', 't2']);
    const m3 = msg([
      { id: 't1', ts: 3000, v: 2.5, q: 'good' },
      { id: 't1', ts: 3001, v: 3.5, q: 'good' },
    ]);
    plain.apply(m3, 3002);
    slotted.apply(m3, 3002, [slots[0], slots[0]]);
    expect(slotted.all()).toEqual(plain.all());
    expect(slotted.get('t1')).toMatchObject({ ts: 3001, v: 3.5 });
    // t1 changed three times and is listed once; t2's replay of an older reading changed nothing after its first.
    expect(slotted.takeChanged().map((r) => [r.id, r.v])).toEqual([
      ['t1', 3.5],
      ['t2', 2],
    ]);
    expect(slotted.takeChanged()).toEqual([]);
  });

  it('an entry taken for sending later gives the latest reading when read', () => {
    const live = new LiveValues();
    live.apply(msg([{ id: 't1', ts: 1000, v: 1, q: 'good' }]), 1000);
    const first = live.takeChangedEntries();
    expect(first.count).toBe(1);
    const entry = first.entries[0];
    live.apply(msg([{ id: 't1', ts: 2000, v: 2, q: 'good' }]), 2000);
    expect(entry && live.snapshotOf(entry)).toMatchObject({ id: 't1', v: 2, ts: 2000 });
    // Changed again after the take: listed again for the next push.
    const second = live.takeChangedEntries();
    expect(second.entries.slice(0, second.count).map((e) => e.id)).toEqual(['t1']);
  });

  it('fills a list given back again, counting only the new changes', () => {
    const live = new LiveValues();
    live.apply(msg([{ id: 't1', ts: 1000, v: 1, q: 'good' }, { id: 't2', ts: 1000, v: 1, q: 'good' }, { id: 't3', ts: 1000, v: 1, q: 'good' }]), 1000);
    const first = live.takeChangedEntries();
    expect(first.count).toBe(3);
    live.giveBack(first);
    live.apply(msg([{ id: 't2', ts: 2000, v: 2, q: 'good' }]), 2000);
    // The list in use now is not the one given back; the next one taken is.
    const second = live.takeChangedEntries();
    expect(second.entries).not.toBe(first.entries);
    expect(second.entries.slice(0, second.count).map((e) => e.id)).toEqual(['t2']);
    live.apply(msg([{ id: 't3', ts: 3000, v: 3, q: 'good' }]), 3000);
    const third = live.takeChangedEntries();
    expect(third.entries).toBe(first.entries);
    expect(third.count).toBe(1);
    expect(third.entries[0]?.id).toBe('t3');
  });
});
