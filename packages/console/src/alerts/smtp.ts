// E-mail alerts: a small SMTP client (RFC 5321) — EHLO, STARTTLS when asked (RFC 3207) or implicit TLS, AUTH PLAIN
// when a user is set (only over TLS), MAIL FROM / RCPT TO / DATA with dot-stuffing, QUIT. The message is UTF-8 text
// (RFC 2047 encoded subject), 30 s timeout per conversation. Any unexpected reply aborts with that reply.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import net from 'node:net';
import tls from 'node:tls';
import type { AlertConfig } from './config.ts';
import type { AlertMessage } from './message.ts';

type Sock = net.Socket | tls.TLSSocket;

function reader(sock: Sock) {
  let buf = '';
  let waiting: ((r: { code: number; text: string }) => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  const tryParse = () => {
    // A reply is one or more lines `250-…` ending with `250 …`.
    const lines = buf.split('\r\n');
    for (let i = 0; i < lines.length - 1; i++) {
      if (/^\d{3} /.test(lines[i]!) || /^\d{3}$/.test(lines[i]!)) {
        const text = lines.slice(0, i + 1).join('\n');
        buf = lines.slice(i + 1).join('\r\n');
        const w = waiting; waiting = undefined; failed = undefined;
        w?.({ code: Number(lines[i]!.slice(0, 3)), text });
        return;
      }
    }
  };
  const onData = (d: Buffer) => { buf += d.toString('utf8'); if (waiting) tryParse(); };
  const onError = (e: Error) => { const f = failed; waiting = undefined; failed = undefined; f?.(e); };
  sock.on('data', onData);
  sock.on('error', onError);
  sock.on('close', () => onError(new Error('the SMTP server closed the connection')));
  return {
    next(): Promise<{ code: number; text: string }> {
      return new Promise((resolve, reject) => { waiting = resolve; failed = reject; tryParse(); });
    },
    detach() { sock.off('data', onData); sock.off('error', onError); },
  };
}

const encodeHeader = (s: string) => /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;

export function buildMail(cfg: NonNullable<AlertConfig['email']>, m: AlertMessage): string {
  const body = m.text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  return [
    `From: ${cfg.from}`, `To: ${cfg.to.join(', ')}`, `Subject: ${encodeHeader(m.subject)}`, `Date: ${new Date(m.time).toUTCString()}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@omamori>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit', 'X-Omamori-Alert: ' + m.kind, '', body,
  ].join('\r\n');
}

export async function sendMail(cfg: NonNullable<AlertConfig['email']>, m: AlertMessage): Promise<void> {
  const host = cfg.host.replace(/^\[|\]$/g, '');
  const tlsOpts = { host, servername: net.isIP(host) ? undefined : host, ...(cfg.caPem ? { ca: cfg.caPem } : {}) };
  let sock: Sock = await new Promise<Sock>((resolve, reject) => {
    const s: Sock = cfg.security === 'tls' ? tls.connect({ ...tlsOpts, port: cfg.port }, () => resolve(s)) : net.connect({ host, port: cfg.port }, () => resolve(s));
    s.once('error', reject);
  });
  const timer = setTimeout(() => sock.destroy(new Error('SMTP conversation timed out')), 30_000);
  let r = reader(sock);
  const expect = async (codes: number[], what: string) => {
    const rep = await r.next();
    if (!codes.includes(rep.code)) throw new Error(`SMTP ${what}: ${rep.text.slice(0, 300)}`);
    return rep;
  };
  const cmd = async (line: string, codes: number[], what = line.split(' ')[0]!) => { sock.write(`${line}\r\n`); return expect(codes, what); };
  try {
    await expect([220], 'greeting');
    const me = hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'omamori';
    let ehlo = await cmd(`EHLO ${me}`, [250]);
    if (cfg.security === 'starttls') {
      if (!/STARTTLS/i.test(ehlo.text)) throw new Error('the SMTP server does not offer STARTTLS');
      await cmd('STARTTLS', [220]);
      r.detach();
      sock = await new Promise<Sock>((resolve, reject) => {
        const s = tls.connect({ ...tlsOpts, socket: sock as net.Socket }, () => resolve(s));
        s.once('error', reject);
      });
      r = reader(sock);
      ehlo = await cmd(`EHLO ${me}`, [250]);
    }
    if (cfg.username) {
      if (cfg.security === 'none') throw new Error('refusing to send the SMTP password without TLS');
      const plain = Buffer.from(`\0${cfg.username}\0${cfg.password ?? ''}`).toString('base64');
      await cmd(`AUTH PLAIN ${plain}`, [235], 'AUTH');
    }
    await cmd(`MAIL FROM:<${cfg.from}>`, [250]);
    for (const to of cfg.to) await cmd(`RCPT TO:<${to}>`, [250, 251], 'RCPT');
    await cmd('DATA', [354]);
    sock.write(`${buildMail(cfg, m)}\r\n.\r\n`);
    await expect([250], 'message');
    await cmd('QUIT', [221]).catch(() => { /* the message was taken */ });
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}
