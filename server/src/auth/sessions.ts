import { randomBytes } from 'node:crypto';
import type { Role } from '@park/protocol';

export interface Session {
  user: string;
  role: Role;
  /** When the session ends unless used again (sliding, one shift long by default). */
  expiresAt: number;
}

/** Sessions in memory: a restart logs everyone out, which is acceptable for a control room. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxSessions = 10_000,
  ) {}

  create(user: string, role: Role, now = Date.now()): string {
    if (this.sessions.size >= this.maxSessions) this.prune(now);
    if (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, { user, role, expiresAt: now + this.ttlMs });
    return token;
  }

  get(token: string, now = Date.now()): Session | undefined {
    const s = this.sessions.get(token);
    if (!s) return undefined;
    if (s.expiresAt <= now) {
      this.sessions.delete(token);
      return undefined;
    }
    s.expiresAt = now + this.ttlMs;
    return s;
  }

  delete(token: string): void {
    this.sessions.delete(token);
  }

  private prune(now: number): void {
    for (const [k, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(k);
  }
}
