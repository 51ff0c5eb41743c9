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
