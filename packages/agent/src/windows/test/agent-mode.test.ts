// Windows agent mode against a fake machine behind the recording PowerShell door and a fake clock: a policy is
// applied once, drift is re-applied, blocks reach the spool once (also across a restart), PowerShell errors are
// logged and the loop goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSpool } from '../../sync/spool.ts';
import { ASR_ACTION_VALUE, compileWindows, type WindowsPlan } from '@omamori/windows';
import { BLOCKS_CURSOR, createWindowsAgentMode } from '../agent-mode.ts';
import { createPowerShell, type PsCall } from '../powershell.ts';
import { diffState, parseWindowsState, STATE_QUERY } from '../state.ts';
import { here, NOW, policyFrom } from './helpers.ts';

const SID = 'S-1-5-21-1111111111-2222222222-3333333333-1001';

function fullState(plan: WindowsPlan): Record<string, unknown> {
  return {
    asrIds: plan.asr.map((r) => r.id), asrActions: plan.asr.map((r) => ASR_ACTION_VALUE[r.action]),
    cfa: plan.cfa.mode === 'enabled' ? 1 : plan.cfa.mode === 'audit' ? 2 : 0, folders: plan.cfa.folders, ciTool: true,
    policies: [{ id: plan.appControl.policyId.slice(1, -1), version: plan.appControl.versionEx },
      ...plan.appControl.supplementals.map((x) => ({ id: x.policyId, version: plan.appControl.versionEx }))],
    office: [...plan.office.map((o) => ({ hive: SID, key: `${o.app}\\${o.sub}`, name: o.name, value: o.value })), { hive: SID, key: '', name: '', value: null }],
  };
}
const EMPTY = { asrIds: [], asrActions: [], cfa: 0, folders: [], ciTool: true, policies: [], office: [{ hive: SID, key: '', name: '', value: null }] };

/** Event XML strings of the fixtures; the collector (wevtutil) prints them one after another. */
const fixtureEvents = ['ci-3077.xml', 'applocker.xml', 'defender.xml']
  .flatMap((f) => readFileSync(join(here, 'fixtures', f), 'utf8').match(/<Event xmlns[\s\S]*?<\/Event>/g) ?? []);

/** A machine: the state query answers its settings; any other apply command puts the whole plan in force. */
function machine(plan: WindowsPlan) {
  const m = { state: EMPTY as Record<string, unknown>, events: [] as string[], fail: undefined as undefined | ((c: PsCall) => boolean) };
  const ps = createPowerShell({
    mode: 'record', respond: (c) => {
      if (m.fail?.(c)) throw new Error('powershell.exe crashed');
      if (c.script === STATE_QUERY) return { stdout: JSON.stringify(m.state), stderr: '', code: 0 };
      if (c.script.startsWith('$out = wevtutil.exe qe')) return { stdout: m.events.join('\r\n'), stderr: '', code: 0 };
      m.state = fullState(plan);
      return { stdout: '', stderr: '', code: 0 };
    },
  });
  return { m, ps };
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-winagent-'));
  const policy = policyFrom('office');
  const { plan } = compileWindows(policy, { now: NOW });
  const { m, ps } = machine(plan);
  const logs: string[] = [];
  const spool = openSpool(dir);
  const fired: { fn: () => void; ms: number; live: boolean }[] = [];
  const timers = { every: (fn: () => void, ms: number) => { const h = { fn, ms, live: true }; fired.push(h); return h; }, cancel: (h: unknown) => { (h as { live: boolean }).live = false; } };
  const mk = (s = spool) => createWindowsAgentMode({ powershell: ps, sink: s, stateDir: dir, log: (l) => logs.push(l), now: () => NOW, host: 'PC-1', timers, intervals: { verifyMs: 60_000, blocksMs: 15_000 } });
  return { dir, policy, plan, m, ps, logs, spool, timers: fired, mk, done: () => { rmSync(dir, { recursive: true, force: true }); } };
}
const applies = (calls: readonly PsCall[]) => calls.filter((c) => c.script !== STATE_QUERY && !c.script.startsWith('$out = wevtutil.exe qe'));

test('a policy arrival applies exactly the differing settings once; the same policy again runs nothing', async () => {
  const t = setup();
  try {
    const mode = t.mk();
    await mode.start(t.policy, '3');
    const first = applies(t.ps.calls).length;
    assert.equal(first, diffState(t.plan, parseWindowsState(JSON.stringify(EMPTY)), { workDir: join(t.dir, 'windows'), now: NOW, host: 'PC-1' }).length);
    assert.ok(first > 0);
    assert.match(readFileSync(join(t.dir, 'windows', 'app-control-base.xml'), 'utf8'), /<SiPolicy/);
    assert.equal(mode.status().drift, 0);
    assert.equal(mode.status().applied, true);
    const before = t.ps.calls.length;
    await mode.onPolicy(t.policy, '3');
    assert.equal(t.ps.calls.length, before, 'no PowerShell at all for the same policy');
    // Same artefacts, a fresh compile (new object): still nothing.
    await mode.onPolicy(policyFrom('office'), '4');
    assert.equal(applies(t.ps.calls).length, first);
    // The timers: verify every 60 s and blocks every 15 s; stop cancels both.
    assert.deepEqual(t.timers.map((h) => h.ms).sort(), [15_000, 60_000]);
    await mode.stop();
    assert.ok(t.timers.every((h) => !h.live));
  } finally { t.spool.close(); t.done(); }
});

test('drift found by the periodic verification is re-applied (only the drifted setting)', async () => {
  const t = setup();
  try {
    const mode = t.mk();
    await mode.start(t.policy);
    const n = applies(t.ps.calls).length;
    await mode.verifyNow();
    assert.equal(applies(t.ps.calls).length, n, 'no drift, nothing re-applied');
    const s = t.m.state as { asrIds: string[]; asrActions: number[] };
    s.asrIds = s.asrIds.slice(1); s.asrActions = s.asrActions.slice(1);
    t.timers.find((h) => h.ms === 60_000)!.fn();   // the fake clock ticks
    await mode.verifyNow();
    const again = applies(t.ps.calls).slice(n);
    assert.equal(again.length, 1);
    assert.match(again[0]!.script, new RegExp(`Add-MpPreference -AttackSurfaceReductionRules_Ids '${t.plan.asr[0]!.id}'`));
    assert.ok(t.logs.some((l) => /1 setting\(s\) differ from the policy: asr/.test(l)), t.logs.join('\n'));
    assert.equal(mode.status().drift, 0);
    await mode.stop();
  } finally { t.spool.close(); t.done(); }
});

test('blocks read back are spooled once, not again on the next round nor after a restart', async () => {
  const t = setup();
  try {
    t.m.events = fixtureEvents;
    let mode = t.mk();
    await mode.start(t.policy, '7');
    const n = await mode.readBlocksNow();
    assert.ok(n >= 5, `spooled ${n}`);
    assert.equal(t.spool.count(), n);
    const rows = t.spool.peek(100).map((r) => r.event);
    assert.ok(rows.every((e) => e.policyVersion === '7' && (e.verdict === 'deny' || e.verdict === 'audit-deny') && e.object !== '' && Array.isArray(e.lineage)));
    assert.ok(rows.some((e) => e.rule.startsWith('asr:') && e.reason === 'GUARDED_CHILD_DENIED' && e.guarded === 'winword.exe'), JSON.stringify(rows.map((e) => [e.rule, e.reason, e.guarded])));
    assert.ok(rows.some((e) => e.rule.startsWith('app-control:') && (e.detail as { mechanism: string }).mechanism === 'app-control'));
    assert.equal(await mode.readBlocksNow(), 0);
    await mode.stop();
    t.spool.ack(t.spool.peek(100).at(-1)!.seq);   // the console took them
    t.spool.close();
    // Restart: a new spool handle and a new mode read the same cursor from <state>/sync.db.
    const spool2 = openSpool(t.dir);
    try {
      mode = t.mk(spool2);
      await mode.start(t.policy, '7');
      assert.equal(await mode.readBlocksNow(), 0);
      assert.equal(spool2.count(), 0);
      assert.ok(JSON.parse(spool2.meta(BLOCKS_CURSOR)!).time > NOW);
      await mode.stop();
    } finally { spool2.close(); }
  } finally { t.done(); }
});

test('PowerShell errors are logged and the loop keeps going', async () => {
  const t = setup();
  try {
    t.m.fail = () => true;
    const mode = t.mk();
    await mode.start(t.policy);
    assert.ok(t.logs.some((l) => /applying the policy failed .*powershell\.exe crashed/.test(l)), t.logs.join('\n'));
    assert.equal(await mode.readBlocksNow(), 0);
    assert.ok(t.logs.some((l) => /reading blocks failed/.test(l)));
    assert.match(String(mode.detail().windowsError), /crashed/);
    t.m.fail = undefined;
    t.m.events = fixtureEvents;
    await mode.verifyNow();   // the next round applies what failed before
    assert.ok(applies(t.ps.calls).length > 0);
    assert.equal(mode.status().drift, 0);
    assert.ok(await mode.readBlocksNow() > 0);
    assert.equal(mode.detail().windowsError, undefined);
    await mode.stop();
  } finally { t.spool.close(); t.done(); }
});
