import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The store-and-forward outbox: an append-only log of data messages split
 * into segment files (`<dataDir>/outbox/<n>.seg`), why a segment log rather
 * than an embedded database is in docs/gateway.md.
 *
 * Record: `u32 length | u32 crc32(payload) | payload`, payload
 * `<seq> <readings> <readings JSON array>` in UTF-8. Every `append` is
 * written and fsynced before it returns (batch granularity), so a batch
 * reported as stored survives `kill -9` and a power cut. On open, the
 * segments are scanned; a torn or corrupt tail (a crash mid-write) is cut off.
 *
 * Reading is separate from acknowledging: `next()` hands out records after
 * the read position; `ack()` advances the durable cursor
 * (`<dataDir>/outbox/cursor`, rewritten without fsync: after a power cut at
 * most the records acknowledged since the last page flush are replayed
 * twice, which the server tolerates) and deletes fully acknowledged
 * segments; `rewind()` (after a lost connection) moves the read position back
 * to the cursor. When the log exceeds `maxBytes`, whole segments are dropped
 * from the oldest end and counted.
 */

export interface OutboxRecord {
  seq: number;
  count: number;
  /** The readings as a JSON array, UTF-8, exactly as in the data message. */
  readings: Buffer;
}

interface Segment {
  no: number;
  file: string;
  bytes: number;
  /** Records in the file (including acknowledged ones). */
  count: number;
  readings: number;
  /** Loaded records, for reading. */
  loaded?: OutboxRecord[];
}

export interface OutboxStats {
  /** Records (messages) and readings waiting. */
  messages: number;
  readings: number;
  bytes: number;
  droppedMessages: number;
  droppedReadings: number;
}

const HEADER_BYTES = 8;
const NAME = /^(\d{12})\.seg$/;

export class Outbox {
  private readonly dir: string;
  private segments: Segment[] = [];
  private fd: number | undefined;
  /** Acknowledged position: records before it in segments[0] are done. */
  private ackedInFirst = 0;
  /** Read position: segment number and record index. */
  private readSeg = 0;
  private readIdx = 0;
  private totalBytes = 0;
  /** Number of the next segment: numbers only rise, so a read position past a removed segment never skips a new one. */
  private nextNo = 1;
  droppedMessages = 0;
  droppedReadings = 0;
  /** Highest seq ever stored (to bound the seq after a lost seq file). */
  maxSeq = -1;

  constructor(
    dataDir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
  ) {
    this.dir = path.join(dataDir, 'outbox');
    mkdirSync(this.dir, { recursive: true });
    this.open();
  }

  private open(): void {
    const names = readdirSync(this.dir)
      .map((n) => NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const no of names) {
      this.nextNo = Math.max(this.nextNo, no + 1);
      const file = this.segmentPath(no);
      const { records, validBytes, fileBytes } = readSegment(file);
      if (validBytes < fileBytes) {
        // A torn tail: keep the complete records.
        const fd = openSync(file, 'r+');
        ftruncateSync(fd, validBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
      if (records.length === 0) {
        rmSync(file, { force: true });
        continue;
      }
      for (const r of records) this.maxSeq = Math.max(this.maxSeq, r.seq);
      this.segments.push({ no, file, bytes: validBytes, count: records.length, readings: records.reduce((n, r) => n + r.count, 0) });
      this.totalBytes += validBytes;
    }
    const first = this.segments[0];
    if (first) {
      try {
        const [segText, idxText] = readFileSync(this.cursorPath(), 'utf8').trim().split(' ');
        const segNo = Number(segText);
        const idx = Number(idxText);
        if (segNo === first.no && Number.isSafeInteger(idx) && idx >= 0 && idx <= first.count) this.ackedInFirst = idx;
      } catch {
        // no cursor: replay everything
      }
    }
    this.rewind();
  }

  private segmentPath(no: number): string {
    return path.join(this.dir, `${String(no).padStart(12, '0')}.seg`);
  }

  private cursorPath(): string {
    return path.join(this.dir, 'cursor');
  }

  /**
   * Appends one message and fsyncs it. When the disk is full (ENOSPC,
   * EDQUOT) the oldest waiting segments are dropped and counted, as when the
   * configured size is exceeded, until the message fits; if nothing is left
   * to drop, it throws OutboxDiskFullError and the log is as before the call
   * (a partly written record is cut off).
   */
  append(rec: OutboxRecord): void {
    for (;;) {
      try {
        this.appendOnce(rec);
        return;
      } catch (err) {
        if (!isDiskFull(err)) throw err;
        // Keep the newest: the oldest waiting segment is given up for it, even
        // the one being written when the disk has room for no other.
        if (!this.dropOldest(true)) throw new OutboxDiskFullError((err as Error).message);
      }
    }
  }

  private appendOnce(rec: OutboxRecord): void {
    const head = Buffer.from(`${rec.seq} ${rec.count} `);
    const length = head.length + rec.readings.length;
    const buf = Buffer.allocUnsafe(HEADER_BYTES + length);
    head.copy(buf, HEADER_BYTES);
    rec.readings.copy(buf, HEADER_BYTES + head.length);
    buf.writeUInt32LE(length, 0);
    buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES)), 4);
    let last = this.segments[this.segments.length - 1];
    if (!last || this.fd === undefined || last.bytes >= this.segmentBytes) {
      this.closeActive();
      const no = this.nextNo++;
      last = { no, file: this.segmentPath(no), bytes: 0, count: 0, readings: 0 };
      this.segments.push(last);
      this.fd = openSync(last.file, 'a');
      fsyncDir(this.dir);
    }
    try {
      // A nearly full disk takes part of the record and reports success: a short write is a full disk too.
      const written = writeSync(this.fd, buf);
      if (written !== buf.length) throw Object.assign(new Error(`short write (${written} of ${buf.length} bytes): disk full`), { code: 'ENOSPC' });
      fsyncSync(this.fd);
    } catch (err) {
      // Cut off what part of the record got written, so the log stays readable.
      try {
        ftruncateSync(this.fd, last.bytes);
      } catch {
        // the next open() cuts a torn tail anyway
      }
      if (last.count === 0) {
        this.closeActive();
        this.segments.pop();
        rmSync(last.file, { force: true });
      }
      throw err;
    }
    last.bytes += buf.length;
    last.count++;
    last.readings += rec.count;
    last.loaded?.push(rec);
    this.totalBytes += buf.length;
    this.maxSeq = Math.max(this.maxSeq, rec.seq);
    this.enforceLimit();
  }

  /**
   * Drops the oldest segment, counting what was still waiting in it. The one
   * being written goes only with `includeActive` and only if it holds a
   * record: a disk with room for one segment must still take the newest batches.
   */
  private dropOldest(includeActive = false): boolean {
    const first = this.segments[0];
    if (!first) return false;
    if (this.segments.length === 1) {
      if (!includeActive || first.count === 0) return false;
      this.closeActive();
    }
    const acked = this.ackedInFirst;
    this.droppedMessages += first.count - acked;
    this.droppedReadings += acked === 0 ? first.readings : Math.round((first.readings * (first.count - acked)) / first.count);
    this.removeFirst();
    return true;
  }

  private enforceLimit(): void {
    while (this.totalBytes > this.maxBytes && this.segments.length > 0) {
      const first = this.segments[0] as Segment;
      if (this.segments.length === 1) this.closeActive();
      const acked = this.ackedInFirst;
      this.droppedMessages += first.count - acked;
      // Readings of the unacknowledged part (approximate when part was acked: proportional).
      this.droppedReadings += acked === 0 ? first.readings : Math.round((first.readings * (first.count - acked)) / first.count);
      this.removeFirst();
    }
  }

  private removeFirst(): void {
    const first = this.segments.shift();
    if (!first) return;
    rmSync(first.file, { force: true });
    this.totalBytes -= first.bytes;
    this.ackedInFirst = 0;
    if (this.readSeg === first.no) {
      const next = this.segments[0];
      this.readSeg = next ? next.no : first.no + 1;
      this.readIdx = 0;
    } else if (this.readSeg < first.no) {
      this.rewind();
    }
    this.writeCursor();
  }

  private closeActive(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /** Up to `max` records after the read position, advancing it. */
  next(max: number): OutboxRecord[] {
    const out: OutboxRecord[] = [];
    while (out.length < max) {
      const seg = this.segments.find((s) => s.no >= this.readSeg);
      if (!seg) break;
      if (seg.no !== this.readSeg) {
        this.readSeg = seg.no;
        this.readIdx = 0;
      }
      if (this.readIdx >= seg.count) {
        const after = this.segments.find((s) => s.no > seg.no);
        if (!after) break;
        this.readSeg = after.no;
        this.readIdx = 0;
        continue;
      }
      if (!seg.loaded || seg.loaded.length < seg.count) seg.loaded = readSegment(seg.file).records;
      const rec = seg.loaded[this.readIdx];
      if (!rec) break;
      out.push(rec);
      this.readIdx++;
    }
    return out;
  }

  /**
   * Marks the oldest unacknowledged record done, if it is `seq` (records are
   * acknowledged in order; a record dropped meanwhile for space is ignored).
   */
  ack(seq: number): boolean {
    const first = this.segments[0];
    if (!first) return false;
    if (!first.loaded || first.loaded.length < first.count) first.loaded = readSegment(first.file).records;
    if (first.loaded[this.ackedInFirst]?.seq !== seq) return false;
    this.ackedInFirst++;
    if (this.ackedInFirst >= first.count) {
      if (this.segments.length === 1) this.closeActive();
      this.removeFirst();
    } else {
      this.writeCursor();
    }
    return true;
  }

  /** Back to the oldest unacknowledged record (the in-flight replays were lost with the connection). */
  rewind(): void {
    const first = this.segments[0];
    this.readSeg = first ? first.no : 0;
    this.readIdx = first ? this.ackedInFirst : 0;
  }

  private writeCursor(): void {
    const first = this.segments[0];
    try {
      if (first) writeFileSync(this.cursorPath(), `${first.no} ${this.ackedInFirst}\n`);
      else rmSync(this.cursorPath(), { force: true });
    } catch {
      // best effort: a lost cursor replays some records twice
    }
  }

  /** Nothing waiting to be acknowledged. */
  isEmpty(): boolean {
    return this.pendingMessages() === 0;
  }

  pendingMessages(): number {
    let n = -this.ackedInFirst;
    for (const s of this.segments) n += s.count;
    return Math.max(0, n);
  }

  stats(): OutboxStats {
    let readings = 0;
    for (const s of this.segments) readings += s.readings;
    const first = this.segments[0];
    if (first && this.ackedInFirst > 0) readings -= Math.round((first.readings * this.ackedInFirst) / first.count);
    return { messages: this.pendingMessages(), readings, bytes: this.totalBytes, droppedMessages: this.droppedMessages, droppedReadings: this.droppedReadings };
  }

  close(): void {
    this.closeActive();
    this.writeCursor();
  }
}

function readSegment(file: string): { records: OutboxRecord[]; validBytes: number; fileBytes: number } {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return { records: [], validBytes: 0, fileBytes: 0 };
  }
  const records: OutboxRecord[] = [];
  let off = 0;
  while (off + HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32LE(off);
    const crc = buf.readUInt32LE(off + 4);
    if (off + HEADER_BYTES + len > buf.length) break;
    const payload = buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len);
    if (crc32(payload) !== crc) break;
    const a = payload.indexOf(0x20);
    const b = payload.indexOf(0x20, a + 1);
    if (a <= 0 || b <= a + 1) break;
    const seq = Number(payload.toString('latin1', 0, a));
    const count = Number(payload.toString('latin1', a + 1, b));
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(count)) break;
    records.push({ seq, count, readings: payload.subarray(b + 1) });
    off += HEADER_BYTES + len;
  }
  return { records, validBytes: off, fileBytes: buf.length };
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // not supported on every platform
  }
}

/** Size of the log folder on disk, for tests. */
export function outboxDiskBytes(dataDir: string): number {
  const dir = path.join(dataDir, 'outbox');
  let n = 0;
  for (const f of readdirSync(dir)) if (NAME.test(f)) n += statSync(path.join(dir, f)).size;
  return n;
}

/** The outbox's disk is full and nothing older is left to give up: the message is lost, and counted by the caller. */
export class OutboxDiskFullError extends Error {
  override name = 'OutboxDiskFullError';
}

function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
