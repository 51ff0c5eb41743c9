// HTTPS to the console with its certificate pinned (the one seen, or given by fingerprint, at enrollment, and those
// the console announced since under its signing key), and signed agent requests (Ed25519 over method + path + time +
// nonce + body hash; see @omamori/policy protocol). The body's hash also goes in a header, so the console checks the
// signature before it reads the body.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import tls, { type PeerCertificate } from 'node:tls';
import { AGENT_HEADERS, requestSigningPayload } from '@omamori/policy';

export class SyncError extends Error {
  constructor(readonly code: string, message: string, readonly status?: number, readonly retryAfterSeconds?: number) { super(message); }
}

export interface Pin { certPem: string; fingerprint: string }

/** TLS errors that mean the console presented a certificate that chains to none of the pins. */
const TLS_REFUSED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED']);

/** Connects without trusting anything and returns the console's certificate, to pin it. */
export function fetchCertificate(url: string, timeoutMs = 10_000): Promise<Pin> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 443), rejectUnauthorized: false, servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname }, () => {
      const cert = sock.getPeerCertificate() as PeerCertificate;
      sock.end();
      if (!cert?.raw) { reject(new SyncError('TLS', 'the console presented no certificate')); return; }
      const b64 = cert.raw.toString('base64').replace(/(.{64})/g, '$1\n');
      resolve({ certPem: `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`, fingerprint: cert.fingerprint256 });
    });
    sock.setTimeout(timeoutMs, () => { sock.destroy(); reject(new SyncError('NETWORK', `timeout connecting to ${u.host}`)); });
    sock.on('error', (e) => reject(new SyncError('NETWORK', e.message)));
  });
}

export function normalizeFingerprint(f: string): string {
  const hex = f.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}

export interface Transport {
  request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signer?: Signer, opts?: { timeoutMs?: number; raw?: string }): Promise<T>;
  /** Trusts these certificates from now on (after a signed announcement). */
  setPins(pins: Pin[]): void;
  close(): void;
}

export interface Signer { agentId: string; key: KeyObject }

export function createTransport(baseUrl: string, pin: Pin | Pin[] | undefined, timeoutMs = 15_000): Transport {
  const u = new URL(baseUrl);
  const secure = u.protocol === 'https:';
  let pins = pin === undefined ? [] : Array.isArray(pin) ? pin : [pin];
  if (secure && pins.length === 0) throw new SyncError('TLS', 'https console without a pinned certificate');
  const makeAgent = () => secure
    ? new https.Agent({
      keepAlive: true, maxSockets: 4, ca: pins.map((p) => p.certPem),
      // The pinned certificates are the only trust anchors; the fingerprint must match one exactly (names do not matter).
      checkServerIdentity: (_host, cert) => pins.some((p) => normalizeFingerprint(cert.fingerprint256) === normalizeFingerprint(p.fingerprint))
        ? undefined : new Error(`console certificate ${cert.fingerprint256} is not pinned (${pins.map((p) => p.fingerprint).join(', ')})`),
    })
    : new http.Agent({ keepAlive: true, maxSockets: 4 });
  let agent = makeAgent();
  const lib = secure ? https : http;
  return {
    request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signer?: Signer, opts: { timeoutMs?: number; raw?: string } = {}): Promise<T> {
      const raw = opts.raw ?? (body === undefined ? '' : JSON.stringify(body));
      const fullPath = new URL(path, baseUrl).pathname + (new URL(path, baseUrl).search);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (raw) { headers['content-type'] = 'application/json'; headers['content-length'] = String(Buffer.byteLength(raw)); }
      if (signer) {
        const time = Date.now(); const nonce = randomBytes(16).toString('hex');
        const hash = raw ? createHash('sha256').update(raw).digest('hex') : '';
        headers[AGENT_HEADERS.agent] = signer.agentId;
        headers[AGENT_HEADERS.time] = String(time);
        headers[AGENT_HEADERS.nonce] = nonce;
        headers[AGENT_HEADERS.signature] = sign(null, Buffer.from(requestSigningPayload(method, fullPath, time, nonce, hash)), signer.key).toString('base64');
        if (raw) headers[AGENT_HEADERS.contentSha256] = hash;
      }
      return new Promise<T>((resolve, reject) => {
        const req = lib.request({ protocol: u.protocol, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || (secure ? 443 : 80), method, path: fullPath, headers, agent, timeout: opts.timeoutMs ?? timeoutMs }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) { resolve(json as T); return; }
            const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
            const retry = Number(res.headers['retry-after']);
            reject(new SyncError(err?.code ?? `HTTP_${status}`, err?.message ?? `HTTP ${status}`, status, Number.isFinite(retry) ? retry : undefined));
          });
          res.on('error', (e) => reject(new SyncError('NETWORK', e.message)));
        });
        req.on('timeout', () => req.destroy(new Error('request timed out')));
        req.on('error', (e: NodeJS.ErrnoException) => reject(TLS_REFUSED.has(e.code ?? '')
          ? new SyncError('TLS_PIN', `the console's certificate is not one of the pinned ones (${pins.map((p) => p.fingerprint).join(', ')}): ${e.message}; if the console's certificate was replaced without an announcement, enroll again`)
          : new SyncError('NETWORK', e.message)));
        req.end(raw || undefined);
      });
    },
    setPins(next) { pins = next; const old = agent; agent = makeAgent(); old.destroy(); },
    close() { agent.destroy(); },
  };
}
