// Fault test with real processes: `omamori console` (SQLite) and `omamori agent run --sync-only` as children; the
// console is killed (SIGKILL, by pid) and restarted while the agent uploads, then the agent is killed and restarted
// too, while events keep arriving in its event store (the upload outbox; written here from another process, as a
// Windows read-back would, so the agent finds them at its next check rather than being told in-process). Every event
// must reach the console exactly once, and no second copy of the events is made.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openEventStore } from '@omamori/agent';

const root = new URL('../../..', import.meta.url).pathname;
const bin = join(root, 'packages/cli/bin/omamori.mjs');

function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
}

function start(args: string[], waitFor: RegExp): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [bin, '--lang', 'en', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${waitFor}: ${out}`)), 30_000);
    const check = () => { if (waitFor.test(out)) { clearTimeout(t); resolve({ child, out: () => out }); } };
    child.stdout!.on('data', check); child.stderr!.on('data', check);
    child.on('exit', (code) => { clearTimeout(t); if (!waitFor.test(out)) reject(new Error(`exited ${code}: ${out}`)); });
  });
}

function api(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    const raw = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({ host: '127.0.0.1', port, method, path, rejectUnauthorized: false, headers: { ...(raw ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined, cookies: ([] as string[]).concat(res.headers['set-cookie'] ?? []) }));
    });
    req.on('error', reject);
    req.end(raw);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => { if (child.exitCode !== null || child.signalCode !== null) resolve(); else { child.once('exit', () => resolve()); child.kill('SIGKILL'); } });
}

test('console and agent killed and restarted during upload: every event arrives exactly once', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-fault-'));
  const data = join(dir, 'console'); const state = join(dir, 'agent');
  const port = await freePort();
  const consoleArgs = ['console', '--data', data, '--listen', `127.0.0.1:${port}`];
  const children: ChildProcess[] = [];
  try {
    let con = await start(consoleArgs, /token=\S+\n/);
    children.push(con.child);
    const token = /token=(\S+)/.exec(con.out())![1]!;
    const fp = /certificate SHA-256: (\S+)/.exec(con.out())![1]!;
    const setup = await api(port, 'POST', '/api/setup', { token, username: 'admin', password: 'correct horse battery' });
    assert.equal(setup.status, 201);
    const cookie = setup.cookies.map((c) => c.split(';')[0]).join('; ');
    const csrf = (setup.json as { csrf: string }).csrf;
    const tok = await api(port, 'POST', '/api/groups/default/tokens', { uses: 1, hours: 1 }, { cookie, 'x-csrf-token': csrf });
    const enroll = spawnSync(process.execPath, [bin, 'agent', 'enroll', '--console', `https://127.0.0.1:${port}`, '--token', (tok.json as { token: string }).token, '--fingerprint', fp, '--state', state], { encoding: 'utf8' });
    assert.equal(enroll.status, 0, enroll.stderr);

    const N = 6000; const CHUNK = 50;
    let produced = 0;
    const producer = (async () => {
      const store = openEventStore(state, { write: true });
      try {
        while (produced < N) {
          const events = Array.from({ length: CHUNK }, (_, i) => ({
            key: `ev-${produced + i}`, time: Date.now(), verdict: 'deny' as const, reason: 'USER_SPACE_EXEC', rule: 'launch.user-space',
            policyVersion: '1', kind: 'process.start', pid: produced + i, object: `/home/u/x${produced + i}`, lineage: [{ pid: 1, image: '/sbin/init' }],
          }));
          store.append(events);
          produced += CHUNK;
          await sleep(15);
        }
      } finally { store.close(); }
    })();

    let agent = await start(['agent', 'run', '--sync-only', '--state', state], /sync only/);
    children.push(agent.child);
    const consoleDb = join(data, 'console.db');
    const count = () => {
      try {
        const db = new Database(consoleDb, { readonly: true });
        try { return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n; } finally { db.close(); }
      } catch { return -1; }
    };
    const waitCount = async (atLeast: number, ms = 60_000) => {
      const end = Date.now() + ms;
      while (count() < atLeast) { if (Date.now() > end) throw new Error(`console has ${count()} events, waited for ${atLeast}`); await sleep(50); }
    };

    await waitCount(300);
    await killed(con.child); // console dies mid-stream
    await sleep(700);
    con = await start(consoleArgs, /listening on/);
    children.push(con.child);
    const before = count();
    await waitCount(before + 300);
    await killed(agent.child); // agent dies too
    agent = await start(['agent', 'run', '--sync-only', '--state', state], /sync only/);
    children.push(agent.child);
    await waitCount(count() + 200);
    await killed(con.child); // and the console once more
    con = await start(consoleArgs, /listening on/);
    children.push(con.child);
    await producer;
    await waitCount(N, 90_000);
    await sleep(1500); // anything doubled would show up now

    const db = new Database(consoleDb, { readonly: true });
    try {
      const rows = db.prepare('SELECT key FROM events').all() as { key: string }[];
      assert.equal(rows.length, N, 'exactly N events');
      const keys = new Set(rows.map((r) => r.key));
      assert.equal(keys.size, N, 'no key twice');
      for (let i = 0; i < N; i++) assert.ok(keys.has(`ev-${i}`), `ev-${i} arrived`);
    } finally { db.close(); }
    const store = openEventStore(state, { write: true });
    try { assert.equal(store.countAfter(Number(store.state('outbox.cursor'))), 0, 'outbox drained'); } finally { store.close(); }
    assert.equal(existsSync(join(state, 'sync.db')), false, 'no second copy of the events');
  } finally {
    for (const c of children) await killed(c);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('omamori console --key-dir keeps the keys in 0600 files there; --new-epoch starts a new policy epoch and says so', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-console-flags-'));
  const children: ChildProcess[] = [];
  try {
    const keys = join(dir, 'keys');
    const args = ['console', '--data', join(dir, 'data'), '--listen', `127.0.0.1:${await freePort()}`, '--key-dir', keys, '--no-tls'];
    let c = await start(args, /token=\S+\n/);
    children.push(c.child);
    assert.match(c.out(), new RegExp(`keys: keys in ${keys}`));
    assert.doesNotMatch(c.out(), /new policy epoch/);
    await killed(c.child);
    for (const f of readdirSync(keys)) assert.equal((statSync(join(keys, f)).mode & 0o777).toString(8), '600', f);
    c = await start([...args, '--new-epoch'], /new policy epoch: \d+\n/);
    children.push(c.child);
    const epoch = Number(/new policy epoch: (\d+)/.exec(c.out())![1]);
    assert.ok(epoch >= Date.now() - 60_000, `epoch ${epoch} is taken from the clock`);
  } finally {
    for (const ch of children) await killed(ch);
    rmSync(dir, { recursive: true, force: true });
  }
});
