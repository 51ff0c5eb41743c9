// Issue 13's defects, each as the attack or daily use that showed it, run against each store (api-sqlite.test.ts,
// api-postgres.test.ts): oversized events and pages (1), one bad event blocking a batch and store-dependent answers
// (3), wildcard exceptions from events (4), lockout by strangers (6), the last admin (7), agent names posing as users
// (9), policy versions after a database restore (10) and raw HTML in the Markdown report (11). Unauthenticated
// large bodies (8) and file modes (2) are in transport-suite.ts and keys.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compile, createEngine, loadPolicy, type HeartbeatResponse, type SignedPolicy } from '@omamori/policy';
import { createTestConsole, enrollTestAgent, PASSWORD, sampleEvent, type TestConsole } from './helpers.ts';

const hb = (policyVersion: number, over: Record<string, unknown> = {}) => ({ state: 'protecting', agentVersion: 'test', policyVersion, spooled: 0, ...over });

function nested(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

export function defineDefectTests(label: string, dbUrl: () => string | undefined): void {
  describe(`issue 13 defects (${label})`, () => {
    let tc: TestConsole;
    before(async () => { tc = await createTestConsole({ db: dbUrl(), limits: { loginPerMinute: 1000, enrollPerMinute: 1000 } }); });
    after(async () => { await tc?.close(); });

    test('1: a 7 MiB event detail is refused alone and quarantined with its reason; the rest of the batch is stored', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'big-host' });
      const huge = sampleEvent('big-1', { detail: { blob: 'x'.repeat(7 * 1024 * 1024) } });
      // The agent never sends such a batch (it checks each event first); a raw client gets it refused by size.
      const whole = await a.req('POST', '/events', { events: [huge, sampleEvent('small-1')] });
      assert.equal(whole.statusCode, 413, whole.body);
      const r = await a.req('POST', '/events', { events: [sampleEvent('big-2', { detail: { blob: 'x'.repeat(20_000) } }), sampleEvent('small-2')] });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().accepted, 1);
      assert.deepEqual(r.json().rejected.map((x: { key: string; code: string }) => `${x.key}:${x.code}`), ['big-2:TOO_LONG']);
      const q = (await tc.admin.req('GET', `/api/quarantine?endpoint=${a.id}`)).json();
      assert.equal(q.entries[0].key, 'big-2');
      assert.match(q.entries[0].reason, /detail\.blob.*at most 4096/);
      assert.ok(q.entries[0].excerpt.length <= 2000, 'the quarantine keeps an excerpt, not the event');
    });

    test('1: lists carry no detail and are paged by size: old 2 MiB details do not reach a list page', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'legacy-host' });
      // Rows as an older console stored them (it accepted any detail).
      const rows = Array.from({ length: 3 }, (_, i) => ({
        agent_id: a.id, key: `legacy-${i}`, time: tc.now(), received_at: tc.now(), verdict: 'deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space',
        kind: 'process.start', app: 'evil', object: '/home/u/evil', guarded: null, policy_version: '1', pid: 1, lineage: '[]',
        detail: JSON.stringify({ blob: 'y'.repeat(2 * 1024 * 1024) }), user: null, command_line: null, sha256: null, signer: null,
      }));
      for (const r of rows) await tc.store.db.insertInto('events').values(r).execute();
      const list = await tc.admin.req('GET', `/api/events?endpoint=${a.id}&limit=100`);
      assert.equal(list.statusCode, 200);
      assert.ok(list.body.length < 10_000, `list page is ${list.body.length} bytes`);
      const ev = list.json().events[0];
      assert.equal(ev.detail, undefined);
      const one = (await tc.admin.req('GET', `/api/events/${ev.id}`)).json();
      assert.match(one.detail.omitted, /not shown/);
      // Many rows with long paths: the page stops by size, the rest comes with `next`.
      const b = await enrollTestAgent(tc, { hostname: 'many-host' });
      for (let i = 0; i < 4; i++) {
        const events = Array.from({ length: 300 }, (_, j) => sampleEvent(`many-${i}-${j}`, { object: `/home/u/${'d'.repeat(3000)}/${i}-${j}` }));
        assert.equal((await b.req('POST', '/events', { events })).json().accepted, 300);
      }
      const page = await tc.admin.req('GET', `/api/events?endpoint=${b.id}&limit=1000`);
      assert.ok(page.body.length <= 600 * 1024, `page of ${page.body.length} bytes`);
      const got = page.json();
      assert.ok(got.events.length < 1000 && got.next !== null, 'cut by size, with a cursor to the rest');
      assert.match(got.events[0].object, /…$/, 'long fields are cut in lists');
    });

    test('3: NUL, huge numbers, deep nesting and over-long fields: refused per event the same way by both stores; bodies 400, never 500', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'odd-host' });
      const events = [
        sampleEvent('nul', { object: '/home/u/a\u0000b' }),
        sampleEvent('huge-time', { time: 1e300 }),
        sampleEvent('huge-pid', { pid: 2 ** 40 }),
        sampleEvent('deep', { detail: nested(20) as Record<string, unknown> }),
        sampleEvent('long-rule', { rule: 'r'.repeat(5000) }),
        sampleEvent('surrogate', { user: 'bad\ud800' }),
        sampleEvent('fine-1'), sampleEvent('fine-2'),
      ];
      const r = await a.req('POST', '/events', { events });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().accepted, 2);
      assert.deepEqual(r.json().rejected.map((x: { key: string; code: string }) => `${x.key}:${x.code}`),
        ['nul:NUL', 'huge-time:RANGE', 'huge-pid:RANGE', 'deep:DEPTH', 'long-rule:TOO_LONG', 'surrogate:ENCODING']);
      const q = (await tc.admin.req('GET', `/api/quarantine?endpoint=${a.id}`)).json();
      assert.equal(q.entries.length, 6);
      assert.ok(q.entries.every((e: { excerpt: string }) => !e.excerpt.includes('\u0000')));
      // A body nested 5,000 deep is refused before it is parsed (as text: JSON.stringify itself would overflow).
      const deepText = `{"events":[${JSON.stringify(sampleEvent('x')).slice(0, -1)},"detail":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}]}`;
      const deep = await a.req('POST', '/events', undefined, { raw: deepText });
      assert.equal(deep.statusCode, 400);
      assert.equal(deep.json().error.code, 'BAD_JSON');
      const deepUser = await tc.app.inject({ method: 'POST', url: '/api/groups', headers: { cookie: tc.admin.cookie, 'x-csrf-token': tc.admin.csrf, 'content-type': 'application/json' }, payload: `{"name":${'['.repeat(5000)}${']'.repeat(5000)}}` });
      assert.equal(deepUser.statusCode, 400);
      // NUL in a heartbeat or a user's input: 400 naming the field.
      const hbNul = await a.req('POST', '/heartbeat', hb(0, { hostname: 'a\u0000b' }));
      assert.equal(hbNul.statusCode, 400);
      assert.equal(hbNul.json().error.field, 'hostname');
      const hbHuge = await a.req('POST', '/heartbeat', hb(0, { spooled: 1e300 }));
      assert.equal(hbHuge.statusCode, 400);
      const grp = await tc.admin.req('POST', '/api/groups', { name: 'bad\u0000name' });
      assert.equal(grp.statusCode, 400);
      assert.equal(grp.json().error.field, 'name');
      const note = await tc.admin.req('POST', '/api/policies/validate', { text: 'omamori: 1\u0000' });
      assert.equal(note.statusCode, 400);
    });

    test('4: "allow this" from an event whose path has * or ? matches that file only (by hash), or is refused', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'star-host' });
      await a.req('POST', '/heartbeat', hb(0));
      const sha = 'b'.repeat(64);
      await a.req('POST', '/events', { events: [
        sampleEvent('star-sha', { object: '/home/u/Downloads/*', detail: {}, sha256: sha }),
        sampleEvent('star-nosha', { object: '/home/u/**/x?', detail: {} }),
        sampleEvent('plain', { object: '/home/u/Downloads/tool', detail: {} }),
      ] });
      const evs = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}`)).json().events as { id: number; object: string }[];
      const id = (o: string) => evs.find((e) => e.object === o)!.id;
      const bySha = await tc.admin.req('POST', `/api/events/${id('/home/u/Downloads/*')}/exception`, { hours: 1 });
      assert.equal(bySha.statusCode, 201, bySha.body);
      assert.equal(bySha.json().path, null);
      assert.equal(bySha.json().sha256, sha);
      const refused = await tc.admin.req('POST', `/api/events/${id('/home/u/**/x?')}/exception`, { hours: 1 });
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().error.code, 'EXACT_MATCH');
      assert.equal((await tc.admin.req('POST', `/api/events/${id('/home/u/Downloads/tool')}/exception`, { hours: 1 })).statusCode, 201);
      // What the endpoint receives allows exactly those files.
      const pol = ((await a.req('POST', '/heartbeat', hb(1))).json() as HeartbeatResponse).policy!;
      const doc = loadPolicy(pol.envelope.policy).policy!;
      const engine = createEngine(compile({ ...doc, mode: 'enforce' }), { now: tc.now(), host: 'star-host' });
      const start = (image: string, sha256?: string) => engine.decide({ v: 1, platform: 'linux', kind: 'process.start', time: tc.now(),
        proc: { pid: 900, image, userSpace: true, ...(sha256 ? { sha256 } : {}) }, parent: { pid: 1 } })!.verdict;
      assert.equal(start('/home/u/Downloads/tool'), 'allow');
      assert.equal(start('/home/u/Downloads/other'), 'deny', 'no folder-wide wildcard');
      assert.equal(start('/home/u/Downloads/*', sha), 'allow');
      assert.equal(start('/home/u/Downloads/*'), 'deny', 'the * file without its hash is not allowed');
    });

    test('6: ten wrong passwords from one address lock nobody out elsewhere; that address backs off; many addresses only slow down', async () => {
      const saved = { ...tc.ctx.limits };
      Object.assign(tc.ctx.limits, { loginPerMinute: 30, loginFailuresBeforeBackoff: 5, loginBackoffMaxSeconds: 900, loginSlowAfterPerMinute: 30, loginSlowMs: 1000 });
      try {
        await tc.admin.req('POST', '/api/users', { username: 'victim', password: PASSWORD, role: 'viewer' });
        const login = (password: string, ip: string) => tc.app.inject({ method: 'POST', url: '/api/login', remoteAddress: ip, payload: { username: 'victim', password } });
        const codes: number[] = [];
        for (let i = 0; i < 10; i++) codes.push((await login('wrong password', '203.0.113.9')).statusCode);
        assert.deepEqual(codes, [401, 401, 401, 401, 401, 429, 429, 429, 429, 429], 'the stranger\'s address backs off after 5');
        assert.equal((await login(PASSWORD, '198.51.100.20')).statusCode, 200, 'the real user, elsewhere, signs in');
        const blocked = await login(PASSWORD, '203.0.113.9');
        assert.equal(blocked.statusCode, 429, 'even the right password waits out the backoff from that address');
        assert.match(String(blocked.headers['retry-after']), /^\d+$/);
        tc.shift(2_000);
        assert.equal((await login('wrong again', '203.0.113.9')).statusCode, 401, 'after the wait one more try');
        assert.equal((await login('wrong again', '203.0.113.9')).statusCode, 429, 'and the wait doubled');
        tc.shift(4_000);
        assert.equal((await login(PASSWORD, '203.0.113.9')).statusCode, 200);
        // Thirty addresses guessing: every attempt for the name is slowed, none refused.
        tc.slept.length = 0;
        for (let i = 0; i < 31; i++) await login('guess guess', `192.0.2.${i + 1}`);
        assert.ok(tc.slept.length > 0 && tc.slept.every((ms) => ms === 1000), `slowed: ${tc.slept.join(',')}`);
        tc.slept.length = 0;
        assert.equal((await login(PASSWORD, '198.51.100.20')).statusCode, 200, 'slowed, not locked');
        assert.deepEqual(tc.slept, [1000]);
        const audit = (await tc.admin.req('GET', '/api/audit?action=login.failed&limit=500')).json().entries;
        assert.ok(audit.length >= 10 && audit.every((e: { actor: { kind: string }; detail: { ip?: string } }) => e.actor.kind === 'anonymous' && e.detail.ip));
      } finally { tc.shift(-6_000); Object.assign(tc.ctx.limits, saved); }
    });

    test('7: the last active administrator cannot demote or disable itself', async () => {
      const users = (await tc.admin.req('GET', '/api/users')).json().users as { id: string; username: string; role: string }[];
      const admins = users.filter((u) => u.role === 'admin');
      assert.equal(admins.length, 1);
      const me = admins[0]!;
      const demote = await tc.admin.req('PATCH', `/api/users/${me.id}`, { role: 'viewer' });
      assert.equal(demote.statusCode, 409);
      assert.equal(demote.json().error.code, 'LAST_ADMIN');
      assert.equal((await tc.admin.req('PATCH', `/api/users/${me.id}`, { disabled: true })).statusCode, 409);
      assert.equal((await tc.admin.req('GET', '/api/users')).statusCode, 200, 'still administering');
      // With a second administrator the first may step down.
      const second = await tc.admin.req('POST', '/api/users', { username: 'admin2', password: PASSWORD, role: 'admin' });
      assert.equal(second.statusCode, 201);
      const s2 = await tc.login('admin2', PASSWORD);
      assert.equal((await s2.req('PATCH', `/api/users/${second.json().id}`, { disabled: true })).statusCode, 200, 'admin2 may leave: admin remains');
      assert.equal((await tc.admin.req('PATCH', `/api/users/${me.id}`, { role: 'operator' })).statusCode, 409, 'admin2 is disabled: admin is the last again');
    });

    test('9: an agent renaming itself "admin" is an agent in the audit log, the rename has its own entry; hidden characters neutralised', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'pc-7' });
      assert.equal((await a.req('POST', '/heartbeat', hb(0, { hostname: 'admin' }))).statusCode, 200);
      await a.req('POST', '/heartbeat', hb(0, { hostname: 'evil\u202etxt.exe\nfake-line' }));
      const log = (await tc.admin.req('GET', '/api/audit?limit=500')).json().entries as { action: string; user: string; actor: { kind: string; id: string; name: string }; detail: { from?: string; to?: string } }[];
      const mine = log.filter((e) => e.actor.id === a.id);
      assert.ok(mine.length >= 3, 'enroll and two renames');
      assert.ok(mine.every((e) => e.actor.kind === 'agent' && e.user !== 'admin'), JSON.stringify(mine.map((e) => e.user)));
      const renames = mine.filter((e) => e.action === 'agent.rename');
      assert.deepEqual(renames.map((e) => e.detail.to).reverse(), ['admin', 'evil[U+202E]txt.exe[U+000A]fake-line']);
      assert.ok(log.filter((e) => e.user === 'admin').every((e) => e.actor.kind === 'user'), 'only the user admin reads as admin');
      const ep = (await tc.admin.req('GET', `/api/endpoints/${a.id}`)).json();
      assert.equal(ep.hostname, 'evil[U+202E]txt.exe[U+000A]fake-line');
    });

    test('10: after a database restore the console issues above what the agent runs; a new epoch is accepted by order', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'restore-host' });
      const g = (await tc.admin.req('POST', '/api/groups', { name: 'restore-group' })).json();
      // Move the agent into the group and issue a few versions.
      await tc.store.db.updateTable('agents').set({ group_id: g.id }).where('id', '=', a.id).execute();
      let p = ((await a.req('POST', '/heartbeat', hb(0))).json() as HeartbeatResponse).policy!;
      const v1 = p; // what the backup will hold
      const backup = await tc.store.db.selectFrom('agents').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
      for (const rollout of ['enforce', 'audit', 'enforce'] as const) {
        await tc.admin.req('PATCH', `/api/groups/${g.id}`, { rollout });
        p = ((await a.req('POST', '/heartbeat', hb(p.envelope.version, { policyEpoch: p.envelope.epoch }))).json() as HeartbeatResponse).policy!;
      }
      assert.equal(p.envelope.version, 4);
      // The database is restored from the backup: it believes v1 was the last issued.
      await tc.store.db.updateTable('agents').set({ issued_version: backup.issued_version, issued_epoch: backup.issued_epoch, issued_hash: backup.issued_hash, issued_key: backup.issued_key, issued_policy: backup.issued_policy }).where('id', '=', a.id).execute();
      assert.equal(JSON.parse((await tc.store.db.selectFrom('agents').select('issued_policy').where('id', '=', a.id).executeTakeFirstOrThrow()).issued_policy!).envelope.version, v1.envelope.version);
      const after = ((await a.req('POST', '/heartbeat', hb(4, { policyEpoch: p.envelope.epoch }))).json() as HeartbeatResponse).policy;
      assert.ok(after, 'a policy is issued');
      assert.equal(after.envelope.version, 5, 'above the version the agent runs, not v1 again');
      // A new epoch (operator, after the restore): a higher epoch and still a higher version.
      const ep = await tc.admin.req('POST', '/api/settings/epoch');
      assert.equal(ep.statusCode, 200);
      const newer = ((await a.req('POST', '/heartbeat', hb(5, { policyEpoch: after.envelope.epoch }))).json() as HeartbeatResponse).policy as SignedPolicy;
      assert.ok(newer.envelope.epoch! > after.envelope.epoch!);
      assert.ok(newer.envelope.version > 5);
    });

    test('10: an agent that lost every copy of its policy (policyMissing) is issued a version above the one it reports, once', async () => {
      const a = await enrollTestAgent(tc, { hostname: 'lost-policy' });
      const p = ((await a.req('POST', '/heartbeat', hb(0))).json() as HeartbeatResponse).policy!;
      const cur = { policyEpoch: p.envelope.epoch };
      assert.equal(((await a.req('POST', '/heartbeat', hb(p.envelope.version, cur))).json() as HeartbeatResponse).policy, undefined, 'up to date: nothing sent');
      const re = ((await a.req('POST', '/heartbeat', hb(p.envelope.version, { ...cur, policyMissing: true }))).json() as HeartbeatResponse).policy;
      assert.ok(re, 'reissued');
      assert.equal(re.envelope.version, p.envelope.version + 1);
      assert.equal(re.envelope.target.id, a.id);
      const next = await a.req('POST', '/heartbeat', hb(re.envelope.version, { policyEpoch: re.envelope.epoch }));
      assert.equal((next.json() as HeartbeatResponse).policy, undefined, 'once it runs it, nothing more');
    });

    test('11: the Markdown report carries no raw HTML from host names, paths or findings', async () => {
      const a = await enrollTestAgent(tc, { hostname: '<img src=x onerror=alert(1)>' });
      await a.req('POST', '/events', { events: [sampleEvent('html-1', { object: '/home/u/<script>alert(2)</script>' })] });
      const ev = (await tc.admin.req('GET', `/api/events?endpoint=${a.id}`)).json().events[0];
      const inc = (await tc.admin.req('POST', '/api/incidents', { eventId: ev.id })).json();
      await tc.admin.req('POST', `/api/incidents/${inc.id}/actions`, { action: 'check' });
      const task = ((await a.req('POST', '/heartbeat', hb(0))).json() as { tasks: { task: { id: string } }[] }).tasks[0]!;
      await a.req('POST', `/tasks/${task.task.id}/result`, { status: 'done', message: 'found <b>it</b>', check: { checker: 'c', verdict: 'findings', examined: 1, findings: [{ code: 'X', severity: 'review', title: '<iframe src=javascript:alert(3)>', path: '/tmp/[link](javascript:alert(4))' }] } });
      await tc.admin.req('PATCH', `/api/incidents/${inc.id}`, { org: { orgName: '<a href=//evil>Org</a>', watchFor: '<svg onload=alert(5)>' } });
      for (const lang of ['en', 'ja']) {
        const md = (await tc.admin.req('GET', `/api/incidents/${inc.id}/report?format=md&lang=${lang}`)).body;
        // Outside fenced code blocks (a fence shows its text as text, HTML included).
        const outside = md.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, '');
        assert.match(md, /^`{3,}text$/m);
        assert.doesNotMatch(outside, /<(img|script|iframe|a|svg|b)[\s>]/i, `raw HTML in the ${lang} Markdown: ${outside.match(/.*<(img|script|iframe|a|svg|b)[\s>].*/i)?.[0]}`);
        assert.doesNotMatch(outside, /(?<!\\)\]\(javascript:/, 'no Markdown link (brackets are escaped)');
        assert.match(md, /&lt;img src=x onerror=alert\(1\)&gt;/);
        const html = await tc.admin.req('GET', `/api/incidents/${inc.id}/report?format=html&lang=${lang}`);
        assert.doesNotMatch(html.body.replace(/<\/?(html|head|meta|title|style|body|h1|h2|dl|dt|dd|table|thead|tbody|tr|th|td|ul|li|pre)\b[^>]*>/g, ''), /<[a-z]/i);
        assert.match(String(html.headers['content-security-policy']), /default-src 'none'/);
      }
    });
  });
}
