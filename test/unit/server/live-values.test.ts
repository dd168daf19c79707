import { describe, expect, it } from 'vitest';
import { LiveValues } from '../../../server/src/live-values.js';

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
