import type { Logger } from '../log.js';

/**
 * Logs rejected messages at a bounded rate: the first of each (gateway, code)
 * at once, then one summary line per interval with how many were dropped, so
 * a flood of garbage cannot flood the log.
 */
export class RejectLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly message = 'message rejected',
    private readonly intervalMs = 10_000,
  ) {}

  note(gateway: string, code: string, reason: string, now = Date.now()): void {
    const key = `${gateway}\u0000${code}`;
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.log.warn({ gateway, code, reason, suppressedSinceLast: suppressed }, this.message);
  }
}
