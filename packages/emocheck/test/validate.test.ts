// The snapshot reader: encodings, JSON syntax errors with line/column, format/version, and field paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SNAPSHOT_BYTES, parseSnapshot } from '../src/index.ts';
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

// Issue 14 item 14: the limits of the snapshot reader.
test('item 14: a snapshot over the size cap is refused with a clear message, before any parsing', () => {
  const r = parseSnapshot(new Uint8Array(MAX_SNAPSHOT_BYTES + 1));
  assert.equal(r.ok, false);
  const i = (r as { ok: false; issues: { code: string; message: string }[] }).issues[0]!;
  assert.equal(i.code, 'TOO_LARGE');
  assert.match(i.message, /64\.0 MiB[\s\S]*right file/);
});

test('item 14: a long string is never echoed whole', () => {
  const doc = JSON.parse(read('clean.json').toString('utf8')) as Record<string, unknown>;
  const long = 'A'.repeat(1_000_000);
  for (const edit of [(d: Record<string, unknown>) => { d.systemVolumeSerial = long; }, (d: Record<string, unknown>) => { d.format = long; },
    (d: Record<string, unknown>) => { d.version = long; }]) {
    const d = structuredClone(doc);
    edit(d);
    const r = parseSnapshot(JSON.stringify(d));
    assert.equal(r.ok, false);
    for (const i of (r as { ok: false; issues: { message: string }[] }).issues) assert.ok(i.message.length < 300, `${i.message.length} characters`);
  }
  const broken = parseSnapshot(`{"format": "omamori-emocheck-snapshot", "version": 1, "x": ${'\u001b[31m'.repeat(50)}${'B'.repeat(100000)}}`);
  const m = (broken as { ok: false; issues: { message: string }[] }).issues[0]!.message;
  assert.ok(m.length < 300 && !m.includes('\u001b'), 'no terminal escape sequences, no long excerpt');
});

test('item 14: UTF-16 without a BOM is read as UTF-16 (LE and BE)', () => {
  const text = read('clean.json').toString('utf8');
  assert.equal(parseSnapshot(Buffer.from(text, 'utf16le')).ok, true);
  assert.equal(parseSnapshot(Buffer.from(text, 'utf16le').swap16()).ok, true);
});

test('item 14: a missing version says "no version field"; a truncated UTF-16 file says truncated', () => {
  const doc = JSON.parse(read('clean.json').toString('utf8')) as Record<string, unknown>;
  delete doc.version;
  const r = parseSnapshot(JSON.stringify(doc));
  const i = (r as { ok: false; issues: { code: string; message: string }[] }).issues[0]!;
  assert.equal(i.code, 'UNSUPPORTED_VERSION');
  assert.match(i.message, /has no version field/);
  assert.doesNotMatch(i.message, /undefined/);
  const full = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(read('clean.json').toString('utf8'), 'utf16le')]);
  for (const cut of [full.subarray(0, full.length - 1), full.subarray(2, 1001), full.subarray(0, Math.floor(full.length / 2))]) {
    const t = parseSnapshot(cut);
    assert.equal(t.ok, false);
    assert.match((t as { ok: false; issues: { message: string }[] }).issues[0]!.message, /truncated/, `cut at ${cut.length}`);
  }
});
