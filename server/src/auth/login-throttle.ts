/**
 * Slows password guessing: after `maxFailures` failed logins for one key
 * within the window, further attempts are refused until it passes. Counts
 * are kept in memory and bounded.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();
  constructor(
    private readonly maxFailures = 5,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until another attempt is allowed, 0 when allowed now. */
  retryAfterMs(keys: readonly string[], now = Date.now()): number {
    let wait = 0;
    for (const k of keys) {
      const f = this.failures.get(k);
      if (!f) continue;
      if (now - f.since >= this.windowMs) this.failures.delete(k);
      else if (f.count >= this.maxFailures) wait = Math.max(wait, f.since + this.windowMs - now);
    }
    return wait;
  }

  fail(keys: readonly string[], now = Date.now()): void {
    for (const k of keys) {
      const f = this.failures.get(k);
      if (f && now - f.since < this.windowMs) f.count++;
      else {
        if (this.failures.size >= this.maxKeys) this.failures.clear();
        this.failures.set(k, { count: 1, since: now });
      }
    }
  }

  succeed(keys: readonly string[]): void {
    for (const k of keys) this.failures.delete(k);
  }
}
