import { encodeReading, MAX_MESSAGE_BYTES, MAX_READINGS_PER_MESSAGE } from '@park/protocol';
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
  /** Takes one batch: `readings` is the JSON array text. */
  send(count: number, readings: string): void;
}

export class Batcher {
  private pending: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
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
      let text = '[';
      let bytes = 1;
      let n = 0;
      while (start + n < this.pending.length && n < max) {
        const s = this.pending[start + n] as Sample;
        const r = encodeReading(s);
        // Ids (the park schema's pattern), numbers and qualities are ASCII:
        // only an error text can take more bytes than characters.
        const size = s.err === undefined ? r.length : Buffer.byteLength(r);
        if (n > 0 && bytes + size + 1 + ENVELOPE_BYTES > MAX_MESSAGE_BYTES) break;
        text += (n > 0 ? ',' : '') + r;
        bytes += size + 1;
        n++;
      }
      this.sink.send(n, `${text}]`);
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
