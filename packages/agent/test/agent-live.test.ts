// Real agent runs (root, fanotify, Landlock ABI >= 6): each scenario runs in its own private mount namespace with
// a tmpfs world (fixtures/world.ts) and the agent marking only that world's mounts. We kill only the scenario
// child, by pid, if it overruns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const scenarioFile = fileURLToPath(new URL('./fixtures/scenario.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function scenario(name: string, mode = 'enforce', limitMs = 120_000): Promise<any> {
  const child = spawn('unshare', ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', scenarioFile, name, mode], {
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

const denied = (r: { code: number | null; stderr: string }) => r.code !== 0;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const logged = (events: any[], reason: string, object: RegExp, verdict: string) =>
  events.some((e) => e.reason === reason && object.test(e.object) && e.verdict === verdict && e.lineage.length > 1);

test('enforce: user-space programs, scripts and libraries do not run; system space does', async () => {
  const r = await scenario('launch', 'enforce');
  assert.match(r.userRoot.stderr, /EPERM/, 'a user-space binary does not start, as root');
  assert.match(r.userAlice.stderr, /EPERM/, 'nor as its owner');
  assert.match(r.execScript.stderr, /EPERM/, 'an executable script in user space does not start');
  assert.equal(r.copied.code, 0, 'the same file copied into system space by root runs');
  assert.equal(r.system.code, 0);
  assert.ok(denied(r.script) && !r.scriptMarker, 'sh ~/script.sh is refused');
  assert.equal(r.preloadMarker, false, 'LD_PRELOAD of a user-space library is refused');
  assert.match(r.preload.stderr, /cannot be preloaded/);
  assert.ok(denied(r.needed) && !r.neededMarker, 'a DT_NEEDED user-space library is refused');
  assert.match(r.ldso.stderr, /Operation not permitted/, 'ld.so ~/true is refused');
  assert.match(r.usb.stderr, /EPERM/, 'a binary on removable media does not start');
  assert.match(r.direct.stderr, /EPERM/, 'a guarded application started outside containment is refused');
  const ev = r.events;
  assert.ok(logged(ev, 'USER_SPACE_EXEC', /\/home\/alice\/true$/, 'deny'));
  assert.ok(logged(ev, 'USER_SPACE_SCRIPT', /script\.sh$/, 'deny'));
  assert.ok(ev.some((e: { detail?: { via?: string }; reason: string }) => e.reason === 'USER_SPACE_LIBRARY' && e.detail?.via === 'preload'));
  assert.ok(ev.some((e: { detail?: { via?: string }; reason: string }) => e.reason === 'USER_SPACE_LIBRARY' && e.detail?.via === 'ld.so'));
  assert.ok(logged(ev, 'USER_SPACE_EXEC', /^\/media\/usb\/true$/, 'deny'));
  assert.ok(logged(ev, 'GUARDED_NOT_CONTAINED', /thunderbird$/, 'deny'));
  assert.ok(ev.every((e: { detail?: { late?: boolean } }) => !e.detail?.late), 'every decision was in time');
  // What the console shows with each event (sync/event-facts.ts): user, command line, SHA-256 of the refused file.
  const usb = ev.find((e: { object: string; reason: string }) => e.reason === 'USER_SPACE_EXEC' && e.object === '/media/usb/true');
  assert.equal(usb?.detail?.sha256, createHash('sha256').update(readFileSync('/usr/bin/true')).digest('hex'), JSON.stringify(usb));
  assert.equal(typeof usb?.detail?.user, 'string');
  assert.equal(typeof usb?.detail?.commandLine, 'string');
});

test('audit: nothing is blocked and each of those is logged as would-deny', async () => {
  const r = await scenario('launch', 'audit');
  for (const k of ['userRoot', 'userAlice', 'execScript', 'copied', 'system', 'script', 'needed', 'ldso', 'usb', 'direct']) {
    assert.equal(r[k].code, 0, `${k} ran in audit mode: ${r[k].stderr}`);
  }
  assert.equal(r.scriptMarker, true);
  assert.equal(r.preloadMarker, true);
  const ev = r.events;
  assert.ok(ev.length >= 8);
  assert.ok(ev.every((e: { verdict: string }) => e.verdict === 'audit-deny'));
  assert.ok(logged(ev, 'USER_SPACE_EXEC', /\/home\/alice\/true$/, 'audit-deny'));
  assert.ok(logged(ev, 'USER_SPACE_SCRIPT', /script\.sh$/, 'audit-deny'));
  assert.ok(logged(ev, 'USER_SPACE_LIBRARY', /libevil\.so$/, 'audit-deny'));
  assert.ok(logged(ev, 'USER_SPACE_EXEC', /^\/media\/usb\/true$/, 'audit-deny'));
  assert.ok(logged(ev, 'GUARDED_NOT_CONTAINED', /thunderbird$/, 'audit-deny'));
});

test('enforce: a contained application cannot start sh, persist, read keys or signal the agent, but saves documents', async () => {
  const r = await scenario('contain', 'enforce');
  assert.equal(r.plain.code, 0, r.plain.stderr);
  assert.match(r.shell.stderr, /exec \/bin\/sh: Operation not permitted/);
  assert.equal(r.xdgOpen.code, 0, `xdg-open (a /bin/sh script, allowed child) runs: ${r.xdgOpen.stderr}`);
  assert.equal(r.xdgEmail.code, 0, `a #!/usr/bin/env sh script runs: ${r.xdgEmail.stderr}`);
  assert.ok(denied(r.bashrc));
  assert.equal(r.bashrcAfter, '# bashrc\n');
  assert.ok(denied(r.autostart) && !r.autostartExists);
  assert.ok(denied(r.ssh) && !r.ssh.stdout.includes('PRIVATE KEY'));
  assert.match(r.kill.stderr, /Operation not permitted/);
  assert.equal(r.agentAlive, true);
  assert.equal(r.document.code, 0, r.document.stderr);
  assert.equal(r.documentExists, true);
  assert.ok(denied(r.userExec));
  assert.ok(logged(r.events, 'GUARDED_CHILD_DENIED', /\/usr\/bin\/dash$/, 'deny'));
  assert.ok(r.events.some((e: { lineage: { image: string }[] }) => e.lineage.some((l) => l.image.endsWith('/thunderbird'))));
});

test('audit: the agent lets a contained application start sh and logs it as would-deny', async () => {
  const r = await scenario('contain', 'audit');
  assert.equal(r.shell.code, 0, r.shell.stderr);
  assert.ok(logged(r.events, 'GUARDED_CHILD_DENIED', /\/usr\/bin\/dash$/, 'audit-deny'));
  // Landlock containment is not an audit feature: it still holds.
  assert.ok(denied(r.ssh));
});

test('omamori run --app office of a program on no guarded list guards it (and without --app as its own): it cannot start sh (forked or exec in place)', async () => {
  const r = await scenario('label');
  assert.match(r.forkShell.stderr, /sh/, r.forkShell.stderr);
  assert.notEqual(r.forkShell.code, 0, 'timeout → sh is refused');
  assert.notEqual(r.execShell.code, 0, 'env → sh (exec in place) is refused');
  assert.match(r.execShell.stderr, /Operation not permitted|Permission denied/);
  assert.equal(r.plainTool.code, 0, `a system program it starts still runs: ${r.plainTool.stderr}`);
  assert.notEqual(r.unlabelled.code, 0, 'without --app the program is guarded as an application of its own');
  const sh = r.events.filter((e: { reason: string; object: string }) => e.reason === 'GUARDED_CHILD_DENIED' && /\/(dash|sh)$/.test(e.object));
  assert.equal(sh.length, 3, JSON.stringify(r.events));
  assert.equal(sh.filter((e: { lineage: { guarded?: string }[] }) => e.lineage.some((l) => l.guarded === 'office')).length, 2, 'lineage says guarded as office');
  assert.equal(sh.filter((e: { guarded?: string }) => e.guarded === 'run:timeout').length, 1, 'and as run:timeout without --app');
});

test('Emotet chain on Linux: stopped at its first step and at every later step when the earlier ones are allowed', async () => {
  const r = await scenario('emotet');
  assert.match(r.step1Shell.stderr, /exec \/bin\/sh: Operation not permitted/, 'office → sh');
  assert.match(r.step2Curl.stderr, /curl: Operation not permitted/, 'sh → curl');
  assert.equal(r.step2Exists, false);
  assert.match(r.step3Download.stderr, /\.cache\/x: Permission denied/, 'exec of the download');
  assert.equal(r.step4Marker, false, 'LD_PRELOAD of the download');
  assert.match(r.step4Preload.stderr, /cannot be preloaded/);
  assert.ok(denied(r.step5Bashrc) && r.step5After === '# bashrc\n', '~/.bashrc');
  assert.match(r.step6Ptrace.stderr, /Operation not permitted/, 'signal outside the containment');
  assert.ok(denied(r.step7Ssh), '~/.ssh read');
  assert.ok(logged(r.events, 'GUARDED_CHILD_DENIED', /\/usr\/bin\/curl$/, 'deny'));
  assert.ok(logged(r.events, 'USER_SPACE_LIBRARY', /e\.so$/, 'deny'));
  const sh = r.events.find((e: { reason: string; object: string }) => e.reason === 'GUARDED_CHILD_DENIED' && e.object === '/usr/bin/dash');
  assert.deepEqual(sh.lineage.slice(-3).map((l: { image: string }) => l.image.split('/').pop()), ['thunderbird', 'soffice.bin', 'dash']);
});

test('a policy with a syntax error on reload leaves the old policy in force; a good one replaces it', async () => {
  const r = await scenario('reload');
  assert.match(r.before.stderr, /EPERM/);
  assert.match(r.afterBroken.stderr, /EPERM/, 'old (enforce) policy still in force');
  assert.match(r.output, /policy reload failed; keeping office@1/);
  assert.match(r.output, /policy\.yaml:\d+:\d+ OM001/);
  assert.equal(r.afterAudit.code, 0, 'the next good policy (audit) took effect');
});

test('the agent killed with SIGKILL during a burst of execs leaves no hung process', async () => {
  const r = await scenario('sigkill');
  assert.notEqual(r.all, 'hung');
  assert.equal(r.all.length, 200);
  assert.ok(r.all.every((c: number | null) => c === 0), 'every exec completed (fail open after the group closed)');
  assert.equal(r.agentSignal, 'SIGKILL');
});
