// Webhook alerts: one POST of the alert as JSON, signed with HMAC-SHA256 when a secret is set
// (`x-omamori-signature: sha256=<hex>` over the exact body), 10 s timeout, any 2xx is success.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AlertConfig } from './config.ts';
import type { AlertMessage } from './message.ts';

export function sendWebhook(cfg: NonNullable<AlertConfig['webhook']>, m: AlertMessage): Promise<void> {
  const body = JSON.stringify({ source: 'omamori', kind: m.kind, time: new Date(m.time).toISOString(), subject: m.subject, text: m.text, data: m.data });
  const u = new URL(cfg.url);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'omamori-console' };
  if (cfg.secret) headers['x-omamori-signature'] = `sha256=${createHmac('sha256', cfg.secret).update(body).digest('hex')}`;
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method: 'POST', headers, timeout: 10_000, ...(cfg.caPem && u.protocol === 'https:' ? { ca: cfg.caPem } : {}) }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`webhook answered HTTP ${res.statusCode}`)));
    });
    req.on('timeout', () => req.destroy(new Error('webhook timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
