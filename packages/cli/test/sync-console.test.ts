// The real agent sync client against a real console (issue 13 defects 3, 5, 8 and 10 on the agent side, and the
// outbox of issue 11): a failed re-enrollment changes nothing; the event store is the outbox (announced, not polled;
// exactly once across restarts); a batch the console refuses is split until the one bad event is quarantined;
// policies keep their order after a database restore, an older signed file is refused at start and a tampered one
// never drops the agent to audit; the console wakes agents at once; a new certificate is pinned from a signed
// announcement and then served; keys rotate; cancelled and expired tasks do not run; revoked endpoints stop.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { createSyncClient, enrollAgent, fetchCertificate, openEventStore, SyncError, type SyncClient } from '@omamori/agent';
import type { Decision, PolicyDocument } from '@omamori/policy';
import { startHarness, waitUntil, type Harness } from './sync-harness.ts';

const decision = (object: string): Decision => ({ verdict: 'deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space', policyVersion: 'office@1', lineage: [{ pid: 1, image: '/sbin/init' }, { pid: 7, image: object }], object, cacheable: false });

function client(stateDir: string, o: { logs?: string[]; onPolicy?: (d: PolicyDocument) => void; wake?: boolean; store?: ReturnType<typeof openEventStore> } = {}): SyncClient {
  return createSyncClient({
    stateDir, log: (l) => { o.logs?.push(l); }, runState: () => ({ state: 'sync-only' }), uploadIntervalMs: 600_000, wake: o.wake ?? false,
    hostFacts: () => ({ os: 'Test OS 1', kernel: 'Linux 6.18.0-test', addresses: ['192.0.2.7'], users: ['alice'], uptimeSeconds: 3600 }),
    ...(o.onPolicy ? { onPolicy: o.onPolicy } : {}), ...(o.store ? { store: o.store } : {}),
  });
}

async function consoleEvents(h: Harness, agentId: string): Promise<{ key: string; object: string }[]> {
  const r = await h.admin('GET', `/api/events/export?format=json&endpoint=${agentId}&limit=100000`);
  return r.body.trim() ? r.body.trim().split('\n').map((l) => JSON.parse(l) as { key: string; object: string }) : [];
}

test('5: a failed enrollment of an enrolled agent changes nothing of its identity; a good one replaces it', { timeout: 60_000 }, async () => {
  const h = await startHarness({ tls: true });
  try {
    const state = join(h.dir, 'agent');
    const first = await enrollAgent({ consoleUrl: h.url, token: await h.token(), stateDir: state, fingerprint: h.fingerprint! });
    const before = { sync: readFileSync(join(state, 'sync.json'), 'utf8'), keys: readdirSync(state).filter((f) => f.startsWith('agent-key')) };
    await assert.rejects(enrollAgent({ consoleUrl: h.url, token: 'omt_wrong', stateDir: state, fingerprint: h.fingerprint! }), /TOKEN_INVALID|unknown, used up/);
    assert.equal(readFileSync(join(state, 'sync.json'), 'utf8'), before.sync);
    assert.deepEqual(readdirSync(state).filter((f) => f.startsWith('agent-key')), before.keys);
    const c = client(state);
    try { await c.heartbeat(); } finally { await c.stop(); }
    assert.equal(c.enrollment.agentId, first.agentId, 'the old identity still signs');
    const second = await enrollAgent({ consoleUrl: h.url, token: await h.token(), stateDir: state, fingerprint: h.fingerprint! });
    assert.notEqual(second.agentId, first.agentId);
    assert.deepEqual(readdirSync(state).filter((f) => f.startsWith('agent-key')), [second.keyFile], 'one key file: the new one');
  } finally { await h.close(); }
});

test('outbox: events recorded in the event store are uploaded when announced (no polling), exactly once across restarts', { timeout: 60_000 }, async () => {
  const h = await startHarness();
  try {
    const state = join(h.dir, 'agent');
    const e = await enrollAgent({ consoleUrl: h.url, token: await h.token(), stateDir: state });
    const store = openEventStore(state, { write: true });
    let c = client(state, { store });
    c.start();
    for (let i = 0; i < 30; i++) store.record(Date.now(), 'process.start', 100 + i, decision(`/home/u/tool-${i}`));
    await waitUntil('30 events at the console', async () => (await consoleEvents(h, e.agentId)).length === 30);
    await c.stop();
    // More events while the client is down; a new client sends only those.
    for (let i = 30; i < 40; i++) store.record(Date.now(), 'process.start', 100 + i, decision(`/home/u/tool-${i}`));
    c = client(state, { store });
    c.start();
    await waitUntil('40 events at the console', async () => (await consoleEvents(h, e.agentId)).length === 40);
    await c.stop();
    const keys = (await consoleEvents(h, e.agentId)).map((x) => x.object);
    assert.equal(new Set(keys).size, 40, 'no event twice');
    assert.equal(existsSync(join(state, 'sync.db')), false, 'no second copy of the events');
    // What the agent knows of an event (event-facts.ts puts it in the detail) reaches the console as its own fields.
    const sha = 'ab'.repeat(32);
    store.record(Date.now(), 'process.start', 7, decision('/home/u/Downloads/invoice.exe'), { user: 'alice', commandLine: 'cmd /c invoice.exe', sha256: sha, signer: 'Acme Ltd', via: 'exec' });
    c = client(state, { store });
    await c.upload();
    await c.stop();
    const list = (await h.admin('GET', `/api/events?endpoint=${e.agentId}&q=invoice`)).json() as { events: { id: number; user: string; sha256: string; signer: string }[] };
    assert.equal(list.events.length, 1);
    assert.deepEqual([list.events[0]!.user, list.events[0]!.sha256, list.events[0]!.signer], ['alice', sha, 'Acme Ltd']);
    const one = (await h.admin('GET', `/api/events/${list.events[0]!.id}`)).json() as { commandLine: string; detail: unknown };
    assert.equal(one.commandLine, 'cmd /c invoice.exe');
    assert.deepEqual(one.detail, { via: 'exec' });
    store.close();
  } finally { await h.close(); }
});

test('3: a batch the console refuses is split; the one bad event is quarantined with its reason, the others are stored', { timeout: 60_000 }, async () => {
  const h = await startHarness();
  // Between agent and console: the store "refuses" any batch carrying the poisoned event (as PostgreSQL refused
  // values the checks let through), with a 500 each time.
  const target = new URL(h.url);
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const events = req.url?.endsWith('/events') ? (JSON.parse(body.toString()) as { events?: { object: string }[] }).events ?? [] : [];
      if (events.some((x) => x.object.includes('poisoned-file'))) { res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":{"code":"INTERNAL","message":"internal error"}}'); return; }
      const fwd = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); });
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const state = join(h.dir, 'agent');
    const e = await enrollAgent({ consoleUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: await h.token(), stateDir: state });
    const store = openEventStore(state, { write: true });
    for (let i = 0; i < 9; i++) store.record(Date.now(), 'process.start', i, decision(i === 4 ? '/home/u/poisoned-file' : `/home/u/good-${i}`));
    store.record(Date.now(), 'process.start', 99, decision('/home/u/nul\u0000name'));
    const logs: string[] = [];
    const c = client(state, { store, logs });
    let sum = { accepted: 0, duplicates: 0, rejected: 0, quarantined: 0 };
    for (let i = 0; i < 20 && c.outbox.count() > 0; i++) {
      try { const r = await c.upload(); sum = { accepted: sum.accepted + r.accepted, duplicates: sum.duplicates + r.duplicates, rejected: sum.rejected + r.rejected, quarantined: sum.quarantined + r.quarantined }; } catch { /* a 500 before the split: retried */ }
    }
    await c.upload();
    await c.stop();
    assert.equal(c.outbox.count(), 0, 'nothing stuck');
    const stored = (await consoleEvents(h, e.agentId)).map((x) => x.object).sort();
    assert.deepEqual(stored, Array.from({ length: 9 }, (_, i) => i).filter((i) => i !== 4).map((i) => `/home/u/good-${i}`).sort());
    assert.equal(sum.quarantined, 1);
    const q = (await h.admin('GET', `/api/quarantine?endpoint=${e.agentId}`)).json().entries as { source: string; code: string; reason: string; excerpt: string }[];
    assert.deepEqual(q.map((x) => x.code).sort(), ['INTERNAL', 'NUL']);
    assert.ok(q.every((x) => x.source === 'agent'));
    assert.match(q.find((x) => x.code === 'INTERNAL')!.excerpt, /poisoned-file/);
    assert.match(q.find((x) => x.code === 'INTERNAL')!.reason, /500/);
    assert.ok(logs.some((l) => /not uploaded \(NUL/.test(l)));
    store.close();
  } finally { proxy.close(); await h.close(); }
});

test('8: the agent sends its body hash in a header, so large batches are accepted; a tampered body is refused', { timeout: 60_000 }, async () => {
  const h = await startHarness();
  try {
    const state = join(h.dir, 'agent');
    const e = await enrollAgent({ consoleUrl: h.url, token: await h.token(), stateDir: state });
    const store = openEventStore(state, { write: true });
    for (let i = 0; i < 400; i++) store.record(Date.now(), 'process.start', i, decision(`/home/u/${'long-folder-name/'.repeat(20)}file-${i}`));
    const c = client(state, { store });
    const r = await c.upload();
    assert.equal(r.accepted, 400, 'one batch well over 64 KiB went through');
    assert.equal((await consoleEvents(h, e.agentId)).length, 400);
    await c.stop(); store.close();
    const raw = JSON.stringify({ events: [] });
    const forged = await h.c.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { 'content-type': 'application/json', 'x-omamori-content-sha256': createHash('sha256').update(raw).digest('hex') }, payload: raw });
    assert.equal(forged.statusCode, 401);
  } finally { await h.close(); }
});

test('10: after a database restore the agent gets a higher version; an older signed file is refused at start; tampering never drops to audit', { timeout: 90_000 }, async () => {
  const h = await startHarness();
  try {
    const state = join(h.dir, 'agent');
    const e = await enrollAgent({ consoleUrl: h.url, token: await h.token(), stateDir: state });
    const g = (await h.admin('POST', '/api/groups', { name: 'restore', rollout: 'enforce' })).json() as { id: string };
    await h.c.db.updateTable('agents').set({ group_id: g.id }).where('id', '=', e.agentId).execute();
    const logs: string[] = [];
    let c = client(state, { logs });
    await c.heartbeat();
    assert.equal(c.policyVersion(), 1);
    const v1 = readFileSync(join(state, 'console-policy.signed.json'), 'utf8');
    const backup = await h.c.db.selectFrom('agents').selectAll().where('id', '=', e.agentId).executeTakeFirstOrThrow();
    for (const rollout of ['audit', 'enforce'] as const) { await h.admin('PATCH', `/api/groups/${g.id}`, { rollout }); await c.heartbeat(); }
    assert.equal(c.policyVersion(), 3);
    assert.equal(c.currentPolicy()!.mode, 'enforce');
    // The console's database is restored from the backup taken at v1.
    await h.c.db.updateTable('agents').set({ issued_version: backup.issued_version, issued_epoch: backup.issued_epoch, issued_hash: backup.issued_hash, issued_key: backup.issued_key, issued_policy: backup.issued_policy }).where('id', '=', e.agentId).execute();
    await h.admin('PATCH', `/api/groups/${g.id}`, { policyRef: 'preset:strict' });
    await c.heartbeat();
    assert.equal(c.policyVersion(), 4, 'accepted: issued above what the agent ran');
    assert.ok(!logs.some((l) => /policy refused/.test(l)), logs.join('\n'));
    await c.stop();
    // An older, validly signed policy file put in place of both copies: refused at start; the copy kept with the
    // floor in events.db (v4, strict, lockdown) stays in force and the files are written again from it.
    writeFileSync(join(state, 'console-policy.signed.json'), v1);
    writeFileSync(join(state, 'console-policy.prev.signed.json'), v1);
    logs.length = 0;
    c = client(state, { logs });
    assert.equal(c.currentPolicy()?.mode, 'lockdown', 'the last accepted policy in its mode, not audit');
    assert.equal(c.policyVersion(), 4);
    assert.ok(logs.some((l) => /stored policy refused: console-policy\.signed\.json: VERSION/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => /running the last accepted policy \(version 4, lockdown\) kept in events\.db/.test(l)), logs.join('\n'));
    assert.equal(JSON.parse(readFileSync(join(state, 'console-policy.signed.json'), 'utf8')).envelope.version, 4, 'file restored');
    await c.heartbeat();
    assert.equal(c.policyVersion(), 4, 'nothing new to take');
    await c.stop();
    // A tampered current copy and no usable floor copy either: the default preset in the last accepted mode, and
    // the heartbeat says the policy is missing, so the console issues a version above it at once.
    const cur = JSON.parse(readFileSync(join(state, 'console-policy.signed.json'), 'utf8'));
    cur.envelope.policy = cur.envelope.policy.replace('"lockdown"', '"audit"');
    writeFileSync(join(state, 'console-policy.signed.json'), JSON.stringify(cur));
    const store = openEventStore(state, { write: true });
    const fl = JSON.parse(store.state('policy.floor')!);
    fl.signed.signature = Buffer.alloc(64).toString('base64');
    store.setState('policy.floor', JSON.stringify(fl));
    logs.length = 0;
    c = client(state, { logs, store });
    assert.equal(c.currentPolicy()?.mode, 'lockdown', 'never silently audit');
    assert.ok(logs.some((l) => /running the office preset in the last accepted mode \(lockdown\)/.test(l)), logs.join('\n'));
    await c.heartbeat();
    assert.equal(c.policyVersion(), 5, 'the console issued above the lost version');
    assert.equal(c.currentPolicy()?.mode, 'lockdown');
    assert.match(c.currentPolicy()!.name ?? '', /strict/);
    await c.stop();
    store.close();
  } finally { await h.close(); }
});

test('wake: switching the group to enforce reaches the agent at once, not at its next heartbeat (30 s)', { timeout: 60_000 }, async () => {
  const h = await startHarness({ heartbeatSeconds: 30 });
  try {
    const state = join(h.dir, 'agent');
    const e = await enrollAgent({ consoleUrl: h.url, token: await h.token(), stateDir: state });
    const modes: string[] = [];
    const c = client(state, { wake: true, onPolicy: (d) => modes.push(d.mode) });
    c.start();
    await waitUntil('first policy', () => modes.length >= 1);
    await new Promise((r) => setTimeout(r, 500)); // the long-poll is waiting
    const t0 = Date.now();
    assert.equal((await h.admin('PATCH', '/api/groups/default', { rollout: 'enforce' })).statusCode, 200);
    await waitUntil('enforce at the agent', () => modes.includes('enforce'), 10_000);
    const took = Date.now() - t0;
    assert.ok(took < 10_000, `took ${took} ms`);
    const applied = await h.admin('POST', '/api/groups/default/apply-now');
    assert.equal(applied.json().endpoints, 1);
    const ep = (await h.admin('GET', `/api/endpoints/${e.agentId}`)).json();
    assert.equal(ep.os, 'Test OS 1');
    assert.deepEqual(ep.users, ['alice']);
    assert.equal(ep.host.kernel, 'Linux 6.18.0-test');
    await c.stop();
  } finally { await h.close(); }
});

test('TLS rotation: the next certificate is announced under the old one, pinned, then served — no re-enrollment', { timeout: 90_000 }, async () => {
  const h = await startHarness({ tls: true });
  try {
    const state = join(h.dir, 'agent');
    const e = await enrollAgent({ consoleUrl: h.url, token: await h.token(), stateDir: state, fingerprint: h.fingerprint! });
    const logs: string[] = [];
    const c = client(state, { logs });
    await c.heartbeat();
    const next = (await h.admin('POST', '/api/settings/tls/next', { generate: true })).json() as { fingerprint: string };
    assert.notEqual(next.fingerprint, h.fingerprint);
    await c.heartbeat();
    assert.ok(logs.some((l) => l.includes(`announced its next certificate ${next.fingerprint}`)), logs.join('\n'));
    const saved = JSON.parse(readFileSync(join(state, 'sync.json'), 'utf8')) as { pins: { fingerprint: string }[] };
    assert.equal(saved.pins[0]!.fingerprint, next.fingerprint);
    await c.heartbeat();
    const status = (await h.admin('GET', '/api/settings/tls')).json();
    assert.equal(status.endpointsWithNext, 1);
    assert.equal((await h.admin('POST', '/api/settings/tls/activate')).statusCode, 200);
    assert.equal((await fetchCertificate(h.url)).fingerprint, next.fingerprint, 'the new certificate is served');
    await c.heartbeat();
    assert.equal((await h.admin('GET', `/api/endpoints/${e.agentId}`)).json().currentTls, next.fingerprint);
    await c.stop();
    // An agent that never saw the announcement is refused by its pin.
    const stale = join(h.dir, 'stale');
    const old = JSON.parse(readFileSync(join(state, 'sync.json'), 'utf8'));
    delete old.pins;
    rmSync(stale, { recursive: true, force: true });
    await import('node:fs').then((fs) => { fs.mkdirSync(stale); fs.writeFileSync(join(stale, 'sync.json'), JSON.stringify(old)); fs.copyFileSync(join(state, old.keyFile), join(stale, old.keyFile)); });
    const sc = client(stale);
    await assert.rejects(sc.heartbeat(), /not one of the pinned ones/);
    await sc.stop();
  } finally { await h.close(); }
});

test('key rotation asked by the console; revoked endpoints are refused; cancelled and expired tasks do not run', { timeout: 60_000 }, async () => {
  const h = await startHarness();
  try {
    const state = join(h.dir, 'agent');
    const e = await enrollAgent({ consoleUrl: h.url, token: await h.token(), stateDir: state });
    let ran = 0;
    const c = createSyncClient({ stateDir: state, log: () => {}, runState: () => ({ state: 'sync-only' }), wake: false, uploadIntervalMs: 600_000,
      tasks: { isolate: async () => { ran++; return { status: 'done', message: 'ok' }; } } });
    await c.heartbeat();
    const oldKey = (JSON.parse(readFileSync(join(state, 'sync.json'), 'utf8')) as { keyFile: string }).keyFile;
    assert.equal((await h.admin('POST', `/api/endpoints/${e.agentId}/rotate-key`)).statusCode, 200);
    await c.heartbeat();
    const newKey = (JSON.parse(readFileSync(join(state, 'sync.json'), 'utf8')) as { keyFile: string }).keyFile;
    assert.notEqual(newKey, oldKey);
    assert.equal(existsSync(join(state, oldKey)), false);
    await c.heartbeat();
    const log = (await h.admin('GET', '/api/audit?action=agent.key-rotated')).json().entries;
    assert.equal(log.length, 1);
    // Tasks: one cancelled, one expired before the agent asks.
    const inc = (await h.admin('POST', '/api/incidents', { agentId: e.agentId })).json() as { id: string };
    const t1 = (await h.admin('POST', `/api/incidents/${inc.id}/actions`, { action: 'isolate' })).json().tasks[0] as string;
    assert.equal((await h.admin('POST', `/api/tasks/${t1}/cancel`)).statusCode, 200);
    const t2 = (await h.admin('POST', `/api/incidents/${inc.id}/actions`, { action: 'isolate' })).json().tasks[0] as string;
    await h.c.db.updateTable('agent_tasks' as never).set({ expires_at: Date.now() - 1 } as never).where('id' as never, '=', t2 as never).execute();
    await c.heartbeat();
    await c.tasksIdle();
    assert.equal(ran, 0, 'neither task ran');
    const cs = (await h.admin('GET', `/api/incidents/${inc.id}`)).json() as { tasks: { id: string; state: string }[] };
    assert.deepEqual(cs.tasks.map((t) => t.state).sort(), ['cancelled', 'expired']);
    // Revoked: the console refuses the endpoint from now on.
    assert.equal((await h.admin('DELETE', `/api/endpoints/${e.agentId}`)).statusCode, 200);
    await assert.rejects(c.heartbeat(), (err: unknown) => err instanceof SyncError && err.code === 'AGENT_REVOKED');
    await c.stop();
  } finally { await h.close(); }
});
