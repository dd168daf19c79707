import { ByteWriter, MAX_MESSAGE_BYTES, MAX_READINGS_PER_MESSAGE, writeReading } from '@park/protocol';
import type { Sample } from './types.js';

/**
 * The bounded buffer between drivers and publisher. Readings wait here until
 * `maxBatchReadings` are pending or the oldest has waited `maxBatchDelayMs`;
 * then they leave as one data message's readings (split by count and by
 * bytes). While the publisher cannot take more (live messages awaiting
 * acknowledgement at its limit) they keep waiting; past `capacity` the oldest
 * are dropped and counted.
 */

/** Room left in a message for the envelope (`{"gateway":…,"seq":…,"readings":…,"replay":true}`). */
const ENVELOPE_BYTES = 256;

export interface BatchSink {
  /** Whether a batch can be taken now (else the batcher waits for `drained()`). */
  accepting(): boolean;
  /** Takes one batch: `readings` is the JSON array, UTF-8. */
  send(count: number, readings: Buffer): void;
}

export class Batcher {
  private pending: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Where a batch is written (a message's worth, kept between batches). */
  private readonly out = new ByteWriter(64 * 1024);
  dropped = 0;

  constructor(
    private readonly o: { maxBatchReadings: number; maxBatchDelayMs: number; capacity: number },
    private readonly sink: BatchSink,
  ) {}

  push(samples: readonly Sample[]): void {
    if (samples.length === 0) return;
    for (const s of samples) this.pending.push(s);
    const excess = this.pending.length - this.o.capacity;
    if (excess > 0) {
      this.pending.splice(0, excess);
      this.dropped += excess;
    }
    if (this.pending.length >= this.o.maxBatchReadings) this.flush(false);
    else this.timer ??= setTimeout(() => this.flush(true), this.o.maxBatchDelayMs);
  }

  /** The sink can take more: send what is due. */
  drained(): void {
    if (this.pending.length >= this.o.maxBatchReadings) this.flush(false);
    else if (this.pending.length > 0) this.timer ??= setTimeout(() => this.flush(true), this.o.maxBatchDelayMs);
  }

  /** Sends full batches, and the partial last one when `all` (the delay has passed, or on stop). */
  flush(all: boolean): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const max = Math.min(this.o.maxBatchReadings, MAX_READINGS_PER_MESSAGE);
    let start = 0;
    while (start < this.pending.length && this.sink.accepting()) {
      if (!all && this.pending.length - start < max) break;
      const w = this.out;
      w.at = 0;
      w.byte(0x5b); // [
      let n = 0;
      while (start + n < this.pending.length && n < max) {
        const mark = w.at;
        if (n > 0) w.byte(0x2c); // ,
        writeReading(w, this.pending[start + n] as Sample);
        // The closing bracket and the envelope must still fit.
        if (n > 0 && w.at + 1 + ENVELOPE_BYTES > MAX_MESSAGE_BYTES) {
          w.at = mark;
          break;
        }
        n++;
      }
      w.byte(0x5d); // ]
      this.sink.send(n, Buffer.from(w.bytes()));
      start += n;
    }
    if (start > 0) this.pending.splice(0, start);
    if (this.pending.length > 0 && !this.timer && this.sink.accepting()) this.timer = setTimeout(() => this.flush(true), this.o.maxBatchDelayMs);
  }

  size(): number {
    return this.pending.length;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
