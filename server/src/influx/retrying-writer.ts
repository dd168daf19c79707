import type { Logger } from '../log.js';

/**
 * Writes records in batches and keeps them while the write fails, retrying
 * with back-off, so recording (an audit entry, an alarm transition) never
 * blocks or fails the action that produced it. Bounded: past `maxQueued`
 * the oldest are dropped and counted.
 */
export class RetryingWriter<T> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private retryMs = 0;
  private failing = false;
  dropped = 0;

  constructor(
    private readonly name: string,
    private readonly write: (batch: readonly T[]) => Promise<void>,
    private readonly log: Logger,
    private readonly options: { maxQueued?: number; batchSize?: number; delayMs?: number } = {},
  ) {}

  push(item: T): void {
    this.queue.push(item);
    if (this.queue.length > (this.options.maxQueued ?? 100_000)) {
      this.queue.shift();
      this.dropped++;
    }
    this.schedule(this.options.delayMs ?? 20);
  }

  pending(): number {
    return this.queue.length;
  }

  private schedule(ms: number): void {
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.flush().finally(() => {
        this.writing = undefined;
        if (this.queue.length > 0) this.schedule(this.retryMs);
      });
    }, ms);
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.batchSize ?? 1000);
      try {
        await this.write(batch);
      } catch (err) {
        if (!this.failing) this.log.warn({ writer: this.name, err: (err as Error).message, queued: this.queue.length }, 'write failed; will retry');
        this.failing = true;
        this.retryMs = Math.min(10_000, Math.max(500, this.retryMs * 2));
        return;
      }
      this.queue.splice(0, batch.length);
      if (this.failing) this.log.info({ writer: this.name }, 'writes resumed');
      this.failing = false;
      this.retryMs = 0;
    }
  }

  /** Waits until everything pushed so far is written, or the timeout passes; true when written. */
  async drain(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 || this.writing || this.timer) {
      if (Date.now() > deadline) return false;
      await (this.writing ?? new Promise((r) => setTimeout(r, 20)));
    }
    return true;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
