// `omamori windows compile|apply|verify` in-process: files written, exit 2 off Windows without --dry-run (ja/en),
// --dry-run printing the PowerShell, usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../main.ts';
import type { Io } from '../command.ts';
import { windows } from '@omamori/agent';
import { ASR_ACTION_VALUE, compileWindows, type WindowsPlan } from '@omamori/windows';
import { compile, findPreset, loadPolicy } from '@omamori/policy';
import { createWindowsCommands } from './windows.ts';

async function run(args: string[], lang: 'ja' | 'en' = 'en') {
  let out = '', err = '';
  const io: Partial<Io> = { out: (s) => { out += s; }, err: (s) => { err += s; }, lang };
  const commands = createWindowsCommands({ platform: 'linux', now: () => Date.UTC(2026, 0, 1), host: () => 'PC-1' });
  return { code: await main(args, {}, io, commands), out, err };
}

test('compile writes every artefact and summarises', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-wcli-'));
  try {
    const r = await run(['windows', 'compile', '--preset', 'office', '--out', dir]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(dir).sort(), ['app-control-base-audit.xml', 'app-control-base.xml', 'apply-audit.ps1', 'apply.ps1', 'intune.json', 'mapping.en.md', 'mapping.ja.md', 'office-revert.reg', 'office.reg', 'revert.ps1']);
    assert.match(r.out, /14 ASR rules/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('compile without --out, or with a bad --asr, is a usage error', async () => {
  assert.equal((await run(['windows', 'compile'])).code, 2);
  const r = await run(['windows', 'compile', '--out', '/tmp/x', '--asr', 'maybe']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--asr must be block, audit or warn/);
});

for (const which of ['apply', 'verify']) {
  test(`${which} off Windows without --dry-run exits 2 with a clear message (en, ja)`, async () => {
    const en = await run(['windows', which]);
    assert.equal(en.code, 2);
    assert.match(en.err, /needs Windows \(this machine is linux\)\. Add --dry-run/);
    const ja = await run(['windows', which], 'ja');
    assert.match(ja.err, /Windows でだけ実行できます/);
  });
}

test('apply --dry-run prints the state query and every command it would run', async () => {
  const r = await run(['windows', 'apply', '--preset', 'audit', '--dry-run']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^# read Defender, App Control and Office settings in force\n\$p = Get-MpPreference/);
  assert.match(r.out, /Add-MpPreference -AttackSurfaceReductionRules_Ids 'd4f940ab-401b-4efc-aadc-ad5f3c50688a' -AttackSurfaceReductionRules_Actions AuditMode/);
  assert.match(r.out, /Set-MpPreference -EnableControlledFolderAccess AuditMode/);
  assert.match(r.out, /CiTool\.exe --update-policy/);
});

// On "Windows": a recording PowerShell door answering the state query like a machine (nothing else runs anywhere).
function machine(state: object) {
  const calls: string[] = [];
  const powershell = () => windows.createPowerShell({ mode: 'record', respond: (c) => {
    calls.push(c.script);
    return c.script === windows.STATE_QUERY ? { stdout: JSON.stringify(state), stderr: '', code: 0 } : { stdout: '', stderr: '', code: 0 };
  } });
  return { calls, run: async (args: string[], lang: 'ja' | 'en' = 'en') => {
    let out = '', err = '';
    const io: Partial<Io> = { out: (s) => { out += s; }, err: (s) => { err += s; }, lang };
    const commands = createWindowsCommands({ platform: 'win32', now: () => Date.UTC(2026, 0, 1), host: () => 'PC-1', powershell });
    return { code: await main(args, {}, io, commands), out, err };
  } };
}
const fresh = { asrIds: [], asrActions: [], cfa: 0, folders: [], ciTool: true, policies: [], office: [{ hive: 'S-1-12-1-1-2-3-4', key: '', name: '', value: null }] };
function running(plan: WindowsPlan) {
  return { ...fresh, asrIds: plan.asr.map((r) => r.id), asrActions: plan.asr.map((r) => ASR_ACTION_VALUE[r.action]), cfa: plan.cfa.mode === 'audit' ? 2 : 1, folders: plan.cfa.folders,
    policies: [{ id: plan.appControl.policyId, version: plan.appControl.versionEx }] };
}

test('issue 14 item 6: apply of an enforcing policy on a machine that never ran it in audit mode is refused, nothing changed (en, ja)', async () => {
  const m = machine(fresh);
  const r = await m.run(['windows', 'apply', '--preset', 'office']);
  assert.equal(r.code, 1);
  assert.match(r.err, /never ran in audit mode on this machine\. Run omamori windows apply --audit-step first.*--skip-audit enforces at once\. Nothing was changed\./);
  assert.deepEqual(m.calls, [windows.STATE_QUERY]);
  assert.match((await machine(fresh).run(['windows', 'apply', '--preset', 'office'], 'ja')).err, /監査モードとして実行されたことがありません/);
});

test('issue 14 item 6: --audit-step applies the same rules in audit mode; the next apply switches to enforce', async () => {
  const m = machine(fresh);
  const step = await m.run(['windows', 'apply', '--preset', 'office', '--audit-step']);
  assert.equal(step.code, 0, step.err);
  const cmds = m.calls.slice(1);
  assert.ok(cmds.some((c) => /app-control-base-audit\.xml'.*CiTool\.exe --update-policy/.test(c)), cmds.join('\n'));
  assert.ok(cmds.filter((c) => c.startsWith('Add-MpPreference -AttackSurfaceReductionRules_Ids')).every((c) => c.endsWith('AuditMode')));
  assert.ok(cmds.includes('Set-MpPreference -EnableControlledFolderAccess AuditMode'));
  assert.ok(!cmds.some((c) => /Office/.test(c)), 'no Office values in the audit step');
  // the machine now runs the audit step: apply enforces
  const office = loadPolicy(findPreset('office')!.text).policy!;
  const { auditPlan } = compileWindows(compile(office), { now: Date.UTC(2026, 0, 1) });
  const next = machine(running(auditPlan!));
  const r = await next.run(['windows', 'apply', '--preset', 'office']);
  assert.equal(r.code, 0, r.err);
  assert.ok(next.calls.some((c) => /app-control-base\.xml'.*CiTool\.exe --update-policy/.test(c)));
  assert.ok(next.calls.some((c) => /Actions Enabled$/.test(c)));
});

test('issue 14 item 6: --skip-audit enforces at once; verify --audit-step checks the audit step', async () => {
  const m = machine(fresh);
  const r = await m.run(['windows', 'apply', '--preset', 'office', '--skip-audit']);
  assert.equal(r.code, 0, r.err);
  assert.ok(m.calls.some((c) => /app-control-base\.xml'.*CiTool\.exe --update-policy/.test(c)));
  const v = await machine(fresh).run(['windows', 'verify', '--preset', 'office', '--audit-step']);
  assert.equal(v.code, 1);
  assert.match(v.out, /asr: .*expected 2, actual absent/);
});
