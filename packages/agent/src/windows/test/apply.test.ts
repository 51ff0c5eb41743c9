// apply/verify through the recording PowerShell door: the first call is the read-only state query; a machine that
// already has everything gets no command (idempotence); drift is reported with the fixing command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASR_ACTION_VALUE, compileWindows, versionEx, type WindowsPlan } from '@omamori/windows';
import { applyWindowsPolicy, verifyWindowsPolicy } from '../apply.ts';
import { createPowerShell } from '../powershell.ts';
import { STATE_QUERY, parseWindowsState, policyVersion } from '../state.ts';
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

test('without CiTool (before Windows 11 22H2) the policy is copied to CiPolicies\\Active and its version recorded beside it', async () => {
  const { plan } = compileWindows(policyFrom('office'), { now: NOW });
  const r = await applyWindowsPolicy(plan, door(stateJson(plan, (s) => { s.ciTool = false; s.policies = []; })), opts);
  assert.match(r.changes[0]!.fix, /Copy-Item .*CodeIntegrity\\CiPolicies\\Active" '\{[0-9A-F-]+\}\.cip'\) -Force; New-Item -ItemType Directory -Path "\$env:ProgramData\\omamori\\ci-versions" -Force \| Out-Null; Set-Content -LiteralPath \(Join-Path "\$env:ProgramData\\omamori\\ci-versions" '\{[0-9A-F-]+\}\.txt'\) -Value '1\.0\.\d+\.1'$/);
  // the state query reads that file back; a policy copied by apply.ps1 (no file) reads as version unknown = current
  const id = plan.appControl.policyId.slice(1, -1);
  const withFile = (v: string) => door(stateJson(plan, (s) => { s.ciTool = false; s.policies = [{ id: `{${id}}`, version: v }]; }));
  assert.deepEqual((await applyWindowsPolicy(plan, withFile(plan.appControl.versionEx), opts)).changes, []);
  assert.deepEqual((await applyWindowsPolicy(plan, withFile(''), opts)).changes, []);
  assert.equal((await applyWindowsPolicy(plan, withFile(versionEx(plan.policy.version, false)), opts)).changes[0]?.area, 'app-control');
});

test('issue 14 item 6: a machine running the audit step (same PolicyID) is switched to enforce by the next apply', async () => {
  const { plan, auditPlan } = compileWindows(policyFrom('office'), { now: NOW });
  assert.ok(auditPlan);
  const afterAuditStep = stateJson(auditPlan);
  // applying the audit step again changes nothing
  assert.deepEqual((await applyWindowsPolicy(auditPlan, door(afterAuditStep), opts)).changes, []);
  // the enforcing policy: App Control redeployed (VersionEx x.y.z.0 → x.y.z.1), ASR and CFA from audit to block
  const r = await applyWindowsPolicy(plan, door(afterAuditStep), { ...opts, requireAuditStep: true });
  assert.equal(r.refused, undefined);
  const ac = r.changes.find((c) => c.area === 'app-control')!;
  assert.equal(ac.actual, auditPlan.appControl.versionEx);
  assert.equal(ac.expected, plan.appControl.versionEx);
  assert.match(ac.fix, /app-control-base\.xml'.*CiTool\.exe --update-policy/);
  assert.ok(r.changes.some((c) => c.area === 'asr'));
  assert.ok(r.changes.some((c) => c.area === 'office'));
});

test('issue 14 item 6: requireAuditStep refuses to enforce where the policy never ran, and changes nothing', async () => {
  const { plan, auditPlan } = compileWindows(policyFrom('office'), { now: NOW });
  const fresh = () => door(stateJson(plan, (s) => { s.policies = []; s.asrIds = []; s.asrActions = []; s.cfa = 0; }));
  const ps = fresh();
  const r = await applyWindowsPolicy(plan, ps, { ...opts, requireAuditStep: true });
  assert.equal(r.refused, 'audit-step-missing');
  assert.deepEqual(r.changes, []);
  assert.equal(ps.calls.length, 1, 'only the state query ran');
  // the audit step itself, an audit policy, and an explicit skip are applied
  assert.equal((await applyWindowsPolicy(auditPlan!, fresh(), { ...opts, requireAuditStep: true })).refused, undefined);
  const audit = compileWindows(policyFrom('audit'), { now: NOW }).plan;
  assert.equal((await applyWindowsPolicy(audit, fresh(), { ...opts, requireAuditStep: true })).refused, undefined);
  assert.ok((await applyWindowsPolicy(plan, fresh(), opts)).changes.length > 0);
});

test('CiTool reports the version as VersionString and as a packed 64-bit number: both are read', () => {
  const id = '61AA006E-FA74-5699-9A40-33C946CA14B1';
  const st = (p: object) => parseWindowsState(JSON.stringify({ policies: [{ id, ...p }], office: [] })).policies.get(id.toLowerCase());
  assert.equal(st({ version: '1.0.7.1', versionNumber: '281474977169409' }), '1.0.7.1');
  // 1.0.7.1 packed: (1 << 48) | (7 << 16) | 1
  assert.equal(st({ version: '', versionNumber: String((1n << 48n) | (7n << 16n) | 1n) }), '1.0.7.1');
  assert.equal(st({ version: '', versionNumber: '18446744073709551615' }), '65535.65535.65535.65535');
  assert.equal(st({ version: '', versionNumber: '' }), '');
  assert.equal(st({ version: 'garbage' }), '');
  assert.equal(policyVersion('01.00.07.01'), '1.0.7.1');
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
