// `omamori replay` in-process: exit codes, JSON output, located input errors. Needs the shared recordings.
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
const recordings = () => [
  dataPath('evtx-attack-samples/Execution/exec_persist_rundll32_mshta_scheduledtask_sysmon_1_3_11.evtx'),
  dataPath('evtx-attack-samples/Execution/sysmon_vbs_sharpshooter_stageless_meterpreter.evtx'),
];

test('omamori replay: exit 1 when something would be stopped, JSON output, usage errors exit 2', async () => {
  let out = '';
  let err = '';
  const io = { out: (s: string) => { out += s; }, err: (s: string) => { err += s; } };
  const code = await main(['replay', '--format', 'json', ...recordings()], {}, io);
  assert.equal(code, 1, err);
  const json = JSON.parse(out) as ReplayResult;
  assert.ok(json.stats.blocks >= 2);
  assert.equal(await main(['replay', '--format', 'pdf', recordings()[0]!], {}, io), 2);
  err = '';
  assert.equal(await main(['replay', '/nonexistent/x.evtx'], {}, io), 2);
  assert.match(err, /\/nonexistent\/x\.evtx: cannot read \(NOT_FOUND/);
});
