import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Batcher, Outbox, ReportFilter, SeqStore, type BatchSink } from '@park/gateway';
import { MAX_MESSAGE_BYTES, parseDataMessage, type Reading } from '@park/protocol';
import { tempDir } from '../../harness/temp-dir.js';

const T0 = 1_750_000_000_000;
const r = (id: string, v: number, q: Reading['q'] = 'good', err?: string, ts = T0): Reading => ({ id, ts, v, q, ...(err ? { err } : {}) });

describe('report by exception', () => {
  it('passes changes beyond the deadband (from the last published value), quality changes and the integrity period', () => {
    const f = new ReportFilter([['a', 0.5]], 60_000);
    expect(f.filter([r('a', 10)], T0)).toHaveLength(1); // first value
    expect(f.filter([r('a', 10.4)], T0 + 1)).toHaveLength(0); // within the deadband
    expect(f.filter([r('a', 10.3)], T0 + 2)).toHaveLength(0);
    expect(f.filter([r('a', 10.6)], T0 + 3)).toHaveLength(1); // 0.6 from the published 10
    expect(f.filter([r('a', 10.6, 'uncertain', 'UncertainLastUsableValue')], T0 + 4)).toHaveLength(1);
    expect(f.filter([r('a', 10.6)], T0 + 5)).toHaveLength(1); // back to good
    expect(f.filter([r('a', 10.6)], T0 + 60_004)).toHaveLength(0);
    expect(f.filter([r('a', 10.6)], T0 + 60_005)).toHaveLength(1); // integrity
    expect(f.suppressed).toBe(3);
  });

  it('publishes every change when the deadband is 0, and bad samples with the last value', () => {
    const f = new ReportFilter([['a', 0]], 0);
    expect(f.filter([r('a', 1), r('a', 1), r('a', 2)], T0).map((s) => s.v)).toEqual([1, 2]);
    const [bad] = f.filter([r('a', Number.NaN, 'bad', 'timeout')], T0);
    expect(bad).toEqual(r('a', 2, 'bad', 'timeout'));
    expect(f.filter([r('a', Number.NaN, 'bad', 'timeout')], T0 + 1)).toHaveLength(0);
    expect(f.filter([r('a', Number.NaN, 'bad', 'modbus-exception-2')], T0 + 2)).toHaveLength(1);
  });

  it('re-sends tags without samples after the integrity period, stamped now', () => {
    const f = new ReportFilter([['a', 0], ['b', 0]], 1000);
    f.filter([r('a', 5), r('b', 6)], T0);
    expect(f.resendDue(T0 + 999)).toEqual([]);
    f.filter([r('b', 7)], T0 + 500);
    expect(f.resendDue(T0 + 1000)).toEqual([r('a', 5, 'good', undefined, T0 + 1000)]);
    expect(f.resendDue(T0 + 1500)).toEqual([r('b', 7, 'good', undefined, T0 + 1500)]);
  });
});

describe('report by exception over whole blocks', () => {
  it('decides as sample by sample when a block comes again in its order, in another order, or with other tags behind the same first one', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const byBlock = new ReportFilter(ids.map((id) => [id, 0.5]), 0);
    const bySample = new ReportFilter(ids.map((id) => [id, 0.5]), 0);
    const polls: Reading[][] = [
      ids.map((id, i) => r(id, i)),
      ids.map((id, i) => r(id, i + (i === 3 ? 1 : 0.1))), // only t3 moves past its deadband
      ids.map((id, i) => r(id, i + 1)).reverse(), // another order: t3 stays, the rest move
      [...ids.slice(0, 1), ...ids.slice(4), ...ids.slice(1, 4)].map((id, i) => r(id, i === 0 ? 1 : 50)), // same first tag and length, others in other places
      ids.map((id) => r(id, Number.NaN, 'bad', 'timeout')),
      ids.map((id) => r(id, 50)),
    ];
    const published = polls.map((poll, k) => ({
      block: byBlock.filter(poll, T0 + k * 1000),
      single: poll.flatMap((s) => bySample.filter([s], T0 + k * 1000)),
    }));
    for (const p of published) expect(p.block).toEqual(p.single);
    const reordered = [...ids.slice(4), ...ids.slice(1, 4)];
    expect(published.map((p) => p.block.map((s) => s.id))).toEqual([ids, ['t3'], [...ids].reverse().filter((id) => id !== 't3'), reordered, ids, ids]);
    expect(byBlock.suppressed).toBe(bySample.suppressed);
  });
});

describe('batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const sink = (accepting = () => true) => {
    const sent: { count: number; readings: Reading[]; raw: Buffer }[] = [];
    const s: BatchSink = { accepting, send: (count, readings) => sent.push({ count, readings: JSON.parse(readings.toString('utf8')) as Reading[], raw: Buffer.from(readings) }) };
    return { s, sent };
  };

  it('sends at the count cap at once and the rest after the delay', () => {
    const { s, sent } = sink();
    const b = new Batcher({ maxBatchReadings: 3, maxBatchDelayMs: 100, capacity: 1000 }, s);
    b.push([r('a', 1), r('a', 2), r('a', 3), r('a', 4)]);
    expect(sent.map((m) => m.count)).toEqual([3]);
    vi.advanceTimersByTime(99);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent.map((m) => m.count)).toEqual([3, 1]);
    expect(sent.flatMap((m) => m.readings.map((x) => x.v))).toEqual([1, 2, 3, 4]);
  });

  it('holds readings while the sink is full, drops the oldest past capacity and counts them', () => {
    let open = false;
    const { s, sent } = sink(() => open);
    const b = new Batcher({ maxBatchReadings: 2, maxBatchDelayMs: 10, capacity: 5 }, s);
    b.push([1, 2, 3, 4, 5, 6, 7].map((v) => r('a', v)));
    vi.advanceTimersByTime(50);
    expect(sent).toHaveLength(0);
    expect(b.dropped).toBe(2);
    open = true;
    b.drained();
    vi.advanceTimersByTime(10);
    expect(sent.flatMap((m) => m.readings.map((x) => x.v))).toEqual([3, 4, 5, 6, 7]);
  });

  it('keeps every message under the byte limit', () => {
    const { s, sent } = sink();
    const b = new Batcher({ maxBatchReadings: 5000, maxBatchDelayMs: 10, capacity: 100_000 }, s);
    const longErr = 'x'.repeat(200);
    b.push(Array.from({ length: 5000 }, (_, i) => r(`tag.${'y'.repeat(100)}.${i}`, i, 'bad', longErr)));
    // Error texts in Chinese: three bytes per character, counted in bytes.
    b.push(Array.from({ length: 3000 }, (_, i) => r(`tag.z.${i}`, i, 'bad', '设备通信超时'.repeat(30))));
    vi.advanceTimersByTime(10);
    expect(sent.length).toBeGreaterThan(2);
    expect(sent.reduce((n, m) => n + m.count, 0)).toBe(8000);
    for (const m of sent) {
      expect(m.readings.length).toBe(m.count);
      // The bytes as sent, in the longest envelope a live message has.
      const message = Buffer.concat([Buffer.from(`{"gateway":"${'g'.repeat(64)}","seq":${Number.MAX_SAFE_INTEGER},"readings":`), m.raw, Buffer.from(',"replay":true}')]);
      expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(parseDataMessage(message, 'g'.repeat(64), T0).ok).toBe(true);
    }
  });
});

describe('outbox (segment log)', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir('outbox')));
  afterEach(() => dir.remove());
  const rec = (seq: number) => ({ seq, count: 1, readings: Buffer.from(JSON.stringify([r('a', seq)])) });

  it('replays in order, acknowledges, rewinds, and survives a reopen', () => {
    const o = new Outbox(dir.path, 1e9, 200);
    for (let s = 10; s < 20; s++) o.append(rec(s));
    expect(readdirSync(path.join(dir.path, 'outbox')).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(1);
    expect(o.next(3).map((x) => x.seq)).toEqual([10, 11, 12]);
    expect(o.ack(10)).toBe(true);
    expect(o.ack(12)).toBe(false); // out of order: ignored
    o.rewind();
    expect(o.next(2).map((x) => x.seq)).toEqual([11, 12]);
    o.close();
    const again = new Outbox(dir.path, 1e9, 200);
    expect(again.pendingMessages()).toBe(9);
    expect(again.maxSeq).toBe(19);
    const seqs: number[] = [];
    for (let batch = again.next(4); batch.length > 0; batch = again.next(4)) for (const x of batch) seqs.push(x.seq);
    expect(seqs).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19]);
    for (const s of seqs) expect(again.ack(s)).toBe(true);
    expect(again.isEmpty()).toBe(true);
    expect(readdirSync(path.join(dir.path, 'outbox')).filter((f) => f.endsWith('.seg'))).toEqual([]);
    again.close();
  });

  it('cuts a torn tail after a crash mid-write', () => {
    const o = new Outbox(dir.path, 1e9, 1e6);
    o.append(rec(1));
    o.append(rec(2));
    o.close();
    const seg = readdirSync(path.join(dir.path, 'outbox')).find((f) => f.endsWith('.seg')) as string;
    appendFileSync(path.join(dir.path, 'outbox', seg), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const again = new Outbox(dir.path, 1e9, 1e6);
    expect(again.next(10).map((x) => x.seq)).toEqual([1, 2]);
    again.append(rec(3));
    again.rewind();
    expect(again.next(10).map((x) => x.seq)).toEqual([1, 2, 3]);
    again.close();
  });

  it('drops the oldest segments past its size and counts them', () => {
    const o = new Outbox(dir.path, 1000, 300);
    for (let s = 0; s < 40; s++) o.append(rec(s));
    const st = o.stats();
    expect(st.bytes).toBeLessThanOrEqual(1000);
    expect(st.droppedMessages).toBeGreaterThan(0);
    expect(st.droppedMessages + st.messages).toBe(40);
    const first = o.next(1)[0];
    expect(first?.seq).toBe(st.droppedMessages);
    o.close();
  });

  it('keeps seq rising across restarts', () => {
    const a = new SeqStore(dir.path);
    expect([a.take(), a.take(), a.take()]).toEqual([0, 1, 2]);
    a.close();
    const b = new SeqStore(dir.path);
    expect(b.take()).toBe(3);
    b.close();
    expect(new SeqStore(dir.path, 100).take()).toBe(100);
  });
});
