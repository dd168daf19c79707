import type { Logger } from '../log.js';
import type { AuditEntry, InfluxStore } from '../influx/influx-store.js';
import { RetryingWriter } from '../influx/retrying-writer.js';
import type { ChainPoint } from '../journal-chain/chain.js';
import { JournalChains } from '../journal-chain/journal-chains.js';

/**
 * Appends audit entries to InfluxDB without ever blocking or failing the
 * audited action. The points are those of `InfluxStore.writeAudit` (measurement
 * `audit`, tag `action`), sealed into the audit hash chain as they are
 * written (journal-chain/). Two entries of one action in the same
 * millisecond are a millisecond apart, so neither overwrites the other.
 */
export class AuditLog {
  private readonly writer: RetryingWriter<ChainPoint>;

  constructor(store: InfluxStore, log: Logger) {
    const chains = new JournalChains(store);
    this.writer = new RetryingWriter('audit', (batch) => chains.write(batch), log, { delayMs: 50 });
  }

  record(entry: Omit<AuditEntry, 'ts'> & { ts?: number }): void {
    this.writer.push({ measurement: 'audit', tags: { action: entry.action }, fields: { user: entry.user, target: entry.target, ok: entry.ok, detail: entry.detail }, ts: entry.ts ?? Date.now() });
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
