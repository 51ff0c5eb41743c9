// Damaged input: hand-made damage at known places gives located warnings and skips only the damaged part;
// random byte flips and truncations never throw and never hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { countEvtxRecords, createReadStats, evtxSourceFromBytes, readEvtxFile, readEvtxRecords, EVTX_WARNING_CODES as W,
  formatWarning, type EvtxWarning } from './index.ts';
import { dataDir } from '../test/data-dir.ts';

const SAMPLE = 'evtx-parser-samples/samples/sysmon.evtx';
const CHUNK0 = 4096;
const CHUNK1 = 4096 + 65536;

function original(): Buffer { return readFileSync(join(dataDir(), SAMPLE)); }

function readBytes(bytes: Buffer, name = 'damaged.evtx'): { ids: number[]; warnings: EvtxWarning[] } {
  const warnings: EvtxWarning[] = [];
  const ids: number[] = [];
  for (const r of readEvtxRecords(evtxSourceFromBytes(name, bytes), { onWarning: (w) => warnings.push(w) })) ids.push(r.recordId);
  return { ids, warnings };
}

function recordOffsets(bytes: Buffer, chunk: number): number[] {
  const out: number[] = [];
  const end = chunk + bytes.readUInt32LE(chunk + 48);
  for (let p = chunk + 512; p < end; p += bytes.readUInt32LE(p + 4)) out.push(p);
  return out;
}

test('intact sample reads clean', () => {
  const { ids, warnings } = readBytes(original());
  assert.equal(ids.length, 358);
  assert.deepEqual(warnings, []);
});

test('a damaged chunk header is skipped with a located CRC warning; other chunks still read', () => {
  const b = original();
  const inChunk1 = recordOffsets(b, CHUNK1).length;
  b[CHUNK1 + 20] = b[CHUNK1 + 20]! ^ 0xff;
  const { ids, warnings } = readBytes(b);
  assert.equal(ids.length, 358 - inChunk1);
  assert.equal(warnings.length, 1);
  assert.deepEqual({ ...warnings[0], message: '', message_ja: '' },
    { file: 'damaged.evtx', chunk: 1, offset: CHUNK1, code: W.CHUNK_HEADER_CRC, message: '', message_ja: '' });
  assert.match(warnings[0]!.message, /chunk header CRC32 mismatch \(stored 0x[0-9a-f]+, computed 0x[0-9a-f]+\); chunk skipped/);
  assert.match(warnings[0]!.message_ja, /CRC32/);
  assert.match(formatWarning(warnings[0]!), /^damaged\.evtx: chunk 1 @ 0x11000: \[EVTX_CHUNK_HEADER_CRC\]/);
});

test('a record with a broken size is skipped, located, and the rest of its chunk recovered', () => {
  const b = original();
  const recs = recordOffsets(b, CHUNK0);
  const victim = recs[2]!;
  b.writeUInt32LE(0xfffff, victim + 4);
  const { ids, warnings } = readBytes(b);
  assert.equal(ids.length, 357);
  const codes = warnings.map((w) => w.code);
  assert.deepEqual(codes, [W.CHUNK_DATA_CRC, W.RECORD_SIZE]);
  assert.equal(warnings[1]!.offset, victim);
  assert.equal(warnings[1]!.chunk, 0);
  assert.equal(warnings[1]!.recordId, 1744);
  assert.ok(!ids.includes(1744) && ids.includes(1745));
});

test('a broken record signature and undecodable binary XML are skipped with warnings', () => {
  const b = original();
  const recs = recordOffsets(b, CHUNK0);
  b.write('XX', recs[5]!, 'latin1');
  b[recs[1]! + 24 + 4] = 0xee; // the template-instance token of the second record
  const { ids, warnings } = readBytes(b);
  assert.equal(ids.length, 356);
  assert.deepEqual(warnings.map((w) => w.code), [W.CHUNK_DATA_CRC, W.RECORD_BINXML, W.RECORD_SIGNATURE]);
  assert.equal(warnings[1]!.offset, recs[1]);
  assert.match(warnings[1]!.message, /unknown token 0xee/);
  assert.equal(warnings[2]!.offset, recs[5]);
});

test('truncated, tiny, headerless and missing files give warnings, never exceptions', () => {
  const b = original();
  const cut = readBytes(b.subarray(0, CHUNK1 + 30000));
  assert.ok(cut.ids.length > 30 && cut.ids.length < 358, `${cut.ids.length}`);
  // The chunk is reported as cut, then the record cut in half.
  assert.deepEqual(cut.warnings.map((w) => [w.code, w.chunk]), [[W.CHUNK_TRUNCATED, 1], [W.RECORD_SIZE, 1]]);
  assert.equal(cut.warnings[0]!.offset, CHUNK1);
  assert.ok(cut.warnings[1]!.offset > CHUNK1 && cut.warnings[1]!.offset < CHUNK1 + 30000);

  assert.deepEqual(readBytes(b.subarray(0, 10)).warnings.map((w) => w.code), [W.FILE_TOO_SMALL]);

  const headless = Buffer.from(b);
  headless.fill(0x41, 0, 128);
  const h = readBytes(headless);
  assert.equal(h.ids.length, 358);
  assert.deepEqual(h.warnings.map((w) => w.code), [W.FILE_SIGNATURE]);

  const missing = countEvtxRecords('/nonexistent/x.evtx');
  assert.equal(missing.records, 0);
  assert.equal(missing.warnings[0]?.code, W.FILE_READ_ERROR);
});

/** Small deterministic PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: random byte flips and truncations never throw, never hang, and report located warnings', { timeout: 60000 }, () => {
  const base = original();
  const rnd = prng(20240601);
  let warned = 0;
  for (let i = 0; i < 400; i++) {
    let b = Buffer.from(base);
    const mode = i % 4;
    const flips = 1 + Math.floor(rnd() * 40);
    for (let k = 0; k < flips; k++) {
      // Mostly inside the first two chunks (headers, templates, records); sometimes anywhere.
      const span = mode === 3 ? b.length : CHUNK0 + 2 * 65536;
      const at = Math.floor(rnd() * span);
      b[at] = mode === 1 ? 0 : Math.floor(rnd() * 256);
    }
    if (mode === 2) b = b.subarray(0, Math.floor(rnd() * b.length));
    const name = `fuzz-${i}.evtx`;
    let result: { ids: number[]; warnings: EvtxWarning[] } | undefined;
    assert.doesNotThrow(() => { result = readBytes(b, name); }, `iteration ${i}`);
    for (const w of result!.warnings) {
      assert.equal(w.file, name);
      assert.ok(w.offset >= 0 && w.offset <= b.length && w.chunk >= -1 && w.message && w.message_ja, JSON.stringify(w));
      assert.ok(w.message.length < 300, `message too long: ${w.message.slice(0, 400)}`);
    }
    if (result!.warnings.length > 0) warned++;
  }
  assert.ok(warned > 250, `only ${warned} of 400 damaged copies produced warnings`);
});

test('fuzz on files in a temp dir: damaged copies are read through the file reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-evtx-'));
  try {
    const rnd = prng(7);
    const base = original();
    for (let i = 0; i < 8; i++) {
      const b = Buffer.from(base);
      for (let k = 0; k < 200; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const p = join(dir, `copy-${i}.evtx`);
      writeFileSync(p, i % 2 ? b.subarray(0, Math.floor(b.length * rnd())) : b);
      const warnings: EvtxWarning[] = [];
      let n = 0;
      for (const _r of readEvtxFile(p, { onWarning: (w) => warnings.push(w) })) n++;
      assert.ok(warnings.length > 0, `copy ${i}: no warning for a damaged file`);
      assert.ok(warnings.every((w) => w.file === p), 'warnings name the file');
      assert.ok(n <= 358 + 5, `copy ${i}: ${n} records`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Rewrites the records CRC (512 to the free-space offset) and the header CRC of the chunk at `c`. */
function fixChunkCrcs(b: Buffer, c: number): void {
  b.writeUInt32LE(crc32(b.subarray(c + 512, c + b.readUInt32LE(c + 48))), c + 52);
  b.writeUInt32LE(crc32(b.subarray(c + 128, c + 512), crc32(b.subarray(c, c + 120))), c + 124);
}

test('a lowered free-space offset with recomputed CRCs does not hide the rest of the chunk', () => {
  const b = original();
  const recs = recordOffsets(b, CHUNK0);
  b.writeUInt32LE(recs[5]! - CHUNK0, CHUNK0 + 48); // the chunk now claims to end after 5 records
  fixChunkCrcs(b, CHUNK0);
  const { ids, warnings } = readBytes(b);
  assert.equal(ids.length, 358, 'every record of the chunk is still read');
  assert.deepEqual(warnings.map((w) => [w.code, w.chunk, w.offset]), [[W.CHUNK_RECORDS_PAST_FREE_SPACE, 0, recs[5]]]);
  assert.match(warnings[0]!.message, /records continue past the chunk's free-space offset/);
  assert.match(warnings[0]!.message_ja, /空き領域オフセットの先/);
});

test('records hidden by a consistently lowered chunk header are slack: not read, but recovered with recover', () => {
  const b = original();
  const recs = recordOffsets(b, CHUNK0);
  const cut = recs[5]!;
  // Free space, last record offset and last record id all say the chunk holds 5 records.
  b.writeUInt32LE(cut - CHUNK0, CHUNK0 + 48);
  b.writeUInt32LE(recs[4]! - CHUNK0, CHUNK0 + 44);
  b.writeUInt32LE(b.readUInt32LE(recs[4]! + 8), CHUNK0 + 32);
  b.writeUInt32LE(b.readUInt32LE(CHUNK0 + 8) + 4, CHUNK0 + 16);
  fixChunkCrcs(b, CHUNK0);
  const inChunk0 = recs.length;
  const plain = readBytes(b);
  assert.equal(plain.ids.length, 358 - (inChunk0 - 5));
  assert.deepEqual(plain.warnings, []);
  const got: { id: number; recovered: boolean }[] = [];
  const stats = createReadStats();
  for (const r of readEvtxRecords(evtxSourceFromBytes('x.evtx', b), { recover: true }, stats)) got.push({ id: r.recordId, recovered: r.recovered === true });
  assert.equal(stats.recovered, inChunk0 - 5);
  assert.equal(got.length, 358);
  // Recovered records come after the live ones of their chunk, marked.
  assert.deepEqual(got.slice(5, inChunk0).map((g) => g.recovered), Array(inChunk0 - 5).fill(true));
  assert.deepEqual(got.slice(5, inChunk0).map((g) => g.id), plainIdsOfChunk0(original()).slice(5));
});

function plainIdsOfChunk0(b: Buffer): number[] {
  return recordOffsets(b, CHUNK0).map((p) => b.readUInt32LE(p + 8));
}

test('a zeroed chunk before later chunks is reported (not silent) and the later chunks are still read', () => {
  const b = original();
  const inChunk1 = recordOffsets(b, CHUNK1).length;
  b.fill(0, CHUNK1, CHUNK1 + 65536);
  const { ids, warnings } = readBytes(b);
  assert.equal(ids.length, 358 - inChunk1);
  assert.deepEqual(warnings.map((w) => [w.code, w.chunk, w.offset]), [[W.CHUNK_GAP, 1, CHUNK1]]);
  assert.match(warnings[0]!.message, /block holds no chunk \(all zero; chunk 2 after it holds a chunk header, records 1782 before and 1823 after it\)/);
});

test('a chunk whose header was zeroed past the header chunk count is reported, and its records recovered', () => {
  const b = original(); // sysmon.evtx: the file header counts 1 chunk, 9 follow (dirty log)
  const inChunk8 = recordOffsets(b, CHUNK0 + 8 * 65536).length;
  b.fill(0, CHUNK0 + 8 * 65536, CHUNK0 + 8 * 65536 + 512);
  const { ids, warnings } = readBytes(b);
  assert.equal(ids.length, 358 - inChunk8);
  assert.deepEqual(warnings.map((w) => [w.code, w.chunk]), [[W.CHUNK_HEADER_MISSING, 8]]);
  assert.match(warnings[0]!.message, /holds event records but no chunk header/);
  const stats = createReadStats();
  let recovered = 0;
  for (const r of readEvtxRecords(evtxSourceFromBytes('x.evtx', b), { recover: true }, stats)) if (r.recovered) recovered++;
  assert.equal(recovered, inChunk8);
});

test('chunk ranges read alone give the records and warnings of one pass, split at any chunk', () => {
  const b = original();
  b.fill(0, CHUNK1, CHUNK1 + 65536); // a gap: reported by the range holding it, even when the next chunk is not in it
  const whole = readBytes(b);
  for (const split of [1, 2, 5, 9]) {
    const parts = [[0, split], [split, Infinity]].map(([firstChunk, endChunk]) => {
      const warnings: EvtxWarning[] = [];
      const ids: number[] = [];
      for (const r of readEvtxRecords(evtxSourceFromBytes('damaged.evtx', b), { firstChunk, endChunk, onWarning: (w) => warnings.push(w) })) ids.push(r.recordId);
      return { ids, warnings };
    });
    assert.deepEqual(parts.flatMap((p) => p.ids), whole.ids, `split at ${split}`);
    assert.deepEqual(parts.flatMap((p) => p.warnings), whole.warnings, `split at ${split}`);
  }
});
