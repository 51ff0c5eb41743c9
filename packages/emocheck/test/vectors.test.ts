// EmoCheck v2.0 worked examples and tables from the spec (../shared/specs/emocheck): V1 names, V2 decoding, and our
// transcription of the keyword list, regular expressions and constants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes, v1Positions, v1ProcessName, v1WordAt, v2DecodeName, v2ValueName, V1_KEYWORDS } from '../src/index.ts';
import { V4_COMMAND_RES, V4_DIR_RE, V4_FILE_RE, V3_MIN_FILE_SIZE, V5_MAX_QUOTIENT, V5_MIN_QUOTIENT } from '../src/tables.ts';
import { readSpecJson } from './helpers.ts';

interface V1Vector { serial_hex: string; mod1: number; mod2: number; word1: string; word2: string; process_name: string }
interface V2Vector { serial_hex: string; value_name: string; reg_binary_hex: string; decoded_process_name: string }
const vectors = readSpecJson('vectors.json') as { v1: V1Vector[]; v2: V2Vector[] };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const tables = readSpecJson('tables.json') as any;

test('vectors.json has V1 and V2 examples', () => {
  assert.ok(vectors.v1.length >= 10 && vectors.v2.length >= 2);
});

for (const v of vectors.v1) {
  test(`V1 serial ${v.serial_hex} → ${v.process_name}`, () => {
    const serial = parseInt(v.serial_hex, 16);
    const { p1, p2 } = v1Positions(serial);
    assert.equal(p1, v.mod1);
    assert.equal(p2, v.mod2);
    assert.equal(v1WordAt(p1), v.word1);
    assert.equal(v1WordAt(p2), v.word2);
    assert.equal(v1ProcessName(serial), v.process_name);
  });
}

for (const v of vectors.v2) {
  test(`V2 serial ${v.serial_hex} → ${v.decoded_process_name}`, () => {
    const serial = parseInt(v.serial_hex, 16);
    assert.equal(v2ValueName(serial), v.value_name);
    assert.equal(v2DecodeName(hexToBytes(v.reg_binary_hex)!, serial), v.decoded_process_name);
  });
}

test('V1 quirk: positions 1..3 cut the first word, a comma position gives the next word', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((p) => v1WordAt(p)), ['duck', 'uck', 'ck', 'k', 'mfidl', 'mfidl']);
  assert.equal(v1WordAt(355), 'thunk');   // last word runs to the end of the string
});

test('V2 keeps only bytes 0x21..0x7D after the XOR', () => {
  const serial = 0x12345678;   // key bytes 78 56 34 12
  const data = Uint8Array.from([0x78 ^ 0x61, 0x56 ^ 0x20, 0x34 ^ 0x7e, 0x12 ^ 0x7d, 0x78 ^ 0x21]);
  assert.equal(v2DecodeName(data, serial), 'a}!.exe');
});

test('keyword list and constants match tables.json', () => {
  const t = tables.v1_process_name_keywords;
  assert.deepEqual([...V1_KEYWORDS], t.words);
  assert.equal(V1_KEYWORDS.join(',').length, t.joined_length);
  assert.equal(V1_KEYWORDS.length, t.count);
  assert.equal(V3_MIN_FILE_SIZE, tables.v3_scan.validation.min_file_size_bytes);
  assert.equal(V4_DIR_RE.source, tables.v4_scan.dir_regex);
  assert.equal(V4_FILE_RE.source, tables.v4_scan.file_regex);
  assert.deepEqual(V4_COMMAND_RES.map((r) => r.source), tables.v4_scan.command_line_regexes);
  assert.match(tables.v5_scan.rule, new RegExp(`\\[${V5_MIN_QUOTIENT}, ${V5_MAX_QUOTIENT}\\]`));
});
