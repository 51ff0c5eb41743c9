// Engine behaviour beyond the scenarios: pid reuse, ancestors, media, exceptions in time, policy swap, limits.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { compile, createEngine, findPreset, loadPolicy, type OmamoriEvent, type PolicyDocument } from '../src/index.ts';

function preset(name: string, edit?: (d: PolicyDocument) => void) {
  const doc = loadPolicy(findPreset(name)!.text).policy!;
  edit?.(doc);
  return compile(doc);
}
const L = (e: Record<string, unknown>) => ({ v: 1, platform: 'linux', ...e }) as OmamoriEvent;

test('pid reuse cannot confuse lineage: the start time keys the process', () => {
  const e = createEngine(preset('office'));
  e.decide(L({ kind: 'process.start', proc: { pid: 10, start: 1, image: '/usr/bin/thunderbird', packageOwned: true } }));
  // pid 10 exits and is reused by an unguarded terminal
  e.decide(L({ kind: 'process.exit', proc: { pid: 10, start: 1 } }));
  e.decide(L({ kind: 'process.start', proc: { pid: 10, start: 99, image: '/usr/bin/gnome-terminal', packageOwned: true } }));
  const d = e.decide(L({ kind: 'process.start', parent: { pid: 10, start: 99 }, proc: { pid: 11, start: 100, image: '/usr/bin/bash', packageOwned: true } }));
  assert.equal(d.verdict, 'allow');
  assert.equal(d.guarded, undefined);
  assert.deepEqual(d.lineage.map((l) => l.image), ['/usr/bin/gnome-terminal', '/usr/bin/bash']);
});

test('ancestors given by the sensor build lineage for processes started before the agent', () => {
  const e = createEngine(preset('office'));
  const d = e.decide(L({
    kind: 'process.start', parent: { pid: 5, start: 5 },
    proc: { pid: 6, start: 6, image: '/usr/bin/bash', packageOwned: true },
    ancestors: [{ pid: 5, start: 5, image: '/usr/lib/libreoffice/program/soffice.bin' }, { pid: 4, start: 4, image: '/usr/bin/thunderbird' }],
  }));
  assert.equal(d.verdict, 'deny');
  assert.equal(d.reason, 'GUARDED_CHILD_DENIED');
  assert.deepEqual(d.lineage.map((l) => l.image), ['/usr/bin/thunderbird', '/usr/lib/libreoffice/program/soffice.bin', '/usr/bin/bash']);
  assert.equal(d.lineage[0]!.guarded, 'mail');
});

test('a removable medium mounted at run time is user space', () => {
  const e = createEngine(preset('office', (d) => { d.userSpace.paths = ['/home/**']; }));
  const start = L({ kind: 'process.start', proc: { pid: 1, start: 1, image: '/srv/usb/setup' } });
  assert.equal(e.decide(start).verdict, 'allow');
  e.decide(L({ kind: 'media.mount', device: '/dev/sdb1', mountPoint: '/srv/usb', removable: true }));
  const d = e.decide(L({ kind: 'process.start', proc: { pid: 2, start: 2, image: '/srv/usb/setup' } }));
  assert.equal(d.reason, 'USER_SPACE_EXEC');
});

test('time-boxed exceptions apply until they expire, and only on their host', () => {
  const policy = preset('office', (d) => {
    d.trust.exceptions = [{ id: 'tool', path: '/home/*/tools/report', expires: '2026-12-01T00:00:00Z', host: 'pc-01' }];
  });
  const e = createEngine(policy, { host: 'pc-01' });
  const ev = (time: number, host?: string) => L({ kind: 'process.start', time, ...(host ? { host } : {}), proc: { pid: time, start: time, image: '/home/alice/tools/report' } });
  const before = e.decide(ev(Date.parse('2026-11-30T00:00:00Z')));
  assert.equal(before.reason, 'ALLOW_EXCEPTION');
  assert.equal(before.rule, 'exception:tool');
  assert.equal(before.cacheable, false);
  assert.equal(e.decide(ev(Date.parse('2026-12-02T00:00:00Z'))).reason, 'USER_SPACE_EXEC');
  assert.equal(e.decide(ev(Date.parse('2026-11-30T00:00:00Z'), 'pc-02')).reason, 'USER_SPACE_EXEC');
});

test('a policy swap keeps running processes guarded and changes later verdicts', () => {
  const e = createEngine(preset('office'));
  e.decide(L({ kind: 'process.start', proc: { pid: 1, start: 1, image: '/usr/bin/firefox', packageOwned: true } }));
  const sh = L({ kind: 'process.start', parent: { pid: 1, start: 1 }, proc: { pid: 2, start: 2, image: '/usr/bin/sh', packageOwned: true } });
  assert.equal(e.decide(sh).verdict, 'deny');
  e.swapPolicy(preset('audit'));
  const d = e.decide(sh);
  assert.equal(d.verdict, 'audit-deny');
  assert.equal(d.policyVersion, 'audit@1');
  assert.equal(d.guarded, 'browser');
});

test('lockdown refuses untrusted system-space code that enforce allows', () => {
  const ev = L({ kind: 'process.start', proc: { pid: 1, start: 1, image: '/opt/vendor/bin/agent' } });
  assert.equal(createEngine(preset('office')).decide(ev).verdict, 'allow');
  const d = createEngine(preset('strict')).decide(ev);
  assert.equal(d.reason, 'LOCKDOWN_UNTRUSTED');
  assert.equal(d.cacheable, true);
  const hashed = preset('strict', (doc) => { doc.trust.hashes = [{ sha256: 'ab'.repeat(32) }]; });
  assert.equal(createEngine(hashed).decide(L({ kind: 'process.start', proc: { pid: 1, start: 1, image: '/opt/vendor/bin/agent', sha256: 'AB'.repeat(32) } })).reason, 'ALLOW_TRUSTED_HASH');
});

test('a guarded app matched by name alone does not lift the user-space rule; by hash it does', () => {
  const e = createEngine(preset('office'));
  const fake = e.decide(L({ kind: 'process.start', proc: { pid: 1, start: 1, image: '/home/alice/Downloads/firefox' } }));
  assert.equal(fake.reason, 'USER_SPACE_EXEC');
  const h = 'cd'.repeat(32);
  const byHash = createEngine(preset('office', (d) => { d.guarded.applications[1]!.sha256 = [h]; }));
  const real = byHash.decide(L({ kind: 'process.start', proc: { pid: 1, start: 1, image: '/home/alice/apps/firefox/firefox', sha256: h } }));
  assert.equal(real.reason, 'ALLOW_GUARDED_APP');
  assert.equal(real.guarded, 'browser');
});

test('the process table is bounded', () => {
  const e = createEngine(preset('office'), { maxProcesses: 100 });
  for (let i = 0; i < 1000; i++) e.decide(L({ kind: 'process.start', proc: { pid: i, start: i, image: '/usr/bin/true', packageOwned: true } }));
  assert.ok(e.processCount >= 50 && e.processCount <= 100, String(e.processCount));
  assert.equal(e.lookup({ pid: 999, start: 999 })?.image, '/usr/bin/true');
  assert.equal(e.lookup({ pid: 0, start: 0 }), undefined);
});

test('lineage depth is capped, nearest ancestors kept', () => {
  const e = createEngine(preset('office'), { maxLineage: 4 });
  let d;
  for (let i = 1; i <= 10; i++) {
    d = e.decide(L({ kind: 'process.start', ...(i > 1 ? { parent: { pid: i - 1, start: i - 1 } } : {}), proc: { pid: i, start: i, image: `/usr/bin/p${i}`, packageOwned: true } }));
  }
  assert.deepEqual(d!.lineage.map((l) => l.pid), [7, 8, 9, 10]);
});

test('Windows paths match case-insensitively with either slash', () => {
  const e = createEngine(preset('office'));
  const d = e.decide({ v: 1, platform: 'windows', kind: 'process.start', proc: { pid: 1, image: 'c:/USERS/Bob/appdata/LOCAL/temp/A.EXE' } });
  assert.equal(d.reason, 'USER_SPACE_EXEC');
  const usb = e.decide({ v: 1, platform: 'windows', kind: 'process.start', proc: { pid: 2, image: 'E:\\setup.exe' } });
  assert.equal(usb.reason, 'USER_SPACE_EXEC');
});

test('an exec in place keeps guarded status (Linux: same pid and start time)', () => {
  const e = createEngine(preset('office'));
  e.decide(L({ kind: 'process.start', parent: { pid: 1, start: 1 }, proc: { pid: 10, start: 5, image: '/usr/bin/thunderbird', packageOwned: true, contained: true } }));
  // thunderbird (whose parent is not guarded) execs a shell in its own process
  const d = e.decide(L({ kind: 'process.start', parent: { pid: 1, start: 1 }, proc: { pid: 10, start: 5, image: '/usr/bin/sh', packageOwned: true } }));
  assert.equal(d.reason, 'GUARDED_CHILD_DENIED');
  assert.equal(d.guarded, 'mail');
});

test('a refused start is forgotten when the engine enforces (the process keeps its old image)', () => {
  const keep = createEngine(preset('office'));
  const forget = createEngine(preset('office'), { keepRefusedStarts: false });
  for (const e of [keep, forget]) {
    e.decide(L({ kind: 'process.start', proc: { pid: 10, start: 5, image: '/usr/bin/bash', packageOwned: true } }));
    assert.equal(e.decide(L({ kind: 'process.start', proc: { pid: 10, start: 5, image: '/home/a/x' } })).verdict, 'deny');
  }
  assert.equal(keep.lookup({ pid: 10, start: 5 })?.image, '/home/a/x');
  assert.equal(forget.lookup({ pid: 10, start: 5 })?.image, '/usr/bin/bash');
  const fresh = createEngine(preset('office'), { keepRefusedStarts: false });
  fresh.decide(L({ kind: 'process.start', proc: { pid: 11, start: 6, image: '/home/a/x' } }));
  assert.equal(fresh.lookup({ pid: 11, start: 6 }), undefined);
});

test('omamori run --app makes any program guarded (guardedAs)', () => {
  const e = createEngine(preset('office'));
  e.decide(L({ kind: 'process.start', proc: { pid: 20, start: 1, image: '/usr/bin/gedit', packageOwned: true, contained: true, guardedAs: 'office' } }));
  const d = e.decide(L({ kind: 'process.start', parent: { pid: 20, start: 1 }, proc: { pid: 21, start: 2, image: '/usr/bin/bash', packageOwned: true } }));
  assert.equal(d.reason, 'GUARDED_CHILD_DENIED');
  assert.equal(d.lineage[0]!.guarded, 'office');
});

const W = (e: Record<string, unknown>) => ({ v: 1, platform: 'windows', ...e }) as OmamoriEvent;

test('unlessSigned: set only when the event carries no signature information and publishers are trusted', () => {
  const e = createEngine(preset('office'));
  const start = (pid: number, proc: Record<string, unknown>) => e.decide(W({ kind: 'process.start', proc: { pid, image: 'C:\\Users\\a\\Downloads\\t.exe', ...proc } }));
  assert.equal(start(1, {}).unlessSigned, true);
  const unsigned = start(2, { signed: false });
  assert.equal(unsigned.reason, 'USER_SPACE_EXEC');
  assert.equal(unsigned.unlessSigned, false, 'checked and unsigned: a definite stop');
  assert.equal(start(3, { signed: true, signer: 'Contoso Ltd' }).unlessSigned, false, 'signed by an untrusted publisher: definite');
  assert.equal(start(4, { signed: true, signer: 'Microsoft Corporation' }).reason, 'ALLOW_TRUSTED_PUBLISHER');
  const noPublishers = createEngine(preset('office', (d) => { d.trust.publishers = []; }));
  assert.equal(noPublishers.decide(W({ kind: 'process.start', proc: { pid: 5, image: 'C:\\Users\\a\\t.exe' } })).unlessSigned, false);
});

test('a start decided by its command line is never cacheable; Linux starts are not judged by their command line', () => {
  const e = createEngine(preset('office'));
  const ok = e.decide(W({ kind: 'process.start', proc: { pid: 1, image: 'C:\\Windows\\System32\\rundll32.exe', signer: 'Microsoft Windows', commandLine: 'rundll32 C:\\Windows\\System32\\shell32.dll,Control_RunDLL' } }));
  assert.equal(ok.verdict, 'allow');
  assert.equal(ok.cacheable, false);
  const plain = e.decide(W({ kind: 'process.start', proc: { pid: 2, image: 'C:\\Windows\\System32\\notepad.exe', signer: 'Microsoft Windows', commandLine: 'notepad C:\\Users\\a\\x.dll' } }));
  assert.equal(plain.cacheable, true);
  const linux = e.decide(L({ kind: 'process.start', proc: { pid: 3, start: 3, image: '/usr/bin/python3', packageOwned: true, commandLine: 'python3 /home/alice/x.py' } }));
  assert.equal(linux.verdict, 'allow', 'on Linux the kernel sees the script open itself (script.read)');
});

test('a denied refusal of named code reports the code as the object and keeps the lineage', () => {
  const e = createEngine(preset('audit'));
  e.decide(W({ kind: 'process.start', proc: { pid: 10, image: 'C:\\Windows\\explorer.exe', signer: 'Microsoft Windows' } }));
  const d = e.decide(W({ kind: 'process.start', parent: { pid: 10 }, proc: { pid: 11, image: 'C:\\Windows\\System32\\wscript.exe', signer: 'Microsoft Windows', commandLine: 'wscript C:\\Users\\a\\x.vbs' } }));
  assert.equal(d.verdict, 'audit-deny');
  assert.equal(d.reason, 'USER_SPACE_SCRIPT');
  assert.equal(d.object, 'C:\\Users\\a\\x.vbs');
  assert.deepEqual(d.lineage.map((l) => l.pid), [10, 11]);
});

test('time-boxed exceptions cover a script named on a command line', () => {
  const policy = preset('office', (d) => { d.trust.exceptions = [{ id: 'payroll', path: '%USERPROFILE%/Scripts/payroll.vbs', expires: '2099-01-01' }]; });
  const e = createEngine(policy);
  const d = e.decide(W({ kind: 'process.start', proc: { pid: 1, image: 'C:\\Windows\\System32\\cscript.exe', signer: 'Microsoft Windows', commandLine: 'cscript C:\\Users\\a\\Scripts\\payroll.vbs' } }));
  assert.equal(d.verdict, 'allow');
});
