// Real fanotify runs: each scenario runs in a child under `unshare -m --propagation private` marking only a
// tmpfs it mounted there (fixtures/fanotify-scenario.ts). We kill only that child, by pid, on timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createFanotifyListener, nativeAvailable } from '../src/index.ts';

const scenarioFile = fileURLToPath(new URL('./fixtures/fanotify-scenario.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

function startScenario(name: string, extraEnv: Record<string, string> = {}): { child: ChildProcess; lines: string[]; onLine: (f: (l: string) => void) => void; stderr: () => string } {
  const child = spawn('unshare', ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', scenarioFile, name], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...extraEnv, OMAMORI_PARENT_MNTNS: readlinkSync('/proc/self/ns/mnt') },
  });
  const lines: string[] = [];
  const listeners: ((l: string) => void)[] = [];
  let buf = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const f of listeners) f(line);
    }
  });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  return { child, lines, onLine: (f) => listeners.push(f), stderr: () => err };
}

/** Runs a scenario to completion and returns its RESULT payload; kills the child after `limitMs`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function runScenario(name: string, limitMs = 30_000, env: Record<string, string> = {}): Promise<any> {
  const s = startScenario(name, env);
  const timer = setTimeout(() => { if (s.child.pid) process.kill(s.child.pid, 'SIGKILL'); }, limitMs);
  const code = await new Promise<number | null>((resolve) => s.child.on('close', resolve));
  clearTimeout(timer);
  const line = s.lines.find((l) => l.startsWith('RESULT '));
  assert.equal(code, 0, `scenario ${name} exited ${code}: ${s.stderr()}`);
  assert.ok(line, `scenario ${name} printed no RESULT: ${s.stderr()}`);
  return JSON.parse(line.slice('RESULT '.length)).result;
}

test('native addon is available on this Linux machine', () => {
  assert.deepEqual(nativeAvailable(), { available: true });
});

test('exec on the marked tmpfs is denied (EPERM) when JS denies and runs when JS allows', async () => {
  const r = await runScenario('allow-deny');
  assert.equal(r.a.code, 0);
  assert.equal(r.d.code, 126);
  assert.match(r.d.stderr, /Operation not permitted/);
  assert.equal(r.seen.length, 2);
  const [first] = r.seen;
  assert.equal(first.kind, 'exec');
  assert.match(first.path, /\/allowed$/);
  assert.equal(first.ino, r.allowedIno);
  assert.equal(first.dev, r.allowedDev);
  assert.equal(first.mode & 0o777, 0o755);
  assert.equal(first.uid, 0);
  assert.ok(first.pid > 1);
  assert.equal(r.stats.allowed, 1);
  assert.equal(r.stats.denied, 1);
});

test('cached verdicts are answered in C; a ctime change or clearCache() asks JS again', async () => {
  const r = await runScenario('cache');
  assert.deepEqual(r.codes, [0, 0, 0, 126, 126, 0, 0]);
  assert.equal(r.before.seen, 2, 'JS saw only the first exec of each file');
  assert.equal(r.before.stats.cacheHits, 3);
  assert.equal(r.afterChmod, 3, 'chmod changed ctime: new identity');
  assert.equal(r.afterClear, 4, 'clearCache forgot the verdict');
});

test('openIgnoreMarks: a cached allow stops later plain opens in the kernel until the file is written or clearCache()', async () => {
  const r = await runScenario('ignore-marks');
  assert.ok(r.codes.every((c: number | null) => c === 0), JSON.stringify(r.codes));
  // exec once through JS, its following open and the later opens never generated; the library open once.
  assert.deepEqual(r.first.seen, ['exec exe', 'open lib.so', 'open plain'], 'an ELF object file (.o) is filtered in C');
  assert.equal(r.first.stats.cacheHits, 3, 'the 2nd and 3rd exec and the 2nd open of plain (no ignoreOpens) from the decision cache');
  assert.equal(r.first.stats.ignoreMarks, 4, 'exe and lib.so (asked by respond), unit.o and data.txt (root-only data, in C)');
  assert.equal(r.first.stats.filtered, 4, 'no open after exec reached the loop; the first unit.o and data.txt opens and both shared.txt (0666: never marked) did');
  assert.equal(r.afterWrite, 4, 'after a write the open is asked again');
  assert.deepEqual(r.afterClear, ['exec exe', 'open lib.so'], 'clearCache flushed marks and cache; the mount stays marked');
});

test('JS never answers, fail mode open: the exec runs, answered by timeout, late respond refused', async () => {
  const r = await runScenario('timeout-open');
  assert.equal(r.r.code, 0);
  assert.equal(r.stats.timeouts, 1);
  assert.equal(r.late, 'late-allowed', 'a late respond says what the kernel got');
  assert.equal(r.unknown, 'unknown');
  assert.equal(r.stats.lateResponses, 2);
});

test('JS thread blocked, fail mode closed: the exec is denied by the native side on its own', async () => {
  const r = await runScenario('timeout-closed-js-blocked');
  assert.equal(r.r.code, 126);
  assert.equal(r.stats.timeouts, 1);
  assert.equal(r.stats.denied, 1);
  assert.equal(r.delivered, 0, 'an event answered while queued is not delivered late');
});

test('stop() answers pending events by the fail mode', async () => {
  const r = await runScenario('stop-answers-pending');
  assert.equal(r.r.code, 126);
  assert.equal(r.stats.denied, 1);
  assert.equal(r.stats.running, false);
});

test('queue full: events beyond maxPending are answered by the fail mode and counted as drops', async () => {
  const r = await runScenario('drops');
  assert.deepEqual(r.codes, [0, 0, 0, 0]);
  assert.equal(r.stats.drops + r.stats.timeouts, 4);
  assert.ok(r.stats.drops >= 1);
});

test('subject class: inherited by descendants only, and cached verdicts never cross classes', async () => {
  const r = await runScenario('subject-class');
  assert.equal(r.set, true);
  assert.equal(r.guarded, '126 126', 'class 7 denied, the second time from the cache');
  assert.deepEqual(r.plain, [0, 0], 'the unclassed exec of the same file is not answered by the class-7 entry');
  assert.deepEqual(r.seen.map((e: { cls: number }) => e.cls), [7, 0]);
  assert.notEqual(r.seen[0].pid, r.pid, 'the exec came from a forked child of the classed shell');
  assert.equal(r.stats.cacheHits, 2);
  assert.ok(r.stats.subjects > 3, 'the classed shell, its two remembered children, and the unclassed walk remembered as 0');
  assert.equal(r.cleared, true);
});

test('subject class: an unclassed walk is remembered as class 0, and setSubjectClass overrides the memo', async () => {
  const r = await runScenario('subject-memo');
  assert.equal(r.anchored, true);
  assert.equal(r.set, true);
  assert.deepEqual(r.seen, [0, 9, 0], 'unclassed; then the child of the newly classed shell; then a new unclassed tree');
  assert.ok(r.memo >= 4, `the anchor plus the remembered walk (exec'ing child, its shell, this process...): ${r.memo}`);
  assert.equal(r.plain, 0);
});

test('open events: only executable-looking files reach JS; ld.so ./file and cat of an ELF are seen', async () => {
  const r = await runScenario('opens');
  assert.equal(r.catText.code, 0);
  assert.equal(r.catText.stdout, 'hello\n');
  assert.notEqual(r.catElf.code, 0);
  assert.match(r.catElf.stderr, /Operation not permitted/);
  assert.notEqual(r.ldso.code, 0);
  assert.equal(r.sh.stdout, 'from-script\n');
  assert.equal(r.ex.code, 0);
  const paths = r.seen.map((e: { kind: string; path: string }) => `${e.kind}:${e.path.split('/').pop()}`);
  assert.deepEqual(paths, ['open:elf-noexec', 'open:elf-noexec', 'open:script.sh', 'exec:exe']);
  assert.equal(r.stats.filtered, 2, 'text.txt and the open that follows the allowed exec');
});

test('start() reports a path it cannot mark and leaves nothing running', async () => {
  const r = await runScenario('start-error');
  assert.match(r.message, /^fanotify_mark .*\/missing: No such file or directory$/);
  assert.equal(r.running, false);
});

test('options are checked before anything reaches the kernel', () => {
  assert.throws(() => createFanotifyListener({ paths: [], failMode: 'open' }), /paths must list at least one path/);
  assert.throws(() => createFanotifyListener({ paths: ['/x'], failMode: 'open', mark: 'mount', follow: { all: true } }), /follow needs filesystem marks/);
  // @ts-expect-error: failMode is required and typed
  assert.throws(() => createFanotifyListener({ paths: ['/x'], failMode: 'maybe' }), /failMode must be 'open' or 'closed'/);
  assert.throws(() => createFanotifyListener({ paths: ['/x'], failMode: 'open', timeoutMs: 0 }), /timeoutMs must be a positive integer/);
});

test('mark: mount misses a bind mount of the tmpfs, filesystem covers it', async () => {
  const r = await runScenario('mark-kinds');
  assert.deepEqual(r, { 'mount:direct': 126, 'mount:bind': 0, 'filesystem:direct': 126, 'filesystem:bind': 126 });
});

test('listener SIGKILLed during a burst of execs: every exec completes, no process hangs', async () => {
  const s = startScenario('kill-burst');
  const killer = setTimeout(() => { if (s.child.pid) process.kill(s.child.pid, 'SIGKILL'); }, 60_000);
  try {
    const ready = await new Promise<string>((resolve, reject) => {
      s.onLine((l) => { if (l.startsWith('READY ')) resolve(l); });
      s.child.on('close', () => reject(new Error(`scenario ended before READY: ${s.stderr()}`)));
    });
    const burstPid = Number(ready.split(' ')[1]);
    assert.ok(Number(ready.split(' ')[2]) >= 3, 'execs were waiting on the listener');
    const done = new Promise<boolean>((resolve) => {
      if (s.lines.includes('BURST-DONE')) resolve(true);
      s.onLine((l) => { if (l === 'BURST-DONE') resolve(true); });
      setTimeout(() => resolve(false), 20_000);
    });
    process.kill(s.child.pid ?? 0, 'SIGKILL');
    assert.equal(await done, true, 'the burst finished after the listener died');
    await new Promise((r) => setTimeout(r, 200));
    // Gone, or a zombie waiting for whichever process adopted it: either way it is not stuck in an exec.
    const state = existsSync(`/proc/${burstPid}/stat`) ? readFileSync(`/proc/${burstPid}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    assert.ok(state === 'gone' || state === 'Z', `the burst shell exited (state ${state})`);
  } finally {
    clearTimeout(killer);
    if (s.child.exitCode === null && s.child.signalCode === null && s.child.pid) process.kill(s.child.pid, 'SIGKILL');
  }
});

test('a filesystem mark holds in other mount namespaces (unshare -m); a mount mark does not', async () => {
  const r = await runScenario('namespaces');
  assert.deepEqual(r, { 'mount:here': 126, 'mount:unshare': 0, 'filesystem:here': 126, 'filesystem:unshare': 126 });
});

for (const source of ['fanotify', 'mountinfo']) {
  test(`follow (${source}): a filesystem mounted later beneath the directory is marked, also inside a child namespace`, async () => {
    const r = await runScenario('follow', 30_000, { OMAMORI_FOLLOW_SOURCE: source });
    assert.equal(r.stats.mountSource, source);
    assert.equal(r.later, 126, 'exec from the tmpfs mounted after start is refused');
    assert.equal(r.child, 126, `exec from the tmpfs the child namespace mounted is refused: ${r.childErr}`);
    assert.ok(r.seen.includes('/later/deny') && r.seen.includes('/mine/deny'), JSON.stringify(r.seen));
    assert.equal(r.marksBefore, 1);
    assert.equal(r.marks.length, 3, JSON.stringify(r.marks));
    assert.ok(r.marks.some((m: { where: string }) => /^ns:\d+ .*\/mine$/.test(m.where)), 'the child namespace\'s tmpfs is listed with its namespace');
    assert.ok(r.stats.namespaces >= 1);
  });
}

test('events carry the file header and the directory chain read through the event fd', async () => {
  const r = await runScenario('facts');
  assert.equal(r.r, 0);
  assert.equal(r.got.length, 1);
  const g = r.got[0];
  assert.equal(g.head, '\x7fELF');
  assert.ok(g.headLen > 64);
  assert.equal(g.contentRead, true);
  // sub (uid 1000), the tmpfs root, then every directory up to /
  assert.deepEqual(g.dirs.slice(0, 2), [1000, 1000]);
  assert.equal(g.dirs[2] & 0o170000, 0o040000);
  assert.equal(g.dirs[5], r.rootMode);
  assert.equal(g.dirs.length % 3, 0);
  assert.ok(g.dirs.length >= 9, 'sub, the tmpfs root, /tmp and /');
});

test("a `#!` script's interpreter comes as kind 'interp' in the same execve, and is cached separately from plain execs", async () => {
  const r = await runScenario('interp');
  assert.deepEqual(r.codes, [3, 4, 3]);
  assert.deepEqual(r.seen, ['exec script', 'interp mysh', 'exec mysh']);
  assert.equal(r.stats.cacheHits, 2, 'the second run of the script: its exec and its interpreter from the cache');
  assert.equal(r.stats.interpreters, 2);
});

test('opens by a registered interpreter reach JS even for files that do not look executable', async () => {
  const r = await runScenario('interpreter-opens');
  assert.equal(r.before, 0, 'not yet an interpreter: the data file is filtered in C');
  assert.notEqual(r.after, 0, 'as an interpreter its read of data.py reaches JS (which refuses it here)');
  assert.equal(r.plain, 0, 'another program reading the same file is not asked about');
  assert.deepEqual(r.seen.filter((x: string) => x.startsWith('open')), ['open data.py true']);
  assert.equal(r.stats.interpreterOpens, 1);
});

test('JS blocked: timeouts come back as fail records with what the kernel got; setFailSettings applies to later events', async () => {
  const r = await runScenario('fail-records');
  assert.deepEqual(r.codes, [0, 126], 'first allowed by fail-open, then refused by fail-closed');
  assert.equal(r.held, 0, 'JS never held either event');
  assert.deepEqual(r.recs.map((x: { answer: string; cause: string; kind: string }) => `${x.kind} ${x.answer} ${x.cause}`), ['exec allow timeout', 'exec deny timeout']);
  assert.match(r.recs[0].path, /\/bin$/);
  assert.equal(r.stats.failMode, 'closed');
  assert.equal(r.stats.timeoutMs, 50);
});

test('an ignore mark is dropped when the file owner changes (chown), so the next open is asked again; an unchanged file gets its mark back at its next cache hit', async () => {
  const r = await runScenario('attrib');
  assert.equal(r.before, 2, 'the second open of lib.so was skipped by the kernel');
  assert.equal(r.after, 3, 'after chown the open reached JS again');
  assert.deepEqual(r.seen, ['open 0', 'open 0', 'open 1000']);
  assert.ok(r.stats.attribFlushes >= 1);
  assert.equal(r.otherEvents, 1, 'an unchanged file lost its mark in the flush: one cache hit puts it back, the next open is skipped');
});

test('fast exec rule: a root-only program on a declared filesystem is allowed in C; names, prefixes, user space and scripts still reach JS', async () => {
  const r = await runScenario('fast-exec');
  assert.deepEqual(r.codes, [0, 0, 0, 0, 0, 0, 0]);
  assert.equal(r.fast, 1, 'the first exec of sys/prog was allowed by the rule');
  assert.equal(r.cacheHits, 1, 'the second came from the cache the rule filled');
  assert.deepEqual(r.seen, ['sys/python3.11', 'user/prog', 'skip/prog', 'sys/script', 'sys/prog']);
});
