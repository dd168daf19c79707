import type { Logger } from '../log.js';
import type { AuditEntry, InfluxStore } from '../influx/influx-store.js';
import { RetryingWriter } from '../influx/retrying-writer.js';

/** Appends audit entries to InfluxDB without ever blocking or failing the audited action. */
export class AuditLog {
  private readonly writer: RetryingWriter<AuditEntry>;

  constructor(store: InfluxStore, log: Logger) {
    this.writer = new RetryingWriter('audit', (batch) => store.writeAudit(batch), log, { delayMs: 50 });
  }

  record(entry: Omit<AuditEntry, 'ts'> & { ts?: number }): void {
    this.writer.push({ ts: entry.ts ?? Date.now(), action: entry.action, user: entry.user, target: entry.target, ok: entry.ok, detail: entry.detail });
  }

  get dropped(): number {
    return this.writer.dropped;
  }

  async drain(timeoutMs = 5000): Promise<void> {
    await this.writer.drain(timeoutMs);
  }

  close(): void {
    this.writer.close();
  }
}
