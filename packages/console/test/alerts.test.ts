// Alerts on blocks and incidents to real local receivers started here: a webhook (node:http server checking the
// HMAC signature), syslog into Debian's rsyslogd (imtcp, plain TCP and TLS through its gtls driver; what it wrote is
// read back from its output file), and e-mail into Debian's aiosmtpd (python3-aiosmtpd; STARTTLS required, then AUTH
// PLAIN; smtp-receiver.py prints what it received). Rate limits per channel, audit-only events and
// the administrator's test button are checked too. Every receiver is stopped in teardown (rsyslogd by its pid).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateSelfSigned } from '../src/index.ts';
import { createTestConsole, enrollTestAgent, sampleEvent, type TestAgent, type TestConsole } from './helpers.ts';

const RSYSLOGD = '/usr/sbin/rsyslogd';

async function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Rsyslog { port: number; lines(): string[]; stop(): Promise<void> }

/** rsyslogd in the foreground with its own config: one imtcp input (plain or TLS), RFC 5424 fields to a file. */
async function startRsyslog(dir: string, name: string, tlsFiles?: { cert: string; key: string }): Promise<Rsyslog> {
  const port = await freePort();
  const out = join(dir, `${name}.log`);
  const conf = join(dir, `${name}.conf`);
  const global = tlsFiles
    ? `global(workDirectory="${dir}" DefaultNetstreamDriverCAFile="${tlsFiles.cert}" DefaultNetstreamDriverCertFile="${tlsFiles.cert}" DefaultNetstreamDriverKeyFile="${tlsFiles.key}")\n`
      + 'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.Authmode="anon")\n'
    : `global(workDirectory="${dir}")\nmodule(load="imtcp")\n`;
  writeFileSync(conf, `${global}input(type="imtcp" port="${port}" address="127.0.0.1")
template(name="fields" type="string" string="%pri%|%protocol-version%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n")
action(type="omfile" file="${out}" template="fields")
`);
  const child: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, `${name}.pid`)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.on('error', (e) => { stderr += `${e.message} (apt-get install rsyslog rsyslog-gnutls)`; });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout!.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Ready when the port accepts a connection.
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) break;
    if (child.exitCode !== null || child.pid === undefined || Date.now() > end) { child.kill(); throw new Error(`rsyslogd did not start: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    lines: () => existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [],
    async stop() { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } },
  };
}

interface Mail { tls: boolean; auth: string | null; from: string; to: string[]; data: string }
interface Smtp { port: number; mails: Mail[]; stop(): Promise<void> }

/**
 * Debian's aiosmtpd (python3-aiosmtpd) as the mail receiver, STARTTLS required before AUTH: smtp-receiver.py prints
 * its port, then each message as a JSON line.
 */
async function startSmtp(certFile: string, keyFile: string): Promise<Smtp> {
  const mails: Mail[] = [];
  const child: ChildProcess = spawn('/usr/bin/python3', [join(import.meta.dirname, 'smtp-receiver.py'), certFile, keyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  let stderr = '';
  let port = 0;
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (let i; (i = out.indexOf('\n')) >= 0;) {
      const line = out.slice(0, i); out = out.slice(i + 1);
      const p = /^PORT (\d+)$/.exec(line);
      if (p) port = Number(p[1]);
      else if (line.startsWith('{')) mails.push(JSON.parse(line) as Mail);
    }
  });
  const end = Date.now() + 20_000;
  while (!port) {
    if (child.exitCode !== null || Date.now() > end) { child.kill(); throw new Error(`aiosmtpd did not start: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, mails, async stop() { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } } };
}

describe('alerts to real receivers (webhook, rsyslogd over TCP and TLS, SMTP with STARTTLS)', () => {
  let dir: string;
  let tc: TestConsole;
  let agent: TestAgent;
  let plain: Rsyslog; let secure: Rsyslog; let smtp: Smtp;
  let hook: http.Server; let hookPort = 0;
  const hooks: { body: string; signature: string | undefined }[] = [];
  let cert = ''; let certFile = '';
  const SECRET = 'webhook shared secret';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'omamori-alerts-'));
    const m = generateSelfSigned(['localhost']);
    cert = m.cert;
    certFile = join(dir, 'cert.pem');
    writeFileSync(certFile, m.cert); writeFileSync(join(dir, 'key.pem'), m.key);
    plain = await startRsyslog(dir, 'plain');
    secure = await startRsyslog(dir, 'tls', { cert: certFile, key: join(dir, 'key.pem') });
    smtp = await startSmtp(certFile, join(dir, 'key.pem'));
    hook = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => { hooks.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-omamori-signature'] as string | undefined }); res.writeHead(204); res.end(); });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookPort = (hook.address() as net.AddressInfo).port;
    tc = await createTestConsole();
    agent = await enrollTestAgent(tc, { hostname: 'pc-<script>-07' });
  });
  after(async () => {
    await tc?.close();
    await plain?.stop(); await secure?.stop(); await smtp?.stop();
    await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (over: Record<string, unknown> = {}) => ({
    onBlock: true, onIncident: true, perMinute: 1, lang: 'en',
    webhook: { url: `http://127.0.0.1:${hookPort}/hook`, secret: SECRET },
    syslog: { host: '127.0.0.1', port: plain.port, transport: 'tcp', facility: 13, appName: 'omamori' },
    email: { host: '127.0.0.1', port: smtp.port, security: 'starttls', from: 'omamori@example.test', to: ['soc@example.test', 'it@example.test'], username: 'alerts', password: 'smtp password', caPem: cert },
    ...over,
  });

  test('the test button reaches every channel; secrets are not shown back', async () => {
    const put = await tc.admin.req('PUT', '/api/settings/alerts', config());
    assert.equal(put.statusCode, 200, put.body);
    assert.doesNotMatch(put.body, /webhook shared secret|smtp password/);
    const r = (await tc.admin.req('POST', '/api/settings/alerts/test')).json().results as { channel: string; ok: boolean; error?: string }[];
    assert.deepEqual(r.map((x) => `${x.channel}:${x.ok}${x.error ? ` ${x.error}` : ''}`), ['webhook:true', 'syslog:true', 'email:true']);
    await until('test alert in rsyslog', () => plain.lines().some((l) => l.includes('|test|')));
    const line = plain.lines().find((l) => l.includes('|test|'))!.split('|');
    assert.equal(line[0], String(13 * 8 + 5), 'facility 13, severity notice');
    assert.equal(line[1], '1', 'RFC 5424 version');
    assert.equal(line[4], 'omamori');
    assert.equal(smtp.mails.length, 1);
    assert.equal(smtp.mails[0]!.tls, true, 'STARTTLS before anything else');
    assert.equal(smtp.mails[0]!.auth, '\0alerts\0smtp password');
    assert.deepEqual(smtp.mails[0]!.to, ['soc@example.test', 'it@example.test']);
    assert.match(smtp.mails[0]!.data, /^Subject: omamori: test alert$/m);
  });

  test('a block raises one alert per channel (signed webhook JSON, RFC 5424 with structured data, mail); would-blocks do not; the rate limit suppresses and counts', async () => {
    hooks.length = 0; smtp.mails.length = 0;
    const before = plain.lines().length;
    await agent.req('POST', '/events', { events: [sampleEvent('audit-only', { verdict: 'audit-deny' })] });
    assert.equal((await agent.req('POST', '/events', { events: [sampleEvent('b1', { object: '/home/u/Downloads/invoice.exe' })] })).json().accepted, 1);
    await tc.ctx.alerts.flush();
    await until('block alert in rsyslog', () => plain.lines().length > before);
    assert.equal(hooks.length, 1);
    const body = JSON.parse(hooks[0]!.body) as { kind: string; data: { count: number; hostname: string; events: { object: string }[] } };
    assert.equal(body.kind, 'block');
    assert.equal(body.data.count, 1, 'the audit-only event raised nothing');
    assert.equal(body.data.events[0]!.object, '/home/u/Downloads/invoice.exe');
    assert.equal(hooks[0]!.signature, `sha256=${createHmac('sha256', SECRET).update(hooks[0]!.body).digest('hex')}`);
    const f = plain.lines().at(-1)!.split('|');
    assert.equal(f[0], String(13 * 8 + 4), 'severity warning');
    assert.equal(f[6], 'block');
    assert.match(f[7]!, /^\[omamori@32473 .*count="1"/);
    assert.match(f.slice(8).join('|'), /invoice\.exe/);
    assert.equal(smtp.mails.length, 1);
    assert.match(smtp.mails[0]!.data, /^Subject: omamori: 1 block\(s\) on pc-/m);
    // Over the limit (1 a minute): counted, not sent; the next alert after the minute says how many were left out.
    await agent.req('POST', '/events', { events: [sampleEvent('b2')] });
    await tc.ctx.alerts.flush();
    const status = (await tc.admin.req('GET', '/api/settings/alerts')).json().status as { channel: string; sent: number; suppressed: number }[];
    assert.deepEqual(status.map((s) => `${s.channel}:${s.suppressed}`), ['webhook:1', 'syslog:1', 'email:1']);
    assert.equal(hooks.length, 1);
    tc.shift(61_000);
    tc.admin = await tc.login('admin', 'correct horse battery');
    await agent.req('POST', '/events', { events: [sampleEvent('b3')] });
    await tc.ctx.alerts.flush();
    assert.equal(hooks.length, 2);
    assert.match(JSON.parse(hooks[1]!.body).text, /1 earlier alert\(s\) were not sent: rate limit/);
    assert.equal(smtp.mails.length, 2);
  });

  test('an incident raises a critical alert on every channel', async () => {
    hooks.length = 0;
    tc.shift(61_000);
    tc.admin = await tc.login('admin', 'correct horse battery');
    assert.equal((await tc.admin.req('POST', '/api/incidents', { agentId: agent.id })).statusCode, 201);
    await tc.ctx.alerts.flush();
    assert.equal(hooks.length, 1);
    const b = JSON.parse(hooks[0]!.body) as { kind: string; data: { hostname: string } };
    assert.equal(b.kind, 'incident');
    const line = await until('incident in rsyslog', () => plain.lines().find((l) => l.includes('|incident|')));
    assert.equal(line.split('|')[0], String(13 * 8 + 2), 'severity critical');
  });

  test('syslog over TLS: delivered when the receiver certificate checks out, refused with a reason when it does not', async () => {
    const tlsCfg = { host: '127.0.0.1', port: secure.port, transport: 'tls', caPem: cert, serverName: 'localhost', facility: 4, appName: 'omamori' };
    await tc.admin.req('PUT', '/api/settings/alerts', config({ webhook: undefined, email: undefined, syslog: tlsCfg }));
    const ok = (await tc.admin.req('POST', '/api/settings/alerts/test')).json().results as { channel: string; ok: boolean; error?: string }[];
    assert.deepEqual(ok, [{ channel: 'syslog', ok: true }]);
    const line = await until('test alert over TLS', () => secure.lines().find((l) => l.includes('|test|')));
    assert.equal(line.split('|')[0], String(4 * 8 + 5));
    // Another CA: the console refuses the receiver (nothing sent in clear, the reason is reported).
    const other = generateSelfSigned(['localhost']).cert;
    await tc.admin.req('PUT', '/api/settings/alerts', config({ webhook: undefined, email: undefined, syslog: { ...tlsCfg, caPem: other } }));
    const bad = (await tc.admin.req('POST', '/api/settings/alerts/test')).json().results as { channel: string; ok: boolean; error?: string }[];
    assert.equal(bad[0]!.ok, false);
    assert.match(bad[0]!.error ?? '', /certificate|self.signed|verify/i);
    assert.equal(secure.lines().filter((l) => l.includes('|test|')).length, 1);
  });
});
