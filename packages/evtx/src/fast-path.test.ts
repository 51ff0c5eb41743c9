// The reader's fast paths (record fields and XML straight from the template instance, build.ts and xml.ts) give
// exactly what the element-tree paths give (renderRoot → buildRecord / renderXml), on every record of the shared
// corpus and of fuzzed copies, which reach the odd shapes (repeats, omissions, embedded XML, duplicate attributes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRecord } from './record.ts';
import { evtxSourceFromBytes, readEvtxFile, readEvtxRecords, recordToXml, renderXml, type EvtxRecord } from './index.ts';
import { dataDir, listEvtxFiles } from '../test/data-dir.ts';

function same(r: EvtxRecord, where: string): void {
  // XML first: strings are still undecoded then, so the writer takes them from the chunk bytes (reading `root`
  // decodes them).
  const xml = recordToXml(r);
  const slow = buildRecord(r.root, r.recordId, r.timestamp, r.timestampMs, r.chunk, r.offset);
  assert.deepEqual(r.system, slow.system, `${where} system`);
  assert.deepEqual(Object.entries(r.data), Object.entries(slow.data), `${where} data (with key order)`);
  assert.deepEqual(r.userData, slow.userData, `${where} userData`);
  assert.deepEqual(Object.keys(r.system), Object.keys(slow.system), `${where} system key order`);
  // Compared as the UTF-8 bytes written out (a lone surrogate becomes U+FFFD either way).
  assert.equal(xml, Buffer.from(renderXml(r.root)).toString(), `${where} xml`);
  assert.equal(recordToXml(r), xml, `${where} xml once strings are decoded`);
}

test('fast record fields and XML equal the element-tree paths on every record of the corpus', () => {
  const dir = dataDir();
  let n = 0;
  for (const f of listEvtxFiles(dir)) {
    for (const r of readEvtxFile(join(dir, f))) { same(r, `${f}#${r.recordId}`); n++; }
  }
  assert.ok(n > 31000, `${n} records`);
});

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

test('fast paths equal the element-tree paths on fuzzed copies', { timeout: 120000 }, () => {
  const dir = dataDir();
  const samples = ['evtx-parser-samples/samples/sysmon.evtx', 'evtx-parser-samples/samples/security.evtx',
    'dfir-artifact-museum/Windows/EventLogs/Win10/RathbunVM/extracted/System.evtx'];
  const rnd = prng(99);
  let n = 0;
  for (const s of samples) {
    const base = readFileSync(join(dir, s));
    for (let i = 0; i < 60; i++) {
      const b = Buffer.from(base);
      // Damage inside records and templates of the first chunks, without the checks stopping at the chunk CRC.
      for (let k = 0; k < 1 + Math.floor(rnd() * 30); k++) b[4096 + 512 + Math.floor(rnd() * 3 * 65536)] = Math.floor(rnd() * 256);
      for (const r of readEvtxRecords(evtxSourceFromBytes(`fuzz-${i}`, b), { verifyChecksums: false })) {
        same(r, `${s} fuzz ${i} #${r.recordId}`);
        n++;
      }
    }
  }
  assert.ok(n > 1000, `${n} records`);
});
