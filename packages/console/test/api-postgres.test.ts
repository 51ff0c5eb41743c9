// The console API suite against a real PostgreSQL server started for this run, and two console instances serving
// one database: sessions, nonces, rate limits, the signing key and policy versions are shared through it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineApiTests } from './api-suite.ts';
import { defineDefectTests } from './defects-suite.ts';
import { defineTransportTests } from './transport-suite.ts';
import { defineDailyTests } from './daily-suite.ts';
import { createTestConsole, PASSWORD, sampleEvent, signedInject, type TestConsole } from './helpers.ts';
import { startPostgres, type TestPostgres } from './pg.ts';
import { buildApp, openStore } from '../src/index.ts';
import type { HeartbeatResponse } from '@omamori/policy';
import { generateKeyPairSync } from 'node:crypto';

describe('PostgreSQL', () => {
  let pgs: TestPostgres;
  let suiteUrl = '';
  let defectsUrl = ''; let transportUrl = ''; let dailyUrl = '';
  before(async () => { pgs = await startPostgres(); suiteUrl = await pgs.createDatabase('suite'); defectsUrl = await pgs.createDatabase('defects'); transportUrl = await pgs.createDatabase('transport'); dailyUrl = await pgs.createDatabase('daily'); });
  after(() => { pgs?.stop(); });

  defineApiTests('PostgreSQL', () => suiteUrl);
  defineDefectTests('PostgreSQL', () => defectsUrl);
  defineTransportTests('PostgreSQL', () => transportUrl);
  defineDailyTests('PostgreSQL', () => dailyUrl);

  describe('two console instances on one database', () => {
    let a: TestConsole;
    let bApp: Awaited<ReturnType<typeof buildApp>>;
    let bStore: Awaited<ReturnType<typeof openStore>>;
    before(async () => {
      const url = await pgs.createDatabase('twin');
      // Both start at once: migrations serialise on an advisory lock.
      const [ta, sb] = await Promise.all([createTestConsole({ db: url, limits: { loginPerMinute: 4 } }), openStore(url)]);
      a = ta; bStore = sb;
      bApp = await buildApp({ store: bStore, secure: false, limits: { loginPerMinute: 4 } });
    });
    after(async () => { await a?.close(); await bApp?.app.close(); await bStore?.close(); });

    test('a session made on one instance works on the other, CSRF included', async () => {
      const res = await bApp.app.inject({ url: '/api/groups', headers: { cookie: a.admin.cookie } });
      assert.equal(res.statusCode, 200);
      const created = await bApp.app.inject({ method: 'POST', url: '/api/groups', headers: { cookie: a.admin.cookie, 'x-csrf-token': a.admin.csrf }, payload: { name: 'via-b' } });
      assert.equal(created.statusCode, 201);
      const seen = (await a.admin.req('GET', '/api/groups')).json();
      assert.ok(seen.groups.some((g: { name: string }) => g.name === 'via-b'));
    });

    test('agents: same signing key, nonces shared (replay to the other instance fails), versions shared', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const tok = (await a.admin.req('POST', '/api/groups/default/tokens', { uses: 1, hours: 1 })).json();
      const en = await bApp.app.inject({ method: 'POST', url: '/api/agent/v1/enroll', payload: { token: tok.token, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), hostname: 'twin', platform: 'linux', agentVersion: 't' } });
      assert.equal(en.statusCode, 201);
      const { agentId, consoleKey } = en.json();
      assert.equal(consoleKey, a.ctx.signingKey.publicKey, 'one key for both instances');
      const hb = { state: 'protecting', agentVersion: 't', policyVersion: 0, spooled: 0 };
      const nonce = 'z'.repeat(32);
      const first = await signedInject(a.app, agentId, privateKey, 'POST', '/heartbeat', hb, { nonce });
      assert.equal(first.statusCode, 200);
      const p1 = (first.json() as HeartbeatResponse).policy!;
      const replay = await signedInject(bApp.app, agentId, privateKey, 'POST', '/heartbeat', hb, { nonce });
      assert.equal(replay.statusCode, 401);
      const onB = (await signedInject(bApp.app, agentId, privateKey, 'POST', '/heartbeat', hb)).json() as HeartbeatResponse;
      assert.equal(onB.policy!.envelope.version, p1.envelope.version, 'B serves the version A issued');
      const batch = { events: [sampleEvent('t1'), sampleEvent('t2')] };
      assert.equal((await signedInject(a.app, agentId, privateKey, 'POST', '/events', batch)).json().accepted, 2);
      assert.equal((await signedInject(bApp.app, agentId, privateKey, 'POST', '/events', batch)).json().duplicates, 2);
    });

    test('a change made on one instance wakes an agent long-polling the other (group switched to enforce)', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const tok = (await a.admin.req('POST', '/api/groups/default/tokens', { uses: 1, hours: 1 })).json();
      const en = await a.app.inject({ method: 'POST', url: '/api/agent/v1/enroll', payload: { token: tok.token, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), hostname: 'waiter', platform: 'linux', agentVersion: 't' } });
      const { agentId } = en.json();
      const mark = (await signedInject(bApp.app, agentId, privateKey, 'GET', '/wait?since=&ms=0')).json().mark as string;
      const t0 = Date.now();
      const waiting = signedInject(bApp.app, agentId, privateKey, 'GET', `/wait?since=${encodeURIComponent(mark)}&ms=20000`);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await a.admin.req('PATCH', '/api/groups/default', { rollout: 'enforce' })).statusCode, 200);
      const woke = (await waiting).json().mark as string;
      assert.notEqual(woke, mark);
      assert.ok(Date.now() - t0 < 10_000, `woken after ${Date.now() - t0} ms, not at the 20 s timeout`);
      await a.admin.req('PATCH', '/api/groups/default', { rollout: 'audit' });
    });

    test('login rate limit is counted across instances', async () => {
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) {
        const app = i % 2 === 0 ? a.app : bApp.app;
        codes.push((await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'someone', password: PASSWORD } })).statusCode);
      }
      assert.deepEqual(codes, [401, 401, 401, 401, 429, 429]);
    });

    test('concurrent enrollments on both instances never exceed the token count', async () => {
      const tok = (await a.admin.req('POST', '/api/groups/default/tokens', { uses: 3, hours: 1 })).json();
      const tries = Array.from({ length: 8 }, (_, i) => {
        const { publicKey } = generateKeyPairSync('ed25519');
        const app = i % 2 ? a.app : bApp.app;
        return app.inject({ method: 'POST', url: '/api/agent/v1/enroll', payload: { token: tok.token, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), hostname: `race-${i}`, platform: 'linux', agentVersion: 't' } });
      });
      const codes = (await Promise.all(tries)).map((r) => r.statusCode);
      assert.equal(codes.filter((c) => c === 201).length, 3);
      assert.equal(codes.filter((c) => c === 401).length, 5);
    });
  });
});
