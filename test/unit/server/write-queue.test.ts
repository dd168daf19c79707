import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WriteQueue } from '../../../server/src/ingest/write-queue.js';
import { countLines, LINE_TAIL_MAX, LineSlabs, linesBody, type Lines } from '../../../server/src/ingest/line-slabs.js';
import type { StoredReading } from '../../../server/src/influx/influx-store.js';
import { readingLine, seriesKey, writeReadingLine } from '../../../server/src/influx/line-protocol.js';
import { tempDir } from '../../harness/temp-dir.js';

const reading = (n: number): StoredReading => ({ id: `t.${n % 7}`, ts: 1_800_000_000_000 + n, v: n / 2, q: n % 3, source: n % 2 ? 'hs01' : '', site: 'a' });
const readings = (from: number, count: number): StoredReading[] => Array.from({ length: count }, (_, i) => reading(from + i));

/**
 * Queues `rows` as the ingest does, a message at a time (of up to 7
 * readings, so that batches and segments cut messages) into small slabs (so
 * that messages fill several and slabs are reused).
 */
const slabs = new LineSlabs(512, 4);
function push(q: WriteQueue, rows: readonly StoredReading[]): void {
  for (let i = 0; i < rows.length; i += 7) {
    const message = rows.slice(i, i + 7);
    const w = slabs.begin(message.reduce((n, r) => n + Buffer.byteLength(seriesKey(r.id, r.site, r.source)) + LINE_TAIL_MAX, 0));
    for (const r of message) writeReadingLine(w, seriesKey(r.id, r.site, r.source), r.v, r.q, String(r.ts));
    q.push(slabs.finish(message.length));
  }
}

/** The lines of `runs` as text, one per reading. */
const lines = (runs: readonly Lines[] | readonly StoredReading[]): string[] =>
  runs.length > 0 && 'bytes' in (runs[0] as object)
    ? linesBody(runs as Lines[])
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
    : (runs as StoredReading[]).map(readingLine);

/** Takes and commits everything, as the writer does when InfluxDB answers. */
function drainAll(q: WriteQueue, batch: number): string[] {
  const out: string[] = [];
  while (q.size() > 0) {
    const b = q.take(batch);
    expect(countLines(b)).toBeLessThanOrEqual(batch);
    // The text is read before the commit: after it, the slabs may be written again.
    out.push(...lines(b));
    q.commit();
  }
  return out;
}

/** Spool folders of the test, removed after it. */
const dirs: { remove(): void }[] = [];
const dir = (): string => {
  const d = tempDir('spool');
  dirs.push(d);
  return d.path;
};
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

describe('ingest write queue with disk spool', () => {

  it('keeps order oldest first across disk and memory', () => {
    const q = new WriteQueue({ dir: dir(), memoryLimit: 100, segmentSize: 40, maxSpoolBytes: 10 * 1024 ** 2 });
    push(q, readings(0, 250));
    expect(q.size()).toBe(250);
    expect(q.spooledSegments()).toBeGreaterThan(0);
    expect(drainAll(q, 33)).toEqual(lines(readings(0, 250)));
    expect(q.size()).toBe(0);
  });

  it('gives a failed batch back in front, and survives a restart with spillAll', () => {
    const d = dir();
    const q = new WriteQueue({ dir: d, memoryLimit: 1000, maxSpoolBytes: 10 * 1024 ** 2 });
    push(q, readings(0, 50));
    expect(lines(q.take(20))).toEqual(lines(readings(0, 20)));
    push(q, readings(50, 10));
    q.giveBack();
    q.spillAll();
    const again = new WriteQueue({ dir: d, memoryLimit: 1000, maxSpoolBytes: 10 * 1024 ** 2 });
    expect(again.size()).toBe(60);
    expect(drainAll(again, 7)).toEqual(lines(readings(0, 60)));
    expect(readdirSync(d)).toEqual([]);
  });

  it('drops the oldest segment when the spool is full, and counts it', () => {
    const q = new WriteQueue({ dir: dir(), memoryLimit: 10, segmentSize: 10, maxSpoolBytes: 2500 });
    push(q, readings(0, 200));
    expect(q.dropped).toBeGreaterThan(0);
    const left = drainAll(q, 50);
    expect(left.length + q.dropped).toBe(200);
    // What is left is the newest, still in order.
    expect(left).toEqual(lines(readings(200 - left.length, left.length)));
  });

  it('keeps the readings in memory when a spill fails, and spills them once the disk is back', () => {
    const d = dir();
    const q = new WriteQueue({ dir: d, memoryLimit: 10, segmentSize: 10, maxSpoolBytes: 10 * 1024 ** 2 });
    push(q, readings(0, 7));
    rmSync(d, { recursive: true });
    expect(() => push(q, readings(7, 7))).toThrow(/ENOENT/);
    expect(q.size()).toBe(14);
    expect(q.spooledSegments()).toBe(0);
    mkdirSync(d);
    push(q, readings(14, 1));
    expect(q.spooledSegments()).toBe(1);
    expect(drainAll(q, 4)).toEqual(lines(readings(0, 15)));
  });

  it('removes a half-written segment left by a crash', () => {
    const d = dir();
    writeFileSync(path.join(d, 'seg-000000000000-5.json.tmp'), '[["a",1');
    const q = new WriteQueue({ dir: d, memoryLimit: 10, maxSpoolBytes: 1024 ** 2 });
    expect(q.size()).toBe(0);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('write queue batches across segments', () => {

  it('takes a full batch over several segments and memory, oldest first; a batch given back comes again whole', () => {
    const q = new WriteQueue({ dir: dir(), memoryLimit: 30, segmentSize: 10, maxSpoolBytes: 10 * 1024 ** 2 });
    push(q, readings(0, 65));
    expect(q.spooledSegments()).toBe(4);
    // A batch ends inside the second segment; the next spans its rest, two more segments and memory.
    expect(lines(q.take(15))).toEqual(lines(readings(0, 15)));
    q.commit();
    expect(q.spooledSegments()).toBe(3);
    expect(lines(q.take(40))).toEqual(lines(readings(15, 40)));
    q.giveBack();
    expect(q.size()).toBe(50);
    expect(lines(q.take(40))).toEqual(lines(readings(15, 40)));
    q.commit();
    expect(q.spooledSegments()).toBe(0);
    expect(q.size()).toBe(10);
    expect(drainAll(q, 100)).toEqual(lines(readings(55, 10)));
  });

  it('counts rows in flight from a segment dropped for room only if their write fails', () => {
    for (const outcome of ['written', 'failed'] as const) {
      const q = new WriteQueue({ dir: dir(), memoryLimit: 10, segmentSize: 10, maxSpoolBytes: 2500 });
      push(q, readings(0, 40));
      const before = q.dropped;
      const batch = countLines(q.take(5));
      expect(batch).toBe(5);
      // The spool fills while the batch is in flight: the segment it came from goes.
      push(q, readings(40, 100));
      const droppedMeanwhile = q.dropped - before;
      if (outcome === 'written') q.commit();
      else q.giveBack();
      const left = drainAll(q, 1000);
      // Every reading is written (the batch, if it was, and what is left) or counted as dropped, none twice.
      expect((outcome === 'written' ? batch : 0) + left.length + q.dropped).toBe(140);
      expect(q.dropped - before).toBe(droppedMeanwhile + (outcome === 'failed' ? 5 : 0));
    }
  });
});

describe('write queue spool format', () => {
  it('spills readings as the line protocol InfluxDB is sent, and still reads segments of the JSON format', () => {
    const d = dir();
    // A segment left by an earlier version, before anything of this run.
    writeFileSync(path.join(d, 'seg-000000000000-2.json'), JSON.stringify([['old.a', 1_800_000_000_000, 1.5, 0, 'hs01', 'a'], ['old.b', 1_800_000_000_001, 2, 2, '', 'b']]));
    const q = new WriteQueue({ dir: d, memoryLimit: 10, segmentSize: 10, maxSpoolBytes: 10 * 1024 ** 2 });
    expect(q.size()).toBe(2);
    push(q, readings(0, 30));
    const spilled = readdirSync(d).filter((n) => n.endsWith('.lp')).sort();
    expect(spilled).toEqual(['seg-000000000001-10.lp', 'seg-000000000002-10.lp']);
    expect(readFileSync(path.join(d, spilled[0] as string), 'utf8')).toBe(`${lines(readings(0, 10)).join('\n')}\n`);
    expect(drainAll(q, 7)).toEqual(['reading,id=old.a,site=a,source=hs01 v=1.5,q=0i 1800000000000', 'reading,id=old.b,site=b v=2,q=2i 1800000000001', ...lines(readings(0, 30))]);
    expect(readdirSync(d)).toEqual([]);
  });
});
