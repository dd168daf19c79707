import type { Logger } from '../log.js';

/** Distinct (gateway, code) pairs remembered at most; see `note`. */
export const REJECT_LOG_MAX_KEYS = 1000;

/** Gateway name under which pairs past the bound are counted together. */
export const REJECT_LOG_OVERFLOW = '(other gateways)';

/**
 * Logs rejected messages at a bounded rate: the first of each (gateway, code)
 * at once, then one summary line per interval with how many were dropped, so
 * a flood of garbage cannot flood the log.
 *
 * The gateway part comes from the topic, which any client can choose, so the
 * table itself is bounded too: once it holds `maxKeys` pairs, pairs whose
 * interval has passed with nothing suppressed are forgotten (they carry no
 * count), and if that frees nothing, new pairs share one overflow entry.
 */
export class RejectLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: Logger,
    private readonly message = 'message rejected',
    private readonly intervalMs = 10_000,
    private readonly maxKeys = REJECT_LOG_MAX_KEYS,
  ) {}

  /** Pairs currently remembered (for tests and metrics). */
  get size(): number {
    return this.last.size;
  }

  note(gateway: string, code: string, reason: string, now = Date.now()): void {
    let key = `${gateway}\u0000${code}`;
    if (!this.last.has(key) && this.last.size >= this.maxKeys) {
      this.prune(now);
      if (this.last.size >= this.maxKeys) {
        gateway = REJECT_LOG_OVERFLOW;
        key = `${gateway}\u0000${code}`;
      }
    }
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.log.warn({ gateway, code, reason, suppressedSinceLast: suppressed }, this.message);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.last) {
      if (entry.suppressed === 0 && now - entry.at >= this.intervalMs) this.last.delete(key);
    }
  }
}
