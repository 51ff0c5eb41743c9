// Every PowerShell script omamori generates or ships, parsed by a real PowerShell grammar (tree-sitter-powershell)
// with no ERROR or MISSING node, and checked for what Constrained Language Mode refuses (test/powershell/clm.ts):
// once App Control enforces, PowerShell runs them in that mode (item 5 of issue 14). Also: the checks can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRESETS } from '@omamori/policy';
import { compileWindows } from '../src/compile-windows.ts';
import { cmd, stdinProgram } from '../src/ps-commands.ts';
import { NOW, policyFrom, root } from './helpers.ts';
import { constrainedLanguageProblems } from './powershell/clm.ts';
import { describeProblems, parsePowerShell } from './powershell/grammar.ts';

const collectorPath = join(root, 'packages/emocheck/collector/omamori-collect.ps1');

function check(label: string, text: string): void {
  const { root: tree, problems } = parsePowerShell(text);
  assert.deepEqual(problems, [], `${label} does not parse:\n${describeProblems(problems)}`);
  const clm = constrainedLanguageProblems(tree);
  assert.deepEqual(clm, [], `${label} uses what Constrained Language Mode refuses:\n${clm.map((p) => `${p.line}: ${p.what}`).join('\n')}`);
}

test('the grammar reports ERROR and MISSING nodes (the parse check can fail)', () => {
  assert.deepEqual(parsePowerShell("if ($a) { 'x' }\n").problems, []);
  assert.ok(parsePowerShell("if ($a { 'x' }\n").problems.some((p) => p.kind === 'ERROR'));
  assert.ok(parsePowerShell("function F { 'x'\n").problems.some((p) => p.kind === 'MISSING'));
  assert.ok(parsePowerShell("$x = @{ a = 1\n").problems.length > 0);
  // the old revert.ps1 line shape stays valid PowerShell; a stray quote does not
  assert.deepEqual(parsePowerShell("$b = if ($before) { $before.asr.'x' } else { $null }\n").problems, []);
  assert.ok(parsePowerShell("Write-Output 'it''s\n").problems.length > 0);
});

test('the Constrained Language check flags .NET calls, Add-Type, COM and methods of other types', () => {
  const flagged = (s: string) => constrainedLanguageProblems(parsePowerShell(s).root).map((p) => p.what);
  assert.match(flagged("[IO.File]::ReadAllText('x')").join(), /\[io\.file\]/);
  assert.match(flagged('$e.ToXml()').join(), /ToXml/);
  assert.match(flagged("Add-Type -TypeDefinition 'x'").join(), /Add-Type/);
  assert.match(flagged('New-Object -ComObject WScript.Shell').join(), /wscript\.shell/);
  assert.match(flagged("[DateTimeOffset]::Parse('x')").join(), /datetimeoffset/);
  assert.match(flagged('$k.GetValue($n)').join(), /GetValue/);
  assert.match(flagged("& ([scriptblock]::Create('x'))").join(), /scriptblock/);
  assert.deepEqual(flagged("$a = 'x'.Substring(1).ToLower(); $t = [DateTime]::UtcNow.Ticks; $h = @{}; $h.ContainsKey('a') | Out-Null; [int]'3'"), []);
  assert.deepEqual(flagged("if ($script:fullLanguage) { [IO.File]::ReadAllText('x') }"), [], 'guarded by a language-mode test');
});

const POLICIES = [...PRESETS.map((p) => p.name), 'exceptions.yaml'];
for (const name of POLICIES) {
  test(`every .ps1 compiled for ${name} parses and runs in Constrained Language Mode`, () => {
    for (const asrAction of [undefined, 'warn'] as const) {
      const { files } = compileWindows(policyFrom(name), { now: NOW, ...(asrAction ? { asrAction } : {}) });
      const scripts = [...files].filter(([n]) => n.endsWith('.ps1'));
      assert.ok(scripts.length >= 2);
      for (const [n, text] of scripts) check(`${name} ${n}`, String(text));
    }
  });
}

test('the commands the agent runs (cmd.*) parse and are Constrained-Language-safe', () => {
  const key = 'Registry::HKEY_USERS\\S-1-12-1-1\\Software\\Policies\\Microsoft\\Office\\16.0\\word\\Security';
  for (const line of [
    cmd.setDword(key, 'VBAWarnings', 3), cmd.removeValue(key, 'VBAWarnings'), cmd.addAsr('d4f940ab-401b-4efc-aadc-ad5f3c50688a', 'warn'),
    cmd.removeAsr('d4f940ab-401b-4efc-aadc-ad5f3c50688a'), cmd.setCfa('audit'), cmd.addCfaFolder('%USERPROFILE%\\Documents'),
    cmd.convertPolicy("'C:\\w\\a.xml'", "'C:\\w\\{X}.cip'"), cmd.ciToolUpdate("'C:\\w\\{X}.cip'"), cmd.ciToolRemove('{X}'), cmd.ciToolList(),
    cmd.copyToActive("'C:\\w\\{X}.cip'", '{X}', '1.0.7.1'), cmd.removeFromActive('{X}'),
  ]) check(line.slice(0, 40), line);
});

test('CiTool failures throw: every CiTool deployment command checks $LASTEXITCODE', () => {
  for (const line of [cmd.ciToolUpdate("'C:\\w\\{X}.cip'"), cmd.ciToolRemove('{X}')]) {
    assert.match(line, /^\$ciOut = CiTool\.exe --(update|remove)-policy .* 2>&1 \| Out-String; if \(\$LASTEXITCODE -ne 0\) \{ throw "CiTool --(update|remove)-policy failed \(exit code \$LASTEXITCODE\): \$ciOut" \}$/);
  }
});

test('the emocheck collector and its live bootstrap parse and are Constrained-Language-safe', () => {
  const collector = readFileSync(collectorPath, 'utf8');
  check('omamori-collect.ps1', collector);
  check('the -Command - program', stdinProgram(collector, '-Stdout'));
});

test('stdinProgram: one script block, no empty line inside it, ended by an empty line', () => {
  const p = stdinProgram("if ($a) { 'x' }\n\nelse { 'y' }\n", '-Stdout');
  assert.equal(p, "$ProgressPreference = 'SilentlyContinue'\n& {\nif ($a) { 'x' }\nelse { 'y' }\n} -Stdout\n\n");
  assert.deepEqual(parsePowerShell(p).problems, []);
  const body = p.split('\n').slice(1, -2);
  assert.ok(body.every((l) => l.trim() !== ''), 'an empty line would end the block early when read from -Command -');
});
