// The ways around launch control and containment of issue 10, tried against a real `omamori protect` (enforce) in a
// world of its own (fixtures/world.ts: private mount namespace, pivot_root into an overlay root, every markable
// filesystem created by the test). One test per way around; each failed on the agent before the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const scenarioFile = fileURLToPath(new URL('./fixtures/attacks.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function scenario(name: string, limitMs = 180_000): Promise<any> {
  const child = spawn('unshare', ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', scenarioFile, name], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMAMORI_PARENT_MNTNS: readlinkSync('/proc/self/ns/mnt') },
  });
  let out = '', err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const timer = setTimeout(() => { if (child.pid) process.kill(child.pid, 'SIGKILL'); }, limitMs);
  const code = await new Promise<number | null>((res) => child.on('close', res));
  clearTimeout(timer);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  assert.equal(code, 0, `scenario ${name} exited ${code}: ${err}`);
  assert.ok(line, `scenario ${name} printed no RESULT: ${err}`);
  return JSON.parse(line.slice(7)).result;
}

interface Ev { reason: string; object: string; verdict: string; guarded?: string; lineage: { image: string; guarded?: string }[]; detail?: Record<string, unknown> }
const has = (events: Ev[], reason: string, object: RegExp, verdict = 'deny') =>
  events.some((e) => e.reason === reason && object.test(e.object) && e.verdict === verdict);
const refused = (r: { code: number | null }) => r.code !== 0;

test('1. other mount namespaces: unshare -m, unshare -Urm as a user, her own tmpfs there, a memory-only program', async () => {
  const r = await scenario('namespaces');
  assert.match(r.plain.stderr, /EPERM/, 'control: refused in our namespace');
  assert.ok(refused(r.unshareRoot), `unshare -m: ${r.unshareRoot.stderr}`);
  assert.ok(refused(r.unshareUser), `unshare -Urm as alice: ${r.unshareUser.stderr}`);
  assert.ok(refused(r.ownTmpfs), `a tmpfs alice mounted in her own namespace: ${r.ownTmpfs.stderr}`);
  assert.ok(refused(r.memfd), `memfd exec: ${r.memfd.stderr}`);
  const ev: Ev[] = r.events;
  assert.ok(ev.filter((e) => e.reason === 'USER_SPACE_EXEC' && /\/home\/alice\/true$/.test(e.object)).length >= 3, 'each namespace refusal is logged');
  assert.ok(has(ev, 'USER_SPACE_EXEC', /\/own\/t$/), 'the exec from her own tmpfs is logged');
  assert.ok(has(ev, 'USER_SPACE_EXEC', /memfd:payload/), 'the memory-only program is logged');
});

test('2. filesystems mounted later: a stick mounted after start; --mount /media follows mounts beneath it only', async () => {
  const r = await scenario('later-mounts');
  assert.ok(refused(r.stick), `a user's program on a tmpfs mounted after start: ${r.stick.stderr}`);
  assert.ok(refused(r.media), `a program on removable media mounted after start: ${r.media.stderr}`);
  assert.ok(has(r.defaultEvents, 'USER_SPACE_EXEC', /^\/mnt\/stick\/true$/));
  assert.ok(has(r.defaultEvents, 'USER_SPACE_EXEC', /^\/media\/usb2\/true$/));
  assert.ok(refused(r.beneath), `--mount /media: a filesystem mounted beneath it later: ${r.beneath.stderr}`);
  assert.equal(r.outside.code, 0, '--mount /media: a filesystem mounted elsewhere is not watched');
});

test('3. a racing unlink cannot make a user-space library count as "other": decided on the file as opened', async () => {
  const r = await scenario('racing-unlink');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.loaded + r.refused, 80);
  assert.equal(r.loaded, 0, `user-space library mapped ${r.loaded} times in 80`);
  assert.ok(r.events >= 1);
});

test('4. interpreters reading user-space scripts are refused; start-up files, data reads and system scripts work', async () => {
  const r = await scenario('interpreters');
  for (const k of ['python', 'perl', 'ruby', 'node', 'php', 'bash', 'sh', 'bashNoExt', 'pyImport', 'nodeRequire', 'source', 'argSymlink', 'argRelative', 'execInPlace']) {
    assert.equal(r[k].ran, false, `${k} ran a user-space script: ${r[k].stderr}`);
    assert.ok(refused(r[k]), `${k} exited 0`);
  }
  assert.match(r.interactive.stdout, /BASHRC-RAN\ninside/, `interactive shell: ${r.interactive.stderr}`);
  assert.match(r.login.stdout, /PROFILE-RAN\ninside/, `login shell: ${r.login.stderr}`);
  assert.equal(r.pyData.stdout, 'a,b\n1,2\n', r.pyData.stderr);
  // (bash -c sources ~/.bashrc here: node's stdio pipes are sockets, which bash takes for rshd)
  assert.match(r.bashData.stdout, /got a,b\ngot 1,2\n$/, r.bashData.stderr);
  assert.equal(r.systemTool.stdout, 'tool 2\n', r.systemTool.stderr);
  const ev: Ev[] = r.events;
  for (const f of [/x\.py$/, /x\.pl$/, /x\.rb$/, /x\.js$/, /x\.php$/, /x\.sh$/, /payload$/, /evilmod\.py$/]) assert.ok(has(ev, 'USER_SPACE_SCRIPT', f), `logged: ${f}`);
  assert.ok(!ev.some((e) => /\.bashrc|\.profile|data\.csv/.test(e.object)), 'start-up files and data are not logged as scripts');
  // Data reads answered in C (not code, no script extension, not on the command line; or again by the same process).
  assert.ok(r.stats.fanotify.dataHits >= 2, `data opens answered in C: ${JSON.stringify(r.stats.fanotify)}`);
});

test('5. guarded status follows every descendant (subprocess, posix_spawn, double fork, CLONE_PARENT, a thread exec); the loader is part of the exec', async () => {
  const r = await scenario('descendants');
  assert.equal(r.unguarded.code, 0);
  assert.deepEqual(r.starts, Array(10).fill(0), 'the guarded python3 starts every time (its ELF loader is not a child)');
  assert.deepEqual(r.ran, { sub: false, spawn: false, daemon: false, clone: false, thread: false });
  const ev: Ev[] = r.events;
  assert.ok(!ev.some((e) => /ld-linux/.test(e.object)), 'the ELF loader was never refused');
  const sh = ev.filter((e) => e.reason === 'GUARDED_CHILD_DENIED' && /\/dash$/.test(e.object));
  assert.ok(sh.length >= 5, `every shell start refused and logged (${sh.length})`);
  assert.ok(sh.every((e) => e.guarded === 'mail'), 'each as a descendant of the guarded mail application');
});

test('6. omamori run -- PROGRAM without --app runs guarded as an application of its own, shown so in omamori events', async () => {
  const r = await scenario('run-without-app');
  assert.ok(refused(r.shell), 'timeout → sh is refused');
  assert.equal(r.ran, false);
  assert.equal(r.tool.code, 0, r.tool.stderr);
  const e = r.events.find((x: Ev) => x.reason === 'GUARDED_CHILD_DENIED');
  assert.equal(e.guarded, 'run:timeout');
  assert.match(r.text, /\[guarded: run:timeout\]/);
});

test('6b. --mount leaving the launcher unmarked: a program that ran unguarded before still starts guarded under omamori run --app', async () => {
  const r = await scenario('launcher-unmarked');
  assert.equal(r.plain.code, 0, `unguarded, timeout → sh runs: ${r.plain.stderr}`);
  assert.equal(r.primedRan, false, 'the guarded timeout (its verdict cached unguarded before) started a shell');
  assert.ok(refused(r.primed), 'guarded timeout → sh is refused');
  assert.equal(r.freshRan, false, 'the guarded timeout seen for the first time started a shell');
  const denied = r.events.filter((e: Ev) => e.reason === 'GUARDED_CHILD_DENIED' && /\/opt\/sys\/bin\/sh$/.test(e.object));
  assert.ok(denied.length >= 2 && denied.every((e: Ev) => e.guarded === 'mail'), JSON.stringify(r.events.map((e: Ev) => [e.reason, e.object, e.guarded])));
});

test('7. reading a #! file with cat, grep, head, cp, vi or python is not running it', async () => {
  const r = await scenario('read-scripts');
  assert.equal(r.cat.code, 0, r.cat.stderr);
  assert.match(r.cat.stdout, /^#!\/bin\/sh/);
  assert.equal(r.grep.stdout, '1\n', r.grep.stderr);
  assert.equal(r.head.stdout, '#!/bin/sh\n', r.head.stderr);
  assert.equal(r.cp.code, 0, r.cp.stderr);
  assert.match(r.vi.stdout, /exit 0/, r.vi.stderr);
  assert.equal(r.pyRead.stdout, '#!/bin/sh\n', r.pyRead.stderr);
  assert.ok(refused(r.runIt), 'executing it is still refused');
  assert.ok(refused(r.shIt) && !r.ran, 'sh script.sh is still refused');
  assert.ok(!r.events.some((e: Ev) => /(cat|grep|head|cp|vim\.basic|python3\.\d+)$/.test(e.lineage.at(-1)?.image ?? '')), 'no reader was logged');
});

test('8. a reload applies the new failMode; answers by the fail mode are logged as what the kernel got', async () => {
  const r = await scenario('fail-settings');
  assert.equal(r.open.code, 0, 'JS stalled, failMode open: the user-space program ran (the kernel got allow)');
  assert.ok(refused(r.closed), 'after the reload to failMode closed, JS stalled: refused even a system program the sensor decides');
  assert.equal(r.fastDuringStall.code, 0, 'a system ELF program the native fast exec rule covers runs while JS is stalled');
  assert.equal(r.after.code, 0, 'JS back: the system program runs');
  const ev: Ev[] = r.events;
  assert.ok(has(ev, 'FAIL_OPEN_TIMEOUT', /\/home\/alice\/true$/, 'allow'), JSON.stringify(ev.map((e) => [e.reason, e.verdict, e.object])));
  assert.ok(has(ev, 'FAIL_CLOSED_TIMEOUT', /\/opt\/sys\/bin\/t2$/, 'deny'));
  assert.ok(!has(ev, 'USER_SPACE_EXEC', /\/home\/alice\/true$/, 'deny'), 'never logged as a deny the kernel did not give');
});

test('9. a cached ignore mark is dropped when a root chown turns a system library into user space', async () => {
  const r = await scenario('chown-ignore-mark');
  assert.equal(r.first.ran, true, r.first.stderr);
  assert.equal(r.second.ran, true);
  assert.equal(r.afterChown.ran, false, 'after chown to alice the preload is refused');
  assert.match(r.afterChown.stderr, /cannot be preloaded/);
  assert.ok(has(r.events, 'USER_SPACE_LIBRARY', /libok\.so$/));
});

test('the user sees why: a desktop notice on the session bus of the refused process, in its language, rate-limited; no bus only logs', async () => {
  const r = await scenario('notify');
  assert.ok(r.runs.every((c: number | null) => c !== 0), 'every run was refused');
  assert.equal(r.alice.length, 1, `five refusals in a row: one notice (${JSON.stringify(r.alice)})`);
  const a = r.alice[0];
  assert.equal(a.summary, 'omamori がプログラムを止めました');
  assert.match(a.body, /^プログラム: true \(\/home\/alice\/true\)$/m);
  assert.match(a.body, /^理由: ユーザー領域/m);
  assert.match(a.body, /IT 担当者に次を伝えてください: "omamori USER_SPACE_EXEC \/home\/alice\/true /);
  assert.equal(a.urgency, 2);
  assert.equal(r.bob.length, 1);
  assert.equal(r.bob[0].summary, 'omamori stopped a program');
  assert.match(r.bob[0].body, /^Program: true \(\/home\/alice\/true\)$/m);
  assert.match(r.bob[0].body, /^Why: a program in user space/m);
  assert.match(r.bob[0].body, /tell your IT department/);
  assert.match(r.output, /no desktop session for uid 0/);
});

test('beside antivirus: clamd + clamonacc (its own fanotify permission group) and omamori both answer; nothing hangs', async () => {
  const r = await scenario('antivirus');
  assert.ok(r.clamMarks >= 1, 'clamonacc watched the Downloads folder');
  assert.notEqual(r.eicar.code, 0, 'clamonacc refused the EICAR test file');
  assert.match(r.eicar.stderr, /Operation not permitted/);
  assert.equal(r.ok.stdout, 'fine\n', r.ok.stderr);
  assert.match(r.userExec.stderr, /EPERM/, 'omamori refused the user-space program in the same folder');
  assert.deepEqual(r.burst, Array(40).fill(0), 'system programs and clean files while both listen');
  assert.ok(r.ms < 60_000, `finished (${r.ms} ms)`);
  assert.match(r.clamLog, /Omamori\.Test\.EICAR(\.UNOFFICIAL)? FOUND/);
  assert.ok(r.events.some((e: Ev) => e.reason === 'USER_SPACE_EXEC' && /Downloads\/true$/.test(e.object)));
  assert.ok(r.agentAlive && r.onaccAlive);
});
