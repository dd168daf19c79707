import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * The accept log: every data message the server accepts is appended here,
 * synchronously, before the MQTT acknowledgement goes out: to an external
 * broker, MQTT.js sends the PUBACK after the `message` listeners return; the
 * embedded broker sends its PUBACK to the publisher only after its
 * `beforeAcknowledge` hook (the ingest) returns. A crash
 * of the server, even `kill -9`, then loses nothing it acknowledged: at the
 * next start the messages after the checkpoint are read back and written to
 * InfluxDB again (a reading written twice overwrites itself).
 *
 * The file is synced to disk every `syncIntervalMs` (power loss costs at most
 * that much); the checkpoint (the first message not yet fully in InfluxDB)
 * moves as writes commit, and segments wholly before it are deleted.
 *
 * Record: u32 length (big-endian) of the rest, u8 gateway length, gateway
 * (UTF-8), the message payload as received.
 */

export interface AcceptedMessage {
  gateway: string;
  payload: Buffer;
}

interface Pending {
  segment: number;
  end: number;
  readings: number;
}

const SEGMENT_PATTERN = /^accept-(\d{12})\.log$/;
const CHECKPOINT = 'checkpoint.json';
/**
 * The checkpoint file is written at most this often (and at close): at
 * 100,000 readings/s writes commit 10–25 times a second, and a file written
 * and renamed each time cost 1 % of a core. After a crash, at most this much
 * more is written to InfluxDB again, which is harmless: a reading written
 * twice overwrites itself.
 */
const CHECKPOINT_INTERVAL_MS = 1000;

export class AcceptLog {
  private segment = 0;
  private fd = -1;
  private size = 0;
  /** Messages appended and not yet wholly written, oldest first. */
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private checkpoint = { segment: 0, offset: 0 };
  /** The checkpoint moved since it was last written, at `checkpointSavedAt` (performance.now()). */
  private checkpointDirty = false;
  private checkpointSavedAt = Number.NEGATIVE_INFINITY;
  private readonly syncTimer: NodeJS.Timeout;
  private dirty = false;
  /** Segments removed to keep the bound while holding uncommitted messages. */
  droppedSegments = 0;

  constructor(
    private readonly dir: string,
    private readonly o: { segmentBytes?: number; maxBytes: number; syncIntervalMs?: number },
  ) {
    mkdirSync(dir, { recursive: true });
    const cp = path.join(dir, CHECKPOINT);
    if (existsSync(cp)) {
      try {
        const c = JSON.parse(readFileSync(cp, 'utf8')) as { segment?: unknown; offset?: unknown };
        if (typeof c.segment === 'number' && typeof c.offset === 'number') this.checkpoint = { segment: c.segment, offset: c.offset };
      } catch {
        // An unreadable checkpoint: replay everything kept, which is only slower.
      }
    }
    const segments = this.segments();
    this.segment = (segments.at(-1) ?? this.checkpoint.segment) + 1;
    this.openSegment();
    this.syncTimer = setInterval(() => this.sync(), o.syncIntervalMs ?? 1000);
    this.syncTimer.unref();
  }

  private segments(): number[] {
    return readdirSync(this.dir)
      .map((n) => SEGMENT_PATTERN.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private file(segment: number): string {
    return path.join(this.dir, `accept-${String(segment).padStart(12, '0')}.log`);
  }

  private openSegment(): void {
    if (this.fd >= 0) {
      fdatasyncSync(this.fd);
      closeSync(this.fd);
    }
    this.fd = openSync(this.file(this.segment), 'a');
    this.size = 0;
  }

  /** The messages of earlier runs after the checkpoint, oldest first (read once, at start). */
  recover(): AcceptedMessage[] {
    const out: AcceptedMessage[] = [];
    for (const seg of this.segments()) {
      if (seg < this.checkpoint.segment || seg >= this.segment) continue;
      const buf = readFileSync(this.file(seg));
      let pos = seg === this.checkpoint.segment ? this.checkpoint.offset : 0;
      while (pos + 5 <= buf.length) {
        const len = buf.readUInt32BE(pos);
        if (pos + 4 + len > buf.length) break; // a record cut by the crash: it was never acknowledged
        const gwLen = buf.readUInt8(pos + 4);
        out.push({ gateway: buf.toString('utf8', pos + 5, pos + 5 + gwLen), payload: buf.subarray(pos + 5 + gwLen, pos + 4 + len) });
        pos += 4 + len;
      }
    }
    return out;
  }

  /** Appends one accepted message carrying `readings` readings; returns when it is in the file (not yet synced). */
  append(gateway: string, payload: Buffer, readings: number): void {
    const gw = Buffer.from(gateway, 'utf8');
    const head = Buffer.alloc(5 + gw.length);
    head.writeUInt32BE(1 + gw.length + payload.length, 0);
    head.writeUInt8(gw.length, 4);
    gw.copy(head, 5);
    writeSync(this.fd, head);
    writeSync(this.fd, payload);
    this.size += head.length + payload.length;
    this.dirty = true;
    this.pending.push({ segment: this.segment, end: this.size, readings });
    if (this.size >= (this.o.segmentBytes ?? 64 * 1024 * 1024)) {
      this.segment++;
      this.openSegment();
      this.enforceBound();
    }
  }

  /** `n` readings, oldest first, are now in InfluxDB (or were dropped and counted): move the checkpoint. */
  committed(n: number): void {
    let left = n;
    let moved: Pending | undefined;
    while (left > 0 && this.pendingHead < this.pending.length) {
      const p = this.pending[this.pendingHead] as Pending;
      const take = Math.min(left, p.readings);
      p.readings -= take;
      left -= take;
      if (p.readings > 0) break;
      moved = p;
      this.pendingHead++;
    }
    if (this.pendingHead > 4096) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    if (!moved) return;
    this.checkpoint = { segment: moved.segment, offset: moved.end };
    this.checkpointDirty = true;
    if (performance.now() - this.checkpointSavedAt >= CHECKPOINT_INTERVAL_MS) this.saveCheckpoint();
  }

  private saveCheckpoint(): void {
    if (!this.checkpointDirty) return;
    this.checkpointDirty = false;
    this.checkpointSavedAt = performance.now();
    const tmp = path.join(this.dir, `${CHECKPOINT}.tmp`);
    writeFileSync(tmp, JSON.stringify(this.checkpoint));
    renameSync(tmp, path.join(this.dir, CHECKPOINT));
    for (const seg of this.segments()) if (seg < this.checkpoint.segment) rmSync(this.file(seg), { force: true });
  }

  /** Readings recovered at start are pending too: they count toward the checkpoint like new ones. */
  recovered(messages: readonly { readings: number }[]): void {
    // Their place in the old segments is behind the current one: once they commit, only
    // new segments remain, so the checkpoint jumps to the start of the current segment.
    for (const m of messages) this.pending.push({ segment: this.segment, end: 0, readings: m.readings });
  }

  private enforceBound(): void {
    const segs = this.segments();
    let total = segs.reduce((sum, s) => sum + statSync(this.file(s)).size, 0);
    for (const s of segs) {
      if (total <= this.o.maxBytes || s >= this.segment) break;
      total -= statSync(this.file(s)).size;
      rmSync(this.file(s), { force: true });
      this.droppedSegments++;
    }
  }

  private sync(): void {
    this.saveCheckpoint();
    if (!this.dirty || this.fd < 0) return;
    this.dirty = false;
    fdatasyncSync(this.fd);
  }

  close(): void {
    clearInterval(this.syncTimer);
    this.saveCheckpoint();
    if (this.fd >= 0) {
      fdatasyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
