// `omamori collect` and `omamori isolate` in-process through main(): exit codes, ja/en messages, the Windows
// collection path with an injected collector and event-log export, and isolation with an injected nft.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../main.ts';
import type { Io } from '../command.ts';
import { createResponseCommands, type ResponseDeps } from './response.ts';

const NOW = new Date('2024-05-01T09:00:00Z');

function deps(over: Partial<ResponseDeps> = {}): ResponseDeps {
  return {
    platform: 'linux', now: () => NOW,
    nft: () => { throw new Error('nft must not run'); },
    resolver: async () => { throw Object.assign(new Error('no dns in tests'), { code: 'ENOTFOUND' }); },
    runEmocheckCollector: () => Promise.reject(new Error('collector must not run')),
    exportEventLogs: () => { throw new Error('wevtutil must not run'); },
    ...over,
  };
}

async function run(args: string[], opts: { lang?: 'ja' | 'en'; deps?: Partial<ResponseDeps>; cwd?: string } = {}) {
  let out = '', err = '';
  const io: Partial<Io> = { out: (s) => { out += s; }, err: (s) => { err += s; }, lang: opts.lang ?? 'en', cwd: opts.cwd ?? '/' };
  const code = await main(args, {}, io, createResponseCommands(deps(opts.deps)));
  return { code, out, err };
}

function world(): string {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-cli-collect-'));
  mkdirSync(join(dir, 'root/etc'), { recursive: true });
  writeFileSync(join(dir, 'root/etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(join(dir, 'root/etc/crontab'), '* * * * * root /usr/bin/true\n');
  writeFileSync(join(dir, 'note.txt'), 'evidence');
  return dir;
}

test('collect → verify (0) → one flipped byte (1, part named) → unreadable (2); ja and en', async () => {
  const dir = world();
  try {
    const over = { collectOverrides: { root: join(dir, 'root') } };
    const c = await run(['collect', '--out', 'b.tar', '--state', 'state', '--include', 'note.txt', 'root/etc'], { cwd: dir, deps: over });
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /Evidence bundle written: .*b\.tar\n  parts: \d+ \(processes 1, autostart 1, autostart-source 1, file 3\)\n  bundle sha256: [0-9a-f]{64}/);
    assert.match(c.err, /NO_EVENT_LOG .*state\/events\.db/);

    const ok = await run(['collect', '--verify', 'b.tar'], { cwd: dir });
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /intact — 6 part\(s\) match/);

    // Flip one byte inside the included note (its content is unique in the archive).
    const bytes = readFileSync(join(dir, 'b.tar'));
    const at = bytes.indexOf('evidence');
    const fd = openSync(join(dir, 'b.tar'), 'r+');
    const one = Buffer.alloc(1);
    readSync(fd, one, 0, 1, at);
    writeSync(fd, Buffer.from([one[0]! ^ 0x20]), 0, 1, at);
    closeSync(fd);
    const bad = await run(['collect', '--verify', 'b.tar'], { cwd: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.out, /CHANGED OR DAMAGED — 1 problem\(s\):\n  files\/000001-note\.txt: \[PART_HASH\]/);
    const badJa = await run(['collect', '--verify', 'b.tar'], { cwd: dir, lang: 'ja' });
    assert.equal(badJa.code, 1);
    assert.match(badJa.out, /改変または破損あり — 1 件:\n  files\/000001-note\.txt: \[PART_HASH\]/);

    const again = await run(['collect', '--out', 'b.tar'], { cwd: dir, deps: over });
    assert.equal(again.code, 2);
    assert.match(again.err, /already exists; evidence is never overwritten/);
    const againJa = await run(['collect', '--out', 'b.tar'], { cwd: dir, deps: over, lang: 'ja' });
    assert.match(againJa.err, /既にあります。証拠は上書きしません/);

    const missing = await run(['collect', '--verify', 'nope.tar'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read nope\.tar: ENOENT/);
    const noDir = await run(['collect', '--out', 'no/such/dir/b.tar'], { cwd: dir, deps: over });
    assert.equal(noDir.code, 2);
    assert.match(noDir.err, /cannot write no\/such\/dir\/b\.tar: ENOENT/);
    assert.doesNotMatch(noDir.err + missing.err, /\n\s+at /);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('collect usage errors exit 2 and name the argument', async () => {
  for (const [args, msg] of [[['collect'], /--out FILE or --verify FILE is required/], [['collect', '--out'], /--out needs a value/],
    [['collect', '--verify', 'x', '--out', 'y'], /--verify takes no other option/], [['collect', '--bogus'], /unknown option '--bogus'/],
    [['collect', '--out', 'x', '--include'], /--include needs a value/]] as const) {
    const r = await run([...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, msg);
    assert.match(r.err, /See 'omamori collect --help'/);
  }
});

test('collect on Windows: the emocheck snapshot and exported event logs become parts; failures are recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-cli-win-'));
  try {
    const snapshot = Buffer.from('{"format":"omamori-emocheck-snapshot"}');
    const r = await run(['collect', '--out', 'w.tar', '--state', 'state'], { cwd: dir, deps: {
      platform: 'win32',
      runEmocheckCollector: async () => ({ ok: true, stdout: snapshot }),
      exportEventLogs: (d) => {
        writeFileSync(join(d, 'System.evtx'), 'ElfFile\0');
        return { files: [{ name: 'windows/evtx/System.evtx', kind: 'windows-evtx', path: join(d, 'System.evtx'), note: 'wevtutil epl "System"' }],
          problems: [{ code: 'WINDOWS_SOURCE_FAILED', path: 'Microsoft-Windows-Sysmon/Operational', message: 'channel not found' }] };
      },
    } });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\(windows-snapshot 1, windows-evtx 1\)/);
    assert.match(r.err, /WINDOWS_SOURCE_FAILED Microsoft-Windows-Sysmon\/Operational: channel not found/);
    assert.match(r.err, /NO_EVENT_LOG/);
    const v = await run(['collect', '--verify', 'w.tar'], { cwd: dir });
    assert.equal(v.code, 0);
    assert.ok(readFileSync(join(dir, 'w.tar')).includes(snapshot));
    assert.deepEqual(existsSync(join(dir, 'w.tar.partial-' + process.pid)), false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('isolate --dry-run prints the ruleset; --windows prints or writes the scripts; nothing is applied', async () => {
  const dry = await run(['isolate', '--dry-run', '--console', '100.64.1.2:8443', '--dns', '100.64.1.53']);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /table inet omamori_isolate \{[\s\S]*ip daddr 100\.64\.1\.2 tcp dport 8443 accept/);
  const win = await run(['isolate', '--windows', '--console', '100.64.1.2:8443']);
  assert.equal(win.code, 0, win.err);
  assert.match(win.out, /# ---- omamori-isolate-apply\.ps1 ----[\s\S]*New-NetFirewallRule[\s\S]*# ---- omamori-isolate-revert\.ps1 ----/);
  const dir = mkdtempSync(join(tmpdir(), 'omamori-cli-ps-'));
  try {
    const w = await run(['isolate', '--console', '100.64.1.2', '--script-out', 'ps'], { cwd: dir, deps: { platform: 'win32' }, lang: 'ja' });
    assert.equal(w.code, 0, w.err);
    assert.match(w.out, /omamori-isolate-revert\.ps1 を書き出しました/);
    assert.match(readFileSync(join(dir, 'ps/omamori-isolate-apply.ps1'), 'latin1'), /\r\n/);
    assert.match(readFileSync(join(dir, 'ps/omamori-isolate-revert.ps1'), 'latin1'), /Remove-NetFirewallRule/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('isolate usage errors exit 2 and name the problem', async () => {
  for (const [args, msg] of [
    [['isolate', '--console', 'h:99999'], /--console 'h:99999': port must be 1-65535/],
    [['isolate', '--console', 'console.invalid'], /--console 'console.invalid': cannot resolve \(ENOTFOUND\)/],
    [['isolate', '--allow', '10.0.0.0/40'], /--allow '10\.0\.0\.0\/40': prefix must be 0-32/],
    [['isolate', '--dns', '10.0.0.0/8'], /--dns '10\.0\.0\.0\/8': give a single address/],
    [['isolate', '--off', '--console', '1.2.3.4'], /--off takes only --state/],
    [['isolate', '--off', '--status'], /--off and --status cannot be combined/],
    [['isolate', '--script-out', 'x'], /--script-out goes with --windows/],
  ] as const) {
    const r = await run([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, msg);
  }
  const mac = await run(['isolate', '--console', '1.2.3.4'], { deps: { platform: 'darwin' } });
  assert.equal(mac.code, 2);
  assert.match(mac.err, /use --windows/);
});

test('isolate with nft refusing: exit 1, clear message in ja and en, no state written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-cli-iso-'));
  try {
    const nft = () => ({ code: 1, stdout: '', stderr: 'Error: Could not process rule: Operation not permitted\n' });
    const en = await run(['isolate', '--console', '100.64.1.2', '--state', dir], { deps: { nft } });
    assert.equal(en.code, 1);
    assert.match(en.err, /not isolated — nftables refused the ruleset: Error: Could not process rule: Operation not permitted/);
    const ja = await run(['isolate', '--console', '100.64.1.2', '--state', dir], { deps: { nft }, lang: 'ja' });
    assert.match(ja.err, /隔離できませんでした — nftables がルールセットを拒否/);
    assert.equal(existsSync(join(dir, 'isolation.json')), false);
    const st = await run(['isolate', '--status', '--state', dir], { deps: { nft } });
    assert.equal(st.code, 0);
    assert.match(st.out, /never applied[\s\S]*omamori_isolate: absent/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
