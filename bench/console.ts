// Benchmark of the console: sustained event ingest (events/s through POST /api/agent/v1/events, signed, over TLS on
// loopback) into SQLite and into PostgreSQL, then API latency (p50/p99) with many simulated agents heartbeating and
// uploading. The console runs as its own process (`omamori console`); this process is the load. Bounded in count
// and time; loopback only. Usage: npm run bench:console [-- --agents 1000 --seconds 20 --ingest-seconds 10 --store sqlite|postgres|both]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_API_PREFIX, AGENT_HEADERS, requestSigningPayload } from '@omamori/policy';
import { openStore } from '@omamori/console';
import { startPostgres } from '../packages/console/test/pg.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] ?? def : def; };
const AGENTS = Number(arg('agents', '1000'));
const SECONDS = Number(arg('seconds', '20'));
const INGEST_SECONDS = Number(arg('ingest-seconds', '10'));
const STORE = arg('store', 'both');
const HEARTBEAT_S = 10; // each simulated agent: one heartbeat and one upload of 10 events per 10 s
const root = new URL('..', import.meta.url).pathname;

interface SimAgent { id: string; key: KeyObject; seq: number }

const httpAgent = new https.Agent({ keepAlive: true, maxSockets: 64, rejectUnauthorized: false });

function request(port: number, method: string, path: string, body: unknown, a: SimAgent): Promise<number> {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const time = Date.now(); const nonce = randomBytes(16).toString('hex');
  const hash = raw ? createHash('sha256').update(raw).digest('hex') : '';
  const sig = sign(null, Buffer.from(requestSigningPayload(method, path, time, nonce, hash)), a.key).toString('base64');
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, agent: httpAgent, headers: {
      [AGENT_HEADERS.agent]: a.id, [AGENT_HEADERS.time]: String(time), [AGENT_HEADERS.nonce]: nonce, [AGENT_HEADERS.signature]: sig,
      ...(raw ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(raw)) } : {}),
    } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end(raw || undefined);
  });
}

function events(a: SimAgent, n: number) {
  return Array.from({ length: n }, () => {
    const i = a.seq++;
    return { key: `${a.id}-${i}`, time: Date.now(), verdict: i % 3 ? 'audit-deny' : 'deny', reason: 'USER_SPACE_EXEC', rule: i % 5 ? 'launch.user-space' : 'guarded.children',
      policyVersion: '1', kind: 'process.start', pid: 1000 + (i % 30000), object: `/home/u/Downloads/tool-${i % 50}`,
      lineage: [{ pid: 1, image: '/sbin/init' }, { pid: 900, image: '/usr/bin/bash' }, { pid: 1000 + (i % 30000), image: `/home/u/Downloads/tool-${i % 50}` }] };
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
}

async function startConsoleProcess(dataDir: string, port: number, db?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'packages/cli/bin/omamori.mjs'), '--lang', 'en', 'console', '--data', dataDir,
    '--listen', `127.0.0.1:${port}`, '--log-level', 'error', ...(db ? ['--db', db] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (/listening on/.test(out)) resolve(); });
    child.on('exit', (c) => reject(new Error(`console exited ${c}: ${out}`)));
  });
  return child;
}

/** Registers simulated agents straight in the store (enrollment is rate-limited per address by design). */
async function makeAgents(dbSpec: string, n: number): Promise<SimAgent[]> {
  const store = await openStore(dbSpec);
  const agents: SimAgent[] = [];
  const now = Date.now();
  const rows = [];
  for (let i = 0; i < n; i++) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const id = `bench-${i}-${randomBytes(4).toString('hex')}`;
    agents.push({ id, key: privateKey, seq: 0 });
    rows.push({ id, group_id: 'default', hostname: `host-${i}`, platform: 'linux', public_key: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      enrolled_at: now, last_seen: now, state: 'enrolled', agent_version: 'bench', reported_version: 0, mode: null, spooled: 0,
      issued_version: 0, issued_hash: '', issued_key: '', issued_policy: null });
  }
  for (let i = 0; i < rows.length; i += 200) await store.db.insertInto('agents').values(rows.slice(i, i + 200)).execute();
  await store.close();
  return agents;
}

async function ingest(port: number, agents: SimAgent[]): Promise<{ events: number; seconds: number; errors: number }> {
  const BATCH = 1000; const WORKERS = 4;
  const end = Date.now() + INGEST_SECONDS * 1000;
  const t0 = process.hrtime.bigint();
  let sent = 0; let errors = 0;
  await Promise.all(Array.from({ length: WORKERS }, async (_, w) => {
    const a = agents[w]!;
    while (Date.now() < end && sent < 2_000_000) {
      const status = await request(port, 'POST', `${AGENT_API_PREFIX}/events`, { events: events(a, BATCH) }, a);
      if (status === 200) sent += BATCH; else errors++;
    }
  }));
  return { events: sent, seconds: Number(process.hrtime.bigint() - t0) / 1e9, errors };
}

async function fleet(port: number, agents: SimAgent[]): Promise<{ requests: number; p50: number; p99: number; max: number; errors: number; rps: number }> {
  const lat: number[] = []; let errors = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = Date.now();
  await Promise.all(agents.map(async (a) => {
    await new Promise((r) => setTimeout(r, Math.random() * HEARTBEAT_S * 1000));
    let version = 0;
    while (Date.now() < end) {
      const next = Date.now() + HEARTBEAT_S * 1000;
      for (const [path, body] of [['/heartbeat', { state: 'protecting', agentVersion: 'bench', policyVersion: version, spooled: 0 }], ['/events', { events: events(a, 10) }]] as const) {
        const s = process.hrtime.bigint();
        try {
          const status = await request(port, 'POST', `${AGENT_API_PREFIX}${path}`, body, a);
          if (status !== 200) errors++;
        } catch { errors++; }
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      version = 1; // after the first heartbeat the agent has the policy (the response carried it)
      const wait = next - Date.now();
      if (wait > 0 && Date.now() + wait < end) await new Promise((r) => setTimeout(r, wait)); else break;
    }
  }));
  lat.sort((x, y) => x - y);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  return { requests: lat.length, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? 0, errors, rps: lat.length / ((Date.now() - t0) / 1000) };
}

async function runOn(label: string, dbSpec: string, dataDir: string, dbArg?: string): Promise<void> {
  const port = await freePort();
  const child = await startConsoleProcess(dataDir, port, dbArg);
  try {
    const agents = await makeAgents(dbSpec, Math.max(AGENTS, 4));
    const ing = await ingest(port, agents);
    console.log(`${label.padEnd(10)} ingest: ${Math.round(ing.events / ing.seconds).toLocaleString('en')} events/s (${ing.events.toLocaleString('en')} events in ${ing.seconds.toFixed(1)} s, batches of 1000, 4 uploaders, ${ing.errors} errors)`);
    const f = await fleet(port, agents.slice(0, AGENTS));
    console.log(`${label.padEnd(10)} fleet:  ${AGENTS} agents (heartbeat + 10-event upload each per ${HEARTBEAT_S} s) for ${SECONDS} s: ${f.requests} requests, ${f.rps.toFixed(0)} req/s, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms, max ${f.max.toFixed(1)} ms, ${f.errors} errors`);
    console.log(`${label.padEnd(10)} targets: ingest >= 20,000 events/s ${ing.events / ing.seconds >= 20000 ? 'met' : 'NOT met'}; p99 < 100 ms ${f.p99 < 100 ? 'met' : 'NOT met'}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const work = mkdtempSync(join(tmpdir(), 'omamori-bench-console-'));
try {
  console.log(`bench:console — ${AGENTS} agents, ingest ${INGEST_SECONDS} s, fleet ${SECONDS} s, TLS on loopback, console in its own process`);
  if (STORE === 'sqlite' || STORE === 'both') {
    const dir = join(work, 'sqlite');
    await runOn('SQLite', `sqlite:${join(dir, 'console.db')}`, dir);
  }
  if (STORE === 'postgres' || STORE === 'both') {
    const pg = await startPostgres();
    try {
      const url = await pg.createDatabase('bench');
      await runOn('PostgreSQL', url, join(work, 'pg'), url);
    } finally { pg.stop(); }
  }
} finally {
  httpAgent.destroy();
  rmSync(work, { recursive: true, force: true });
}
