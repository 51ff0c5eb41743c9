// `omamori emocheck` run in-process through main(): exit codes 0/1/2, messages in both languages, report files,
// and the live path with an injected collector (what Windows would run) — an error must never exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../main.ts';
import type { Command, Io } from '../command.ts';
import { collectorProgram, createEmocheckCommands, type EmocheckDeps } from './emocheck.ts';

const fixtures = new URL('../../../emocheck/test/fixtures/', import.meta.url).pathname;
const NOW = new Date(2024, 4, 1, 18, 30, 5);   // local time: file stamp 20240501183005

async function run(args: string[], opts: { lang?: 'ja' | 'en'; deps?: Partial<EmocheckDeps> } = {}) {
  let out = '', err = '';
  const io: Partial<Io> = { out: (s) => { out += s; }, err: (s) => { err += s; }, lang: opts.lang ?? 'en', cwd: fixtures };
  const commands: Command[] = createEmocheckCommands({
    platform: 'linux', now: () => NOW,
    runCollector: () => Promise.reject(new Error('collector must not run')), ...opts.deps,
  });
  const code = await main(args, {}, io, commands);
  return { code, out, err };
}

for (const [file, code] of [['clean.json', 0], ['userspace-review.json', 0], ['v1-infected.json', 1], ['v4-admin-infected.json', 1],
  ['loader2022-service.json', 1], ['loader2022-process.json', 1], ['vendor-rundll32.json', 0]] as const) {
  test(`--snapshot ${file} exits ${code}`, async () => {
    const r = await run(['emocheck', '--snapshot', file]);
    assert.equal(r.code, code, r.err);
    assert.match(r.out, code === 1 ? /Result: Detected Emotet/ : /Result: Emotet was not detected/);
  });
}

for (const [file, en, ja] of [
  ['broken-syntax.json', /broken-syntax\.json:47:16: \[JSON_SYNTAX\]/, /スナップショットとして読めません/],
  ['truncated.json', /truncated\.json:\d+:\d+: \[JSON_SYNTAX\] the JSON ends too early/, /スナップショットとして読めません/],
  ['wrong-version.json', /wrong-version\.json: version: \[UNSUPPORTED_VERSION\]/, /スナップショットとして読めません/],
  ['bad-fields.json', /bad-fields\.json: processes\[1\]\.pid: \[FIELD\] expected a whole number/, /3 件/],
  ['not-a-snapshot.json', /\[NOT_A_SNAPSHOT\]/, /NOT_A_SNAPSHOT/],
  ['missing.json', /cannot read snapshot missing\.json: ENOENT/, /スナップショット missing\.json を読めません: ENOENT/],
] as const) {
  test(`--snapshot ${file} exits 2 with a clear message (en, ja)`, async () => {
    const e = await run(['emocheck', '--snapshot', file]);
    assert.equal(e.code, 2);
    assert.match(e.err, en);
    assert.match(e.err, /could not check \(infection status unknown, exit code 2\)/);
    assert.equal(e.out, '');
    assert.doesNotMatch(e.err, /\n\s+at /);   // no stack trace
    const j = await run(['emocheck', '--snapshot', file], { lang: 'ja' });
    assert.equal(j.code, 2);
    assert.match(j.err, ja);
    assert.match(j.err, /確認できませんでした/);
  });
}

test('without --snapshot off Windows: exit 2 telling to use --snapshot', async () => {
  const r = await run(['emocheck']);
  assert.equal(r.code, 2);
  assert.match(r.err, /needs Windows.*--snapshot FILE/s);
  assert.match((await run(['emocheck'], { lang: 'ja' })).err, /Windows が必要です/);
  assert.equal((await run(['emocheck', 'collect', '--out', 'x.json'])).code, 2);
});

test('usage errors exit 2', async () => {
  assert.equal((await run(['emocheck', '--bogus'])).code, 2);
  assert.equal((await run(['emocheck', '--snapshot'])).code, 2);
  assert.equal((await run(['emocheck', 'collect'])).code, 2);
});

test('--out DIR writes <HOST>_<stamp>_omamori-emocheck.txt and .json, in English', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emocheck-'));
  try {
    const r = await run(['emocheck', '--snapshot', 'v2-infected.json', '--out', dir]);
    assert.equal(r.code, 1);
    assert.deepEqual(readdirSync(dir).sort(), ['PC-TARO_20240501183005_omamori-emocheck.json', 'PC-TARO_20240501183005_omamori-emocheck.txt']);
    const txt = readFileSync(join(dir, 'PC-TARO_20240501183005_omamori-emocheck.txt'), 'utf8');
    assert.match(txt, /Scan time: 2024-05-01 18:30:05/);
    assert.match(txt, /Result: Detected Emotet process/);
    assert.match(txt, /Process name\s+: mstask\.exe/);
    assert.match(txt, /Registry key\s+: HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\12345678/);
    assert.match(txt, /disconnect it from the network/);
    const json = JSON.parse(readFileSync(join(dir, 'PC-TARO_20240501183005_omamori-emocheck.json'), 'utf8'));
    assert.equal(json.is_infected, 'yes');
    assert.equal(json.hostname, 'PC-TARO');
    assert.deepEqual(json.emotet_processes, [{ process_name: 'mstask.exe', process_id: 5150,
      image_path: 'C:\\Windows\\SysWOW64\\mstask.exe', registry_key: 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\12345678' }]);
    assert.equal(json.language, 'en');
    assert.equal(json.findings[0].code, 'V2_PROCESS');
    assert.match(r.err, /Report written: .*\.txt/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('--out DIR in Japanese; clean report says so; --json prints JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emocheck-'));
  try {
    const r = await run(['emocheck', '--snapshot', 'clean.json', '--out', dir, '--json'], { lang: 'ja' });
    assert.equal(r.code, 0);
    assert.equal(JSON.parse(r.out).is_infected, 'no');
    const txt = readFileSync(join(dir, 'PC-TARO_20240501183005_omamori-emocheck.txt'), 'utf8');
    assert.match(txt, /結果: Emotet は検知されませんでした/);
    assert.match(txt, /スキャン日時: 2024-05-01 18:30:05/);
    assert.doesNotMatch(txt, /今すぐ行うこと/);
    const json = JSON.parse(readFileSync(join(dir, 'PC-TARO_20240501183005_omamori-emocheck.json'), 'utf8'));
    assert.equal(json.result_text, 'Emotet は検知されませんでした');
    assert.deepEqual(json.advice, []);
    const inf = await run(['emocheck', '--snapshot', 'v5-infected.json'], { lang: 'ja' });
    assert.match(inf.out, /結果: Emotet のプロセスが見つかりました/);
    assert.match(inf.out, /重要な理由\s+: Emotet は古く見せるため/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a report directory that cannot be written gives exit 2 after the console report', async () => {
  // A regular file where the directory should be (not /proc: recursive mkdir there never returns on Node 20).
  const r = await run(['emocheck', '--snapshot', 'clean.json', '--out', join(fixtures, 'clean.json', 'sub')]);
  assert.equal(r.code, 2);
  assert.match(r.out, /Emotet was not detected/);
  assert.match(r.err, /report could not be written .*: ENOTDIR/);
});

test('live on Windows: the collector output is analysed', async () => {
  const stdout = readFileSync(join(fixtures, 'v3-infected.json'));
  const r = await run(['emocheck'], { deps: { platform: 'win32', runCollector: async () => ({ ok: true, stdout }) } });
  assert.equal(r.code, 1);
  assert.match(r.out, /Source: this machine \(live\)/);
  assert.match(r.out, /V3_PROCESS/);
});

test('live on Windows: collector failure, garbage output or a thrown bug exit 2, never 1', async () => {
  const failing = { platform: 'win32' as const, runCollector: async () => ({ ok: false as const, message: { en: 'powershell.exe exited 1', ja: 'powershell.exe が 1 で終了' } }) };
  const a = await run(['emocheck'], { deps: failing });
  assert.equal(a.code, 2);
  assert.match(a.err, /powershell\.exe exited 1/);
  const b = await run(['emocheck'], { deps: { platform: 'win32', runCollector: async () => ({ ok: true, stdout: Buffer.from('Get-CimInstance : Access denied') }) } });
  assert.equal(b.code, 2);
  assert.match(b.err, /<collector output>.*JSON_SYNTAX/);
  const c = await run(['emocheck'], { deps: { platform: 'win32', runCollector: () => Promise.reject(new TypeError('boom')) } });
  assert.equal(c.code, 2);
  assert.match(c.err, /internal error: boom/);
});

test('collect on Windows writes the collector output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emocheck-'));
  try {
    const stdout = readFileSync(join(fixtures, 'clean.json'));
    const r = await run(['emocheck', 'collect', '--out', join(dir, 's.json')], { deps: { platform: 'win32', runCollector: async () => ({ ok: true, stdout }) } });
    assert.equal(r.code, 0);
    assert.deepEqual(readFileSync(join(dir, 's.json')), stdout);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('issue 14 item 13: vendor rundll32 autostarts exit 0 with "worth a look" and no advice to isolate', async () => {
  const r = await run(['emocheck', '--snapshot', 'vendor-rundll32.json']);
  assert.equal(r.code, 0);
  assert.match(r.out, /Worth a look/);
  assert.doesNotMatch(r.out, /disconnect it from the network/);
});

test('issue 14 item 14: a snapshot over the size cap is refused from its size, without reading it (exit 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-emo-big-'));
  try {
    const big = join(dir, 'huge.json');
    writeFileSync(big, '');
    truncateSync(big, 80 * 1024 * 1024);   // sparse: 80 MiB of size, no data written
    const r = await run(['emocheck', '--snapshot', big]);
    assert.equal(r.code, 2);
    assert.match(r.err, /\[TOO_LARGE\] the file is 80\.0 MiB; a snapshot is read only up to 64\.0 MiB/);
    const ja = await run(['emocheck', '--snapshot', big], { lang: 'ja' });
    assert.match(ja.err, /80\.0 MiB あります/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('issue 14 item 5: the live collector is piped to -Command - as one script block, with no .NET bootstrap', () => {
  const p = collectorProgram("param([switch]$Stdout)\n\n$x = 1\n");
  assert.equal(p, "$ProgressPreference = 'SilentlyContinue'\n& {\nparam([switch]$Stdout)\n$x = 1\n} -Stdout\n\n");
  assert.doesNotMatch(p, /IO\.File|scriptblock\]::Create/);
});
