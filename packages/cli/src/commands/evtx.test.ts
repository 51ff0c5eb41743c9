// `omamori evtx dump|count` run in-process through main(): JSON lines and XML output, located warnings on
// stderr for a damaged copy, exit codes 0/1/2 in both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../main.ts';
import type { Io } from '../command.ts';
import { evtxCommands } from './evtx.ts';

const root = process.env.OMAMORI_ROOT ?? resolve(new URL('../../../..', import.meta.url).pathname);
const data = process.env.OMAMORI_DATA ?? resolve(root, '../shared/data');
const samples = join(data, 'evtx-parser-samples/samples');

async function run(args: string[], lang: 'en' | 'ja' = 'en') {
  assert.ok(existsSync(samples), `EVTX test data missing at ${samples} (set OMAMORI_DATA)`);
  let out = '', err = '';
  const io: Partial<Io> = { out: (s) => { out += s; }, err: (s) => { err += s; }, lang, cwd: samples };
  const code = await main(args, {}, io, evtxCommands);
  return { code, out, err };
}

test('evtx dump prints one JSON object per event with System fields and EventData by name', async () => {
  const r = await run(['evtx', 'dump', 'sysmon.evtx']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { file: string; system: { EventID: number }; data: Record<string, string> });
  assert.equal(lines.length, 358);
  assert.equal(lines[0]!.file, 'sysmon.evtx');
  assert.equal(lines[0]!.system.EventID, 1);
  assert.equal(lines[0]!.data.Image, 'C:\\Windows\\SysWOW64\\PING.EXE');
});

test('evtx dump --format xml wraps the events in <Events>', async () => {
  const r = await run(['evtx', 'dump', '--format', 'xml', 'new-user-security.evtx']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^<\?xml version="1.0" encoding="utf-8"\?>\n<Events>\n<Event xmlns=/);
  assert.equal(r.out.match(/<Event xmlns=/g)?.length, 4);
  assert.match(r.out, /<\/Event>\n<\/Events>\n$/);
});

test('evtx count reports damage with its location and exits 1; usage errors exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-evtx-cli-'));
  try {
    const b = readFileSync(join(samples, 'sysmon.evtx'));
    b[4096 + 65536 + 20] = b[4096 + 65536 + 20]! ^ 0xff;
    const p = join(dir, 'broken.evtx');
    writeFileSync(p, b);
    const r = await run(['evtx', 'count', p]);
    assert.equal(r.code, 1);
    assert.match(r.out, /^\d+\t1\t.*broken\.evtx\n$/);
    assert.match(r.err, /broken\.evtx: chunk 1 @ 0x11000: \[EVTX_CHUNK_HEADER_CRC\] chunk header CRC32 mismatch/);
    const ja = await run(['evtx', 'count', p], 'ja');
    assert.match(ja.err, /チャンク 1 @ 0x11000: \[EVTX_CHUNK_HEADER_CRC\] チャンクヘッダーの CRC32 が一致しません/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal((await run(['evtx', 'dump'])).code, 2);
  const bad = await run(['evtx', 'dump', '--format', 'csv', 'sysmon.evtx']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--format must be 'jsonl' or 'xml'/);
});

test('evtx count and dump take folders (sorted, recursive); worker threads give the output of one thread', async () => {
  const one = await run(['evtx', 'count', '--jobs', '1', '.']);
  const lines = one.out.trimEnd().split('\n');
  const names = lines.map((l) => l.split('\t')[2]!);
  assert.equal(lines.length, 9, one.out);
  assert.deepEqual(names, [...names].sort(), 'files in sorted order');
  assert.ok(lines.includes('358\t0\tsysmon.evtx'), one.out);
  assert.equal(one.code, 1, 'the shadow-copy sample has a zeroed chunk before a later one');
  assert.match(one.err, /2-vss_7-System\.evtx: chunk 10 @ 0xa1000: \[EVTX_CHUNK_GAP\]/);
  const two = await run(['evtx', 'count', '--jobs', '2', '.']);
  assert.deepEqual([two.out, two.err, two.code], [one.out, one.err, one.code]);
  const d1 = await run(['evtx', 'dump', '--format', 'xml', '--jobs', '1', '.']);
  const d2 = await run(['evtx', 'dump', '--format', 'xml', '--jobs', '2', '.']);
  assert.equal(d2.out, d1.out);
  assert.equal(d1.out.match(/<Event xmlns=/g)?.length, lines.reduce((n, l) => n + Number(l.split('\t')[0]), 0));
  const bad = await run(['evtx', 'count', '--jobs', '0', '.']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--jobs must be a whole number/);
});

test('evtx count/dump --recover: records from slack space, counted apart and marked', async () => {
  const file = join(data, 'evtx-attack-samples/Defense Evasion/DE_WinEventLogSvc_Crash_System_7036.evtx');
  const c = await run(['evtx', 'count', '--recover', file]);
  assert.equal(c.code, 0, c.err);
  assert.equal(c.out, `6\t71\t0\t${file}\n`);
  const plain = await run(['evtx', 'count', file]);
  assert.equal(plain.out, `6\t0\t${file}\n`);
  const d = await run(['evtx', 'dump', '--recover', file]);
  const recs = d.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { recordId: number; recovered?: boolean });
  assert.equal(recs.length, 77);
  assert.equal(recs.filter((r) => r.recovered === true).length, 71);
  assert.equal(recs[6]!.recordId, 1682);
  const x = await run(['evtx', 'dump', '--recover', '--format', 'xml', file]);
  assert.equal(x.out.match(/<!-- recovered: record \d+ from slack space at offset 0x[0-9a-f]+ -->\n<Event /g)?.length, 71);
});
