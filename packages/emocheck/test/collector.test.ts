// The PowerShell collector, checked as text: pwsh is not installable on this Debian machine (no `powershell`
// package in its apt sources), so the script cannot run here. These tests catch drift from the snapshot schema.
// It is parsed by a real PowerShell grammar and checked for Constrained Language Mode in
// packages/windows/test/powershell.test.ts (the grammar is a test dependency of that package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COLLECTOR_SCRIPT_URL, schemaFieldNames, SNAPSHOT_FORMAT, SNAPSHOT_VERSION, RUN_KEYS, EXPLORER_KEYS } from '../src/index.ts';

const script = readFileSync(fileURLToPath(COLLECTOR_SCRIPT_URL), 'utf8');

test('the collector emits every field of the snapshot schema', () => {
  const keys = new Set([...script.matchAll(/(?:^|[{;\s])([A-Za-z][A-Za-z0-9]*)\s*=(?!=)/gm)].map((m) => m[1]));
  const missing = schemaFieldNames().map((p) => p.split('.').at(-1)!.replace('[]', '')).filter((k) => !keys.has(k));
  assert.deepEqual(missing, []);
});

test('format, version and all registry keys are written', () => {
  assert.match(script, new RegExp(`format = '${SNAPSHOT_FORMAT}'; version = ${SNAPSHOT_VERSION}\\b`));
  for (const k of [...RUN_KEYS, ...EXPLORER_KEYS]) assert.ok(script.includes(`'${k}'`), k);
});

test('ASCII only (Windows PowerShell 5.1 reads BOM-less scripts in the ANSI code page) and small enough', () => {
  assert.equal(/[^\x00-\x7f]/.test(script), false);
  assert.ok(script.length < 32_000, `${script.length} characters`);
});

test('writes JSON deep enough, ASCII-escaped (so ASCII files and any console code page carry it intact)', () => {
  assert.match(script, /ConvertTo-Json -InputObject \$snapshot -Depth 12 -Compress/);
  assert.match(script, /\[regex\]::Matches\(\$json, '\[\^\\x00-\\x7F\]'\)/);
  assert.match(script, /Set-Content -LiteralPath \$OutFile -Value \$json -Encoding Ascii -NoNewline/);
  assert.match(script, /languageMode = \[string\]\$ExecutionContext\.SessionState\.LanguageMode/);
  assert.match(script, /param\(\[string\]\$OutFile = '', \[switch\]\$Stdout\)/);
});

test('command-target extensions match the analysis (paths.ts)', () => {
  const paths = readFileSync(new URL('../src/paths.ts', import.meta.url), 'utf8');
  const ext = (s: string): string | undefined => /'(exe\|dll\|[a-z0-9|]+)'/.exec(s)?.[1];
  assert.ok(ext(script));
  assert.equal(ext(script), ext(paths));
});
