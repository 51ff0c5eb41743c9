// Syslog alerts: RFC 5424 messages over TCP or TLS (RFC 5425), framed by octet counting (RFC 6587 3.4.1):
// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [omamori@32473 …] BOM MSG`. One connection per alert (a receiver restart
// costs nothing), 10 s timeout. 32473 is the enterprise number RFC 5612 reserves for examples and documentation.
import { hostname } from 'node:os';
import net from 'node:net';
import tls from 'node:tls';
import type { AlertConfig } from './config.ts';
import type { AlertMessage } from './message.ts';

const sdValue = (v: unknown) => String(v).replace(/[\\"\]]/g, (c) => `\\${c}`).slice(0, 500);
const token = (s: string, max: number) => (s.replace(/[^!-~]/g, '_') || '-').slice(0, max);

export function formatSyslog(cfg: Pick<NonNullable<AlertConfig['syslog']>, 'facility' | 'appName'>, m: AlertMessage, host = hostname()): string {
  const pri = cfg.facility * 8 + m.severity;
  const params = Object.entries(m.data).filter(([, v]) => v === null || typeof v !== 'object').map(([k, v]) => `${token(k, 32)}="${sdValue(v)}"`);
  const sd = `[omamori@32473 ${params.join(' ')}]`;
  const msg = `${m.subject}\n${m.text}`;
  return `<${pri}>1 ${new Date(m.time).toISOString()} ${token(host, 255)} ${token(cfg.appName, 48)} ${process.pid} ${token(m.kind, 32)} ${sd} \ufeff${msg}`;
}

export function sendSyslog(cfg: NonNullable<AlertConfig['syslog']>, m: AlertMessage): Promise<void> {
  const line = Buffer.from(formatSyslog(cfg, m), 'utf8');
  const frame = Buffer.concat([Buffer.from(`${line.length} `), line]);
  return new Promise((resolve, reject) => {
    const host = cfg.host.replace(/^\[|\]$/g, '');
    const onConnect = () => sock.end(frame, () => resolve());
    const sock = cfg.transport === 'tls'
      ? tls.connect({ host, port: cfg.port, servername: net.isIP(host) ? undefined : (cfg.serverName ?? host), ...(cfg.caPem ? { ca: cfg.caPem } : {}),
        ...(cfg.serverName ? { checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(cfg.serverName!, cert) } : {}) }, onConnect)
      : net.connect({ host, port: cfg.port }, onConnect);
    sock.setTimeout(10_000, () => sock.destroy(new Error('syslog receiver timed out')));
    sock.on('error', reject);
  });
}
