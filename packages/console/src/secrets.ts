// Passwords (scrypt), random tokens, token hashes and the console's Ed25519 policy-signing key. The signing key lives
// in the key store (keys.ts: files beside a SQLite database, the database itself for PostgreSQL so that every
// console process serving one database signs with the same key).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt, sign, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.ts';
import { keyOnce, type KeyStore } from './keys.ts';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, (err, key) => err ? reject(err) : resolve(key));
  });
}

/** `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [tag, n, r, p, salt, hash] = stored.split('$');
  if (tag !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64');
  const got = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password, Buffer.from(salt, 'base64'), want.length, { N: Number(n), r: Number(r), p: Number(p) }, (err, key) => err ? reject(err) : resolve(key));
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * A URL-safe random token with `bytes` of entropy. Prefixed so it never starts with '-' (a command line would take it
 * for an option: `omamori agent enroll --token T`) and is recognisable in a secret scanner.
 */
export function newToken(bytes = 32): string {
  return `omt_${randomBytes(bytes).toString('base64url')}`;
}

export function newId(): string {
  return randomBytes(12).toString('base64url');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a); const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads a setting, or stores `make()` if absent (first writer wins across processes) and returns what is stored. */
export async function settingOnce(db: Kysely<Database>, key: string, make: () => string | Promise<string>): Promise<string> {
  const have = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  if (have) return have.value;
  const value = await make();
  await db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return row.value;
}

export interface SigningKey {
  /** SPKI DER, base64: what agents pin at enrollment. */
  publicKey: string;
  sign(payload: string): string;
}

export async function loadSigningKey(keys: KeyStore): Promise<SigningKey> {
  const pem = await keyOnce(keys, 'policy-signing-key', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  });
  const key = createPrivateKey(pem);
  const publicKey = createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
  return { publicKey, sign: (payload) => sign(null, Buffer.from(payload), key).toString('base64') };
}
