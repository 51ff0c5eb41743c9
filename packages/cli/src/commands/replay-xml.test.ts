// `omamori replay` on event XML end to end: a wevtutil-style export of a real Sysmon log is read, decided and
// reported, with the stops the log cannot confirm shown as "unless signed by …". Needs the shared recordings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readEvtxFile, renderXml } from '@omamori/evtx';
import type { ReplayResult } from '@omamori/replay';
import { main } from '../main.ts';

function dataPath(rel: string): string {
  const root = resolve(process.env.OMAMORI_ROOT ?? new URL('../../../..', import.meta.url).pathname);
  const p = join(process.env.OMAMORI_DATA ?? join(root, '../shared/data'), rel);
  if (!existsSync(p)) throw new Error(`shared recording missing: ${p} (set OMAMORI_DATA)`);
  return p;
}

test('omamori replay reads wevtutil XML: JSON result, text report with "unless signed", exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-replay-xml-'));
  try {
    const xml = [...readEvtxFile(dataPath('evtx-parser-samples/samples/sysmon.evtx'), {})].map((r) => renderXml(r.root)).join('\n');
    const file = join(dir, 'sysmon export.xml');
    writeFileSync(file, xml);
    let out = '';
    let err = '';
    const io = { out: (s: string) => { out += s; }, err: (s: string) => { err += s; } };
    assert.equal(await main(['replay', '--format', 'json', file], {}, io), 1, err);
    const r = JSON.parse(out) as ReplayResult;
    assert.equal(r.recordings[0]?.kind, 'xml');
    assert.equal(r.stats.records, 358);
    assert.ok(r.stats.unlessSigned > 0);
    out = '';
    assert.equal(await main(['replay', '--lang', 'en', file], {}, io), 1);
    assert.match(out, /stopped unless signed by Microsoft Windows, Microsoft Corporation/);
    assert.match(out, /Process starts\s+227/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
