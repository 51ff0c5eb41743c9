// Unit tests of the agent's pieces that need no kernel feature: user-space probe, file kinds, /proc parsing,
// mount table, event store and its ja/en rendering, the Landlock ruleset built from a policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, createEngine, findPreset, loadPolicy, type Decision } from '@omamori/policy';
import {
  buildContainmentSpec, classifyFile, classifyHeader, createDpkgDb, createUserSpaceProbe, describeEvent, md5File,
  openEventStore, parseMountInfo, parseStat, readMounts,
} from '../src/index.ts';

test('user-space probe: owner, group/other write bits, sticky directories', () => {
  // Under /var/tmp? No: a root-owned 0755 directory chain is needed, so use a fresh dir under /opt-like root space.
  const base = mkdtempSync(join('/var/tmp', 'omamori-probe-')); // /var/tmp is root-owned and sticky
  try {
    chmodSync(base, 0o755);
    const probe = createUserSpaceProbe({ mounts: readMounts() });
    const f = join(base, 'prog');
    writeFileSync(f, 'x', { mode: 0o755 });
    assert.equal(probe.probe(f).userSpace, false, 'root file in root dirs, sticky /var/tmp above');
    chownSync(f, 1000, 1000);
    assert.equal(probe.probe(f).userSpace, true, 'owned by a user');
    assert.match(probe.probe(f).why!, /owner uid 1000/);
    chownSync(f, 0, 0);
    chmodSync(f, 0o757);
    assert.equal(probe.probe(f).userSpace, true, 'writable by others');
    chmodSync(f, 0o755);
    chmodSync(base, 0o777);
    assert.equal(probe.probe(f).userSpace, true, 'in a directory others may write (no sticky bit)');
    chmodSync(base, 0o1777);
    assert.equal(probe.probe(f).userSpace, false, 'sticky: only root may replace a root entry');
    chmodSync(base, 0o775);
    chownSync(base, 0, 1000);
    assert.equal(probe.probe(f).userSpace, true, 'directory writable by a non-root group');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('file kinds: ELF program with its loader, shared object, #! script with interpreter', () => {
  const prog = classifyFile('/usr/bin/true');
  assert.equal(prog.kind, 'elf-program');
  assert.match((prog as { interpreter?: string }).interpreter ?? '', /ld-linux/);
  assert.equal(classifyFile('/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2').kind, 'elf-library');
  assert.deepEqual(classifyHeader(Buffer.from('#!/usr/bin/env python3\nprint(1)\n')), { kind: 'script', interpreter: '/usr/bin/env', arg: 'python3' });
  assert.deepEqual(classifyHeader(Buffer.from('#!/bin/sh\n')), { kind: 'script', interpreter: '/bin/sh' });
  assert.deepEqual(classifyHeader(Buffer.from('plain text')), { kind: 'other' });
});

test('/proc/PID/stat parsing copes with spaces and parentheses in comm', () => {
  const line = '1234 (a (b) c) S 77 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100';
  assert.deepEqual(parseStat(1234, line), { pid: 1234, ppid: 77, start: 987654, comm: 'a (b) c' });
  const self = readFileSync('/proc/self/stat', 'utf8');
  assert.equal(parseStat(process.pid, self)?.ppid, process.ppid);
});

test('mountinfo parsing unescapes mount points', () => {
  const m = parseMountInfo('36 35 98:0 / /media/my\\040usb rw,noatime master:1 - vfat /dev/sdb1 rw\n');
  assert.deepEqual(m, [{ mountPoint: '/media/my usb', device: '98:0', fsType: 'vfat', source: '/dev/sdb1' }]);
});

test('event store keeps denies newest first; rendered in ja and en with the lineage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-store-'));
  try {
    const w = openEventStore(dir, { write: true });
    const d: Decision = {
      verdict: 'deny', reason: 'GUARDED_CHILD_DENIED', rule: 'guarded.children', policyVersion: 'office@1', cacheable: false,
      guarded: 'mail', object: '/usr/bin/dash',
      lineage: [{ pid: 10, image: '/usr/bin/thunderbird', guarded: 'mail' }, { pid: 11, image: '/usr/bin/soffice.bin', guarded: 'mail' }, { pid: 12, image: '/usr/bin/dash', guarded: 'mail' }],
    };
    w.record(1000, 'process.start', 12, d);
    w.record(2000, 'module.load', 13, { ...d, reason: 'USER_SPACE_LIBRARY', verdict: 'audit-deny', object: '/home/a/.cache/x.so' }, { via: 'preload' });
    w.close();
    const r = openEventStore(dir, { write: false });
    const list = r.list();
    r.close();
    assert.deepEqual(list.map((e) => e.time), [2000, 1000]);
    const en = describeEvent(list[1]!, 'en');
    assert.match(en, /STOPPED: start of \/usr\/bin\/dash/);
    assert.match(en, /thunderbird → soffice\.bin → \/usr\/bin\/dash/);
    const ja = describeEvent(list[0]!, 'ja');
    assert.match(ja, /監査/);
    assert.match(ja, /\(preload\)/);
    assert.match(ja, /thunderbird → soffice\.bin → dash → \/home\/a\/\.cache\/x\.so/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('containment ruleset: system space read+exec, home open except protected folders, writes only where allowed', () => {
  const home = mkdtempSync(join(tmpdir(), 'omamori-home-'));
  try {
    for (const d of ['.ssh', '.thunderbird', 'Documents', '.config/autostart', '.config/libreoffice', '.config/google-chrome', 'Music']) mkdirSync(join(home, d), { recursive: true });
    writeFileSync(join(home, '.bashrc'), '');
    copyFileSync('/usr/bin/true', join(home, 'true'));
    const policy = compile(loadPolicy(findPreset('office')!.text).policy!);
    // The pattern sets speak of /home/*: place the fake home where they look.
    const spec = buildContainmentSpec(policy, { homes: [home] });
    const paths = (l: unknown[] | undefined) => (l ?? []).map((p) => (typeof p === 'string' ? p : (p as { path: string }).path));
    assert.ok(paths(spec.readExec).includes('/usr'));
    assert.deepEqual(spec.scopes, ['signal', 'abstract-unix-socket']);
    assert.ok(paths(spec.write).includes('/tmp'));
    assert.ok(!paths(spec.readExec).some((p) => p.startsWith(home)), 'nothing in a home folder may execute');
    assert.ok(paths(spec.read).includes(join(home, '.bashrc')), 'readable, not writable');
    assert.ok(!paths(spec.write).includes(join(home, '.bashrc')));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('dpkg index: listed paths (with merged-/usr aliases) and ownership only while the content matches', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-dpkg-'));
  try {
    const file = join(dir, 'tool');
    writeFileSync(file, 'packaged content\n');
    const digest = md5File(file)!.digest;
    mkdirSync(join(dir, 'info'));
    writeFileSync(join(dir, 'info', 'a.md5sums'), `${digest}  ${file.slice(1)}\n${'0'.repeat(32)}  bin/omamori-test-x\nshort line\n`);
    writeFileSync(join(dir, 'info', 'b.md5sums'), `${'f'.repeat(32)}  usr/share/doc/omamori-test/README\n`);
    writeFileSync(join(dir, 'info', 'c.list'), '/not/read\n');
    const db = createDpkgDb(join(dir, 'info'));
    assert.equal(db.isListed(file), true);
    assert.equal(db.isListed('/bin/omamori-test-x'), true);
    assert.equal(db.isListed('/usr/bin/omamori-test-x'), true, 'merged /usr alias');
    assert.equal(db.isListed('/usr/share/doc/omamori-test/README'), true);
    assert.equal(db.isListed('/usr/share/doc/omamori-test/READM'), false);
    assert.equal(db.isListed('/not/read'), false);
    assert.equal(db.size, 4);
    assert.equal(db.isPackageOwned(file), true);
    writeFileSync(file, 'changed\n');
    assert.equal(db.isPackageOwned(file), false, 'modified content is not package-owned');
    assert.equal(createDpkgDb(join(dir, 'missing')).isListed(file), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dpkg index of this machine: real packaged programs are listed and owned', () => {
  const db = createDpkgDb();
  assert.ok(db.size > 1000, `only ${db.size} entries`);
  assert.equal(db.isListed('/usr/bin/dpkg'), true);
  assert.equal(db.isListed('/bin/ls'), true, 'coreutils lists /bin/ls (merged /usr)');
  assert.equal(db.isPackageOwned('/usr/bin/dpkg'), true);
});

test('launch sensor: cached allows of system files ask for kernel ignore marks; user space never; guardedAs from the launcher label', async () => {
  const { createLaunchSensor, LAUNCHING_CLASS } = await import('../src/index.ts');
  const engine = createEngine(compile(loadPolicy(findPreset('office')!.text).policy!), { keepRefusedStarts: false });
  const answers: { id: number; allow: boolean; cache?: boolean; ignoreOpens?: boolean }[] = [];
  const classes: [number, number][] = [];
  const logged: { reason: string; verdict: string; detail?: Record<string, unknown> }[] = [];
  const lineages: string[][] = [];
  const LAUNCHER = '/x/omamori-launch';
  const procs: Record<number, { exe: string; argv: string[]; ppid?: number }> = {
    10: { exe: '/usr/bin/cp', argv: ['cp', '/usr/bin/true', '/tmp/t'] },
    11: { exe: LAUNCHER, argv: [LAUNCHER, '--rules-fd', '3', '--label', 'office', '--', '/usr/bin/true'], ppid: 12 },
    12: { exe: '/usr/bin/node', argv: ['node', 'omamori', 'run', '--app', 'office', '--', '/usr/bin/true'] },
    30: { exe: '/usr/bin/python3.11', argv: ['python3', '/home/alice/x.py'] },
  };
  let late: 'late-allowed' | undefined;
  const sensor = createLaunchSensor({
    engine,
    kernel: {
      respond: (id, allow, o) => { answers.push({ id, allow, ...o }); const r = late ?? 'answered'; late = undefined; return r; },
      setSubjectClass: (pid, cls) => { classes.push([pid, cls]); return true; },
      read: () => 0, addInterpreter: () => undefined, marks: () => [{ dev: 1 }],
    },
    proc: {
      stat: (pid) => ({ pid, ppid: procs[pid]?.ppid ?? 1, start: 1000 + pid, comm: 'x' }),
      exe: (pid) => procs[pid]?.exe ?? '/usr/bin/bash',
      cmdline: (pid) => procs[pid]?.argv ?? ['bash'],
      cwd: () => '/',
      environ: () => undefined,
      uid: () => 0,
    },
    probe: createUserSpaceProbe({ mounts: [] }),
    packages: { isPackageOwned: () => false, isListed: () => false, size: 0 },
    sink: { record: (_t, _k, _p, d, detail) => { logged.push({ reason: d.reason, verdict: d.verdict, ...(detail ? { detail } : {}) }); lineages.push(d.lineage.map((l) => l.image)); } },
    launcher: LAUNCHER,
    now: () => 0,
  });
  const ELF_PROG = readFileSync('/usr/bin/true').subarray(0, 4096);
  const ROOT_DIRS = new Uint32Array([0, 0, 0o40755, 0, 0, 0o40755]);
  const ev = (id: number, pid: number, kind: 'exec' | 'open' | 'interp', path: string, o: { subjectClass?: number; uid?: number; header?: Buffer; dirs?: Uint32Array | null; interpreterOpen?: boolean } = {}) => ({
    id, pid, kind, subjectClass: o.subjectClass ?? 0, path, dev: 1, ino: BigInt(id), mode: 0o100755, uid: o.uid ?? 0, gid: 0, size: 1, nlink: 1,
    ctimeNs: 0n, mtimeNs: 0n, contentRead: true, header: o.header ?? ELF_PROG, dirs: o.dirs === undefined ? ROOT_DIRS : o.dirs,
    interpreterOpen: o.interpreterOpen ?? false,
  });
  sensor.handle(ev(1, 20, 'exec', '/usr/bin/true'));
  assert.deepEqual(answers.at(-1), { id: 1, allow: true, cache: true, ignoreOpens: true }, 'system-space exec: cached, opens ignored in the kernel');
  sensor.handle(ev(2, 10, 'open', '/usr/bin/true'));
  assert.deepEqual(answers.at(-1), { id: 2, allow: true, cache: true, ignoreOpens: true }, 'cp of an allowed program: not a load, cached');
  sensor.handle(ev(3, 21, 'exec', '/home/alice/true', { uid: 1000 }));
  assert.equal(answers.at(-1)!.allow, false, 'user-space exec refused (decided on the event\'s owner, never by name)');
  assert.notEqual(answers.at(-1)!.cache, true);
  sensor.handle(ev(4, 10, 'open', '/home/alice/true', { uid: 1000 }));
  assert.deepEqual(answers.at(-1), { id: 4, allow: true, cache: false, ignoreOpens: false }, 'cp of a refused program: allowed, never cached');
  sensor.handle(ev(5, 12, 'exec', LAUNCHER));
  assert.deepEqual(classes.at(-1), [12, LAUNCHING_CLASS], 'the launcher is put in the launching class');
  assert.notEqual(answers.at(-1)!.cache, true, 'and its exec is never cached');
  procs[12] = { exe: LAUNCHER, argv: procs[11]!.argv }; // now running the launcher, which forked 11
  sensor.handle(ev(6, 11, 'exec', '/usr/bin/true', { subjectClass: LAUNCHING_CLASS }));
  assert.equal(answers.at(-1)!.allow, true);
  assert.notEqual(answers.at(-1)!.cache, true, 'a guarded start is never cached');
  assert.equal(engine.lookup({ pid: 11, start: 1011 })?.guarded, 'office', 'the launcher label made it guarded');
  const cls = classes.find(([pid]) => pid === 11)?.[1];
  assert.ok(cls && cls !== LAUNCHING_CLASS, 'the target gets the application class');
  assert.deepEqual(classes.at(-1), [12, cls], 'and so does the launcher left behind as its reaper');
  // No name leads to the file any more and nothing else says user space: the fail mode (office: open) answers.
  sensor.handle(ev(7, 22, 'exec', '/opt/gone', { dirs: null }));
  assert.equal(answers.at(-1)!.allow, true);
  assert.deepEqual(logged.at(-1)?.reason, 'FAIL_OPEN_UNREADABLE');
  // The same, owned by a user: user space from the file itself.
  sensor.handle(ev(8, 22, 'exec', '/opt/gone', { dirs: null, uid: 1000 }));
  assert.equal(answers.at(-1)!.allow, false);
  // An interpreter reading the script its command line names: a script read (refused in user space).
  sensor.handle(ev(9, 30, 'open', '/home/alice/x.py', { uid: 1000, header: Buffer.from('print(1)\n'), interpreterOpen: true }));
  assert.equal(answers.at(-1)!.allow, false);
  assert.equal(logged.at(-1)?.reason, 'USER_SPACE_SCRIPT');
  // A #! file read by cat: data.
  sensor.handle(ev(10, 10, 'open', '/home/alice/s.sh', { uid: 1000, header: Buffer.from('#!/bin/sh\nexit 0\n') }));
  assert.equal(answers.at(-1)!.allow, true);
  // The engine's deny arrived after the fail mode allowed: logged as what the kernel got.
  late = 'late-allowed';
  sensor.handle(ev(11, 23, 'exec', '/home/alice/late', { uid: 1000 }));
  assert.deepEqual(logged.at(-1), { reason: 'FAIL_OPEN_TIMEOUT', verdict: 'allow', detail: { userSpaceWhy: '/home/alice/late: owner uid 1000', decided: 'deny', decidedReason: 'USER_SPACE_EXEC', decidedRule: 'launch.user-space' } });
  sensor.failed({ pid: 24, kind: 'exec', path: '/opt/x', answer: 'deny', cause: 'queue-full' });
  assert.deepEqual(logged.at(-1), { reason: 'FAIL_CLOSED_QUEUE_FULL', verdict: 'deny', detail: { cause: 'queue-full' } });
  // bash (seen) exec'd make in place with no event reaching the sensor (answered in C: cache or fast exec rule);
  // make's child is refused: the lineage names make, not the bash the engine saw last.
  procs[40] = { exe: '/usr/bin/dash', argv: ['sh'] };
  sensor.handle(ev(12, 40, 'exec', '/usr/bin/bash'));
  procs[40] = { exe: '/usr/bin/make', argv: ['make'] };
  procs[41] = { exe: '/usr/bin/make', argv: ['make'], ppid: 40 };
  sensor.handle(ev(13, 41, 'exec', '/home/alice/evil', { uid: 1000 }));
  assert.equal(logged.at(-1)?.reason, 'USER_SPACE_EXEC');
  assert.deepEqual(lineages.at(-1)!.slice(-3), ['/usr/bin/bash', '/usr/bin/make', '/home/alice/evil']);
});

test('fast exec rule compiled from the policy: off where system space is not enough; names, prefixes and filesystems the sensor must see', async () => {
  const { compileFastExec } = await import('../src/fast-exec.ts');
  const office = compile(loadPolicy(findPreset('office')!.text).policy!);
  const sys = mkdtempSync(join(tmpdir(), 'omamori-sys-')); // a /sys of its own: device 8:16 is removable
  try {
    mkdirSync(join(sys, 'dev/block/8:16'), { recursive: true });
    writeFileSync(join(sys, 'dev/block/8:16/removable'), '1\n');
    const mark = (dev: number, where: string, type = 'ext4', execOnly = false) => ({ dev, where, type, execOnly });
    const marks = [mark(2049, '/'), mark(45, '/home', 'tmpfs'), mark(2064, '/mnt/stick'), mark(46, '/media/usb', 'tmpfs'),
      mark(47, '/srv/share', 'nfs4', true)];
    const f = compileFastExec(office, marks, '/usr/lib/omamori/omamori-launch', sys);
    assert.equal(f.enabled, true);
    assert.deepEqual(f.devs, [2049, 45], 'removable (8:16 = 2064), /media and exec-only filesystems are left to the sensor');
    for (const e of ['.py', '.sh', '.js', '.pl', '.rb', '.php', '.lua', '.tcl']) assert.ok(f.scriptExtensions?.includes(e), `${e}: interpreter opens go to the sensor`);
    for (const n of ['omamori-launch', 'env', 'sh', 'bash', 'python3', 'perl', 'node', 'nodejs', 'luajit', 'thunderbird', 'soffice.bin']) {
      assert.ok(f.names.includes(n), `${n} reaches the sensor`);
    }
    for (const p of ['/home/', '/root/', '/tmp/', '/var/tmp/', '/dev/shm/', '/media/', '/run/media/', '/mnt/']) assert.ok(f.prefixes.includes(p), p);
    const edit = (a: string, b: string) => { const t = findPreset('office')!.text; assert.ok(t.includes(a), a); return compile(loadPolicy(t.replace(a, b)).policy!); };
    assert.equal(compileFastExec(edit('mode: enforce', 'mode: lockdown'), marks, '/x/omamori-launch', sys).enabled, false, 'lockdown: system space is not enough');
    assert.equal(compileFastExec(edit('paths: ["@user-space"]', 'paths: ["@user-space", "/**/Downloads/**"]'), marks, '/x/omamori-launch', sys).enabled, false,
      'a user-space pattern with no fixed directory');
    assert.deepEqual(compileFastExec(edit('paths: ["@user-space"]', 'paths: ["@user-space", "/opt/vendor/*/bin/**"]'), marks, '/x/l', sys).prefixes.filter((p) => p.startsWith('/opt')), ['/opt/vendor/']);
    assert.equal(compileFastExec(office, [mark(47, '/srv/share', 'nfs4', true)], '/x/l', sys).enabled, false, 'no plain local filesystem');
    // The launcher on no marked filesystem: the native side must not fast-allow what it starts (the target is guarded).
    const launcherFile = join(sys, 'omamori-launch');
    writeFileSync(launcherFile, '');
    const lst = statSync(launcherFile, { bigint: true });
    assert.deepEqual(compileFastExec(office, marks, launcherFile, sys).launcher, { dev: Number(lst.dev), ino: lst.ino });
    assert.equal(compileFastExec(office, [...marks, mark(Number(lst.dev), '/tmp', 'tmpfs')], launcherFile, sys).launcher, undefined,
      'its filesystem marked: its own exec is seen');
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test('interpreters: versioned names, the script argument, language extensions, #! of the same language, start-up files', async () => {
  const { languageOf, scriptArgument, scriptReadReason, unversioned } = await import('../src/interpreters.ts');
  assert.equal(unversioned('python3.11'), 'python');
  assert.equal(languageOf('/usr/bin/python3.11'), 'python');
  assert.equal(languageOf('/usr/bin/ruby3.1'), 'ruby');
  assert.equal(languageOf('/usr/bin/dash'), 'shell');
  assert.equal(languageOf('/usr/bin/cat'), undefined);
  assert.equal(scriptArgument('python', ['python3', '-u', '-W', 'ignore', 'x.py', 'data.txt']), 'x.py');
  assert.equal(scriptArgument('python', ['python3', '-c', 'print(1)', 'x.py']), undefined);
  assert.equal(scriptArgument('python', ['python3', '-Bc', 'print(1)']), undefined);
  assert.equal(scriptArgument('shell', ['bash', '-e', '-o', 'pipefail', 'x.sh']), 'x.sh');
  assert.equal(scriptArgument('shell', ['bash', '-i', '-c', 'echo']), undefined);
  assert.equal(scriptArgument('node', ['node', '-r', 'ts-node/register', 'app.js']), 'app.js');
  const q = (image: string, argv: string[], path: string, header = '') => scriptReadReason({
    image, argv, resolveArg: (a) => (a.startsWith('/') ? a : `/home/alice/${a}`), path, kind: classifyHeader(Buffer.from(header)), home: '/home/alice',
  });
  assert.equal(q('/usr/bin/python3.11', ['python3', 'tool.py', 'data.csv'], '/home/alice/data.csv'), undefined, 'a data argument is not the script');
  assert.equal(q('/usr/bin/python3.11', ['python3', 'tool.py', 'data.csv'], '/home/alice/tool.py'), 'argument');
  assert.equal(q('/usr/bin/python3.11', ['python3', '-c', 'import m'], '/home/alice/m.py'), 'extension');
  assert.equal(q('/usr/bin/bash', ['bash', 'payload'], '/home/alice/payload'), 'argument');
  assert.equal(q('/usr/bin/bash', ['bash', '-i'], '/home/alice/.bashrc', '#!/bin/bash\n'), undefined, 'a start-up file is configuration');
  assert.equal(q('/usr/bin/python3.11', ['python3', '-c', 'x'], '/home/alice/s', '#!/usr/bin/env python3\n'), 'shebang');
  assert.equal(q('/usr/bin/python3.11', ['python3', '-c', 'x'], '/home/alice/s.sh', '#!/bin/sh\n'), undefined, 'python reading a shell script reads data');
});

test('user-space probe of an opened file: owner, directory chain (sticky), removable media by place, unknown chain', () => {
  const probe = createUserSpaceProbe({ mounts: [] });
  const f = (o: Partial<Parameters<typeof probe.probeOpened>[0]>) => probe.probeOpened({ path: '/opt/x', dev: 1, uid: 0, gid: 0, mode: 0o100755, dirs: new Uint32Array([0, 0, 0o40755, 0, 0, 0o40755]), contentRead: true, ...o });
  assert.deepEqual(f({}), { userSpace: false });
  assert.equal(f({ uid: 1000 }).userSpace, true);
  assert.equal(f({ dirs: new Uint32Array([1000, 1000, 0o40755, 0, 0, 0o40755]) }).why, '/opt: owner uid 1000');
  assert.equal(f({ path: '/tmp/x', dirs: new Uint32Array([0, 0, 0o41777, 0, 0, 0o40755]) }).userSpace, false, 'root entry in a root sticky directory');
  assert.equal(f({ path: '/tmp/d/x', dirs: new Uint32Array([0, 0, 0o40777, 0, 0, 0o41777, 0, 0, 0o40755]) }).why, '/tmp/d: writable by others');
  assert.equal(f({ path: '/media/usb/x' }).userSpace, true);
  assert.equal(f({ contentRead: false }).userSpace, true, 'network/FUSE: user space by nature');
  assert.equal(f({ dirs: null }).unknown, true);
  assert.equal(f({ dirs: null, uid: 1000 }).unknown, undefined, 'user space by the file itself needs no chain');
});
