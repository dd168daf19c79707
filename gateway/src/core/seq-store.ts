import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * The data message `seq`, kept in `<dataDir>/seq` so it rises across
 * restarts. Each allocation rewrites the file in place (one small write, no
 * fsync: it survives a killed process through the page cache); every
 * `SYNC_EVERY` allocations it is fsynced. After a power cut the outbox's
 * highest seq also bounds it from below (see `start`).
 */

const SYNC_EVERY = 100;
const WIDTH = 24;

export class SeqStore {
  private fd: number;
  private next: number;
  private sinceSync = 0;

  constructor(dataDir: string, atLeast = 0) {
    const file = path.join(dataDir, 'seq');
    let stored = 0;
    try {
      const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
      if (Number.isSafeInteger(n) && n >= 0) stored = n;
    } catch {
      // first start
    }
    this.next = Math.max(stored, atLeast);
    this.fd = openSync(file, 'a+');
    closeSync(this.fd);
    this.fd = openSync(file, 'r+');
    this.write();
    fsyncSync(this.fd);
  }

  /** The seq for the next message. */
  take(): number {
    const seq = this.next++;
    this.write();
    if (++this.sinceSync >= SYNC_EVERY) {
      this.sinceSync = 0;
      fsyncSync(this.fd);
    }
    return seq;
  }

  peek(): number {
    return this.next;
  }

  private write(): void {
    writeSync(this.fd, `${this.next}\n`.padEnd(WIDTH, ' '), 0);
  }

  close(): void {
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
