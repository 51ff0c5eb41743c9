// The console's TLS certificate: given with --tls-cert/--tls-key, or generated once (self-signed, by `openssl`) and
// kept in the key store (keys.ts) so that every console process presents the same certificate that agents pinned at
// enrollment.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyOnce, type KeyStore } from './keys.ts';

export interface TlsMaterial { cert: string; key: string; fingerprint: string }

export function generateSelfSigned(hostnames: string[]): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-tls-'));
  try {
    const san = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', ...hostnames.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`))];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '3650', '-subj', '/CN=omamori-console',
      '-addext', `subjectAltName=${[...new Set(san)].join(',')}`], { stdio: 'pipe' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SHA-256 fingerprint as `AB:CD:…` (what `openssl x509 -fingerprint -sha256` prints). */
export function certFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

export async function consoleTls(keys: KeyStore, given?: { cert: string; key: string }, hostnames: string[] = []): Promise<TlsMaterial> {
  if (given) return { ...given, fingerprint: certFingerprint(given.cert) };
  const both = await keyOnce(keys, 'tls', () => JSON.stringify(generateSelfSigned(hostnames)));
  const { cert, key } = JSON.parse(both) as { cert: string; key: string };
  return { cert, key, fingerprint: certFingerprint(cert) };
}
