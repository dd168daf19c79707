import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readingLine } from '../influx/line-protocol.js';
import { countLines, cutLines, ownLines, releaseLines, type Lines } from './line-slabs.js';

/**
 * Readings accepted and not yet in InfluxDB, oldest first, as the line
 * protocol InfluxDB is sent (see line-slabs.ts). Up to `memoryLimit`
 * readings wait in memory; beyond that the oldest are spilled to disk in
 * segment files (written whole, fsynced, then renamed into place), so a
 * long InfluxDB outage costs disk, not memory, and a restart of the server
 * keeps the backlog. Segments are bounded by `maxSpoolBytes`; past it the
 * oldest segment is dropped and its readings counted as dropped.
 *
 * Segment name: `seg-<sequence>-<readings>.lp`, the lines as they are
 * queued: spilling is a copy of bytes, and reading a segment back is one
 * read. Segments of an earlier version, `seg-<sequence>-<readings>.json`
 * (a JSON array of `[id, ts, v, q, source, site]` rows), are still read.
 */
type Row = [string, number, number, number, string, string];

export interface WriteQueueOptions {
  dir: string;
  memoryLimit: number;
  /**
   * Readings per segment file, default 10,000. A segment is written and read
   * back in one synchronous step; at 50,000 that held the event loop (and
   * any alarm behind it) for about 80 ms per segment.
   */
  segmentSize?: number;
  maxSpoolBytes: number;
  /**
   * Start empty, deleting segments of an earlier run (when another log holds
   * them). The segments then only relieve memory and are not synced to disk.
   */
  discardExisting?: boolean;
  /** Called with the number of readings dropped from the front (the oldest) when the spool is full. */
  onDrop?: (readings: number) => void;
}

interface Segment {
  file: string;
  count: number;
  bytes: number;
}

const DEFAULT_SEGMENT_SIZE = 10_000;
const SEGMENT_PATTERN = /^seg-(\d{12})-(\d+)\.(json|lp)$/;

/** Lines of one segment in a batch taken: how far the batch reaches into it, and what it leaves of it. */
interface SegmentPart {
  segment: Segment;
  from: number;
  end: number;
  /** What is left of the segment after the batch (undefined when the batch takes all of it). */
  rest: Lines | undefined;
}

export class WriteQueue {
  private memory: Lines[] = [];
  /** Readings in `memory`. */
  private memoryCount = 0;
  /**
   * Taken for a write and not yet committed or given back: lines of the
   * oldest segments first, then (only once no segment is left) of memory.
   */
  private inflight: { parts: SegmentPart[]; memoryRuns: Lines[]; memoryCount: number } | undefined;
  private readonly segments: Segment[] = [];
  /** The oldest segment's lines not yet written (read from disk), and how many of its readings are written. */
  private loaded: { segment: Segment; rest: Lines; offset: number } | undefined;
  private nextSeq = 0;
  private spoolBytes = 0;
  /** Readings dropped because the spool was full. */
  dropped = 0;

  constructor(private readonly o: WriteQueueOptions) {
    mkdirSync(o.dir, { recursive: true });
    if (o.discardExisting) for (const name of readdirSync(o.dir)) rmSync(path.join(o.dir, name), { force: true });
    for (const name of readdirSync(o.dir).sort()) {
      const m = SEGMENT_PATTERN.exec(name);
      if (!m) {
        // A segment whose rename never happened: the spill did not finish.
        if (name.endsWith('.tmp')) rmSync(path.join(o.dir, name), { force: true });
        continue;
      }
      const file = path.join(o.dir, name);
      const bytes = statSync(file).size;
      this.segments.push({ file, count: Number(m[2]), bytes });
      this.spoolBytes += bytes;
      this.nextSeq = Math.max(this.nextSeq, Number(m[1]) + 1);
    }
  }

  /** Readings waiting, in memory and on disk. */
  size(): number {
    let n = this.memoryCount + (this.inflight ? this.inflight.memoryCount : 0);
    for (const s of this.segments) n += s.count;
    if (this.loaded) n -= this.loaded.offset;
    return n;
  }

  spooledSegments(): number {
    return this.segments.length;
  }

  /** Queues the lines of a message; the queue now owns them (and releases them once written or spilled). */
  push(lines: Lines): void {
    if (lines.count === 0) {
      releaseLines(lines);
      return;
    }
    this.memory.push(lines);
    this.memoryCount += lines.count;
    const segmentSize = this.o.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    while (this.memoryCount > this.o.memoryLimit) this.spill(this.takeMemory(Math.min(segmentSize, this.memoryCount)));
  }

  /**
   * Takes the next (oldest) readings to write, at most `max`, across as
   * many segments as it takes and then memory: a batch cut at the end of
   * one segment would leave the writers idle while a backlog waits, and a
   * writer that falls behind that way never catches up. Exactly one batch
   * is in flight: `commit()` once it is written, `giveBack()` if not.
   */
  take(max: number): Lines[] {
    if (this.inflight) throw new Error('a batch is already in flight');
    const runs: Lines[] = [];
    const parts: SegmentPart[] = [];
    let n = 0;
    for (let i = 0; i < this.segments.length && n < max; i++) {
      const segment = this.segments[i] as Segment;
      let lines: Lines;
      let from = 0;
      if (i === 0) {
        this.loaded ??= { segment, rest: readSegment(segment), offset: 0 };
        lines = this.loaded.rest;
        from = this.loaded.offset;
      } else {
        lines = readSegment(segment);
      }
      const want = max - n;
      if (lines.count <= want) {
        runs.push(lines);
        n += lines.count;
        parts.push({ segment, from, end: from + lines.count, rest: undefined });
      } else {
        const [head, rest] = cutLines(lines, want);
        runs.push(head);
        n += want;
        parts.push({ segment, from, end: from + want, rest });
      }
    }
    const memoryRuns = n < max && parts.every((p) => p.rest === undefined) ? this.takeMemory(Math.min(max - n, this.memoryCount)) : [];
    const memoryCount = countLines(memoryRuns);
    for (const r of memoryRuns) runs.push(r);
    this.inflight = { parts, memoryRuns, memoryCount };
    return runs;
  }

  commit(): void {
    const f = this.inflight;
    this.inflight = undefined;
    if (!f) return;
    for (const r of f.memoryRuns) releaseLines(r);
    for (const part of f.parts) {
      // Dropped meanwhile to make room (counted then): nothing left to remove.
      const at = this.segments.indexOf(part.segment);
      if (at < 0) continue;
      if (part.rest === undefined) {
        rmSync(part.segment.file, { force: true });
        this.spoolBytes -= part.segment.bytes;
        this.segments.splice(at, 1);
        if (this.loaded?.segment === part.segment) this.loaded = undefined;
      } else {
        this.loaded = { segment: part.segment, rest: part.rest, offset: part.end };
      }
    }
  }

  giveBack(): void {
    const f = this.inflight;
    this.inflight = undefined;
    if (!f) return;
    // Lines of segments stay where they are (read again next time); memory lines go back in front.
    if (f.memoryRuns.length > 0) {
      this.memory = f.memoryRuns.concat(this.memory);
      this.memoryCount += f.memoryCount;
    }
    for (const part of f.parts) {
      // A segment dropped to make room while its lines were in flight: those readings were not written after all.
      if (this.segments.includes(part.segment)) continue;
      this.dropped += part.end - part.from;
      this.o.onDrop?.(part.end - part.from);
    }
  }

  /** Moves everything in memory to disk (on shutdown, so a restart loses nothing). */
  spillAll(): void {
    const segmentSize = this.o.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    while (this.memoryCount > 0) this.spill(this.takeMemory(Math.min(segmentSize, this.memoryCount)));
  }

  /** The oldest `n` readings in memory (n ≤ memoryCount), the last message cut if need be. */
  private takeMemory(n: number): Lines[] {
    const out: Lines[] = [];
    let left = n;
    let i = 0;
    while (left > 0) {
      const lines = this.memory[i] as Lines;
      if (lines.count <= left) {
        out.push(lines);
        left -= lines.count;
        i++;
      } else {
        const [head, rest] = cutLines(lines, left);
        out.push(head);
        this.memory[i] = rest;
        left = 0;
      }
    }
    this.memory.splice(0, i);
    this.memoryCount -= n;
    return out;
  }

  private spill(runs: Lines[]): void {
    const count = countLines(runs);
    let bytes = 0;
    for (const r of runs) bytes += r.bytes.length;
    // Make room first: the oldest segment goes, never the newest data.
    while (this.segments.length > 0 && this.spoolBytes + bytes > this.o.maxSpoolBytes) {
      const oldest = this.segments[0] as Segment;
      let lost = this.loaded?.segment === oldest ? oldest.count - this.loaded.offset : oldest.count;
      if (this.loaded?.segment === oldest) this.loaded = undefined;
      // Readings of it in flight are written or not: counted when given back, not here.
      const part = this.inflight?.parts.find((p) => p.segment === oldest);
      if (part) lost -= part.end - part.from;
      this.dropped += lost;
      this.o.onDrop?.(lost);
      rmSync(oldest.file, { force: true });
      this.spoolBytes -= oldest.bytes;
      this.segments.shift();
    }
    const name = `seg-${String(this.nextSeq++).padStart(12, '0')}-${count}.lp`;
    const file = path.join(this.o.dir, name);
    // Never read after a restart (another log keeps the readings): no sync, no rename.
    const target = this.o.discardExisting ? file : `${file}.tmp`;
    try {
      const fd = openSync(target, 'w');
      try {
        for (const r of runs) {
          for (let off = 0; off < r.bytes.length; ) off += writeSync(fd, r.bytes, off, r.bytes.length - off);
        }
        if (!this.o.discardExisting) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (!this.o.discardExisting) renameSync(target, file);
    } catch (err) {
      // A full or failing disk: the readings stay in memory, in front, rather than being lost.
      rmSync(target, { force: true });
      this.memory = runs.concat(this.memory);
      this.memoryCount += count;
      throw err;
    }
    for (const r of runs) releaseLines(r);
    this.segments.push({ file, count, bytes });
    this.spoolBytes += bytes;
  }
}

function readSegment(segment: Segment): Lines {
  const file = segment.file;
  if (file.endsWith('.lp')) return ownLines(readFileSync(file), segment.count);
  const rows = JSON.parse(readFileSync(file, 'utf8')) as Row[];
  let text = '';
  for (const [id, ts, v, q, source, site] of rows) text += `${readingLine({ id, ts, v, q, source, site })}\n`;
  return ownLines(Buffer.from(text), rows.length);
}
