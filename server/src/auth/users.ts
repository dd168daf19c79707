import type { Role } from '@park/protocol';
import { hashPasswordSync, tokenDigest, verifyPassword, verifyPasswordSync } from './passwords.js';

export interface UserRecord {
  username: string;
  role: Role;
  passwordHash: string;
}

export interface TokenRecord {
  name: string;
  role: Role;
  /** SHA-256 of the token, hex. */
  sha256: string;
}

/** The demo users of the fixed interfaces: each name is also its role; password `demo-` + name. */
export const DEMO_USERNAMES: readonly Role[] = ['admin', 'engineer', 'operator', 'commander', 'viewer'];

export class UserDirectory {
  private readonly users = new Map<string, UserRecord>();
  private readonly tokens = new Map<string, TokenRecord>();
  // Compared against when the user does not exist, so timing does not tell.
  private dummyHash = '';

  /** At start-up: the hashes and checks here run on the main thread (see `hashPasswordSync`). */
  static async create(o: { users: readonly UserRecord[]; tokens: readonly TokenRecord[]; demo: boolean }): Promise<UserDirectory> {
    const dir = new UserDirectory();
    if (!o.demo) {
      // A demo password on a real park is an open door: refuse to start.
      for (const u of o.users) {
        for (const guess of new Set([`demo-${u.username}`, `demo-${u.role}`])) {
          if (verifyPasswordSync(guess, u.passwordHash)) throw new DemoPasswordError(u.username);
        }
      }
    }
    if (o.demo) {
      for (const name of DEMO_USERNAMES) dir.users.set(name, { username: name, role: name, passwordHash: hashPasswordSync(`demo-${name}`) });
    }
    for (const u of o.users) dir.users.set(u.username, u);
    for (const t of o.tokens) dir.tokens.set(t.sha256, t);
    dir.dummyHash = hashPasswordSync('not a password');
    return dir;
  }

  /** The user when the password is right, else undefined. */
  async authenticate(username: string, password: string): Promise<{ user: string; role: Role } | undefined> {
    const u = this.users.get(username);
    const ok = await verifyPassword(password, u?.passwordHash ?? this.dummyHash);
    return u && ok ? { user: u.username, role: u.role } : undefined;
  }

  byToken(token: string): { user: string; role: Role } | undefined {
    const t = this.tokens.get(tokenDigest(token));
    return t ? { user: `token:${t.name}`, role: t.role } : undefined;
  }

  count(): number {
    return this.users.size;
  }
}

export class DemoPasswordError extends Error {
  override name = 'DemoPasswordError';
  constructor(readonly username: string) {
    super(`user "${username}" has a demo password: set a real one (npm run server -- hash-password) before starting without demo mode`);
  }
}
