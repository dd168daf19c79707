import { describe, expect, it } from 'vitest';
import { DemoPasswordError, UserDirectory } from '../../../server/src/auth/users.js';
import { hashPassword } from '../../../server/src/auth/passwords.js';

describe('users', () => {
  it('refuses to start a real park with a demo password', async () => {
    const users = [{ username: 'zhang', role: 'operator' as const, passwordHash: await hashPassword('demo-operator') }];
    await expect(UserDirectory.create({ users, tokens: [], demo: false })).rejects.toBeInstanceOf(DemoPasswordError);
  });

  it('accepts real passwords and checks them', async () => {
    const users = [{ username: 'zhang', role: 'operator' as const, passwordHash: await hashPassword('a long passphrase 7') }];
    const dir = await UserDirectory.create({ users, tokens: [], demo: false });
    expect(await dir.authenticate('zhang', 'a long passphrase 7')).toEqual({ user: 'zhang', role: 'operator' });
    expect(await dir.authenticate('zhang', 'wrong')).toBeUndefined();
    expect(await dir.authenticate('nobody', 'a long passphrase 7')).toBeUndefined();
    // Demo users exist only in demo mode.
    expect(await dir.authenticate('operator', 'demo-operator')).toBeUndefined();
  });
});
