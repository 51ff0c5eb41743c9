// Templates reused from earlier chunks of a read (binxml.ts getTemplate) give what parsing each chunk's own copy
// gives: the XML of one pass over a file equals the XML of its chunks read one at a time (each such read starts
// with no templates to reuse), on the corpus and on fuzzed copies whose templates differ in places.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evtxSourceFromBytes, readEvtxRecords, recordToXmlText, CHUNK_SIZE, FILE_HEADER_SIZE, type EvtxReadOptions } from './index.ts';
import { dataDir, listEvtxFiles } from '../test/data-dir.ts';

function xmlOf(name: string, bytes: Buffer, options: EvtxReadOptions): string[] {
  const out: string[] = [];
  for (const r of readEvtxRecords(evtxSourceFromBytes(name, bytes), options)) out.push(recordToXmlText(r));
  return out;
}

function samePerChunk(name: string, bytes: Buffer, verifyChecksums: boolean): number {
  const whole = xmlOf(name, bytes, { verifyChecksums });
  const alone: string[] = [];
  const chunks = Math.ceil((bytes.length - FILE_HEADER_SIZE) / CHUNK_SIZE);
  for (let c = 0; c < chunks; c++) alone.push(...xmlOf(name, bytes, { verifyChecksums, firstChunk: c, endChunk: c + 1 }));
  assert.equal(whole.length, alone.length, `${name}: records`);
  for (let i = 0; i < whole.length; i++) assert.equal(whole[i], alone[i], `${name}: record ${i}`);
  return whole.length;
}

test('templates reused across chunks give the XML of each chunk read alone, on every corpus file', () => {
  const dir = dataDir();
  let n = 0;
  for (const f of listEvtxFiles(dir)) {
    const bytes = readFileSync(join(dir, f));
    if (bytes.length > FILE_HEADER_SIZE + CHUNK_SIZE) n += samePerChunk(f, bytes, true);
  }
  assert.ok(n > 20000, `${n} records`);
});

test('templates reused across chunks give the XML of each chunk read alone, on fuzzed copies', { timeout: 120000 }, () => {
  const dir = dataDir();
  const base = readFileSync(join(dir, 'dfir-artifact-museum/Windows/EventLogs/Win10/RathbunVM/extracted/Security.evtx'));
  let a = 7;
  const rnd = () => { a = (a * 1103515245 + 12345) >>> 0; return a / 4294967296; };
  let n = 0;
  for (let i = 0; i < 30; i++) {
    const b = Buffer.from(base.subarray(0, FILE_HEADER_SIZE + 8 * CHUNK_SIZE));
    // Flips in the first 4 KiB of chunks (where their templates are defined), so that copies of a template differ.
    for (let k = 0; k < 20; k++) {
      const chunk = Math.floor(rnd() * 8);
      b[FILE_HEADER_SIZE + chunk * CHUNK_SIZE + 512 + Math.floor(rnd() * 4096)] = Math.floor(rnd() * 256);
    }
    n += samePerChunk(`fuzz-${i}`, b, false);
  }
  assert.ok(n > 1000, `${n} records`);
});
