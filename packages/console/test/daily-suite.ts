// Issue 13's "missing that such users expect", on the server, against each store (api-sqlite.test.ts,
// api-postgres.test.ts): sign-ins in the audit log, own password, two-factor sign-in, idle sessions, roles limited
// to groups, endpoint revoke/delete and key rotation, signed tasks that expire or are cancelled, machine facts and
// event fields, exports and text search, retention per group and upload quotas, security headers.
// Alerts to real receivers are in alerts.test.ts.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { keyRotationPayload, type HeartbeatResponse, type HeartbeatTasks } from '@omamori/policy';
import { totpCode, TOTP_STEP_MS } from '../src/index.ts';
import { createTestConsole, enrollTestAgent, PASSWORD, sampleEvent, signedInject, type TestConsole } from './helpers.ts';

const hb = (over: Record<string, unknown> = {}) => ({ state: 'protecting', agentVersion: '0.1.0', policyVersion: 0, spooled: 0, ...over });

export function defineDailyTests(label: string, dbUrl: () => string | undefined): void {
  describe(`daily use (${label})`, () => {
    let tc: TestConsole;
    before(async () => { tc = await createTestConsole({ db: dbUrl(), limits: { loginPerMinute: 1000, enrollPerMinute: 1000 } }); });
    after(async () => { await tc?.close(); });

    test('audit log: sign-ins, failed sign-ins and sign-outs, searchable and exported (CSV and JSON)', async () => {
      const op = await tc.user('operator');
      await assert.rejects(tc.login('admin', 'not the password'));
      const s = await tc.login('admin', PASSWORD);
      assert.equal((await s.req('POST', '/api/logout')).statusCode, 200);
      assert.equal((await s.req('GET', '/api/groups')).statusCode, 401, 'the session ended');
      const entries = (await tc.admin.req('GET', '/api/audit?limit=50')).json().entries as { action: string; user: string; detail: { why?: string; username?: string } }[];
      const failed = entries.find((e) => e.action === 'login.failed');
      assert.ok(failed && failed.detail.why === 'password' && failed.detail.username === 'admin', JSON.stringify(failed));
      assert.ok(entries.some((e) => e.action === 'logout' && e.user === 'admin'));
      assert.ok(entries.filter((e) => e.action === 'login').length >= 2);
      const search = (await tc.admin.req('GET', '/api/audit?action=login.failed')).json().entries as unknown[];
      assert.ok(search.length >= 1);
      const csv = await tc.admin.req('GET', '/api/audit/export?format=csv&action=logout');
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers['content-type']), /text\/csv/);
      assert.match(csv.body.split('\r\n')[1] ?? '', /logout/);
      const json = await tc.admin.req('GET', '/api/audit/export?format=json&action=logout');
      assert.equal(JSON.parse(json.body.trim().split('\n')[0]!).action, 'logout');
      assert.equal((await op.req('GET', '/api/audit/export?format=csv')).statusCode, 403, 'the audit log is for administrators');
    });

    test('own password: the current one is asked; others sessions of the user end; the old password no longer works', async () => {
      const v = await tc.user('viewer');
      const me = (await v.req('GET', '/api/me')).json().user as { username: string };
      const other = await tc.login(me.username, PASSWORD);
      const wrong = await v.req('POST', '/api/me/password', { current: 'not it at all', password: 'a new long passphrase' });
      assert.equal(wrong.statusCode, 403);
      assert.equal(wrong.json().error.code, 'WRONG_PASSWORD');
      assert.equal((await v.req('POST', '/api/me/password', { current: PASSWORD, password: 'a new long passphrase' })).statusCode, 200);
      assert.equal((await v.req('GET', '/api/me')).statusCode, 200, 'this session stays');
      assert.equal((await other.req('GET', '/api/me')).statusCode, 401, 'the other session ended');
      await assert.rejects(tc.login(me.username, PASSWORD));
      await tc.login(me.username, 'a new long passphrase');
      const log = (await tc.admin.req('GET', '/api/audit?action=password.change')).json().entries as unknown[];
      assert.equal(log.length, 1);
      assert.equal(((await tc.admin.req('GET', '/api/audit?action=password.change.failed')).json().entries as unknown[]).length, 1);
    });

    test('two-factor sign-in (TOTP): set up, confirmed by a code, then asked at sign-in; a code is taken once', async () => {
      const v = await tc.user('viewer');
      const name = ((await v.req('GET', '/api/me')).json().user as { username: string }).username;
      const setup = (await v.req('POST', '/api/me/totp/setup')).json() as { secret: string; uri: string };
      assert.match(setup.uri, /^otpauth:\/\/totp\//);
      const step = Math.floor(tc.now() / TOTP_STEP_MS);
      const near = [-1, 0, 1].map((d) => totpCode(setup.secret, step + d));
      const wrong = ['000000', '111111', '222222', '333333'].find((c) => !near.includes(c))!;
      assert.equal((await v.req('POST', '/api/me/totp/enable', { code: wrong })).statusCode, 401);
      assert.equal((await v.req('POST', '/api/me/totp/enable', { code: totpCode(setup.secret, step) })).statusCode, 200);
      const noCode = await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: name, password: PASSWORD } });
      assert.equal(noCode.statusCode, 401);
      assert.equal(noCode.json().error.code, 'TOTP_REQUIRED');
      const bad = await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: name, password: PASSWORD, code: 'abcdef' } });
      assert.equal(bad.json().error.code, 'TOTP_INVALID');
      tc.shift(TOTP_STEP_MS);
      const code = totpCode(setup.secret, Math.floor(tc.now() / TOTP_STEP_MS));
      assert.equal((await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: name, password: PASSWORD, code } })).statusCode, 200);
      const again = await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: name, password: PASSWORD, code } });
      assert.equal(again.json().error.code, 'TOTP_INVALID', 'the same code twice');
      const users = (await tc.admin.req('GET', '/api/users')).json().users as { username: string; totp: boolean }[];
      assert.equal(users.find((u) => u.username === name)!.totp, true);
    });

    test('roles limited to groups: an operator of one group neither sees nor changes another group or its endpoints', async () => {
      const g1 = (await tc.admin.req('POST', '/api/groups', { name: `scope-a-${label}` })).json() as { id: string };
      const g2 = (await tc.admin.req('POST', '/api/groups', { name: `scope-b-${label}` })).json() as { id: string };
      const a1 = await enrollTestAgent(tc, { groupId: g1.id, hostname: 'in-scope' });
      const a2 = await enrollTestAgent(tc, { groupId: g2.id, hostname: 'out-of-scope' });
      await a1.req('POST', '/events', { events: [sampleEvent(`scope-1-${label}`, { object: '/home/u/in-scope-file' })] });
      await a2.req('POST', '/events', { events: [sampleEvent(`scope-2-${label}`, { object: '/home/u/out-of-scope-file' })] });
      const name = `scoped-${label.toLowerCase()}`;
      assert.equal((await tc.admin.req('POST', '/api/users', { username: name, password: PASSWORD, role: 'operator', groups: [g1.id] })).statusCode, 201);
      const op = await tc.login(name, PASSWORD);
      const groups = (await op.req('GET', '/api/groups')).json().groups as { id: string }[];
      assert.deepEqual(groups.map((g) => g.id), [g1.id]);
      const eps = (await op.req('GET', '/api/endpoints')).json().endpoints as { id: string }[];
      assert.deepEqual(eps.map((e) => e.id), [a1.id]);
      assert.equal((await op.req('GET', `/api/endpoints/${a2.id}`)).statusCode, 404);
      const evs = (await op.req('GET', '/api/events?q=scope')).json().events as { object: string }[];
      assert.deepEqual(evs.map((e) => e.object), ['/home/u/in-scope-file']);
      const exp = await op.req('GET', '/api/events/export?format=json&q=scope');
      assert.equal(exp.body.trim().split('\n').length, 1);
      assert.equal((await op.req('PATCH', `/api/groups/${g2.id}`, { rollout: 'enforce' })).statusCode, 403);
      assert.equal((await op.req('POST', `/api/groups/${g2.id}/apply-now`)).statusCode, 403);
      assert.equal((await op.req('DELETE', `/api/endpoints/${a2.id}`)).statusCode, 404);
      assert.equal((await op.req('POST', '/api/groups', { name: 'outside' })).statusCode, 403, 'no new groups outside the scope');
      assert.equal((await op.req('PATCH', `/api/groups/${g1.id}`, { rollout: 'enforce' })).statusCode, 200);
    });

    test('endpoints show what the agent reports of its machine; events carry user, command line, SHA-256 and signer; text search', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'facts-host' });
      const host = { os: 'Debian GNU/Linux 12 (bookworm)', kernel: 'Linux 6.18.0', arch: 'x64', addresses: ['192.0.2.10', 'fe80::1'], users: ['hanako'], uptimeSeconds: 7200, bootTime: tc.now() - 7_200_000 };
      assert.equal((await a.req('POST', '/heartbeat', hb({ host, agentVersion: '0.2.0' }))).statusCode, 200);
      const ep = (await tc.admin.req('GET', `/api/endpoints/${a.id}`)).json();
      assert.deepEqual([ep.os, ep.kernel, ep.addresses, ep.users, ep.agentVersion, ep.uptimeSeconds], [host.os, host.kernel, host.addresses, host.users, '0.2.0', 7200]);
      const sha = 'c'.repeat(64);
      const ev = sampleEvent(`facts-${label}`, { object: '/home/hanako/Downloads/請求書.exe', user: 'hanako', commandLine: 'WINWORD.EXE /n "C:\\Users\\hanako\\doc.docm"', sha256: sha.toUpperCase(), signer: 'Contoso Ltd' });
      assert.equal((await a.req('POST', '/events', { events: [ev] })).json().accepted, 1);
      const list = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}&q=${encodeURIComponent('請求書')}`)).json().events as { id: number; user: string; sha256: string; signer: string }[];
      assert.equal(list.length, 1);
      assert.deepEqual([list[0]!.user, list[0]!.sha256, list[0]!.signer], ['hanako', sha, 'Contoso Ltd']);
      assert.equal((await tc.admin.req('GET', `/api/events/${list[0]!.id}`)).json().commandLine, 'WINWORD.EXE /n "C:\\Users\\hanako\\doc.docm"');
      for (const q of ['WINWORD', sha.slice(0, 12), 'hanako']) {
        assert.equal(((await tc.admin.req('GET', `/api/events?endpoint=${a.id}&q=${q}`)).json().events as unknown[]).length, 1, `search ${q}`);
      }
      assert.equal(((await tc.admin.req('GET', `/api/events?endpoint=${a.id}&q=nothing-like-this`)).json().events as unknown[]).length, 0);
      const csv = (await tc.admin.req('GET', `/api/events/export?format=csv&endpoint=${a.id}`)).body.split('\r\n');
      const head = csv[0]!.split(',');
      for (const col of ['user', 'sha256', 'signer']) assert.ok(head.some((h) => h.toLowerCase().includes(col.toLowerCase())), `CSV column ${col}: ${csv[0]}`);
      assert.match(csv[1]!, /Contoso Ltd/);
    });

    test('CSV export neutralises cells a spreadsheet would run as formulas', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'csv-host' });
      await a.req('POST', '/events', { events: [sampleEvent(`csv-${label}`, { object: '=HYPERLINK("http://x","y")', user: '+cmd' })] });
      const body = (await tc.admin.req('GET', `/api/events/export?format=csv&endpoint=${a.id}`)).body;
      assert.ok(!/(^|,)"?[=+]/m.test(body.split('\r\n').slice(1).join('\r\n')), body);
    });

    test('endpoint revoke, delete and key rotation: a revoked agent is refused; a rotated key replaces the old one', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'rotating' });
      assert.equal((await a.req('POST', '/heartbeat', hb())).statusCode, 200);
      assert.equal((await tc.admin.req('POST', `/api/endpoints/${a.id}/rotate-key`)).statusCode, 200);
      const asked = (await a.req('POST', '/heartbeat', hb())).json() as HeartbeatResponse;
      assert.equal(asked.rotateKey, true);
      const next = generateKeyPairSync('ed25519');
      const pub = next.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      const badProof = sign(null, Buffer.from(keyRotationPayload(a.id, pub)), generateKeyPairSync('ed25519').privateKey).toString('base64');
      assert.equal((await a.req('POST', '/rotate-key', { publicKey: pub, proof: badProof })).statusCode, 401);
      const proof = sign(null, Buffer.from(keyRotationPayload(a.id, pub)), next.privateKey).toString('base64');
      assert.equal((await a.req('POST', '/rotate-key', { publicKey: pub, proof })).statusCode, 200);
      const withNew = await signedInject(tc.app, a.id, next.privateKey, 'POST', '/heartbeat', hb());
      assert.equal(withNew.statusCode, 200);
      assert.equal((withNew.json() as HeartbeatResponse).rotateKey, undefined, 'asked once');
      assert.equal((await tc.admin.req('GET', `/api/endpoints/${a.id}`)).json().keyRotationPending, false);
      // Revoke: refused from now on, its events stay; delete: gone.
      await signedInject(tc.app, a.id, next.privateKey, 'POST', '/events', { events: [sampleEvent(`rev-${label}`)] });
      assert.equal((await tc.admin.req('DELETE', `/api/endpoints/${a.id}`)).statusCode, 200);
      const refused = await signedInject(tc.app, a.id, next.privateKey, 'POST', '/heartbeat', hb());
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().error.code, 'AGENT_REVOKED');
      const ep = (await tc.admin.req('GET', `/api/endpoints/${a.id}`)).json();
      assert.equal(ep.state, 'revoked');
      assert.equal(ep.eventCounts.deny, 1);
      assert.equal((await tc.admin.req('DELETE', `/api/endpoints/${a.id}?purge=true`)).statusCode, 200);
      assert.equal((await tc.admin.req('GET', `/api/endpoints/${a.id}`)).statusCode, 404);
      assert.equal(((await tc.admin.req('GET', `/api/events?endpoint=${a.id}`)).json().events as unknown[]).length, 0);
      const actions = ((await tc.admin.req('GET', '/api/audit?limit=100')).json().entries as { action: string; target: string }[]).filter((e) => e.target === `agent:${a.id}`).map((e) => e.action);
      for (const x of ['endpoint.rotate-key', 'agent.key-rotated', 'endpoint.revoke', 'endpoint.delete']) assert.ok(actions.includes(x), `${x} in ${actions.join(',')}`);
    });

    test('signed tasks: a cancelled task is announced as cancelled and never offered; an expired one is not offered', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'tasks-host' });
      await a.req('POST', '/heartbeat', hb());
      const inc = (await tc.admin.req('POST', '/api/incidents', { agentId: a.id })).json() as { id: string };
      const t1 = (await tc.admin.req('POST', `/api/incidents/${inc.id}/actions`, { action: 'isolate' })).json().tasks[0] as string;
      let res = (await a.req('POST', '/heartbeat', hb())).json() as HeartbeatResponse & HeartbeatTasks;
      assert.deepEqual((res.tasks ?? []).map((t) => t.task.id), [t1]);
      assert.ok((res.tasks![0]!.task.expiresAt ?? 0) > tc.now(), 'the task carries its expiry under the signature');
      assert.equal((await tc.admin.req('POST', `/api/tasks/${t1}/cancel`)).statusCode, 200);
      res = (await a.req('POST', '/heartbeat', hb())).json() as HeartbeatResponse & HeartbeatTasks;
      assert.equal((res.tasks ?? []).length, 0);
      assert.deepEqual((res.cancelled ?? []).map((c) => c.cancel.taskId), [t1]);
      const t2 = (await tc.admin.req('POST', `/api/incidents/${inc.id}/actions`, { action: 'isolate' })).json().tasks[0] as string;
      await tc.ctx.db.updateTable('agent_tasks' as never).set({ expires_at: tc.now() - 1 } as never).where('id' as never, '=', t2 as never).execute();
      res = (await a.req('POST', '/heartbeat', hb())).json() as HeartbeatResponse & HeartbeatTasks;
      assert.equal((res.tasks ?? []).length, 0);
      const states = ((await tc.admin.req('GET', `/api/incidents/${inc.id}`)).json() as { tasks: { id: string; state: string }[] }).tasks;
      assert.deepEqual(states.map((t) => `${t.id === t1 ? 't1' : 't2'}:${t.state}`).sort(), ['t1:cancelled', 't2:expired']);
    });

    test('security headers on API answers: CSP without inline script, no framing, nosniff, no referrer; HSTS only under TLS', async () => {
      for (const url of ['/api/health', '/api/groups', '/api/nothing-here']) {
        const r = await tc.app.inject({ url });
        const csp = String(r.headers['content-security-policy']);
        assert.match(csp, /script-src 'self'(;|$)/, url);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.equal(r.headers['x-frame-options'], 'DENY');
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        assert.equal(r.headers['referrer-policy'], 'no-referrer');
        assert.equal(r.headers['strict-transport-security'], undefined, 'not served over TLS here');
      }
      const secure = await createTestConsole({ secure: true });
      try {
        const r = await secure.app.inject({ url: '/api/health' });
        assert.match(String(r.headers['strict-transport-security']), /max-age=\d{7,}/);
      } finally { await secure.close(); }
    });

    // The tests below move the console's clock forward.
    test('upload quota per endpoint (group setting): over it the batch is refused with 429 and nothing of it stored; an hour later it flows', async () => {
      const g = (await tc.admin.req('POST', '/api/groups', { name: `quota-${label}`, uploadPerHour: 3 })).json() as { id: string; effectiveUploadPerHour: number };
      assert.equal(g.effectiveUploadPerHour, 3);
      const a = await enrollTestAgent(tc, { groupId: g.id, hostname: 'chatty' });
      assert.equal((await a.req('POST', '/events', { events: [sampleEvent(`q1-${label}`), sampleEvent(`q2-${label}`)] })).json().accepted, 2);
      const over = await a.req('POST', '/events', { events: [sampleEvent(`q3-${label}`), sampleEvent(`q4-${label}`)] });
      assert.equal(over.statusCode, 429);
      assert.equal(over.json().error.code, 'QUOTA');
      assert.ok(Number(over.headers['retry-after']) > 0, 'a retry hint');
      assert.equal(((await tc.admin.req('GET', `/api/events?endpoint=${a.id}`)).json().events as unknown[]).length, 2);
      const other = await enrollTestAgent(tc, { groupId: g.id, hostname: 'quiet' });
      assert.equal((await other.req('POST', '/events', { events: [sampleEvent(`q5-${label}`)] })).statusCode, 200, 'the quota is per endpoint');
      tc.shift(3600_000 + 1000);
      tc.admin = await tc.login('admin', PASSWORD);
      assert.equal((await a.req('POST', '/events', { events: [sampleEvent(`q3-${label}`), sampleEvent(`q4-${label}`)] })).json().accepted, 2);
    });

    test('retention per group: old events of a group with a short retention are deleted; other groups keep theirs', async () => {
      const g = (await tc.admin.req('POST', '/api/groups', { name: `short-${label}`, retentionDays: 2 })).json() as { id: string };
      const short = await enrollTestAgent(tc, { groupId: g.id, hostname: 'short-lived' });
      const long = await enrollTestAgent(tc, { hostname: 'default-kept' });
      const old = tc.now() - 5 * 86_400_000;
      await short.req('POST', '/events', { events: [sampleEvent(`old-s-${label}`, { time: old }), sampleEvent(`new-s-${label}`)] });
      await long.req('POST', '/events', { events: [sampleEvent(`old-l-${label}`, { time: old })] });
      const run = await tc.admin.req('POST', '/api/settings/retention/run');
      assert.equal(run.statusCode, 200);
      const count = async (id: string) => ((await tc.admin.req('GET', `/api/events?endpoint=${id}`)).json().events as unknown[]).length;
      assert.equal(await count(short.id), 1, 'the 5-day-old event of the 2-day group is gone');
      assert.equal(await count(long.id), 1, 'the default group keeps 90 days');
      assert.equal((await tc.user('operator').then((op) => op.req('POST', '/api/settings/retention/run'))).statusCode, 403);
    });

    test('idle sessions end after the idle time (each use starts it again); the answer says why', async () => {
      const idle = await createTestConsole({ db: dbUrl(), idleMinutes: 15 });
      try {
        const v = await idle.user('viewer');
        for (let i = 0; i < 3; i++) {
          idle.shift(14 * 60_000);
          assert.equal((await v.req('GET', '/api/me')).statusCode, 200, 'used within the idle time');
        }
        idle.shift(16 * 60_000);
        const r = await v.req('GET', '/api/me');
        assert.equal(r.statusCode, 401);
        assert.equal(r.json().error.reason, 'idle');
        assert.equal((await v.req('GET', '/api/me')).json().error.reason, undefined, 'the session is gone');
      } finally { await idle.close(); }
    });
  });
}
