// The deployment files as text: every ASR GUID of peers.md §4.1 right, apply guarded by a check of what is in force,
// revert driven by the record only, the .reg files' wording and encoding, the Intune JSON. (Parsing with a real
// PowerShell grammar: powershell.test.ts; running the scripts against a model machine: registry.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASR_RULES } from '../src/asr.ts';
import { compileWindows } from '../src/compile-windows.ts';
import { INTUNE_NO_WARN } from '../src/scripts.ts';
import { NOW, policyFrom, sharedDir } from './helpers.ts';

test('every ASR GUID of peers.md §4.1 that omamori uses is written exactly as Microsoft lists it', () => {
  const peers = readFileSync(join(sharedDir(), 'specs/peers.md'), 'utf8');
  const table = new Map<string, string>();
  for (const m of peers.matchAll(/^\| (Block [^|]+|Use advanced [^|]+) \| ([0-9a-f-]{36}) \|$/gm)) table.set(m[2]!, m[1]!.trim());
  assert.ok(table.size >= 19, `peers.md table has ${table.size} rows`);
  for (const r of Object.values(ASR_RULES)) assert.ok(table.has(r.id), `${r.id} (${r.name}) not in peers.md`);
});

test('apply sets each planned ASR rule with the action of the mode, only when it differs; revert restores from the record only', () => {
  for (const [name, action, value] of [['office', 'Enabled', 1], ['audit', 'AuditMode', 2]] as const) {
    const { plan, files } = compileWindows(policyFrom(name), { now: NOW });
    const apply = String(files.get('apply.ps1'));
    const revert = String(files.get('revert.ps1'));
    assert.ok(plan.asr.length >= 10);
    for (const r of plan.asr) {
      assert.ok(apply.includes(`if ($asr['${r.id}'] -ne ${value}) { Add-MpPreference -AttackSurfaceReductionRules_Ids '${r.id}' -AttackSurfaceReductionRules_Actions ${action} }`), `${name} ${r.id}`);
      assert.ok(apply.includes(`Add-OmamoriAsrRecord $record '${r.id}' $asr['${r.id}']`), `${name}: ${r.id} recorded before it is changed`);
      assert.ok(!revert.includes(r.id), `revert must not name ${r.id}: it restores what the record holds, not what the plan says`);
    }
    assert.doesNotMatch(apply, /Set-MpPreference -AttackSurfaceReductionRules/, 'Set-MpPreference would replace rules set by others');
    for (const f of plan.cfa.folders) assert.ok(apply.includes(`if ($folders -notcontains '${f}') { Add-MpPreference -ControlledFolderAccessProtectedFolders '${f}' }`));
    for (const o of plan.office) assert.ok(apply.includes(`Set-OmamoriDword "$h\\Software\\Policies\\Microsoft\\Office\\16.0\\${o.app}\\${o.sub}" '${o.name}' ${o.value}`));
    // the only New-Item on a registry key sits behind a Test-Path of the same key
    assert.deepEqual(apply.match(/.*New-Item -Path \$Key -Force.*/g), ['    if (-not (Test-Path -LiteralPath $Key)) { New-Item -Path $Key -Force | Out-Null }']);
  }
});

test('item 2: revert.ps1 reads the record before anything else and leaves when there is none', () => {
  const revert = String(compileWindows(policyFrom('office'), { now: NOW }).files.get('revert.ps1'));
  const body = revert.slice(revert.indexOf('$record = Read-OmamoriRecord'));
  const firstChange = Math.min(...['Add-MpPreference', 'Remove-MpPreference', 'Set-MpPreference', "Invoke-OmamoriCiTool '--remove", 'Remove-ItemProperty', 'New-ItemProperty']
    .map((c) => body.indexOf(c)).filter((i) => i >= 0));
  const guard = body.indexOf('if ($null -eq $record) {');
  assert.ok(guard >= 0 && body.indexOf('exit 0', guard) < firstChange);
});

test('apply records every supplemental policy it installs, so revert removes it', () => {
  const { plan, files } = compileWindows(policyFrom('exceptions.yaml'), { now: NOW });
  const apply = String(files.get('apply.ps1'));
  for (const s of plan.appControl.supplementals) {
    assert.ok(apply.includes(`'${s.policyId}.cip'`));
    assert.ok(apply.includes(`if (@($record.appControl) -notcontains '${s.policyId}') { $record.appControl = @($record.appControl) + @('${s.policyId}') }`));
  }
});

test('office.reg is UTF-16LE with BOM and CRLF, and office-revert.reg deletes each value', () => {
  const { plan, files } = compileWindows(policyFrom('office'), { now: NOW });
  const reg = files.get('office.reg') as Buffer;
  assert.deepEqual([...reg.subarray(0, 2)], [0xff, 0xfe]);
  const text = reg.subarray(2).toString('utf16le');
  assert.match(text, /^Windows Registry Editor Version 5\.00\r\n/);
  assert.match(text, /\[HKEY_CURRENT_USER\\Software\\Policies\\Microsoft\\Office\\16\.0\\word\\Security\]\r\n"blockcontentexecutionfrominternet"=dword:00000001\r\n"VBAWarnings"=dword:00000003/);
  const rev = (files.get('office-revert.reg') as Buffer).subarray(2).toString('utf16le');
  assert.equal((rev.match(/"=-/g) ?? []).length, plan.office.length);
});

test('intune.json carries the ASR rules with their values and the App Control OMA-URIs', () => {
  const { plan, files } = compileWindows(policyFrom('office'), { now: NOW });
  const j = JSON.parse(String(files.get('intune.json'))) as { deviceConfiguration: { omaSettings: { omaUri: string; value: unknown }[] }; omamori: { appControl: { omaUri: string }[] } };
  const asr = j.deviceConfiguration.omaSettings.find((s) => s.omaUri.endsWith('/Defender/AttackSurfaceReductionRules'));
  assert.equal(asr?.value, plan.asr.map((r) => `${r.id}=1`).join('|'));
  assert.equal(j.omamori.appControl[0]?.omaUri, `./Vendor/MSFT/ApplicationControl/Policies/${plan.appControl.policyId.slice(1, -1)}/Policy`);
});

test('item 8: office.reg says HKCU\\Software\\Policies needs an administrator, not "import it as the user"', () => {
  const { files } = compileWindows(policyFrom('office'), { now: NOW });
  for (const f of ['office.reg', 'office-revert.reg']) {
    const text = (files.get(f) as Buffer).subarray(2).toString('utf16le');
    assert.doesNotMatch(text, /import it as the user/i);
    assert.match(text, /writable only by administrators and SYSTEM: a standard user's import is refused/);
    assert.match(text, /Group Policy or Intune \(user scope\), or apply\.ps1/);
  }
  assert.match(String(files.get('mapping.en.md')), /only administrators can write/);
});

test('item 9: with --asr warn, intune.json blocks the rules Intune cannot warn on and says so; apply.ps1 still warns', () => {
  const { plan, files } = compileWindows(policyFrom('office'), { now: NOW, asrAction: 'warn' });
  const j = JSON.parse(String(files.get('intune.json'))) as { deviceConfiguration: { omaSettings: { omaUri: string; value: string }[] }; omamori: { notes: string[] } };
  const value = j.deviceConfiguration.omaSettings.find((s) => s.omaUri.endsWith('/AttackSurfaceReductionRules'))!.value;
  const actions = new Map(value.split('|').map((x) => x.split('=') as [string, string]));
  assert.equal(actions.get(ASR_RULES.scriptDownloaded.id), '1');
  assert.equal(actions.get(ASR_RULES.wmiPersistence.id), '1');
  assert.equal(actions.get(ASR_RULES.lsass.id), '1');
  assert.equal(actions.get(ASR_RULES.officeChild.id), '6');
  for (const id of INTUNE_NO_WARN) assert.notEqual(actions.get(id), '6', id);
  assert.ok(j.omamori.notes.some((n) => n.includes('cannot set these ASR rules to Warn') && n.includes(ASR_RULES.scriptDownloaded.id) && n.includes(ASR_RULES.wmiPersistence.id)));
  const apply = String(files.get('apply.ps1'));
  assert.ok(apply.includes(`Add-MpPreference -AttackSurfaceReductionRules_Ids '${ASR_RULES.scriptDownloaded.id}' -AttackSurfaceReductionRules_Actions Warn`));
  assert.equal(plan.asr.find((r) => r.key === 'scriptDownloaded')?.action, 'warn');
  const plain = JSON.parse(String(compileWindows(policyFrom('office'), { now: NOW }).files.get('intune.json'))) as { omamori: { notes: string[] } };
  assert.ok(!plain.omamori.notes.some((n) => n.includes('cannot set these ASR rules to Warn')));
});
