// The PowerShell the agent runs on Windows — the state query, the block read-back and the program the door pipes to
// `powershell.exe -Command -` — parsed by a real PowerShell grammar (tree-sitter-powershell) with no ERROR/MISSING
// node, and free of what Constrained Language Mode refuses (the mode it runs in once App Control enforces). The
// grammar and the language-mode check live with the Windows compiler's tests (packages/windows/test/powershell).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stdinProgram } from '@omamori/windows';
import { constrainedLanguageProblems } from '../../../../windows/test/powershell/clm.ts';
import { describeProblems, parsePowerShell } from '../../../../windows/test/powershell/grammar.ts';
import { blocksQuery } from '../blocks.ts';
import { STATE_QUERY } from '../state.ts';

function check(label: string, text: string): void {
  const { root, problems } = parsePowerShell(text);
  assert.deepEqual(problems, [], `${label}:\n${describeProblems(problems)}`);
  assert.deepEqual(constrainedLanguageProblems(root), [], label);
}

test('the state query and the block read-back parse and need no full language', () => {
  check('STATE_QUERY', STATE_QUERY);
  check('blocksQuery()', blocksQuery());
  check('blocksQuery(since)', blocksQuery(Date.parse('2026-03-01T12:34:56.789Z'), 200));
  check('door program', stdinProgram(STATE_QUERY));
  // what they used before issue 14 is caught
  assert.ok(constrainedLanguageProblems(parsePowerShell('Get-WinEvent -FilterHashtable $h | ForEach-Object { $_.ToXml() }').root).length > 0);
  assert.ok(constrainedLanguageProblems(parsePowerShell('$v = $k.GetValue($n)').root).length > 0);
});

test('the state query reads Entra ID user hives too and checks CiTool\'s exit code', () => {
  assert.ok(STATE_QUERY.includes("-match '^S-1-(5-21|12-1)-[0-9-]+$'"));
  assert.match(STATE_QUERY, /CiTool\.exe --list-policies -json 2>&1 \| Out-String\n\s+if \(\$LASTEXITCODE -ne 0\) \{ throw/);
  // CiTool's Version is a packed number; VersionString is dotted: both are passed on (parseWindowsState decodes)
  assert.match(STATE_QUERY, /version = \[string\]\$_\.VersionString; versionNumber = \[string\]\$_\.Version \}/);
  // without CiTool, the version file the agent wrote beside CiPolicies\Active
  assert.match(STATE_QUERY, /Get-Content -LiteralPath \(Join-Path "\$env:ProgramData\\omamori\\ci-versions" \(\$_\.BaseName \+ '\.txt'\)\)/);
});
