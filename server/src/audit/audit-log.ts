import type { Logger } from '../log.js';
import type { AuditEntry, InfluxStore } from '../influx/influx-store.js';

/**
 * Appends audit entries to InfluxDB. Writes are batched and retried while
 * InfluxDB is away (bounded; the oldest are dropped and counted only past
 * `maxQueued`), so recording an action never blocks or fails the action.
 */
export class AuditLog {
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  dropped = 0;

  constructor(
    private readonly store: InfluxStore,
    private readonly log: Logger,
    private readonly maxQueued = 100_000,
  ) {}

  record(entry: Omit<AuditEntry, 'ts'> & { ts?: number }): void {
    this.queue.push({ ts: entry.ts ?? Date.now(), action: entry.action, user: entry.user, target: entry.target, ok: entry.ok, detail: entry.detail });
    if (this.queue.length > this.maxQueued) {
      this.queue.shift();
      this.dropped++;
    }
    this.schedule(50);
  }

  private schedule(ms: number): void {
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.flush().finally(() => {
        this.writing = undefined;
      });
    }, ms);
  }

  private async flush(): Promise<void> {
    const batch = this.queue.slice(0, 1000);
    try {
      await this.store.writeAudit(batch);
      this.queue.splice(0, batch.length);
      if (this.queue.length > 0) this.schedule(0);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, queued: this.queue.length }, 'audit write failed; will retry');
      this.schedule(2000);
    }
  }

  /** Waits until everything recorded so far is written (or the timeout passes). */
  async drain(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length > 0 || this.writing || this.timer) && Date.now() < deadline) {
      await (this.writing ?? new Promise((r) => setTimeout(r, 20)));
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
