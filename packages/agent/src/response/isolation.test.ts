// Isolation without a kernel: address parsing, the generated nftables text, the state file life cycle
// (isolate → status → ensure at agent start → off) against a recording nft, and the Windows scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildNftRuleset, buildWindowsIsolationScripts, complementRanges, ensureIsolation, isolate, isolationStatus, parseCidr,
  parseHostPort, releaseIsolation, resolvePeer, type IsolationSpec, type NftRunner,
} from './index.ts';

test('HOST[:PORT] and ADDR[/PREFIX] parsing names what is wrong', async () => {
  assert.deepEqual(parseHostPort('100.64.1.2:8443'), { host: '100.64.1.2', port: 8443 });
  assert.deepEqual(parseHostPort('console.example'), { host: 'console.example' });
  assert.deepEqual(parseHostPort('[fd00::2]:443'), { host: 'fd00::2', port: 443 });
  assert.deepEqual(parseHostPort('fd00::2'), { host: 'fd00::2' });
  assert.match(parseHostPort('h:70000') as string, /port must be 1-65535/);
  assert.match(parseHostPort('h:x') as string, /port/);
  assert.deepEqual(parseCidr('10.1.0.0/16'), { address: '10.1.0.0', family: 4, prefix: 16 });
  assert.deepEqual(parseCidr('FD00::1'), { address: 'fd00::1', family: 6, prefix: 128 });
  assert.match(parseCidr('10.1.0.0/33') as string, /prefix must be 0-32/);
  assert.match(parseCidr('example.com') as string, /not an IP address/);
  const peers = await resolvePeer({ host: 'console.test', port: 443 }, async () => [
    { address: '100.64.1.2', family: 4 }, { address: '100.64.1.2', family: 4 }, { address: 'fd00::2', family: 6 }]);
  assert.deepEqual(peers, [{ address: '100.64.1.2', family: 4, prefix: 32, port: 443 }, { address: 'fd00::2', family: 6, prefix: 128, port: 443 }]);
});

const SPEC: IsolationSpec = {
  console: [{ address: '100.64.1.2', family: 4, prefix: 32, port: 8443 }, { address: 'fd00::2', family: 6, prefix: 128 }],
  allow: [{ address: '100.64.9.0', family: 4, prefix: 24 }],
  dns: [{ address: '100.64.1.53', family: 4, prefix: 32 }],
};

test('nftables ruleset: own table, atomic replace, drop policies, console/allow/dns rules', () => {
  const r = buildNftRuleset(SPEC);
  const lines = r.split('\n').map((l) => l.trim());
  assert.deepEqual(lines.slice(1, 4), ['table inet omamori_isolate', 'delete table inet omamori_isolate', 'table inet omamori_isolate {']);
  assert.equal(lines.filter((l) => /policy drop;$/.test(l)).length, 3);
  assert.ok(lines.includes('ip daddr 100.64.1.2 tcp dport 8443 accept comment "console"'));
  assert.ok(lines.includes('ip saddr 100.64.1.2 tcp sport 8443 ct state established,related accept comment "console replies"'));
  assert.ok(lines.includes('ip6 daddr fd00::2 accept comment "console"'));
  assert.ok(lines.includes('ip saddr 100.64.9.0/24 accept comment "allow"'));
  assert.ok(lines.includes('ip daddr 100.64.1.53 meta l4proto { udp, tcp } th dport 53 accept comment "dns"'));
  assert.ok(lines.includes('iif "lo" accept') && lines.includes('oif "lo" accept'));
  // Nothing outside our table is named.
  assert.deepEqual(r.match(/table \S+ \S+/g)?.filter((t) => t !== 'table inet omamori_isolate'), []);
});

function recordingNft(fail: Partial<Record<string, NftResultLike>> = {}) {
  let present = false;
  const calls: string[] = [];
  const nft: NftRunner = (args, stdin) => {
    const key = args.join(' ');
    calls.push(key);
    const f = fail[args[0]!];
    if (f) return f;
    if (key === '-f -') { assert.match(stdin ?? '', /table inet omamori_isolate \{/); present = true; return ok; }
    if (key === 'list table inet omamori_isolate') return present ? ok : { code: 1, stdout: '', stderr: 'No such file or directory' };
    if (key === 'delete table inet omamori_isolate') { present = false; return ok; }
    throw new Error(`unexpected nft ${key}`);
  };
  return { nft, calls, isPresent: () => present, drop: () => { present = false; } };
}
type NftResultLike = { code: number; stdout: string; stderr: string };
const ok = { code: 0, stdout: '', stderr: '' };
const actor = { uid: 0, user: 'root', sudoUser: 'alice', host: 'pc1' };

test('isolate → status → agent restart (ensureIsolation) → off: state file and table agree', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-iso-'));
  try {
    const k = recordingNft();
    assert.deepEqual(ensureIsolation(dir, { nft: k.nft }), { action: 'not-isolated' });
    assert.equal(k.calls.length, 0);
    const r = isolate(dir, SPEC, { nft: k.nft, actor, reason: 'Emotet on pc1', now: new Date('2024-05-01T00:00:00Z'), consoleRequested: ['console.test:8443'] });
    assert.ok(r.ok);
    const saved = JSON.parse(readFileSync(join(dir, 'isolation.json'), 'utf8'));
    assert.deepEqual(saved, { isolated: true, since: '2024-05-01T00:00:00.000Z', by: actor, reason: 'Emotet on pc1', spec: SPEC, consoleRequested: ['console.test:8443'] });
    assert.deepEqual(isolationStatus(dir, { nft: k.nft }).drift, false);

    k.drop();   // reboot: the kernel forgot the table
    assert.equal(isolationStatus(dir, { nft: k.nft }).drift, true);
    const e = ensureIsolation(dir, { nft: k.nft });
    assert.equal(e.action, 'reapplied');
    assert.ok(k.isPresent());

    const off = releaseIsolation(dir, { nft: k.nft, actor });
    assert.deepEqual(off, { ok: true, tableWasPresent: true, wasIsolated: true });
    assert.equal(k.isPresent(), false);
    const after = JSON.parse(readFileSync(join(dir, 'isolation.json'), 'utf8'));
    assert.equal(after.isolated, false);
    assert.deepEqual(after.spec, SPEC);
    assert.deepEqual(ensureIsolation(dir, { nft: k.nft }), { action: 'not-isolated' });
    assert.deepEqual(releaseIsolation(dir, { nft: k.nft, actor }), { ok: true, tableWasPresent: false, wasIsolated: false });
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('nft refusing the ruleset leaves no state; a damaged state file fails closed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-iso-'));
  try {
    const k = recordingNft({ '-f': { code: 1, stdout: '', stderr: 'Error: Operation not permitted' } });
    const r = isolate(dir, SPEC, { nft: k.nft, actor });
    assert.deepEqual(r, { ok: false, step: 'nft', message: 'Error: Operation not permitted' });
    assert.throws(() => readFileSync(join(dir, 'isolation.json')), /ENOENT/);
    writeFileSync(join(dir, 'isolation.json'), '{"isolated": tru');
    const e = ensureIsolation(dir, { nft: recordingNft().nft });
    assert.equal(e.action, 'failed');
    assert.match((e as { message: string }).message, /isolation\.json: .*JSON/);
    const st = isolationStatus(dir, { nft: recordingNft().nft });
    assert.match(st.stateError ?? '', /isolation\.json/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('Windows: block ranges are the exact complement of the permitted peers', () => {
  assert.deepEqual(complementRanges([{ address: '100.64.1.2', family: 4, prefix: 32 }], 4), ['0.0.0.0-100.64.1.1', '100.64.1.3-255.255.255.255']);
  assert.deepEqual(complementRanges([{ address: '10.0.0.0', family: 4, prefix: 8 }, { address: '10.1.2.3', family: 4, prefix: 32 }, { address: '0.0.0.0', family: 4, prefix: 32 }], 4),
    ['0.0.0.1-9.255.255.255', '11.0.0.0-255.255.255.255']);
  assert.deepEqual(complementRanges([], 4), ['0.0.0.0-255.255.255.255']);
  assert.deepEqual(complementRanges([{ address: '::1', family: 6, prefix: 128 }, { address: 'fd00::', family: 6, prefix: 8 }], 6), [
    '0:0:0:0:0:0:0:0-0:0:0:0:0:0:0:0', '0:0:0:0:0:0:0:2-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe00:0:0:0:0:0:0:0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']);
  assert.deepEqual(complementRanges([{ address: '0.0.0.0', family: 4, prefix: 0 }], 4), []);
});

test('Windows scripts: ASCII, one rule group, block complement + console allow; revert removes the group and restores profiles', () => {
  const s = buildWindowsIsolationScripts(SPEC, { generatedAt: '2024-05-01T00:00:00.000Z', consoleRequested: ['console.test:8443'] });
  for (const text of [s.apply, s.revert]) {
    assert.match(text, /^[\x09\x0a\x0d\x20-\x7e]*$/);
    assert.ok(text.includes("$group = 'omamori-isolate'"));
    assert.ok(text.includes('#Requires -RunAsAdministrator'));
    assert.equal((text.match(/\{/g) ?? []).length, (text.match(/\}/g) ?? []).length);
  }
  assert.match(s.apply, /\$block = @\('0\.0\.0\.0-100\.64\.1\.1', '100\.64\.1\.3-100\.64\.1\.52', '100\.64\.1\.54-100\.64\.8\.255', '100\.64\.10\.0-126\.255\.255\.255', '128\.0\.0\.0-255\.255\.255\.255',/);
  assert.match(s.apply, /-Direction Outbound -Action Block -RemoteAddress \$block/);
  assert.match(s.apply, /-Direction Inbound -Action Block -RemoteAddress \$block/);
  assert.match(s.apply, /console 100\.64\.1\.2:8443' -Direction Outbound -Action Allow -RemoteAddress '100\.64\.1\.2' -Protocol TCP -RemotePort 8443/);
  assert.match(s.apply, /Export-Clixml/);
  assert.match(s.revert, /Get-NetFirewallRule -Group \$group -ErrorAction SilentlyContinue \| Remove-NetFirewallRule/);
  assert.match(s.revert, /Import-Clixml -Path \$saved \| ForEach-Object \{ Set-NetFirewallProfile -Name \$_\.Name -Enabled \$_\.Enabled \}/);
  assert.doesNotMatch(s.revert, /New-NetFirewallRule/);
});
