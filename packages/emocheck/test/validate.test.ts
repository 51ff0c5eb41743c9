// The snapshot reader: encodings, JSON syntax errors with line/column, format/version, and field paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot } from '../src/index.ts';
import { locateJsonError } from '../src/json-locate.ts';
import { fixtureDir } from './helpers.ts';

const read = (n: string): Buffer => readFileSync(join(fixtureDir, n));
const issues = (n: string) => { const r = parseSnapshot(read(n)); assert.equal(r.ok, false); return r.ok ? [] : r.issues; };

test('every field problem is reported at once, by path', () => {
  assert.deepEqual(issues('bad-fields.json').map((i) => i.path).sort(), ['host.isAdmin', 'processes[1].pid', 'systemVolumeSerial']);
});

test('syntax error: line and column of the stray comma', () => {
  const [i] = issues('broken-syntax.json');
  assert.equal(i!.code, 'JSON_SYNTAX');
  const lines = read('broken-syntax.json').toString().split('\n');
  assert.equal(lines[i!.line! - 1]![i!.column! - 1], ',');
});

test('truncated file is called truncated', () => {
  const [i] = issues('truncated.json');
  assert.equal(i!.code, 'JSON_SYNTAX');
  assert.match(i!.message, /ends too early/);
});

test('wrong version and foreign documents', () => {
  assert.equal(issues('wrong-version.json')[0]!.code, 'UNSUPPORTED_VERSION');
  assert.match(issues('wrong-version.json')[0]!.message, /version number 2 is not supported; this omamori reads version 1/);
  assert.equal(issues('not-a-snapshot.json')[0]!.code, 'NOT_A_SNAPSHOT');
  assert.equal((parseSnapshot('[1,2]') as { ok: false; issues: { code: string }[] }).issues[0]!.code, 'NOT_A_SNAPSHOT');
});

test('UTF-16 LE with BOM (Windows PowerShell Out-File) and UTF-8 BOM are read', () => {
  const text = read('clean.json').toString('utf8');
  assert.equal(parseSnapshot(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])).ok, true);
  assert.equal(parseSnapshot(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])).ok, true);
  const r = parseSnapshot(Buffer.from([0x7b, 0xff, 0xfe, 0xfd]));
  assert.equal(r.ok ? '' : r.issues[0]!.code, 'ENCODING');
});

test('locateJsonError finds the offset of the first error', () => {
  assert.equal(locateJsonError('{"a": [1, 2,, 3]}'), 12);
  assert.equal(locateJsonError('{"a": tru}'), 6);
  assert.equal(locateJsonError('{"a": 1'), 7);
  assert.equal(locateJsonError('{"a": 1} x'), 9);
});
