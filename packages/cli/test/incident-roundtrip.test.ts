// Incident tasks end to end over HTTP with the REAL sync client and the REAL handlers of `omamori agent run`: a console
// (SQLite, listening on loopback), an agent enrolled with a group token, an incident opened on it; isolate (recording
// nftables runner: nothing touches this machine's firewall), evidence collection over a fake world (the manifest and
// SHA-256 reported match the bundle on disk), the Linux user-space autostart check, a sweep of two agents, and a task
// refused for its signature. Every server, client and temp dir is closed in `after`.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { checkSignedTask, createSyncClient, enrollAgent, systemResolver, type NftRunner, type SyncClient } from '@omamori/agent';
import { buildApp, openStore, prepareSetup, type Store } from '@omamori/console';
import { taskSigningPayload, type AgentTask } from '@omamori/policy';
import { createIncidentTaskHandlers } from '../src/commands/incident-tasks.ts';

const PASSWORD = 'incident test password';

function write(root: string, rel: string, text: string, mode = 0o644): void {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text, { mode });
}

/** A machine's files: alice's cron and XDG autostart start a script in her home (user space). */
function world(dir: string, infected: boolean): string {
  const root = join(dir, 'world');
  write(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
  write(root, 'etc/crontab', 'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n');
  if (infected) {
    write(root, 'home/alice/.cache/x/upd.sh', '#!/bin/sh\necho evil\n', 0o755);
    write(root, 'var/spool/cron/crontabs/alice', '*/5 * * * * /home/alice/.cache/x/upd.sh\n');
  }
  mkdirSync(join(dir, 'proc'), { recursive: true });
  return root;
}

describe('incident tasks with the real sync client', { timeout: 120_000 }, () => {
  let dir = ''; let store: Store; let app: FastifyInstance; let url = '';
  let cookie = ''; let csrf = '';
  const clients: SyncClient[] = [];
  const nftCalls: string[][] = [];
  const nft: NftRunner = (args, stdin) => { nftCalls.push(stdin ? [...args, stdin] : args); return { code: 0, stdout: '', stderr: '' }; };
  const api = (method: string, path: string, body?: unknown): Promise<LightMyRequestResponse> =>
    app.inject({ method: method as 'GET', url: path, headers: { cookie, 'x-csrf-token': csrf }, ...(body !== undefined ? { payload: body as object } : {}) });

  async function agent(name: string, infected: boolean): Promise<{ client: SyncClient; state: string; root: string }> {
    const tok = (await api('POST', '/api/groups/default/tokens', { uses: 1, hours: 1 })).json() as { token: string };
    const state = join(dir, name, 'state'); const root = world(join(dir, name), infected);
    await enrollAgent({ consoleUrl: url, token: tok.token, stateDir: state, hostname: name });
    const client = createSyncClient({
      stateDir: state, log: () => {}, runState: () => ({ state: 'sync-only' }),
      tasks: createIncidentTaskHandlers({
        platform: 'linux', stateDir: state, consoleUrl: () => url, nft, resolver: systemResolver, root,
        runEmocheckCollector: async () => ({ ok: false, message: { en: 'no Windows here', ja: 'Windows ではありません' } }),
        exportEventLogs: () => ({ files: [], problems: [] }), now: () => new Date(),
        collectOverrides: { root, procRoot: join(dir, name, 'proc') },
      }),
    });
    clients.push(client);
    return { client, state, root };
  }
  const beat = async (c: SyncClient) => { await c.heartbeat(); await c.tasksIdle(); };
  const caseOf = async (id: string) => (await api('GET', `/api/incidents/${id}`)).json();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'omamori-incident-'));
    store = await openStore(`sqlite:${join(dir, 'console.db')}`);
    const built = await buildApp({ store, secure: false, heartbeatSeconds: 1 });
    app = built.app;
    const token = await prepareSetup(built.ctx);
    const setup = await app.inject({ method: 'POST', url: '/api/setup', payload: { token, username: 'admin', password: PASSWORD } });
    assert.equal(setup.statusCode, 201, setup.body);
    cookie = ([] as string[]).concat(setup.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    csrf = (setup.json() as { csrf: string }).csrf;
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    for (const c of clients) await c.stop();
    await app?.close(); await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('isolate, collect and check run through the agent and complete their steps', async () => {
    const infected = await agent('pc-infected', true);
    const open = await api('POST', '/api/incidents', { agentId: infected.client.enrollment.agentId });
    assert.equal(open.statusCode, 201, open.body);
    const id = (open.json() as { id: string }).id;

    assert.equal((await api('POST', `/api/incidents/${id}/actions`, { action: 'isolate' })).statusCode, 202);
    await beat(infected.client);
    let c = await caseOf(id);
    assert.equal(c.steps[0].state, 'done', JSON.stringify(c.tasks));
    assert.equal(c.steps[0].doneBy, 'agent:pc-infected');
    assert.equal(c.steps[0].requestedBy, 'admin');
    const applied = nftCalls.find((a) => a.some((x) => x.includes('omamori_isolate') && x.includes('127.0.0.1')));
    assert.ok(applied, `nft got the ruleset keeping the console reachable: ${JSON.stringify(nftCalls)}`);
    const iso = JSON.parse(readFileSync(join(infected.state, 'isolation.json'), 'utf8')) as { isolated: boolean; by: { user: string } };
    assert.equal(iso.isolated, true);
    assert.equal(iso.by.user, 'console:admin');

    await api('POST', `/api/incidents/${id}/actions`, { action: 'collect' });
    await beat(infected.client);
    c = await caseOf(id);
    assert.equal(c.steps[1].state, 'done', JSON.stringify(c.tasks.at(-1)));
    const ev = c.tasks.find((t: { kind: string }) => t.kind === 'collect').evidence;
    assert.equal(createHash('sha256').update(readFileSync(ev.path)).digest('hex'), ev.bundleSha256, 'reported hash is the bundle on the endpoint');
    assert.ok(ev.manifest.parts.some((p: { kind: string }) => p.kind === 'autostart'));

    await api('POST', `/api/incidents/${id}/actions`, { action: 'check' });
    await beat(infected.client);
    c = await caseOf(id);
    assert.equal(c.steps[2].state, 'attention');
    const check = c.tasks.find((t: { kind: string }) => t.kind === 'check').check;
    assert.equal(check.checker, 'linux-autostart');
    assert.ok(check.findings.some((f: { path: string; code: string }) => f.path === '/home/alice/.cache/x/upd.sh' && f.code === 'USERSPACE_AUTOSTART'), JSON.stringify(check));

    await api('POST', `/api/incidents/${id}/actions`, { action: 'release-isolation' });
    await beat(infected.client);
    assert.equal(JSON.parse(readFileSync(join(infected.state, 'isolation.json'), 'utf8')).isolated, false);

    // Sweep: a second, clean endpoint and the infected one, each reports its own result.
    const clean = await agent('pc-clean', false);
    const sweep = await api('POST', `/api/incidents/${id}/actions`, { action: 'sweep' });
    assert.equal((sweep.json() as { tasks: string[] }).tasks.length, 2);
    await beat(clean.client);
    assert.equal((await caseOf(id)).steps[4].state, 'waiting');
    await beat(infected.client);
    c = await caseOf(id);
    assert.equal(c.steps[4].state, 'attention', 'one endpoint has findings');
    assert.deepEqual(c.sweep.map((s: { hostname: string; verdict: string }) => `${s.hostname}:${s.verdict}`).sort(), ['pc-clean:clean', 'pc-infected:findings']);
  });

  test('a task that is not signed by the console, or is for another agent, is refused', () => {
    const e = clients[0]!.enrollment;
    const task: AgentTask = { id: 't1', kind: 'isolate', agentId: e.agentId, createdAt: 1, requestedBy: 'x', reason: 'r' };
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = sign(null, Buffer.from(taskSigningPayload(task)), privateKey).toString('base64');
    const r = checkSignedTask({ task, signature: forged }, e);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /signature/);
  });
});
