// TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) for two-factor sign-in: secrets in base32 (RFC 4648), codes
// accepted one step either side of now, each step at most once per user (the caller stores the last step used).
import { createHmac, randomBytes } from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const TOTP_STEP_MS = 30_000;

export function base32Encode(buf: Buffer): string {
  let bits = 0; let value = 0; let out = '';
  for (const b of buf) {
    value = (value << 8) | b; bits += 8;
    while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(s: string): Buffer {
  const clean = s.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0; let value = 0; const out: number[] = [];
  for (const ch of clean) {
    const i = B32.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i; bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

export function newTotpSecret(): string { return base32Encode(randomBytes(20)); }

/** The 6-digit code of time step `step` (RFC 4226 dynamic truncation). */
export function totpCode(secret: string, step: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1]! & 0x0f;
  const n = ((h[o]! & 0x7f) << 24) | (h[o + 1]! << 16) | (h[o + 2]! << 8) | h[o + 3]!;
  return String(n % 1_000_000).padStart(6, '0');
}

/** The step `code` belongs to (now, or one step either side), if it is right and after `lastUsed`. */
export function checkTotp(secret: string, code: string, now: number, lastUsed: number | null): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const step = Math.floor(now / TOTP_STEP_MS);
  for (const s of [step, step - 1, step + 1]) {
    if (lastUsed !== null && s <= lastUsed) continue;
    if (totpCode(secret, s) === code) return s;
  }
  return undefined;
}

export function otpauthUri(secret: string, account: string, issuer = 'omamori'): string {
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
}
