import { randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual, createHash, type BinaryLike, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes as stored in the server config: `scrypt$N$r$p$salt$hash`
 * (salt and hash in base64). scrypt is memory-hard and in Node's crypto, so
 * no native dependency is needed.
 */
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scrypt(password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return encode(salt, await scrypt(password, salt, KEY_LENGTH, { N, r: R, p: P }));
}

/**
 * For start-up only, when nothing else waits on the event loop. scrypt takes
 * 16 MB (128·N·r) from malloc; on the libuv pool each of its four threads
 * keeps that in its own glibc arena after the call, so the six hashes of a
 * demo start-up held 64 MB for good. On the main thread it is 16 MB once.
 */
export function hashPasswordSync(password: string): string {
  const salt = randomBytes(16);
  return encode(salt, scryptSync(password, salt, KEY_LENGTH, { N, r: R, p: P }));
}

function encode(salt: Buffer, key: Buffer): string {
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

/** Constant-time comparison; false for any malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const d = decode(encoded);
  if (!d) return false;
  return timingSafeEqual(await scrypt(password, d.salt, d.expected.length, d.options), d.expected);
}

/** `verifyPassword` on the main thread, for start-up only (see `hashPasswordSync`). */
export function verifyPasswordSync(password: string, encoded: string): boolean {
  const d = decode(encoded);
  if (!d) return false;
  return timingSafeEqual(scryptSync(password, d.salt, d.expected.length, d.options), d.expected);
}

function decode(encoded: string): { salt: Buffer; expected: Buffer; options: ScryptOptions } | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (!n || !r || !p || expected.length === 0) return undefined;
  return { salt, expected, options: { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 } };
}

/** API tokens are stored as their SHA-256 (hex): high-entropy secrets need no slow hash. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
