// Trust from an event for its group (issue 12 item 8), with the preview of how many logged events each entry would
// have allowed, and the switch to enforce after a preview of what enforce would block — through the API, on SQLite
// and on a real PostgreSQL server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadPolicy } from '@omamori/policy';
import { createTestConsole, enrollTestAgent, sampleEvent, type TestConsole } from './helpers.ts';
import { startPostgres, type TestPostgres } from './pg.ts';

const SIGNER = 'Kaikei Soft K.K.';

async function seed(tc: TestConsole) {
  const g = (await tc.admin.req('POST', '/api/groups', { name: 'accounting' })).json() as { id: string };
  const a = await enrollTestAgent(tc, { groupId: g.id, hostname: 'pc-01' });
  const b = await enrollTestAgent(tc, { groupId: g.id, hostname: 'pc-02' });
  const other = await enrollTestAgent(tc, { hostname: 'other-01' });
  const ev = (key: string, over: Record<string, unknown>) => sampleEvent(key, { verdict: 'audit-deny', time: tc.now(), ...over });
  const kaikei = (who: string) => `C:\\Users\\${who}\\AppData\\Local\\Kaikei\\kaikei.exe`;
  const up = (r: { statusCode: number; body: string }) => assert.equal(r.statusCode, 200, r.body);
  up(await a.req('POST', '/events', { events: [
    ev('a1', { object: kaikei('alice'), detail: { sha256: 'ab'.repeat(32), signer: SIGNER } }),
    ev('a2', { object: kaikei('alice'), detail: { sha256: 'ab'.repeat(32), signer: SIGNER } }),
    ev('a3', { object: 'C:\\Users\\alice\\AppData\\Local\\Kaikei\\update.exe', detail: { sha256: 'cd'.repeat(32), signer: SIGNER } }),
    ev('a4', { object: 'C:\\Apps\\Kyuyo\\kyuyo.exe', detail: { sha256: 'ef'.repeat(32) } }),
    ev('a5', { object: 'C:\\Windows\\System32\\cmd.exe', reason: 'GUARDED_CHILD_DENIED', rule: 'guarded.children', detail: {} }),
  ] }));
  up(await b.req('POST', '/events', { events: [ev('b1', { object: kaikei('bob'), detail: { sha256: 'ab'.repeat(32), signer: SIGNER } })] }));
  up(await other.req('POST', '/events', { events: [ev('o1', { object: kaikei('carol'), detail: { sha256: 'ab'.repeat(32), signer: SIGNER } })] }));
  const list = (await tc.admin.req('GET', '/api/events?limit=100')).json() as { events: { id: number; object: string; hostname: string }[] };
  const id = (host: string, obj: string) => list.events.find((e) => e.hostname === host && e.object.endsWith(obj))!.id;
  return { group: g.id, kaikeiEvent: id('pc-01', 'kaikei.exe'), kyuyoEvent: id('pc-01', 'kyuyo.exe'), cmdEvent: id('pc-01', 'cmd.exe') };
}

function suite(name: string, db: () => string | undefined) {
  describe(`trust and enforce previews (${name})`, () => {
    let tc: TestConsole;
    let s: Awaited<ReturnType<typeof seed>>;
    before(async () => { const url = db(); tc = await createTestConsole(url ? { db: url } : {}); s = await seed(tc); });
    after(async () => { await tc?.close(); });

    test('trust options for an event: each entry with how many of the group\'s logged refusals it would have allowed', async () => {
      const res = await tc.admin.req('GET', `/api/events/${s.kaikeiEvent}/trust-options`);
      assert.equal(res.statusCode, 200, res.body);
      const o = res.json() as { group: { name: string }; logged: number; options: { kind: string; available: boolean; why?: string; preview?: { events: number; programs: number; endpoints: number } }[] };
      assert.equal(o.group.name, 'accounting');
      assert.equal(o.logged, 6, 'only this group\'s refusals, not the other group\'s');
      const by = Object.fromEntries(o.options.map((x) => [x.kind, x]));
      assert.deepEqual(by.hash!.preview, { events: 3, programs: 2, endpoints: 2 }, 'same hash in two users\' folders on two PCs');
      assert.deepEqual(by.publisher!.preview, { events: 4, programs: 3, endpoints: 2 }, 'the publisher also signs update.exe');
      assert.equal(by.folder!.available, false);
      assert.equal(by.folder!.why, 'user-space-pattern', 'a folder in a user profile stays user space');
      const kyuyo = (await tc.admin.req('GET', `/api/events/${s.kyuyoEvent}/trust-options`)).json() as typeof o;
      const folder = kyuyo.options.find((x) => x.kind === 'folder')!;
      assert.equal(folder.available, true);
      assert.deepEqual(folder.preview, { events: 1, programs: 1, endpoints: 1 });
      assert.equal(kyuyo.options.find((x) => x.kind === 'publisher')!.why, 'no-signer');
      const cmd = (await tc.admin.req('GET', `/api/events/${s.cmdEvent}/trust-options`)).json() as typeof o;
      assert.ok(cmd.options.every((x) => !x.available && x.why === 'not-launch-control'));
    });

    test('trusting the publisher for the group gives the group its own policy copy with the entry, and agents a new policy', async () => {
      const viewer = await tc.user('viewer');
      assert.equal((await viewer.req('POST', `/api/groups/${s.group}/trust`, { eventId: s.kaikeiEvent, kind: 'publisher' })).statusCode, 403);
      const wrongGroup = await tc.admin.req('POST', '/api/groups/default/trust', { eventId: s.kaikeiEvent, kind: 'publisher' });
      assert.equal(wrongGroup.statusCode, 400);
      const res = await tc.admin.req('POST', `/api/groups/${s.group}/trust`, { eventId: s.kaikeiEvent, kind: 'publisher' });
      assert.equal(res.statusCode, 201, res.body);
      const r = res.json() as { policyRef: string; version: number; allowed: { events: number } };
      assert.match(r.policyRef, /^policy:/);
      assert.equal(r.version, 1);
      assert.equal(r.allowed.events, 4);
      const groups = (await tc.admin.req('GET', '/api/groups')).json() as { groups: { id: string; policyRef: string }[] };
      assert.equal(groups.groups.find((g) => g.id === s.group)!.policyRef, r.policyRef);
      assert.equal(groups.groups.find((g) => g.id === 'default')!.policyRef, 'preset:office', 'other groups keep the preset');
      const p = (await tc.admin.req('GET', `/api/policies/${r.policyRef.slice(7)}`)).json() as { name: string; text: string };
      assert.equal(p.name, 'accounting (trusted)');
      const doc = loadPolicy(p.text).policy!;
      assert.ok(doc.trust.publishers.some((x) => x.signer === SIGNER));
      assert.match(p.text, new RegExp(`# trusted for group accounting from event #${s.kaikeiEvent} by admin`));
      // A second entry goes into the group's own policy as a new version.
      const again = (await tc.admin.req('POST', `/api/groups/${s.group}/trust`, { eventId: s.kyuyoEvent, kind: 'folder' })).json() as { policyRef: string; version: number };
      assert.equal(again.policyRef, r.policyRef);
      assert.equal(again.version, 2);
      const v2 = (await tc.admin.req('GET', `/api/policies/${r.policyRef.slice(7)}`)).json() as { text: string };
      assert.ok(loadPolicy(v2.text).policy!.userSpace.systemFolders.includes('C:\\Apps\\Kyuyo\\**'));
      const auditLog = (await tc.admin.req('GET', '/api/audit')).json() as { entries: { action: string }[] };
      assert.equal(auditLog.entries.filter((e) => e.action === 'group.trust').length, 2);
      const bad = await tc.admin.req('POST', `/api/groups/${s.group}/trust`, { eventId: s.cmdEvent, kind: 'hash' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /not-launch-control/);
    });

    test('enforce preview lists what the group\'s audit log would have blocked; the switch needs the preview count', async () => {
      const res = await tc.admin.req('GET', `/api/groups/${s.group}/enforce-preview?days=7`);
      assert.equal(res.statusCode, 200, res.body);
      const p = res.json() as { policyMode: string; totals: { events: number; programs: number; endpoints: number; groupEndpoints: number; alreadyTrusted: number }; items: { object: string; count: number; endpoints: number; rule: string }[] };
      // The publisher and the folder trusted above allow 5 of the 6 logged would-blocks: only cmd.exe remains.
      assert.deepEqual(p.totals, { events: 1, programs: 1, endpoints: 1, groupEndpoints: 2, alreadyTrusted: 5 });
      assert.equal(p.policyMode, 'enforce');
      assert.deepEqual(p.items.map((i) => [i.rule, i.count]), [['guarded.children', 1]]);
      const stale = await tc.admin.req('POST', `/api/groups/${s.group}/enforce`, { seen: 0, days: 7 });
      assert.equal(stale.statusCode, 409);
      assert.match(stale.json().error.message, /1 more would-block event\(s\) were logged since the preview/);
      const ok = await tc.admin.req('POST', `/api/groups/${s.group}/enforce`, { seen: 1, days: 7 });
      assert.equal(ok.statusCode, 200, ok.body);
      const groups = (await tc.admin.req('GET', '/api/groups')).json() as { groups: { id: string; rollout: string }[] };
      assert.equal(groups.groups.find((g) => g.id === s.group)!.rollout, 'enforce');
      const viewer = await tc.user('viewer');
      assert.equal((await viewer.req('GET', `/api/groups/${s.group}/enforce-preview`)).statusCode, 200);
      assert.equal((await viewer.req('POST', `/api/groups/${s.group}/enforce`, { seen: 1 })).statusCode, 403);
    });
  });
}

suite('SQLite', () => undefined);

describe('PostgreSQL', () => {
  let pgs: TestPostgres;
  let url = '';
  before(async () => { pgs = await startPostgres(); url = await pgs.createDatabase('trust'); });
  after(() => { pgs?.stop(); });
  suite('PostgreSQL', () => url);
});
