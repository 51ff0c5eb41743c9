// `omamori windows compile|apply|verify` in-process: files written, exit 2 off Windows without --dry-run (ja/en),
// --dry-run printing the PowerShell, usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../main.ts';
import type { Io } from '../command.ts';
import { createWindowsCommands } from './windows.ts';

async function run(args: string[], lang: 'ja' | 'en' = 'en') {
  let out = '', err = '';
  const io: Partial<Io> = { out: (s) => { out += s; }, err: (s) => { err += s; }, lang };
  const commands = createWindowsCommands({ platform: 'linux', now: () => Date.UTC(2026, 0, 1), host: () => 'PC-1' });
  return { code: await main(args, {}, io, commands), out, err };
}

test('compile writes every artefact and summarises', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-wcli-'));
  try {
    const r = await run(['windows', 'compile', '--preset', 'office', '--out', dir]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(dir).sort(), ['app-control-base-audit.xml', 'app-control-base.xml', 'apply-audit.ps1', 'apply.ps1', 'intune.json', 'mapping.en.md', 'mapping.ja.md', 'office-revert.reg', 'office.reg', 'revert.ps1']);
    assert.match(r.out, /14 ASR rules/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('compile without --out, or with a bad --asr, is a usage error', async () => {
  assert.equal((await run(['windows', 'compile'])).code, 2);
  const r = await run(['windows', 'compile', '--out', '/tmp/x', '--asr', 'maybe']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--asr must be block, audit or warn/);
});

for (const which of ['apply', 'verify']) {
  test(`${which} off Windows without --dry-run exits 2 with a clear message (en, ja)`, async () => {
    const en = await run(['windows', which]);
    assert.equal(en.code, 2);
    assert.match(en.err, /needs Windows \(this machine is linux\)\. Add --dry-run/);
    const ja = await run(['windows', which], 'ja');
    assert.match(ja.err, /Windows でだけ実行できます/);
  });
}

test('apply --dry-run prints the state query and every command it would run', async () => {
  const r = await run(['windows', 'apply', '--preset', 'audit', '--dry-run']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^# read Defender, App Control and Office settings in force\n\$p = Get-MpPreference/);
  assert.match(r.out, /Add-MpPreference -AttackSurfaceReductionRules_Ids 'd4f940ab-401b-4efc-aadc-ad5f3c50688a' -AttackSurfaceReductionRules_Actions AuditMode/);
  assert.match(r.out, /Set-MpPreference -EnableControlledFolderAccess AuditMode/);
  assert.match(r.out, /CiTool\.exe --update-policy/);
});
