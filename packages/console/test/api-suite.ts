// The console API tests, run against each store (SQLite here, PostgreSQL in api-postgres.test.ts): setup and login,
// CSRF, roles per route, strict schemas, enrollment, signed agent requests, signed policy delivery, idempotent event
// upload, policies with history and diff, rollout, time-boxed exceptions, dashboard, audit.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadPolicy, policySigningPayload, findPreset, type HeartbeatResponse, type SignedPolicy } from '@omamori/policy';
import { createTestConsole, enrollTestAgent, PASSWORD, sampleEvent, type TestConsole } from './helpers.ts';

function verifySigned(p: SignedPolicy, consoleKey: string): boolean {
  const key = createPublicKey({ key: Buffer.from(consoleKey, 'base64'), format: 'der', type: 'spki' });
  return verify(null, Buffer.from(policySigningPayload(p.envelope)), key, Buffer.from(p.signature, 'base64'));
}

const heartbeat = (policyVersion: number) => ({ state: 'protecting', agentVersion: 'test', policyVersion, spooled: 0 });

export function defineApiTests(label: string, dbUrl: () => string | undefined): void {
  describe(`console API (${label})`, () => {
    let tc: TestConsole;
    before(async () => { tc = await createTestConsole({ db: dbUrl(), limits: { loginPerMinute: 1000, enrollPerMinute: 1000 } }); });
    after(async () => { await tc?.close(); });

    test('setup is one-time; nothing but health, login, setup and enrollment answers without a session', async () => {
      const h = await tc.app.inject({ url: '/api/health' });
      assert.equal(h.json().setupRequired, false);
      const again = await tc.app.inject({ method: 'POST', url: '/api/setup', payload: { token: 'x', username: 'evil', password: 'long enough password' } });
      assert.equal(again.statusCode, 409);
      for (const url of ['/api/groups', '/api/endpoints', '/api/events', '/api/users', '/api/audit', '/api/dashboard', '/api/policies', '/api/me']) {
        const r = await tc.app.inject({ url });
        assert.equal(r.statusCode, 401, url);
        assert.equal(r.json().error.code, 'UNAUTHENTICATED');
      }
      const bad = await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: 'wrong password' } });
      assert.equal(bad.statusCode, 401);
      assert.equal(bad.json().error.code, 'BAD_CREDENTIALS');
    });

    test('session cookie is HttpOnly and SameSite=Strict; state changes need the CSRF header', async () => {
      const res = await tc.app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: PASSWORD } });
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      const session = cookies.find((c) => c.startsWith('omamori_session='))!;
      assert.match(session, /HttpOnly/);
      assert.match(session, /SameSite=Strict/);
      const noCsrf = await tc.admin.req('POST', '/api/groups', { name: 'x' }, { 'x-csrf-token': '' });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(noCsrf.json().error.code, 'CSRF');
      const wrong = await tc.admin.req('POST', '/api/groups', { name: 'x' }, { 'x-csrf-token': 'nope' });
      assert.equal(wrong.statusCode, 403);
    });

    test('roles: each route answers by role (viewer < operator < admin)', async () => {
      const viewer = await tc.user('viewer'); const operator = await tc.user('operator');
      const cases: [string, string, unknown, { viewer: number; operator: number; admin: number }][] = [
        ['GET', '/api/groups', undefined, { viewer: 200, operator: 200, admin: 200 }],
        ['GET', '/api/endpoints', undefined, { viewer: 200, operator: 200, admin: 200 }],
        ['GET', '/api/events', undefined, { viewer: 200, operator: 200, admin: 200 }],
        ['GET', '/api/dashboard', undefined, { viewer: 200, operator: 200, admin: 200 }],
        ['GET', '/api/presets', undefined, { viewer: 200, operator: 200, admin: 200 }],
        ['GET', '/api/policies', undefined, { viewer: 200, operator: 200, admin: 200 }],
        ['GET', '/api/exceptions', undefined, { viewer: 200, operator: 200, admin: 200 }],
        ['GET', '/api/groups/default/tokens', undefined, { viewer: 403, operator: 200, admin: 200 }],
        ['POST', '/api/groups/default/tokens', { uses: 1, hours: 1 }, { viewer: 403, operator: 201, admin: 201 }],
        ['PATCH', '/api/groups/default', { rollout: 'audit' }, { viewer: 403, operator: 200, admin: 200 }],
        ['POST', '/api/policies/validate', { text: findPreset('office')!.text }, { viewer: 200, operator: 200, admin: 200 }],
        ['GET', '/api/users', undefined, { viewer: 403, operator: 403, admin: 200 }],
        ['GET', '/api/audit', undefined, { viewer: 403, operator: 403, admin: 200 }],
        ['POST', '/api/users', { username: 'nobody', password: PASSWORD, role: 'viewer' }, { viewer: 403, operator: 403, admin: 201 }],
      ];
      for (const [method, url, body, want] of cases) {
        for (const [role, s] of [['viewer', viewer], ['operator', operator], ['admin', tc.admin]] as const) {
          const r = await s.req(method, url, body);
          assert.equal(r.statusCode, want[role], `${role} ${method} ${url}: ${r.body}`);
          if (r.statusCode === 403) assert.equal(r.json().error.code, 'FORBIDDEN');
        }
      }
    });

    test('strict schemas: unknown, malformed, missing and oversized input are 4xx with a clear message', async () => {
      const unknown = await tc.admin.req('POST', '/api/groups', { name: 'g', colour: 'red' });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().error.field, 'colour');
      assert.match(unknown.json().error.message, /unknown field 'colour'/);
      const ja = await tc.admin.req('POST', '/api/groups', { name: 'g', colour: 'red' }, { 'accept-language': 'ja' });
      assert.match(ja.json().error.message, /不明な項目 'colour'/);
      const missing = await tc.admin.req('POST', '/api/users', { username: 'abc', role: 'viewer' });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json().error.message, /password/);
      const wrongType = await tc.admin.req('POST', '/api/groups/default/tokens', { uses: '3', hours: 1 });
      assert.equal(wrongType.statusCode, 400, 'no coercion of body types');
      const badJson = await tc.app.inject({ method: 'POST', url: '/api/login', headers: { 'content-type': 'application/json' }, payload: '{"username":' });
      assert.equal(badJson.statusCode, 400);
      assert.equal(badJson.json().error.code, 'BAD_JSON');
      const big = await tc.admin.req('POST', '/api/policies/validate', { text: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(big.statusCode, 413);
      assert.equal(big.json().error.code, 'TOO_LARGE');
      const badQuery = await tc.admin.req('GET', '/api/events?limit=abc');
      assert.equal(badQuery.statusCode, 400);
      const extraQuery = await tc.admin.req('GET', '/api/events?colour=red');
      assert.equal(extraQuery.statusCode, 400);
      const notFound = await tc.admin.req('GET', '/api/nothing-here');
      assert.equal(notFound.statusCode, 404);
    });

    test('enrollment tokens: single use, counted, expiring, bound to a group', async () => {
      const g = (await tc.admin.req('POST', '/api/groups', { name: 'servers', policyRef: 'preset:server' })).json();
      const one = (await tc.admin.req('POST', `/api/groups/${g.id}/tokens`, { uses: 1, hours: 1 })).json();
      const a = await enrollTestAgent(tc, { token: one.token });
      assert.equal(a.groupId, g.id);
      await assert.rejects(enrollTestAgent(tc, { token: one.token }), /TOKEN_INVALID/);
      const two = (await tc.admin.req('POST', `/api/groups/${g.id}/tokens`, { uses: 2, hours: 1 })).json();
      await enrollTestAgent(tc, { token: two.token }); await enrollTestAgent(tc, { token: two.token });
      await assert.rejects(enrollTestAgent(tc, { token: two.token }), /TOKEN_INVALID/);
      const short = (await tc.admin.req('POST', `/api/groups/${g.id}/tokens`, { uses: 5, hours: 0.001 })).json();
      tc.shift(10_000);
      try { await assert.rejects(enrollTestAgent(tc, { token: short.token }), /TOKEN_INVALID/); } finally { tc.shift(-10_000); }
      const bad = await tc.app.inject({ method: 'POST', url: '/api/agent/v1/enroll', payload: { token: two.token, publicKey: 'A'.repeat(60), hostname: 'h', platform: 'linux', agentVersion: '1' } });
      assert.equal(bad.statusCode, 400);
    });

    test('agent requests: signature, body hash, replay window and nonce are all checked', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'sig-host' });
      assert.equal((await a.req('POST', '/heartbeat', heartbeat(0))).statusCode, 200);
      const tampered = await a.req('POST', '/heartbeat', heartbeat(0), { signatureOf: JSON.stringify(heartbeat(7)) });
      assert.equal(tampered.statusCode, 401);
      assert.match(tampered.json().error.message, /does not match its signed hash/);
      const tamperedOld = await a.req('POST', '/heartbeat', heartbeat(0), { signatureOf: JSON.stringify(heartbeat(7)), noHashHeader: true });
      assert.equal(tamperedOld.statusCode, 401);
      assert.match(tamperedOld.json().error.message, /bad signature/);
      const old = await a.req('POST', '/heartbeat', heartbeat(0), { time: tc.now() - 10 * 60_000 });
      assert.match(old.json().error.message, /replay window/);
      const nonce = 'n'.repeat(32);
      assert.equal((await a.req('POST', '/heartbeat', heartbeat(0), { nonce })).statusCode, 200);
      const replay = await a.req('POST', '/heartbeat', heartbeat(0), { nonce });
      assert.equal(replay.statusCode, 401);
      assert.match(replay.json().error.message, /replayed/);
      const anon = await tc.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', payload: heartbeat(0) });
      assert.equal(anon.statusCode, 401);
    });

    test('heartbeat delivers a policy signed by the console, for this agent, with a rising version', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'pol-host' });
      const hb = (await a.req('POST', '/heartbeat', heartbeat(0))).json() as HeartbeatResponse;
      assert.ok(hb.policy);
      assert.ok(verifySigned(hb.policy, a.consoleKey));
      assert.deepEqual(hb.policy.envelope.target, { kind: 'agent', id: a.id });
      assert.equal(hb.policy.envelope.version, 1);
      const loaded = loadPolicy(hb.policy.envelope.policy);
      assert.ok(loaded.policy, JSON.stringify(loaded.problems));
      assert.equal(loaded.policy.mode, 'audit', 'new groups start in audit rollout');
      assert.equal(loaded.policy.version, 1);
      const forged = { ...hb.policy, envelope: { ...hb.policy.envelope, version: 99 } };
      assert.equal(verifySigned(forged, a.consoleKey), false);
      const hb2 = (await a.req('POST', '/heartbeat', heartbeat(1))).json() as HeartbeatResponse;
      assert.equal(hb2.policy, undefined, 'nothing new');
      const get = (await a.req('GET', '/policy')).json() as SignedPolicy;
      assert.equal(get.envelope.version, 1);
    });

    test('events: batches are idempotent by key, queryable by endpoint, rule, app and time, with lineage', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'ev-host' });
      const batch = { events: [sampleEvent('k1'), sampleEvent('k2', { rule: 'guarded.children', guarded: 'mail', object: '/bin/sh' }), sampleEvent('k3', { verdict: 'audit-deny' })] };
      assert.deepEqual((await a.req('POST', '/events', batch)).json(), { accepted: 3, duplicates: 0 });
      assert.deepEqual((await a.req('POST', '/events', batch)).json(), { accepted: 0, duplicates: 3 });
      const mixed = { events: [sampleEvent('k3'), sampleEvent('k4')] };
      assert.deepEqual((await a.req('POST', '/events', mixed)).json(), { accepted: 1, duplicates: 1 });
      const all = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}`)).json();
      assert.equal(all.events.length, 4);
      assert.equal(all.events[0].hostname, 'ev-host');
      assert.equal(all.events[0].lineage, undefined, 'lists carry no lineage or detail: the event itself does');
      const one = (await tc.admin.req('GET', `/api/events/${all.events[0].id}`)).json();
      assert.deepEqual(one.lineage.at(-1), { pid: 4242, image: '/home/u/Downloads/evil' });
      const byRule = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}&rule=guarded.children`)).json();
      assert.equal(byRule.events.length, 1);
      assert.equal(byRule.events[0].app, 'mail');
      const byApp = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}&app=evil`)).json();
      assert.equal(byApp.events.length, 3);
      const future = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}&from=${tc.now() + 60_000}`)).json();
      assert.equal(future.events.length, 0);
      const page = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}&limit=2`)).json();
      const rest = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}&limit=2&before=${page.next}`)).json();
      assert.equal(page.events.length + rest.events.length, 4);
      const unsigned = await tc.app.inject({ method: 'POST', url: '/api/agent/v1/events', payload: batch });
      assert.equal(unsigned.statusCode, 401);
      // One bad event is refused alone (kept in the quarantine with its reason), not the batch.
      const badEvent = await a.req('POST', '/events', { events: [{ ...sampleEvent('k9'), verdict: 'maybe' }] });
      assert.equal(badEvent.statusCode, 200);
      assert.equal(badEvent.json().accepted, 0);
      assert.equal(badEvent.json().rejected[0].key, 'k9');
    });

    test('policies: validated by loadPolicy with located problems in the caller language, versioned, diffed', async () => {
      const bad = await tc.admin.req('POST', '/api/policies', { name: 'broken', text: 'omamori: 1\nname: x\nversion: 1\nmode: sideways\ncolour: red\n' }, { 'accept-language': 'ja' });
      assert.equal(bad.statusCode, 422);
      const problems = bad.json().error.problems as { line: number; column: number; code: string; message: string }[];
      assert.ok(problems.length >= 2);
      const mode = problems.find((p) => p.code === 'OM005')!;
      assert.equal(mode.line, 4);
      assert.match(mode.message, /次のいずれか/);
      assert.ok(problems.some((p) => p.code === 'OM004' && p.line === 5));
      const text1 = findPreset('office')!.text.replace('name: office', 'name: custom');
      const created = await tc.admin.req('POST', '/api/policies', { name: 'custom', text: text1, comment: 'first' });
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json().id as string;
      const text2 = text1.replace('failMode: open', 'failMode: closed');
      const v2 = await tc.admin.req('PUT', `/api/policies/${id}`, { text: text2, comment: 'fail closed' });
      assert.equal(v2.json().version, 2);
      const detail = (await tc.admin.req('GET', `/api/policies/${id}`)).json();
      assert.deepEqual(detail.versions.map((v: { version: number }) => v.version), [2, 1]);
      const diff = (await tc.admin.req('GET', `/api/policies/${id}/diff?from=1&to=2`)).json();
      const changed = diff.lines.filter((l: { op: string }) => l.op !== ' ');
      assert.deepEqual(changed.map((l: { op: string; line: string }) => `${l.op}${l.line}`), ['-failMode: open', '+failMode: closed']);
      const v1 = (await tc.admin.req('GET', `/api/policies/${id}/versions/1`)).json();
      assert.equal(v1.text, text1);
      const badUpdate = await tc.admin.req('PUT', `/api/policies/${id}`, { text: 'mode: [' });
      assert.equal(badUpdate.statusCode, 422);
      assert.equal(badUpdate.json().error.problems[0].code, 'OM001');
    });

    test('assigning a policy and switching rollout to enforce issue new signed versions', async () => {
      const g = (await tc.admin.req('POST', '/api/groups', { name: 'rollout' })).json();
      const a = await enrollTestAgent(tc, { groupId: g.id, hostname: 'ro-host' });
      const p1 = ((await a.req('POST', '/heartbeat', heartbeat(0))).json() as HeartbeatResponse).policy!;
      assert.equal(JSON.parse(p1.envelope.policy).mode, 'audit');
      assert.equal((await tc.admin.req('PATCH', `/api/groups/${g.id}`, { rollout: 'enforce' })).statusCode, 200);
      const p2 = ((await a.req('POST', '/heartbeat', heartbeat(1))).json() as HeartbeatResponse).policy!;
      assert.equal(p2.envelope.version, 2);
      assert.equal(JSON.parse(p2.envelope.policy).mode, 'enforce');
      assert.equal((await tc.admin.req('PATCH', `/api/groups/${g.id}`, { policyRef: 'preset:strict' })).statusCode, 200);
      const p3 = ((await a.req('POST', '/heartbeat', heartbeat(2))).json() as HeartbeatResponse).policy!;
      assert.equal(p3.envelope.version, 3);
      assert.equal(JSON.parse(p3.envelope.policy).mode, 'lockdown');
      assert.match(p3.envelope.source, /preset:strict/);
      const missing = await tc.admin.req('PATCH', `/api/groups/${g.id}`, { policyRef: 'policy:nope' });
      assert.equal(missing.statusCode, 400);
    });

    test('a time-boxed exception from one event reaches only that endpoint and expires into a new version', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'ex-host' });
      const b = await enrollTestAgent(tc, { hostname: 'other-host' });
      await a.req('POST', '/heartbeat', heartbeat(0)); await b.req('POST', '/heartbeat', heartbeat(0));
      await a.req('POST', '/events', { events: [sampleEvent('ex1', { object: '/home/u/bin/tool' })] });
      const ev = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}`)).json().events[0];
      const viewer = await tc.user('viewer');
      assert.equal((await viewer.req('POST', `/api/events/${ev.id}/exception`, { hours: 2 })).statusCode, 403);
      const x = await tc.admin.req('POST', `/api/events/${ev.id}/exception`, { hours: 2 });
      assert.equal(x.statusCode, 201, x.body);
      assert.equal(x.json().path, '/home/u/bin/tool');
      const pa = ((await a.req('POST', '/heartbeat', heartbeat(1))).json() as HeartbeatResponse).policy!;
      assert.equal(pa.envelope.version, 2);
      const doc = JSON.parse(pa.envelope.policy);
      assert.equal(doc.trust.exceptions.length, 1);
      assert.equal(doc.trust.exceptions[0].path, '/home/u/bin/tool');
      assert.ok(loadPolicy(pa.envelope.policy).policy);
      assert.equal(((await b.req('POST', '/heartbeat', heartbeat(1))).json() as HeartbeatResponse).policy, undefined, 'other endpoint unchanged');
      tc.shift(2 * 3600_000 + 1000);
      try {
        const pe = ((await a.req('POST', '/heartbeat', heartbeat(2))).json() as HeartbeatResponse).policy!;
        assert.equal(pe.envelope.version, 3);
        assert.equal(JSON.parse(pe.envelope.policy).trust.exceptions.length, 0);
        const listed = (await tc.admin.req('GET', `/api/exceptions?endpoint=${a.id}`)).json();
        assert.equal(listed.exceptions.length, 0);
      } finally { tc.shift(-(2 * 3600_000 + 1000)); }
    });

    test('endpoints, dashboard and audit log', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'dash-host' });
      await a.req('POST', '/heartbeat', { ...heartbeat(0), state: 'sync-only' });
      await a.req('POST', '/events', { events: [sampleEvent('d1'), sampleEvent('d2', { verdict: 'audit-deny' })] });
      const list = (await tc.admin.req('GET', '/api/endpoints?search=dash')).json();
      assert.equal(list.endpoints.length, 1);
      assert.equal(list.endpoints[0].online, true);
      assert.equal(list.endpoints[0].protected, false);
      const unprot = (await tc.admin.req('GET', '/api/endpoints?status=unprotected')).json();
      assert.ok(unprot.endpoints.some((e: { id: string }) => e.id === a.id));
      const detail = (await tc.admin.req('GET', `/api/endpoints/${a.id}`)).json();
      assert.equal(detail.eventCounts.deny, 1);
      assert.equal(detail.issuedPolicy.version, 1);
      const d = (await tc.admin.req('GET', '/api/dashboard?hours=1&bucketMinutes=5')).json();
      assert.ok(d.endpoints.total >= 1);
      assert.ok(d.endpoints.unprotected >= 1);
      assert.ok(d.blocks.reduce((s: number, p: { deny: number }) => s + p.deny, 0) >= 1);
      assert.ok(d.topRules.some((r: { rule: string }) => r.rule === 'launch.user-space'));
      assert.ok(d.topApps.some((r: { app: string }) => r.app === 'evil'));
      const log = (await tc.admin.req('GET', '/api/audit?limit=500')).json();
      const actions = new Set(log.entries.map((e: { action: string }) => e.action));
      for (const want of ['setup', 'user.create', 'group.create', 'group.update', 'token.create', 'policy.create', 'policy.update', 'exception.create', 'agent.enroll']) assert.ok(actions.has(want), want);
      assert.doesNotMatch(JSON.stringify(log), new RegExp(PASSWORD), 'no password in the audit log');
    });
  });
}
