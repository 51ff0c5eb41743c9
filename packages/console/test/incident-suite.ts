// Incident response API tests, run against each store (incident-sqlite.test.ts, incident-postgres.test.ts): opening a
// case from an endpoint or an event, roles, strict bodies, signed tasks in the heartbeat, results moving steps on
// (with who and when), the sweep per endpoint, manual ticks, attached replay reports, the partner letter and the
// report export. The agent here is the minimal signed test agent; the real sync client runs in packages/cli/test.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { taskSigningPayload, type SignedAgentTask } from '@omamori/policy';
import { createTestConsole, enrollTestAgent, sampleEvent, type Session, type TestAgent, type TestConsole } from './helpers.ts';

const hb = { state: 'protecting', agentVersion: 'test', policyVersion: 0, spooled: 0 };

async function heartbeatTasks(a: TestAgent): Promise<SignedAgentTask[]> {
  const r = await a.req('POST', '/heartbeat', hb);
  assert.equal(r.statusCode, 200, r.body);
  return (r.json() as { tasks?: SignedAgentTask[] }).tasks ?? [];
}

export function defineIncidentTests(label: string, dbUrl: () => string | undefined): void {
  describe(`incident response API (${label})`, () => {
    let tc: TestConsole; let op: Session; let viewer: Session; let a1: TestAgent; let a2: TestAgent; let incident = ''; let eventId = 0;
    before(async () => {
      tc = await createTestConsole({ db: dbUrl(), limits: { loginPerMinute: 1000, enrollPerMinute: 1000 } });
      op = await tc.user('operator'); viewer = await tc.user('viewer');
      a1 = await enrollTestAgent(tc, { hostname: 'pc-infected' });
      a2 = await enrollTestAgent(tc, { hostname: 'pc-other' });
      await a1.req('POST', '/events', { events: [sampleEvent('k1')] });
      eventId = ((await tc.admin.req('GET', '/api/events')).json() as { events: { id: number }[] }).events[0]!.id;
    });
    after(async () => { await tc?.close(); });

    test('an operator opens a case from an event; viewers read but cannot act; bodies are strict', async () => {
      const denied = await viewer.req('POST', '/api/incidents', { eventId });
      assert.equal(denied.statusCode, 403);
      const bad = await op.req('POST', '/api/incidents', { eventId, extra: 1 });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.field, 'extra');
      const none = await op.req('POST', '/api/incidents', { eventId: 999999 });
      assert.equal(none.statusCode, 404);
      const res = await op.req('POST', '/api/incidents', { eventId });
      assert.equal(res.statusCode, 201, res.body);
      incident = res.json().id;
      const c = (await viewer.req('GET', `/api/incidents/${incident}?lang=ja`)).json();
      assert.equal(c.endpoint.hostname, 'pc-infected');
      assert.equal(c.event.id, eventId);
      assert.deepEqual(c.steps.map((s: { key: string }) => s.key), ['isolate', 'preserve', 'check', 'credentials', 'sweep', 'traffic', 'secondary', 'partners']);
      assert.ok(c.steps.every((s: { state: string }) => s.state === 'todo'));
      assert.equal(c.steps[0].title, '端末をネットワークから隔離する');
      assert.ok(c.credentials.some((x: string) => x.includes('メールアカウント')));
      assert.ok(c.credentials.some((x: string) => x.includes('VPN')));
      for (const [m, u, b] of [['POST', `/api/incidents/${incident}/actions`, { action: 'isolate' }], ['POST', `/api/incidents/${incident}/steps/traffic`, { state: 'done' }], ['PATCH', `/api/incidents/${incident}`, { title: 'x' }]] as const) {
        assert.equal((await viewer.req(m, u, b)).statusCode, 403, `${m} ${u}`);
      }
      const list = (await viewer.req('GET', '/api/incidents')).json();
      assert.equal(list.incidents[0].id, incident);
      assert.equal(list.incidents[0].hostname, 'pc-infected');
    });

    test('isolate: a signed task reaches only its agent, the step waits, then completes with who asked and who did it', async () => {
      const r = await op.req('POST', `/api/incidents/${incident}/actions`, { action: 'isolate' });
      assert.equal(r.statusCode, 202, r.body);
      let c = (await op.req('GET', `/api/incidents/${incident}`)).json();
      assert.equal(c.steps[0].state, 'waiting');
      assert.match(c.steps[0].requestedBy, /^operator-/);
      assert.deepEqual(await heartbeatTasks(a2), [], 'the other endpoint gets nothing');
      const tasks = await heartbeatTasks(a1);
      assert.equal(tasks.length, 1);
      const t = tasks[0]!;
      assert.equal(t.task.kind, 'isolate');
      assert.equal(t.task.agentId, a1.id);
      const key = createPublicKey({ key: Buffer.from(a1.consoleKey, 'base64'), format: 'der', type: 'spki' });
      assert.ok(verify(null, Buffer.from(taskSigningPayload(t.task)), key, Buffer.from(t.signature, 'base64')), 'signed by the console key');
      assert.ok(!verify(null, Buffer.from(taskSigningPayload({ ...t.task, kind: 'release-isolation' })), key, Buffer.from(t.signature, 'base64')));
      assert.equal((await heartbeatTasks(a1)).length, 1, 're-sent until reported');
      const wrongAgent = await a2.req('POST', `/tasks/${t.task.id}/result`, { status: 'done', message: 'x' });
      assert.equal(wrongAgent.statusCode, 404, 'another agent cannot report it');
      const badBody = await a1.req('POST', `/tasks/${t.task.id}/result`, { status: 'maybe', message: 'x' });
      assert.equal(badBody.statusCode, 400);
      const ok = await a1.req('POST', `/tasks/${t.task.id}/result`, { status: 'done', message: 'isolated', isolation: { isolated: true, since: new Date().toISOString(), console: ['127.0.0.1/32'] } });
      assert.deepEqual(ok.json(), { accepted: true, duplicate: false });
      const again = await a1.req('POST', `/tasks/${t.task.id}/result`, { status: 'done', message: 'isolated' });
      assert.deepEqual(again.json(), { accepted: false, duplicate: true });
      assert.deepEqual(await heartbeatTasks(a1), [], 'a reported task is not sent again');
      c = (await op.req('GET', `/api/incidents/${incident}`)).json();
      assert.equal(c.steps[0].state, 'done');
      assert.equal(c.steps[0].doneBy, 'agent:pc-infected');
      assert.equal(typeof c.steps[0].doneAt, 'number');
      assert.equal(c.tasks[0].isolation.isolated, true);
      const audit = (await tc.admin.req('GET', '/api/audit')).json();
      const actions = JSON.stringify(audit);
      assert.match(actions, /incident\.action\.isolate/);
      assert.match(actions, /task\.done/);
    });

    test('check with findings needs attention until an operator marks the removal done; a failed collect fails the step', async () => {
      await op.req('POST', `/api/incidents/${incident}/actions`, { action: 'check' });
      await op.req('POST', `/api/incidents/${incident}/actions`, { action: 'collect' });
      const tasks = await heartbeatTasks(a1);
      assert.deepEqual(tasks.map((t) => t.task.kind).sort(), ['check', 'collect']);
      const check = tasks.find((t) => t.task.kind === 'check')!; const collect = tasks.find((t) => t.task.kind === 'collect')!;
      await a1.req('POST', `/tasks/${check.task.id}/result`, { status: 'done', message: '1 found', check: { checker: 'linux-autostart', verdict: 'findings', examined: 7, findings: [{ code: 'USERSPACE_AUTOSTART', severity: 'review', title: 'cron starts /home/alice/x', path: '/home/alice/x' }] } });
      await a1.req('POST', `/tasks/${collect.task.id}/result`, { status: 'failed', message: 'disk full' });
      let c = (await op.req('GET', `/api/incidents/${incident}`)).json();
      assert.equal(c.steps[2].state, 'attention');
      assert.equal(c.steps[1].state, 'failed');
      const tick = await op.req('POST', `/api/incidents/${incident}/steps/check`, { state: 'done', note: 'removed /home/alice/x and its cron line' });
      assert.equal(tick.statusCode, 200);
      c = (await op.req('GET', `/api/incidents/${incident}`)).json();
      assert.equal(c.steps[2].state, 'done');
      assert.match(c.steps[2].doneBy, /^operator-/);
      assert.equal(c.steps[2].note, 'removed /home/alice/x and its cron line');
      const unknown = await op.req('POST', `/api/incidents/${incident}/steps/nope`, { state: 'done' });
      assert.equal(unknown.statusCode, 400);
    });

    test('sweep: one check per endpoint, results per endpoint, the step settles when all reported', async () => {
      const r = await op.req('POST', `/api/incidents/${incident}/actions`, { action: 'sweep' });
      assert.equal(r.json().tasks.length, 2);
      let c = (await op.req('GET', `/api/incidents/${incident}`)).json();
      assert.equal(c.steps[4].state, 'waiting');
      assert.equal(c.sweep.length, 2);
      const t2 = (await heartbeatTasks(a2))[0]!;
      await a2.req('POST', `/tasks/${t2.task.id}/result`, { status: 'done', message: 'clean', check: { checker: 'linux-autostart', verdict: 'clean', examined: 3, findings: [] } });
      c = (await op.req('GET', `/api/incidents/${incident}`)).json();
      assert.equal(c.steps[4].state, 'waiting', 'one endpoint has not reported');
      const t1 = (await heartbeatTasks(a1))[0]!;
      await a1.req('POST', `/tasks/${t1.task.id}/result`, { status: 'done', message: 'clean', check: { checker: 'linux-autostart', verdict: 'clean', examined: 3, findings: [] } });
      c = (await op.req('GET', `/api/incidents/${incident}`)).json();
      assert.equal(c.steps[4].state, 'done');
      assert.deepEqual(c.sweep.map((s: { hostname: string; verdict: string }) => `${s.hostname}:${s.verdict}`).sort(), ['pc-infected:clean', 'pc-other:clean']);
    });

    test('replay report attached to the case (JSON checked), letter filled with the organisation, report exported', async () => {
      const notJson = await op.req('POST', `/api/incidents/${incident}/files`, { kind: 'replay-report', name: 'r.json', content: '{oops' });
      assert.equal(notJson.statusCode, 400);
      assert.equal(notJson.json().error.field, 'content');
      const report = { policy: 'office', mode: 'enforce', stats: { decisions: 40, blocks: 3, trees: 2, issues: 0 }, rules: [{ rule: 'launch.user-space', count: 3 }], recordings: [{}] };
      const up = await op.req('POST', `/api/incidents/${incident}/files`, { kind: 'replay-report', name: 'pc-infected-replay.json', content: JSON.stringify(report) });
      assert.equal(up.statusCode, 201, up.body);
      assert.equal(up.json().summary.blocks, 3);
      const patch = await op.req('PATCH', `/api/incidents/${incident}`, { org: { orgName: '例示商事株式会社', contact: 'security@example.co.jp / 03-0000-0000', incidentDate: '2024-05-01', watchFor: '件名「請求書の件」' } });
      assert.equal(patch.statusCode, 200, patch.body);
      const badDate = await op.req('PATCH', `/api/incidents/${incident}`, { org: { incidentDate: '1 May' } });
      assert.equal(badDate.statusCode, 400);
      const ja = (await viewer.req('GET', `/api/incidents/${incident}/letter?lang=ja`)).json();
      assert.match(ja.subject, /例示商事株式会社を装った/);
      assert.match(ja.body, /2024-05-01、弊社の端末/);
      assert.match(ja.body, /security@example\.co\.jp/);
      assert.match(ja.body, /・件名「請求書の件」/);
      const en = (await viewer.req('GET', `/api/incidents/${incident}/letter?lang=en`)).json();
      assert.match(en.body, /On 2024-05-01 we found/);
      const md = await viewer.req('GET', `/api/incidents/${incident}/report?format=md&lang=en`);
      assert.equal(md.statusCode, 200);
      assert.match(String(md.headers['content-type']), /text\/markdown/);
      assert.match(md.body, /^# Incident report: /);
      assert.match(md.body, /\| Isolate the endpoint \| done \| operator-\w+ \(.*\) \| agent:pc-infected \(/);
      assert.match(md.body, /pc-infected-replay\.json .*blocks=3/);
      assert.match(md.body, /Mail account passwords/);
      const html = await viewer.req('GET', `/api/incidents/${incident}/report?format=html&lang=ja`);
      assert.match(String(html.headers['content-type']), /text\/html/);
      assert.match(html.body, /<html lang="ja">/);
      assert.match(html.body, /インシデント報告書/);
      assert.match(html.body, /例示商事株式会社/);
      assert.doesNotMatch(html.body, /<script/i);
    });

    test('a closed case takes no more actions until reopened; closing is recorded', async () => {
      assert.equal((await op.req('PATCH', `/api/incidents/${incident}`, { status: 'closed' })).statusCode, 200);
      const r = await op.req('POST', `/api/incidents/${incident}/actions`, { action: 'release-isolation' });
      assert.equal(r.statusCode, 409);
      const c = (await viewer.req('GET', `/api/incidents/${incident}`)).json();
      assert.equal(c.status, 'closed');
      assert.match(c.closedBy, /^operator-/);
      assert.ok(c.log.some((l: { action: string }) => l.action === 'incident.update'));
    });
  });
}
