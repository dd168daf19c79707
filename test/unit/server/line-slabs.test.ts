import { describe, expect, it } from 'vitest';
import { cutLines, LINE_TAIL_MAX, LineSlabs, linesBody, ownLines, releaseLines, type Lines } from '../../../server/src/ingest/line-slabs.js';
import { writeReadingLine } from '../../../server/src/influx/line-protocol.js';

const SERIES = 'reading,id=t.1,site=a';

/** A message of `n` readings starting at `from`, written as the ingest does. */
function message(slabs: LineSlabs, from: number, n: number): Lines {
  const w = slabs.begin(n * (SERIES.length + LINE_TAIL_MAX));
  for (let i = from; i < from + n; i++) writeReadingLine(w, SERIES, i / 4, 0, String(1_800_000_000_000 + i));
  return slabs.finish(n);
}
const text = (from: number, n: number): string => Array.from({ length: n }, (_, k) => `${SERIES} v=${(from + k) / 4},q=0i ${1_800_000_000_000 + from + k}\n`).join('');

describe('line slabs', () => {
  it('writes messages one after another, and reuses a slab only once every message in it is released', () => {
    // A line takes 48 bytes, 86 reserved: 10 lines of 1,400 fit twice (each reserves 860).
    const slabs = new LineSlabs(1400, 2);
    const a = message(slabs, 0, 10);
    const b = message(slabs, 10, 10);
    // Consecutive messages lie one after the other: one view, no copy.
    expect(linesBody([a, b]).buffer).toBe(a.bytes.buffer);
    expect(linesBody([a, b]).toString()).toBe(text(0, 20));
    const c = message(slabs, 20, 10); // does not fit: a second slab
    expect(c.slab).not.toBe(a.slab);
    expect(slabs.made).toBe(2);
    expect(linesBody([b, c]).toString()).toBe(text(10, 20));
    releaseLines(a);
    expect(slabs.freeSlabs()).toBe(0); // b is still in it
    releaseLines(b);
    expect(slabs.freeSlabs()).toBe(1);
    // The next slab needed is the freed one, not a new one; c is untouched.
    message(slabs, 30, 10);
    const e = message(slabs, 40, 10);
    expect(e.slab).toBe(a.slab);
    expect(slabs.made).toBe(2);
    expect(c.bytes.toString()).toBe(text(20, 10));
  });

  it('gives a message larger than a slab a slab of its own, never reused', () => {
    const slabs = new LineSlabs(1024, 2);
    const big = message(slabs, 0, 20);
    expect(big.bytes.toString()).toBe(text(0, 20));
    expect(big.slab?.buf.length).toBeGreaterThan(1024);
    expect(slabs.freeSlabs()).toBe(1); // the first slab, empty
    releaseLines(big);
    const next = message(slabs, 20, 10); // no room left in the big slab: on to the free one
    expect(next.slab).not.toBe(big.slab);
    expect(next.bytes.toString()).toBe(text(20, 10));
    expect(slabs.freeSlabs()).toBe(0); // the big slab is not kept
  });

  it('cuts lines at a line boundary; both parts are released in turn, views leave the count alone', () => {
    const slabs = new LineSlabs(4096, 2);
    const m = message(slabs, 0, 10);
    const [v1, v2] = cutLines(m, 4, true);
    expect([v1.bytes.toString(), v2.bytes.toString()]).toEqual([text(0, 4), text(4, 6)]);
    expect(m.slab?.refs).toBe(1);
    const [head, rest] = cutLines(m, 3);
    expect([head.count, rest.count, m.slab?.refs]).toEqual([3, 7, 2]);
    expect(linesBody([head, rest]).toString()).toBe(text(0, 10));
    message(slabs, 10, 200); // the first slab is full: a second one is current
    releaseLines(head);
    expect(slabs.freeSlabs()).toBe(0);
    releaseLines(rest);
    expect(slabs.freeSlabs()).toBe(1);
  });

  it('refuses to release lines twice, which could let a slab be overwritten while still queued', () => {
    const slabs = new LineSlabs(1024, 2);
    const m = message(slabs, 0, 2);
    releaseLines(m);
    expect(() => releaseLines(m)).toThrow(/released twice/);
  });

  it('copies lines from different buffers into one body', () => {
    const a = ownLines(Buffer.from(text(0, 2)), 2);
    const b = ownLines(Buffer.from(text(2, 3)), 3);
    expect(linesBody([a, b]).toString()).toBe(text(0, 5));
    expect(() => cutLines(a, 3)).toThrow(/fewer than 3 lines/);
  });
});
