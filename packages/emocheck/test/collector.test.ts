// The PowerShell collector, checked structurally: pwsh is not installable on this Debian machine (no `powershell`
// package in its apt sources), so the script cannot run here. These tests catch drift from the snapshot schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COLLECTOR_SCRIPT_URL, schemaFieldNames, SNAPSHOT_FORMAT, SNAPSHOT_VERSION, RUN_KEYS, EXPLORER_KEYS } from '../src/index.ts';

const script = readFileSync(fileURLToPath(COLLECTOR_SCRIPT_URL), 'utf8');

/** Script text with comments, here-strings and string literals blanked, for counting brackets. */
function codeOnly(s: string): string {
  return s
    .replace(/@'[\s\S]*?\n'@/g, "''")
    .replace(/@"[\s\S]*?\n"@/g, "''")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"`]|`.)*"/g, '""')
    .replace(/#[^\n]*/g, '');
}

test('the collector emits every field of the snapshot schema', () => {
  const keys = new Set([...script.matchAll(/(?:^|[{;\s])([A-Za-z][A-Za-z0-9]*)\s*=(?!=)/gm)].map((m) => m[1]));
  const missing = schemaFieldNames().map((p) => p.split('.').at(-1)!.replace('[]', '')).filter((k) => !keys.has(k));
  assert.deepEqual(missing, []);
});

test('format, version and all registry keys are written', () => {
  assert.match(script, new RegExp(`format = '${SNAPSHOT_FORMAT}'; version = ${SNAPSHOT_VERSION}\\b`));
  for (const k of [...RUN_KEYS, ...EXPLORER_KEYS]) assert.ok(script.includes(`'${k}'`), k);
});

test('braces, brackets and parentheses are balanced outside strings and comments', () => {
  const code = codeOnly(script);
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  code.split('\n').forEach((line, n) => {
    for (const ch of line) {
      if ('([{'.includes(ch)) stack.push(ch);
      else if (ch in pairs) assert.equal(stack.pop(), pairs[ch], `unbalanced '${ch}' on line ${n + 1}`);
    }
  });
  assert.deepEqual(stack, []);
});

test('ASCII only (Windows PowerShell 5.1 reads BOM-less scripts in the ANSI code page) and small enough', () => {
  assert.equal(/[^\x00-\x7f]/.test(script), false);
  assert.ok(script.length < 32_000, `${script.length} characters`);
});

test('writes JSON deep enough, ASCII-escaped, UTF-8 without BOM', () => {
  assert.match(script, /ConvertTo-Json -InputObject \$snapshot -Depth 12 -Compress/);
  assert.match(script, /\[\^\\x00-\\x7F\]/);
  assert.match(script, /Text\.UTF8Encoding \$false/);
  assert.match(script, /param\(\[string\]\$OutFile = '', \[switch\]\$Stdout\)/);
});

test('command-target extensions match the analysis (paths.ts)', () => {
  const paths = readFileSync(new URL('../src/paths.ts', import.meta.url), 'utf8');
  const ext = (s: string): string | undefined => /'(exe\|dll\|[a-z0-9|]+)'/.exec(s)?.[1];
  assert.ok(ext(script));
  assert.equal(ext(script), ext(paths));
});
