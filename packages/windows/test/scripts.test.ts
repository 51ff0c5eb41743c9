// The PowerShell scripts, checked structurally (no PowerShell parser on this machine: `apt-cache policy powershell`
// has no candidate): balanced brackets and quotes, every ASR GUID of peers.md §4.1 right, every applied setting
// undone by revert, apply guarded by a check of what is in force. Plus the .reg and Intune files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASR_RULES } from '../src/asr.ts';
import { compileWindows } from '../src/compile-windows.ts';
import { NOW, policyFrom, sharedDir } from './helpers.ts';

/** Checks () {} [] nesting and closed '…' / "…" strings / here-strings; returns the first problem or undefined. */
export function psStructureProblem(src: string): string | undefined {
  const stack: { c: string; line: number }[] = [];
  const pair: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  let line = 1;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\n') { line++; continue; }
    if (c === '#' && (i === 0 || /[\s;]/.test(src[i - 1]!))) { while (i < src.length && src[i] !== '\n') i++; line++; continue; }
    if (c === '`') { i++; continue; }
    if (c === "'") {
      const start = line;
      for (i++; ; i++) {
        if (i >= src.length) return `unclosed ' string from line ${start}`;
        if (src[i] === '\n') line++;
        if (src[i] === "'") { if (src[i + 1] === "'") { i++; continue; } break; }
      }
      continue;
    }
    if (c === '"') {
      const start = line;
      for (i++; ; i++) {
        if (i >= src.length) return `unclosed " string from line ${start}`;
        if (src[i] === '`') { i++; continue; }
        if (src[i] === '\n') line++;
        if (src[i] === '"') break;
      }
      continue;
    }
    if ('({['.includes(c)) stack.push({ c, line });
    else if (')}]'.includes(c)) {
      const top = stack.pop();
      if (!top || top.c !== pair[c]) return `unbalanced ${c} at line ${line}`;
    }
  }
  return stack.length ? `unclosed ${stack[stack.length - 1]!.c} from line ${stack[stack.length - 1]!.line}` : undefined;
}

test('the structure check catches broken scripts', () => {
  assert.equal(psStructureProblem("if ($a) { 'x' }"), undefined);
  assert.match(psStructureProblem("if ($a) { 'x' ")!, /unclosed \{/);
  assert.match(psStructureProblem("Write-Output 'it''s") ?? '', /unclosed ' string/);
  assert.match(psStructureProblem('Write-Output "a)') ?? '', /unclosed " string/);
  assert.equal(psStructureProblem('# a } comment\n"a`"b"'), undefined);
});

for (const name of ['office', 'audit', 'strict', 'exceptions.yaml']) {
  test(`apply.ps1 and revert.ps1 of ${name} are balanced`, () => {
    const { files } = compileWindows(policyFrom(name), { now: NOW });
    assert.equal(psStructureProblem(String(files.get('apply.ps1'))), undefined);
    assert.equal(psStructureProblem(String(files.get('revert.ps1'))), undefined);
  });
}

test('every ASR GUID of peers.md §4.1 that omamori uses is written exactly as Microsoft lists it', () => {
  const peers = readFileSync(join(sharedDir(), 'specs/peers.md'), 'utf8');
  const table = new Map<string, string>();
  for (const m of peers.matchAll(/^\| (Block [^|]+|Use advanced [^|]+) \| ([0-9a-f-]{36}) \|$/gm)) table.set(m[2]!, m[1]!.trim());
  assert.ok(table.size >= 19, `peers.md table has ${table.size} rows`);
  for (const r of Object.values(ASR_RULES)) assert.ok(table.has(r.id), `${r.id} (${r.name}) not in peers.md`);
});

test('apply sets each planned ASR rule with the action of the mode, only when it differs; revert undoes each', () => {
  for (const [name, action, value] of [['office', 'Enabled', 1], ['audit', 'AuditMode', 2]] as const) {
    const { plan, files } = compileWindows(policyFrom(name), { now: NOW });
    const apply = String(files.get('apply.ps1'));
    const revert = String(files.get('revert.ps1'));
    assert.ok(plan.asr.length >= 10);
    for (const r of plan.asr) {
      assert.ok(apply.includes(`if ($asr['${r.id}'] -ne ${value}) { Add-MpPreference -AttackSurfaceReductionRules_Ids '${r.id}' -AttackSurfaceReductionRules_Actions ${action} }`), `${name} ${r.id}`);
      assert.ok(revert.includes(`Remove-MpPreference -AttackSurfaceReductionRules_Ids '${r.id}'`), `revert ${r.id}`);
    }
    assert.doesNotMatch(apply, /Set-MpPreference -AttackSurfaceReductionRules/, 'Set-MpPreference would replace rules set by others');
    for (const f of plan.cfa.folders) {
      assert.ok(apply.includes(`if ($folders -notcontains '${f}') { Add-MpPreference -ControlledFolderAccessProtectedFolders '${f}' }`));
      assert.ok(revert.includes(`Remove-MpPreference -ControlledFolderAccessProtectedFolders '${f}'`));
    }
    for (const o of plan.office) {
      const key = `\\Software\\Policies\\Microsoft\\Office\\16.0\\${o.app}\\${o.sub}"`;
      assert.ok(apply.includes(key) && apply.includes(`-Name '${o.name}' -Value ${o.value} -PropertyType DWord`));
      assert.ok(revert.includes(key) && revert.includes(`Remove-ItemProperty -Path $k -Name '${o.name}'`));
    }
    assert.ok(revert.includes(`CiTool.exe --remove-policy '${plan.appControl.policyId}'`));
  }
});

test('revert removes every supplemental policy that apply installs', () => {
  const { plan, files } = compileWindows(policyFrom('exceptions.yaml'), { now: NOW });
  for (const s of plan.appControl.supplementals) {
    assert.ok(String(files.get('apply.ps1')).includes(`'${s.policyId}.cip'`));
    assert.ok(String(files.get('revert.ps1')).includes(`CiTool.exe --remove-policy '${s.policyId}'`));
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
