import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import path from 'node:path';
import type { QueuedReading, StoredReading } from '../influx/influx-store.js';
import { readingLine } from '../influx/line-protocol.js';

/**
 * Readings accepted and not yet in InfluxDB, oldest first. Up to
 * `memoryLimit` wait in memory; beyond that the oldest are spilled to disk
 * in segment files (written whole, fsynced, then renamed into place), so a
 * long InfluxDB outage costs disk, not memory, and a restart of the server
 * keeps the backlog. Segments are bounded by `maxSpoolBytes`; past it the
 * oldest segment is dropped and its readings counted as dropped.
 *
 * Segment name: `seg-<sequence>-<readings>.lp`, the readings as the line
 * protocol InfluxDB is sent, one per line: spilling formats a reading once,
 * as writing it would, and reading a segment back is a split, not a parse
 * (this is the path of the catch-up after an InfluxDB outage). Segments of
 * an earlier version, `seg-<sequence>-<readings>.json` (a JSON array of
 * `[id, ts, v, q, source, site]` rows), are still read.
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

/** Rows of one segment in a batch taken: its rows (read from disk) and how far the batch reaches into them. */
interface SegmentPart {
  segment: Segment;
  rows: QueuedReading[];
  from: number;
  end: number;
}

export class WriteQueue {
  private memory: StoredReading[] = [];
  /**
   * Taken for a write and not yet committed or given back: rows of the
   * oldest segments first, then (only once no segment is left) of memory.
   */
  private inflight: { parts: SegmentPart[]; memoryRows: StoredReading[] } | undefined;
  private readonly segments: Segment[] = [];
  /** The oldest segment's rows, read from disk, and how many of them are written. */
  private loaded: { segment: Segment; rows: QueuedReading[]; offset: number } | undefined;
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
    let n = this.memory.length + (this.inflight ? this.inflight.memoryRows.length : 0);
    for (const s of this.segments) n += s.count;
    if (this.loaded) n -= this.loaded.offset;
    return n;
  }

  spooledSegments(): number {
    return this.segments.length;
  }

  push(readings: StoredReading[]): void {
    for (const r of readings) this.memory.push(r);
    const segmentSize = this.o.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    while (this.memory.length > this.o.memoryLimit) this.spill(this.memory.splice(0, Math.min(segmentSize, this.memory.length)));
  }

  /**
   * Takes the next (oldest) readings to write, at most `max`, across as
   * many segments as it takes and then memory: a batch cut at the end of
   * one segment would leave the writers idle while a backlog waits, and a
   * writer that falls behind that way never catches up. Exactly one batch
   * is in flight: `commit()` once it is written, `giveBack()` if not.
   */
  take(max: number): QueuedReading[] {
    if (this.inflight) throw new Error('a batch is already in flight');
    const rows: QueuedReading[] = [];
    const parts: SegmentPart[] = [];
    for (let i = 0; i < this.segments.length && rows.length < max; i++) {
      const segment = this.segments[i] as Segment;
      let segmentRows: QueuedReading[];
      let from = 0;
      if (i === 0) {
        this.loaded ??= { segment, rows: readSegment(segment.file), offset: 0 };
        segmentRows = this.loaded.rows;
        from = this.loaded.offset;
      } else {
        segmentRows = readSegment(segment.file);
      }
      const end = Math.min(segmentRows.length, from + (max - rows.length));
      for (let j = from; j < end; j++) rows.push(segmentRows[j] as QueuedReading);
      parts.push({ segment, rows: segmentRows, from, end });
    }
    const memoryRows = rows.length < max && parts.every((p) => p.end >= p.rows.length) ? this.memory.splice(0, max - rows.length) : [];
    for (const r of memoryRows) rows.push(r);
    this.inflight = { parts, memoryRows };
    return rows;
  }

  commit(): void {
    const f = this.inflight;
    this.inflight = undefined;
    if (!f) return;
    for (const part of f.parts) {
      // Dropped meanwhile to make room (counted then): nothing left to remove.
      const at = this.segments.indexOf(part.segment);
      if (at < 0) continue;
      if (part.end >= part.rows.length) {
        rmSync(part.segment.file, { force: true });
        this.spoolBytes -= part.segment.bytes;
        this.segments.splice(at, 1);
        if (this.loaded?.segment === part.segment) this.loaded = undefined;
      } else {
        this.loaded = { segment: part.segment, rows: part.rows, offset: part.end };
      }
    }
  }

  giveBack(): void {
    const f = this.inflight;
    this.inflight = undefined;
    if (!f) return;
    // Rows of segments stay where they are (read again next time); memory rows go back in front.
    if (f.memoryRows.length > 0) this.memory = f.memoryRows.concat(this.memory);
    for (const part of f.parts) {
      // A segment dropped to make room while its rows were in flight: those rows were not written after all.
      if (this.segments.includes(part.segment)) continue;
      this.dropped += part.end - part.from;
      this.o.onDrop?.(part.end - part.from);
    }
  }

  /** Moves everything in memory to disk (on shutdown, so a restart loses nothing). */
  spillAll(): void {
    const segmentSize = this.o.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    while (this.memory.length > 0) this.spill(this.memory.splice(0, segmentSize));
  }

  private spill(rows: StoredReading[]): void {
    let text = '';
    for (const r of rows) text += `${readingLine(r)}\n`;
    const bytes = Buffer.byteLength(text);
    // Make room first: the oldest segment goes, never the newest data.
    while (this.segments.length > 0 && this.spoolBytes + bytes > this.o.maxSpoolBytes) {
      const oldest = this.segments[0] as Segment;
      let lost = this.loaded?.segment === oldest ? oldest.count - this.loaded.offset : oldest.count;
      if (this.loaded?.segment === oldest) this.loaded = undefined;
      // Rows of it in flight are written or not: counted when given back, not here.
      const part = this.inflight?.parts.find((p) => p.segment === oldest);
      if (part) lost -= part.end - part.from;
      this.dropped += lost;
      this.o.onDrop?.(lost);
      rmSync(oldest.file, { force: true });
      this.spoolBytes -= oldest.bytes;
      this.segments.shift();
    }
    const name = `seg-${String(this.nextSeq++).padStart(12, '0')}-${rows.length}.lp`;
    const file = path.join(this.o.dir, name);
    const tmp = `${file}.tmp`;
    if (this.o.discardExisting) {
      // Never read after a restart: no sync, no rename.
      writeFileSync(file, text);
    } else {
      writeFileSync(tmp, text);
      const fd = openSync(tmp, 'r');
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, file);
    }
    this.segments.push({ file, count: rows.length, bytes });
    this.spoolBytes += bytes;
  }
}

function readSegment(file: string): QueuedReading[] {
  if (file.endsWith('.lp')) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.pop(); // after the last newline
    return lines;
  }
  const rows = JSON.parse(readFileSync(file, 'utf8')) as Row[];
  return rows.map(([id, ts, v, q, source, site]) => ({ id, ts, v, q, source, site }));
}
