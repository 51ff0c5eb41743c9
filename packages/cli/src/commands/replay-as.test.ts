// `omamori replay --as windows`: the Windows comparison in text (en/ja) and JSON, and its usage error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ReplayResult } from '@omamori/replay';
import { main } from '../main.ts';

function dataPath(rel: string): string {
  const root = resolve(process.env.OMAMORI_ROOT ?? new URL('../../../..', import.meta.url).pathname);
  const p = join(process.env.OMAMORI_DATA ?? join(root, '../shared/data'), rel);
  if (!existsSync(p)) throw new Error(`shared recording missing: ${p} (set OMAMORI_DATA)`);
  return p;
}
const cpl = () => dataPath('mordor/datasets/atomic/windows/defense_evasion/host/psh_control_panel_execution.zip');

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {}, { out: (s: string) => { out += s; }, err: (s: string) => { err += s; } });
  return { code, out, err };
}

test('replay --as windows: per-tree Windows stops, comparison line, per-mechanism counts (en and ja)', async () => {
  const en = await run(['replay', '--lang', 'en', '--as', 'windows', cpl()]);
  assert.equal(en.code, 1, en.err);
  assert.match(en.out, /As compiled for Windows \(App Control enforce/);
  assert.match(en.out, /windows ▶ first stop: wdac .*calc\.cpl/);
  assert.match(en.out, /⇔ compare: omamori first: control\.exe guarded\.children \| windows first: control\.exe wdac \| steps both stop 4, only omamori stops 1, only windows stops 0/);
  assert.match(en.out, /\[windows: not stopped\]/);
  assert.match(en.out, /\[asr:01443614\] .*cannot be evaluated offline/);
  const ja = await run(['replay', '--lang', 'ja', '--as', 'windows', cpl()]);
  assert.match(ja.out, /Windows 向けに変換した場合/);
  assert.match(ja.out, /比較: omamori の最初: control\.exe guarded\.children/);
  assert.match(ja.out, /オフラインでは評価できません/);
});

test('replay --as windows --format json carries the alternative; without --as nothing changes; bad --as exits 2', async () => {
  const j = await run(['replay', '--as', 'windows', '--format', 'json', cpl()]);
  const r = JSON.parse(j.out) as ReplayResult;
  assert.equal(r.alternative?.id, 'windows');
  assert.equal(r.alternative?.mechanisms[0]?.mechanism, 'wdac');
  assert.ok(r.trees[0]?.alt?.blocks.some((b) => b.first && b.mechanism === 'wdac'));
  const plain = JSON.parse((await run(['replay', '--format', 'json', cpl()])).out) as ReplayResult;
  assert.equal(plain.alternative, undefined);
  assert.equal(plain.trees[0]?.alt, undefined);
  assert.equal(plain.trees[0]?.blocks[0]?.alt, undefined);
  const bad = await run(['replay', '--lang', 'en', '--as', 'linux', cpl()]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--as must be one of windows \(got 'linux'\)/);
});
