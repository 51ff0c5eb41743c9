// Learning from audit: grouping, the choice of trust entry, and edits of the policy text that keep the rest of it.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { applySuggestions, entryAllows, findPreset, loadPolicy, suggestTrust, unifiedDiff, type SuggestEvent } from '../src/index.ts';

const office = loadPolicy(findPreset('office')!.text).policy!;
const ev = (object: string, reason = 'USER_SPACE_EXEC', extra: Partial<SuggestEvent> = {}): SuggestEvent => ({ object, reason, kind: 'process.start', verdict: 'audit-deny', ...extra });

test('identical events are one group; the entry that best survives updates is chosen', () => {
  const r = suggestTrust([
    ev('C:\\Users\\a\\Zoom.exe', 'USER_SPACE_EXEC', { signer: 'Zoom Video Communications, Inc.', sha256: 'AA'.repeat(32), host: 'pc1', time: 5 }),
    ev('c:\\users\\A\\zoom.EXE', 'USER_SPACE_EXEC', { host: 'pc2', time: 3 }),
    ev('C:\\Users\\a\\tool.exe', 'USER_SPACE_EXEC', { sha256: 'BB'.repeat(32) }),
    ev('C:\\Users\\a\\tool.exe', 'USER_SPACE_EXEC', { sha256: 'bb'.repeat(32) }),
    ev('C:\\Users\\a\\x.exe'),
    ev('C:\\Windows\\System32\\cmd.exe', 'GUARDED_CHILD_DENIED'),
    ev('C:\\Users\\a\\ok.exe', 'USER_SPACE_EXEC', { verdict: 'allow' }),
    ev('C:\\Users\\a\\signed-ms.exe', 'USER_SPACE_EXEC', { signer: 'Microsoft Corporation', sha256: 'CC'.repeat(32) }),
  ], office);
  assert.equal(r.events, 7);
  assert.deepEqual(r.suggestions.map((s) => [s.entry.kind, s.events, s.allows.length]), [['publisher', 2, 1], ['hash', 2, 1], ['hash', 1, 1]]);
  const zoom = r.suggestions[0]!.allows[0]!;
  assert.deepEqual([zoom.count, zoom.hosts, zoom.first, zoom.last], [2, ['pc1', 'pc2'], 3, 5]);
  assert.equal(r.suggestions[2]!.entry.kind === 'hash' && r.suggestions[2]!.entry.sha256, 'cc'.repeat(32), 'a publisher already trusted is not proposed again; its hash is');
  assert.deepEqual(r.notCovered.map((g) => g.why).sort(), ['no-durable-identity', 'not-launch-control']);
  assert.ok(entryAllows(r.suggestions[0]!.entry, ev('C:\\Users\\b\\Zoom.exe', 'USER_SPACE_EXEC', { signer: 'zoom video communications, inc.' })));
  assert.ok(!entryAllows(r.suggestions[0]!.entry, ev('C:\\Windows\\cmd.exe', 'GUARDED_CHILD_DENIED', { signer: 'Zoom Video Communications, Inc.' })));
});

test('package ownership when the policy does not trust the package manager; admin folders only on Windows, not in lockdown', () => {
  const noPkg = { ...office, trust: { ...office.trust, packageManager: false } };
  const facts = new Map([['/usr/local/bin/t', { packageOwned: true, sha256: 'dd'.repeat(32) }], ['C:\\Apps\\a.exe', { adminFolder: 'C:\\Apps', sha256: 'ee'.repeat(32) }]]);
  const r = suggestTrust([ev('/usr/local/bin/t', 'LOCKDOWN_UNTRUSTED'), ev('C:\\Apps\\a.exe')], noPkg, facts);
  assert.deepEqual(r.suggestions.map((s) => s.entry), [{ kind: 'package' }, { kind: 'folder', pattern: 'C:\\Apps\\**' }]);
  const lockdown = suggestTrust([ev('C:\\Apps\\a.exe', 'LOCKDOWN_UNTRUSTED')], { ...office, mode: 'lockdown' }, facts);
  assert.deepEqual(lockdown.suggestions.map((s) => s.entry.kind), ['hash']);
  const inProfile = suggestTrust([ev('C:\\Users\\a\\Tools\\t.exe')], office, new Map([['C:\\Users\\a\\Tools\\t.exe', { adminFolder: 'C:\\Users\\a\\Tools' }]]));
  assert.equal(inProfile.suggestions.length, 0, 'a user-space pattern keeps the folder user space whatever its owner');
});

test('policy edits: comments and layout kept, version raised, every list form handled, result valid', () => {
  const text = `# our policy\nomamori: 1\nname: acme\nversion: 7 # bumped by hand\nmode: audit\nuserSpace:\n  systemFolders: ["%WINDIR%/**", "%PROGRAMFILES%/**"]\ntrust:\n  # publishers we know\n  publishers:\n    - signer: Contoso\n      launch: normal\n  hashes: [\n    { sha256: ${'a'.repeat(64)} }\n  ]\nguarded: {}\n`;
  const out = applySuggestions(text, [
    { kind: 'publisher', signer: 'Fabrikam, Inc.' }, { kind: 'hash', sha256: 'b'.repeat(64), note: 'C:\\x.exe' },
    { kind: 'folder', pattern: 'C:\\Apps\\**' }, { kind: 'package' },
  ], 'from test');
  const r = loadPolicy(out);
  assert.deepEqual(r.problems, [], out);
  assert.equal(r.policy!.version, 8);
  assert.deepEqual(r.policy!.trust.publishers.map((p) => p.signer), ['Contoso', 'Fabrikam, Inc.']);
  assert.deepEqual(r.policy!.trust.hashes.map((h) => h.sha256), ['a'.repeat(64), 'b'.repeat(64)]);
  assert.deepEqual(r.policy!.userSpace.systemFolders, ['%WINDIR%/**', '%PROGRAMFILES%/**', 'C:\\Apps\\**']);
  assert.equal(r.policy!.trust.packageManager, true);
  assert.match(out, /^# our policy$/m);
  assert.match(out, /^ {2}# publishers we know$/m);
  const noTrust = applySuggestions('omamori: 1\nname: b\nversion: 1\nmode: audit\n', [{ kind: 'publisher', signer: 'X' }], 'c');
  assert.equal(loadPolicy(noTrust).policy?.trust.publishers[0]?.signer, 'X');
  const d = unifiedDiff('a\nb\nc\n', 'a\nB\nc\nd\n', 'x', 'y');
  assert.equal(d, '--- x\n+++ y\n@@ -1,4 +1,5 @@\n a\n-b\n+B\n c\n+d\n \n');
});
