// HTTPS to the console with its certificate pinned (the one seen, or given by fingerprint, at enrollment), and
// signed agent requests (Ed25519 over method + path + time + nonce + body hash; see @omamori/policy protocol).
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import tls, { type PeerCertificate } from 'node:tls';
import { AGENT_HEADERS, requestSigningPayload } from '@omamori/policy';

export class SyncError extends Error {
  constructor(readonly code: string, message: string, readonly status?: number) { super(message); }
}

export interface Pin { certPem: string; fingerprint: string }

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
  request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signer?: Signer): Promise<T>;
  close(): void;
}

export interface Signer { agentId: string; key: KeyObject }

export function createTransport(baseUrl: string, pin: Pin | undefined, timeoutMs = 15_000): Transport {
  const u = new URL(baseUrl);
  const secure = u.protocol === 'https:';
  if (secure && !pin) throw new SyncError('TLS', 'https console without a pinned certificate');
  const agent = secure
    ? new https.Agent({
      keepAlive: true, maxSockets: 2, ca: pin!.certPem,
      // The pinned certificate is the only trust anchor; its fingerprint must match exactly (host names do not matter).
      checkServerIdentity: (_host, cert) => normalizeFingerprint(cert.fingerprint256) === normalizeFingerprint(pin!.fingerprint)
        ? undefined : new Error(`console certificate ${cert.fingerprint256} is not the pinned ${pin!.fingerprint}`),
    })
    : new http.Agent({ keepAlive: true, maxSockets: 2 });
  const lib = secure ? https : http;
  return {
    request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signer?: Signer): Promise<T> {
      const raw = body === undefined ? '' : JSON.stringify(body);
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
      }
      return new Promise<T>((resolve, reject) => {
        const req = lib.request({ protocol: u.protocol, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || (secure ? 443 : 80), method, path: fullPath, headers, agent, timeout: timeoutMs }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) { resolve(json as T); return; }
            const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
            reject(new SyncError(err?.code ?? `HTTP_${status}`, err?.message ?? `HTTP ${status}`, status));
          });
          res.on('error', (e) => reject(new SyncError('NETWORK', e.message)));
        });
        req.on('timeout', () => req.destroy(new Error('request timed out')));
        req.on('error', (e) => reject(new SyncError('NETWORK', e.message)));
        req.end(raw || undefined);
      });
    },
    close() { agent.destroy(); },
  };
}
