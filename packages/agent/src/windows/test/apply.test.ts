// apply/verify through the recording PowerShell door: the first call is the read-only state query; a machine that
// already has everything gets no command (idempotence); drift is reported with the fixing command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASR_ACTION_VALUE, compileWindows, type WindowsPlan } from '@omamori/windows';
import { applyWindowsPolicy, verifyWindowsPolicy } from '../apply.ts';
import { createPowerShell } from '../powershell.ts';
import { STATE_QUERY, parseWindowsState } from '../state.ts';
import { NOW, policyFrom } from './helpers.ts';

const SID = 'S-1-5-21-1111111111-2222222222-3333333333-1001';
const opts = { workDir: 'C:\\ProgramData\\omamori\\windows', now: NOW, host: 'PC-DESIGN-01' };

/** The JSON STATE_QUERY prints on a machine where `plan` is fully in force (optionally edited). */
function stateJson(plan: WindowsPlan, edit?: (s: Record<string, unknown>) => void): string {
  const s: Record<string, unknown> = {
    asrIds: plan.asr.map((r) => r.id), asrActions: plan.asr.map((r) => ASR_ACTION_VALUE[r.action]),
    cfa: plan.cfa.mode === 'enabled' ? 1 : plan.cfa.mode === 'audit' ? 2 : 0, folders: plan.cfa.folders, ciTool: true,
    policies: [{ id: plan.appControl.policyId.slice(1, -1), version: plan.appControl.versionEx },
      ...plan.appControl.supplementals.map((x) => ({ id: x.policyId, version: plan.appControl.versionEx }))],
    office: [...plan.office.map((o) => ({ hive: SID, key: `${o.app}\\${o.sub}`, name: o.name, value: o.value })), { hive: SID, key: '', name: '', value: null }],
  };
  edit?.(s);
  return JSON.stringify(s);
}

function door(state: string) {
  return createPowerShell({ mode: 'record', respond: (c) => (c.script === STATE_QUERY ? { stdout: state, stderr: '', code: 0 } : { stdout: '', stderr: '', code: 0 }) });
}

test('applying to a machine that already has the plan issues no command (idempotent)', async () => {
  const { plan } = compileWindows(policyFrom('exceptions.yaml'), { now: NOW });
  const ps = door(stateJson(plan));
  const r = await applyWindowsPolicy(plan, ps, opts);
  assert.deepEqual(r.changes, []);
  assert.equal(ps.calls.length, 1);
  assert.equal(ps.calls[0]!.script, STATE_QUERY);
});

test('only what differs is applied: one missing ASR rule, one wrong action, CFA off, one Office value', async () => {
  const { plan } = compileWindows(policyFrom('office'), { now: NOW });
  const missing = plan.asr[0]!, wrong = plan.asr[1]!;
  const ps = door(stateJson(plan, (s) => {
    s.asrIds = plan.asr.slice(1).map((r) => r.id);
    s.asrActions = plan.asr.slice(1).map((r) => (r === wrong ? 2 : 1));
    s.cfa = 0;
    s.office = (s.office as { name: string; key: string; value: unknown }[]).map((o) => (o.name === 'VBAWarnings' && o.key === 'word\\Security' ? { ...o, value: 1 } : o));
  }));
  const r = await applyWindowsPolicy(plan, ps, opts);
  const scripts = ps.calls.slice(1).map((c) => c.script);
  assert.deepEqual(scripts, [
    `Add-MpPreference -AttackSurfaceReductionRules_Ids '${missing.id}' -AttackSurfaceReductionRules_Actions Enabled`,
    `Add-MpPreference -AttackSurfaceReductionRules_Ids '${wrong.id}' -AttackSurfaceReductionRules_Actions Enabled`,
    'Set-MpPreference -EnableControlledFolderAccess Enabled',
    // the key is created only when missing: New-Item -Force on an existing key would delete its other values
    `if (-not (Test-Path -LiteralPath 'Registry::HKEY_USERS\\${SID}\\Software\\Policies\\Microsoft\\Office\\16.0\\word\\Security')) { New-Item -Path 'Registry::HKEY_USERS\\${SID}\\Software\\Policies\\Microsoft\\Office\\16.0\\word\\Security' -Force | Out-Null }; New-ItemProperty -LiteralPath 'Registry::HKEY_USERS\\${SID}\\Software\\Policies\\Microsoft\\Office\\16.0\\word\\Security' -Name 'VBAWarnings' -Value 3 -PropertyType DWord -Force | Out-Null`,
  ]);
  assert.equal(r.changes.length, 4);
});

test('supplementals: installed on their host before expiry, removed after it', async () => {
  const { plan } = compileWindows(policyFrom('exceptions.yaml'), { now: NOW });
  const cad = plan.appControl.supplementals.find((s) => s.exceptionId === 'cad-viewer')!;
  const absent = door(stateJson(plan, (s) => { s.policies = (s.policies as { id: string }[]).filter((p) => p.id !== cad.policyId); }));
  const r1 = await applyWindowsPolicy(plan, absent, opts);
  assert.equal(r1.changes.length, 1);
  assert.match(r1.changes[0]!.fix, /ConvertFrom-CIPolicy -XmlFilePath 'C:\\ProgramData\\omamori\\windows\\app-control-supplemental-cad-viewer\.xml'.*CiTool\.exe --update-policy/);
  const otherHost = await applyWindowsPolicy(plan, door(stateJson(plan)), { ...opts, host: 'PC-SALES-02' });
  // CiTool's exit code is checked: a failure throws, so the door reports it instead of "applied"
  assert.deepEqual(otherHost.changes.map((c) => c.fix), [`$ciOut = CiTool.exe --remove-policy '${cad.policyId}' -json 2>&1 | Out-String; if ($LASTEXITCODE -ne 0) { throw "CiTool --remove-policy failed (exit code $LASTEXITCODE): $ciOut" }`]);
  const later = await applyWindowsPolicy(plan, door(stateJson(plan)), { ...opts, now: Date.parse('2030-02-01T00:00:00Z') });
  assert.deepEqual(later.changes.map((c) => c.what), [`supplemental ${cad.policyId} (cad-viewer)`]);
});

test('without CiTool (before Windows 11 22H2) the policy is copied to CiPolicies\\Active', async () => {
  const { plan } = compileWindows(policyFrom('office'), { now: NOW });
  const r = await applyWindowsPolicy(plan, door(stateJson(plan, (s) => { s.ciTool = false; s.policies = []; })), opts);
  assert.match(r.changes[0]!.fix, /Copy-Item .*CodeIntegrity\\CiPolicies\\Active" '\{[0-9A-F-]+\}\.cip'\) -Force$/);
});

test('verify reports drift and runs nothing but the query', async () => {
  const { plan } = compileWindows(policyFrom('office'), { now: NOW });
  const ps = door(stateJson(plan, (s) => { s.folders = []; }));
  const r = await verifyWindowsPolicy(plan, ps, opts);
  assert.equal(ps.calls.length, 1);
  assert.deepEqual(r.drift.map((d) => d.area), plan.cfa.folders.map(() => 'cfa'));
  assert.ok(r.drift.length > 0);
});

test('state parsing names the bad field', () => {
  assert.throws(() => parseWindowsState('{"office":[{"hive":3}]}'), /office\[\]\.hive/);
});

test('the live door refuses to run off Windows', () => {
  assert.throws(() => createPowerShell({ mode: 'live', platform: 'linux' }), /needs Windows/);
});
