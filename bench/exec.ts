// Benchmark: added latency per exec (warm: one binary, decided once; cold: hundreds of distinct binaries, each run
// once per set-up, so no verdict cache helps: omamori's fast exec rule in C, fapolicyd's trust lookup) and per file
// open (by an ordinary program and by an interpreter, whose opens omamori checks as possible script reads: the same
// user file again, answered from the native per-process memo, and the first open of each of many user files, which
// the native side answers as data when no script rule can apply), and a build-like workload, under `omamori protect` (enforce) and
// under fapolicyd 1.1.7, against no listener; the agent's resident memory. Runs itself inside
// `unshare -m --propagation private`, marks only a ramfs it mounts there (and a tmpfs copy of the native build
// directory, so that the launcher lies on a marked filesystem as in the default set-up), and runs the three set-ups in interleaved
// rounds. The machine is shared, so every figure is PAIRED: short blocks on the marked ramfs alternate with the same
// blocks on an unmarked twin tree (tmpfs), under the same listener; the added cost is the median of the paired
// differences, and the no-listener set-up gives the floor (ramfs vs tmpfs) that is subtracted.
//
// fapolicyd safety: it is started only inside this private namespace, with its own config bind-mounted over
// /etc/fapolicyd (watch_fs = ramfs: the bench mount is the only ramfs in the namespace), its own db and run
// directories, and is stopped by pid in finally. Before anything runs under it, /proc/PID/fdinfo of its fanotify
// group must show marks on the bench mount only; otherwise the bench aborts.
// Usage: npm run bench:exec [-- EXECS [ROUNDS]]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopChild, vmRssKb } from './child.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2).filter((a) => a !== 'inner');
const N = Number(args[0] ?? 2000);
const ROUNDS = Number(args[1] ?? 3);

if (process.argv[2] !== 'inner') {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), 'inner', String(N), String(ROUNDS)], {
    stdio: 'inherit', cwd: root, env: { ...process.env, OMAMORI_PARENT_MNTNS: readlinkSync('/proc/self/ns/mnt') },
  });
  process.exit(r.status ?? 1);
}

const OWN_NS = readlinkSync('/proc/self/ns/mnt');
if (OWN_NS === process.env.OMAMORI_PARENT_MNTNS) throw new Error('not in a private mount namespace');
const W = '/opt';
// ramfs, so that fapolicyd's watch_fs can name a filesystem type nothing else in this namespace has.
execFileSync('mount', ['-t', 'ramfs', '-o', 'mode=0755', 'omamori-bench', W]);
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'omamori-bench-aux', '/srv']); // unmarked: driver, state
const DRIVER = `#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
int main(int c, char **v) {
  int n = atoi(v[2]); double *t = malloc(sizeof(double) * n);
  for (int i = 0; i < n; i++) {
    double t0 = now();
    if (v[1][0] == 'x' || v[1][0] == 'L') {
      char path[4096];
      if (v[1][0] == 'L') snprintf(path, sizeof path, "%s/c%d", v[3], atoi(v[4]) + i); else snprintf(path, sizeof path, "%s", v[3]);
      pid_t p = fork(); if (!p) { execl(path, path, (char *)0); _exit(127); } int st; waitpid(p, &st, 0); if (!WIFEXITED(st) || WEXITSTATUS(st)) { fprintf(stderr, "exec %s failed\\n", path); return 1; } }
    else { int fd = open(v[3], O_RDONLY); if (fd < 0) { perror(v[3]); return 1; } close(fd); }
    t[i] = now() - t0;
  }
  qsort(t, n, sizeof(double), cmp);
  printf("%.3f\\n", t[n / 2]); return 0;
}
`;
const U = '/srv/twin'; // unmarked twin of the bench tree (tmpfs: neither listener watches it)
writeFileSync('/srv/driver.c', DRIVER);
execFileSync('cc', ['-O2', '-o', '/srv/driver', '/srv/driver.c']); // the driver lives outside the mark
writeFileSync(`${W}/tiny.c`, 'int main(void){return 0;}\n');
execFileSync('cc', ['-O2', '-o', `${W}/tiny`, `${W}/tiny.c`]);
writeFileSync(`${W}/data.txt`, 'data\n');
// A real shared object (no PT_INTERP) copied into the marked tree.
const SO = ['/usr/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libm.so.6'].find((p) => existsSync(p));
if (!SO) throw new Error('no shared object to copy (libz.so.1 / libm.so.6)');
copyFileSync(SO, `${W}/libfake.so`);
// A small C project: 24 translation units and a link.
mkdirSync(`${W}/proj`, { recursive: true });
for (let i = 0; i < 24; i++) writeFileSync(`${W}/proj/u${i}.c`, `#include <stdio.h>\n#include <string.h>\nint f${i}(const char *s){ char b[64]; snprintf(b, sizeof b, "%s-${i}", s); return (int)strlen(b); }\n`);
writeFileSync(`${W}/proj/main.c`, Array.from({ length: 24 }, (_, i) => `int f${i}(const char *);`).join('\n') + '\nint main(void){int s=0;' + Array.from({ length: 24 }, (_, i) => `s+=f${i}("x");`).join('') + 'return s>0?0:1;}\n');
writeFileSync(`${W}/proj/Makefile`, 'OBJS=' + Array.from({ length: 24 }, (_, i) => `u${i}.o`).join(' ') + ' main.o\nprog: $(OBJS)\n\tcc -o prog $(OBJS)\n%.o: %.c\n\tcc -O1 -c $< -o $@\nclean:\n\trm -f *.o prog\n');

// The cold workload: distinct binaries (the tiny program with a distinct trailing byte string: another file, another
// hash), each run once per set-up and round, so no verdict cache of either listener helps.
const COLD = 480;
mkdirSync(`${W}/cold`);
const tinyBytes = readFileSync(`${W}/tiny`);
for (let i = 0; i < COLD; i++) writeFileSync(`${W}/cold/c${i}`, Buffer.concat([tinyBytes, Buffer.from(`omamori-cold-${i}\n`)]), { mode: 0o755 });
// A data file a user owns (user space): an interpreter's opens of it are decided each time.
writeFileSync(`${W}/user-data.txt`, 'user data\n');
execFileSync('chown', ['1000:1000', `${W}/user-data.txt`]);
copyFileSync('/bin/sleep', `${W}/sleep`); // a guarded application's stand-in on the marked mount
execFileSync('chmod', ['755', `${W}/sleep`]);
// python3 on the marked filesystem (its stdlib from /usr): an interpreter image on a marked filesystem, as every
// interpreter is when the agent watches every filesystem — the case where its data opens are remembered per process.
mkdirSync(`${W}/bin`);
copyFileSync(realpathSync('/usr/bin/python3'), `${W}/bin/python3`);
execFileSync('chmod', ['755', `${W}/bin/python3`]);
// Distinct user-space data files (no extension): an interpreter's first open of each is checked in C.
const PY_FILES = 256;
mkdirSync(`${W}/udata`);
for (let i = 0; i < PY_FILES; i++) writeFileSync(`${W}/udata/u${i}`, `row ${i}\n`);
execFileSync('chown', ['-R', '1000:1000', `${W}/udata`]);
execFileSync('cp', ['-a', `${W}/.`, U]);
// The launcher (omamori-launch) on a marked filesystem, as in the default set-up where the agent marks every
// filesystem: in this namespace the native build directory is replaced by a tmpfs copy that the agent marks too
// (`--mount`). With the launcher on no marked filesystem, every unclassed exec costs one /proc lookup more (is it the
// launcher starting a target?): measured once, after the rounds.
const RELEASE = root + 'packages/native/build/Release';
execFileSync('cp', ['-a', RELEASE, '/srv/release']);
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'omamori-bench-launcher', RELEASE]);
execFileSync('cp', ['-a', '/srv/release/.', RELEASE]);

function driver(mode: 'x' | 'o' | 'L', target: string, n: number, from = 0): number {
  return Number(execFileSync('/srv/driver', [mode, String(n), target, String(from)], { encoding: 'utf8' }).trim());
}
/**
 * Per-open median (µs) of os.open+close by python3 (an interpreter: omamori hands its opens to the sensor): the same
 * file `n` times, or (a directory) each of its files once.
 */
function pyOpens(target: string, n: number): number {
  return Number(execFileSync(`${W}/bin/python3`, ['-c', PY_OPENS, target, String(n)], { encoding: 'utf8', env: { ...process.env, PYTHONHOME: '/usr' } }).trim());
}
const PY_OPENS = `import os, sys, time
p, n = sys.argv[1], int(sys.argv[2])
ps = [os.path.join(p, f) for f in os.listdir(p)] if os.path.isdir(p) else [p] * n
t = []
for q in ps:
    t0 = time.perf_counter_ns(); fd = os.open(q, os.O_RDONLY); os.close(fd); t.append(time.perf_counter_ns() - t0)
t.sort(); print("%.3f" % (t[len(t) // 2] / 1000))`;
function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; }
/** Paired differences (marked − unmarked), one per block; build as a ratio. */
interface Figures {
  exec: number[]; cold: number[]; openData: number[]; openUser: number[]; openLib: number[]; pyData: number[]; pyUser: number[]; pyFirst: number[];
  build: number[]; execRaw: number[]; buildRaw: number[];
}
const BLOCKS = 12; // short paired blocks: a swing of the shared machine's load hits both sides of a pair alike
function build(dir: string): number {
  execFileSync('make', ['-s', '-C', `${dir}/proj`, 'clean']);
  const t0 = process.hrtime.bigint();
  execFileSync('make', ['-s', '-j2', '-C', `${dir}/proj`]);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
/**
 * Cold first, while no verdict of this set-up is cached: each distinct binary runs once in the marked tree (and its
 * twin once in the unmarked one; which goes first alternates).
 */
function coldPairs(): number[] {
  const out: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    const n = COLD / BLOCKS;
    const cold = (d: string) => driver('L', `${d}/cold`, n, b * n);
    if (b % 2) { const u = cold(U), m = cold(W); out.push(m - u); } else { const m = cold(W), u = cold(U); out.push(m - u); }
  }
  return out;
}
function measure(): Figures {
  const f: Figures = { exec: [], cold: [], openData: [], openUser: [], openLib: [], pyData: [], pyUser: [], pyFirst: [], build: [], execRaw: [], buildRaw: [] };
  f.cold = coldPairs();
  for (let b = 0; b < BLOCKS; b++) {
    const n = Math.ceil(N / BLOCKS);
    // Alternate which tree goes first, so a trend in the load does not favour one side.
    const pair = (g: (d: string) => number) => { if (b % 2) { const u = g(U), m = g(W); return [m, u] as const; } const m = g(W), u = g(U); return [m, u] as const; };
    const [xm, xu] = pair((d) => driver('x', `${d}/tiny`, n));
    f.exec.push(xm - xu); f.execRaw.push(xm);
    const [dm, du] = pair((d) => driver('o', `${d}/data.txt`, n * 10));
    f.openData.push(dm - du);
    const [lm, lu] = pair((d) => driver('o', `${d}/libfake.so`, n * 10));
    f.openLib.push(lm - lu);
    const [um, uu] = pair((d) => driver('o', `${d}/user-data.txt`, n * 10));
    f.openUser.push(um - uu);
    const [pm, pu] = pair((d) => pyOpens(`${d}/data.txt`, n));
    f.pyData.push(pm - pu);
    const [qm, qu] = pair((d) => pyOpens(`${d}/user-data.txt`, n));
    f.pyUser.push(qm - qu);
    const [fm, fu] = pair((d) => pyOpens(`${d}/udata`, 0));
    f.pyFirst.push(fm - fu);
    if (b < 3) { const [bm, bu] = pair(build); f.build.push(bm / bu - 1); f.buildRaw.push(bm); }
  }
  return f;
}


// ---- omamori ----
interface OmamoriRun { figures: Figures; rssKb: number; status: string; guardedExec: number[]; guardedStatus: string }
/** Paired exec differences only. */
function execPairs(): number[] {
  const out: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    const n = Math.ceil(N / BLOCKS);
    const m = driver('x', `${W}/tiny`, n), u = driver('x', `${U}/tiny`, n);
    out.push(m - u);
  }
  return out;
}
/** `omamori protect` marking `mounts`, once it says it protects; `out()` is what it printed so far. */
async function startOmamori(mounts: string[]): Promise<{ agent: ReturnType<typeof spawn>; out: () => string }> {
  // As packaging/systemd/omamori.service runs it (a 1 MB young generation: the agent allocates little).
  const agent = spawn(process.execPath, ['--max-semi-space-size=1', root + 'packages/cli/bin/omamori.mjs', 'protect', '--preset', 'office', ...mounts.flatMap((m) => ['--mount', m]), '--state', '/srv/state'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  try {
    await new Promise<void>((res, rej) => {
      agent.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('protecting ')) res(); });
      agent.on('close', () => rej(new Error(`agent exited: ${out}`)));
    });
  } catch (e) {
    await stopChild(agent);
    throw e;
  }
  return { agent, out: () => out };
}
/** Warm and cold exec pairs with the launcher on no marked filesystem (`--mount` of the bench tree alone). */
async function launcherUnmarked(): Promise<{ warm: number[]; cold: number[] }> {
  const { agent } = await startOmamori([W]);
  try {
    driver('x', `${W}/tiny`, 10);
    const cold = coldPairs();
    return { warm: execPairs(), cold };
  } finally {
    await stopChild(agent);
  }
}
async function withOmamori(): Promise<OmamoriRun> {
  const started = await startOmamori([W, RELEASE]);
  const agent = started.agent;
  const out = started.out;
  try {
    driver('x', `${W}/tiny`, 10); // the first decisions outside the figures
    const figures = measure();
    agent.kill('SIGUSR1');
    for (let i = 0; i < 50 && !out().includes('"fanotify"'); i++) await new Promise((r) => setTimeout(r, 20));
    const status = out().split('\n').filter((l) => l.startsWith('{')).pop() ?? '';
    const rssKb = vmRssKb(agent.pid!);
    // A guarded application running (as on an office PC with the browser open): subject classes are in use, so
    // every event resolves its subject class in C.
    const guarded = spawn(process.execPath, [root + 'packages/cli/bin/omamori.mjs', 'run', '--preset', 'office', '--app', 'browser', '--', `${W}/sleep`, '600'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: '/root' } });
    let guardedErr = '';
    guarded.stderr!.on('data', (d: Buffer) => { guardedErr += d.toString(); });
    let guardedExec: number[] = [];
    try {
      let classed = false;
      for (let i = 0; i < 200 && !classed && guarded.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 100));
        agent.kill('SIGUSR1');
        await new Promise((r) => setTimeout(r, 50));
        classed = /"subjects":[1-9]/.test(out().split('\n').filter((l) => l.startsWith('{')).pop() ?? '');
      }
      if (classed) guardedExec = execPairs();
      else process.stderr.write(`guarded application not classed (exit ${guarded.exitCode}): ${guardedErr}\n`);
    } finally {
      await stopChild(guarded);
    }
    agent.kill('SIGUSR1');
    await new Promise((r) => setTimeout(r, 200));
    const guardedStatus = out().split('\n').filter((l) => l.startsWith('{')).pop() ?? '';
    return { figures, rssKb, status, guardedExec, guardedStatus };
  } finally {
    await stopChild(agent);
  }
}

// ---- fapolicyd ----
const FAPD = '/usr/sbin/fapolicyd';
const FAPD_CONF = `# omamori bench: fapolicyd confined to this namespace's ramfs
permissive = 0
nice_val = 0
q_size = 640
uid = root
gid = root
do_stat_report = 0
detailed_report = 0
db_max_size = 8
subj_cache_size = 1549
obj_cache_size = 8191
watch_fs = ramfs
trust = file
integrity = none
syslog_format = rule,dec,perm,auid,pid,exe,:,path,ftype,trust
rpm_sha256_only = 0
allow_filesystem_mark = 0
`;
// Comparable to omamori's launch control: ld.so pattern, trusted shared objects and programs only.
const FAPD_RULES = `deny_audit perm=any pattern=ld_so : all
allow perm=open all : ftype=application/x-sharedlib trust=1
deny_audit perm=open all : ftype=application/x-sharedlib
allow perm=execute all : trust=1
deny_audit perm=execute all : all
allow perm=open all : all
`;

function trustLine(path: string): string {
  return `${path} ${statSync(path).size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}\n`;
}

/** Mount ids (decimal) of the fanotify marks a process holds, from /proc/PID/fdinfo (hex there). */
function fanotifyMarks(pid: number): { groups: number; mounts: number[]; other: string[] } {
  let groups = 0;
  const mounts: number[] = [], other: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let text: string;
    try { text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'); } catch { continue; }
    if (!/^fanotify /m.test(text)) continue;
    groups++;
    for (const line of text.split('\n')) {
      if (!line.startsWith('fanotify ')) continue;
      const m = /mnt_id:([0-9a-f]+)/.exec(line);
      if (m) mounts.push(parseInt(m[1]!, 16)); else if (!line.startsWith('fanotify flags:')) other.push(line);
    }
  }
  return { groups, mounts, other };
}

function mountIdOf(path: string): number {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((l) => l.split(' '));
  const hit = lines.filter((f) => f[4] === path).pop();
  if (!hit) throw new Error(`${path} is not a mount point`);
  return Number(hit[0]);
}

let fapdReady = false;
function setUpFapolicyd(): void {
  if (fapdReady) return;
  const others = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[2] === 'ramfs' && l.split(' ')[1] !== W);
  if (others.length) throw new Error(`refusing to start fapolicyd: other ramfs mounts in the namespace: ${others.join('; ')}`);
  for (const d of ['/srv/fapd/etc/rules.d', '/srv/fapd/etc/trust.d', '/srv/fapd/lib', '/srv/fapd/run/fapolicyd', '/srv/fapd/log']) mkdirSync(d, { recursive: true });
  writeFileSync('/srv/fapd/etc/fapolicyd.conf', FAPD_CONF);
  writeFileSync('/srv/fapd/etc/compiled.rules', FAPD_RULES);
  const cold = Array.from({ length: COLD }, (_, i) => trustLine(`${W}/cold/c${i}`)).join('');
  writeFileSync('/srv/fapd/etc/fapolicyd.trust', trustLine(`${W}/tiny`) + trustLine(`${W}/libfake.so`) + trustLine(`${W}/bin/python3`) + cold);
  // Only inside this private namespace: its config, db and run directories replace the host's.
  execFileSync('mount', ['--bind', '/srv/fapd/etc', '/etc/fapolicyd']);
  execFileSync('mount', ['--bind', '/srv/fapd/lib', '/var/lib/fapolicyd']);
  execFileSync('mount', ['--bind', '/srv/fapd/run', '/run']);
  fapdReady = true;
}

interface FapdRun { figures: Figures; rssKb: number }
async function withFapolicyd(): Promise<FapdRun> {
  setUpFapolicyd();
  const fapd = spawn(FAPD, ['--debug-deny'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  fapd.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  try {
    if (readlinkSync(`/proc/${fapd.pid}/ns/mnt`) !== OWN_NS) throw new Error('fapolicyd is not in the bench namespace');
    const want = mountIdOf(W);
    let marks = fanotifyMarks(fapd.pid!);
    for (let i = 0; i < 500 && marks.mounts.length === 0; i++) {
      if (fapd.exitCode !== null) throw new Error(`fapolicyd exited: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
      marks = fanotifyMarks(fapd.pid!);
    }
    await new Promise((r) => setTimeout(r, 300)); // let it finish marking, then check every mark
    marks = fanotifyMarks(fapd.pid!);
    if (marks.groups !== 1 || marks.mounts.length !== 1 || marks.mounts[0] !== want || marks.other.length) {
      throw new Error(`fapolicyd marks ${JSON.stringify(marks)}, want only mount ${want} (${W}): aborting`);
    }
    for (let i = 0; i < 500 && !err.includes('Starting to listen'); i++) await new Promise((r) => setTimeout(r, 20));
    driver('x', `${W}/tiny`, 10);
    const figures = measure();
    return { figures, rssKb: vmRssKb(fapd.pid!) };
  } finally {
    await stopChild(fapd);
  }
}

// ---- rounds ----
build(W); build(U); // warm-up (page cache, compiler)
const base: Figures[] = [], om: OmamoriRun[] = [], fa: FapdRun[] = [];
let fapdError: string | undefined;
for (let r = 0; r < ROUNDS; r++) {
  base.push(measure());
  om.push(await withOmamori());
  if (fapdError === undefined) {
    try { fa.push(await withFapolicyd()); } catch (e) { fapdError = (e as Error).message; }
  }
  process.stderr.write(`round ${r + 1}/${ROUNDS} done\n`);
}
const unmarkedLauncher = await launcherUnmarked();
type Key = 'exec' | 'cold' | 'openData' | 'openUser' | 'openLib' | 'pyData' | 'pyUser' | 'pyFirst' | 'build';
const all = (runs: Figures[], k: Key) => runs.flatMap((x) => x[k]);
const med = (runs: Figures[], k: Key) => (runs.length ? median(all(runs, k)) : NaN);
const q = (runs: Figures[], k: Key) => { if (!runs.length) return '-'; const v = all(runs, k).sort((a, b) => a - b); const sc = k === 'build' ? 100 : 1; return `${(v[Math.floor(v.length / 4)]! * sc).toFixed(1)}…${(v[Math.floor((3 * v.length) / 4)]! * sc).toFixed(1)}`; };
const omF = om.map((x) => x.figures), faF = fa.map((x) => x.figures);
console.log(`omamori bench:exec (${N} execs and ${N * 10} opens per set-up and round, in ${BLOCKS} paired blocks; per-operation medians; ${ROUNDS} interleaved rounds; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
console.log(`unmarked exec baseline ${median(base.flatMap((x) => x.execRaw.map((v, i) => v - x.exec[i]!))).toFixed(1)} µs, build ${median(base.flatMap((x) => x.buildRaw)).toFixed(0)} ms`);
console.log(`${'added (paired median)'.padEnd(32)}${'floor (none)'.padStart(16)}${'omamori'.padStart(16)}${'fapolicyd'.padStart(16)}${'omamori−floor'.padStart(16)}${'fapolicyd−floor'.padStart(17)}`);
const rows = [['exec', 'exec (warm) µs'], ['cold', `exec (cold, ${COLD} binaries) µs`], ['openData', 'open data file µs'],
  ['openUser', 'open user data file µs'], ['openLib', 'open shared object µs'], ['pyData', 'python3 open, data µs'],
  ['pyUser', 'python3 open, user data µs'], ['pyFirst', `python3 1st open, user (${PY_FILES})`], ['build', 'build (24 units) %']] as const;
const corrected: Record<string, [number, number]> = {};
for (const [k, name] of rows) {
  const sc = k === 'build' ? 100 : 1;
  const fl = med(base, k) * sc, o = med(omF, k) * sc, f = med(faF, k) * sc;
  corrected[k] = [o - fl, f - fl];
  console.log(`${name.padEnd(32)}${fl.toFixed(1).padStart(16)}${o.toFixed(1).padStart(16)}${f.toFixed(1).padStart(16)}${(o - fl).toFixed(1).padStart(16)}${(f - fl).toFixed(1).padStart(17)}`);
  console.log(`${'  interquartile'.padEnd(32)}${q(base, k).padStart(16)}${q(omF, k).padStart(16)}${q(faF, k).padStart(16)}`);
}
const [addO, addF] = corrected.exec!;
const [coldO, coldF] = corrected.cold!;
const g = om.flatMap((x) => x.guardedExec);
console.log(`exec with a guarded application running (subject classes in use): omamori ${g.length ? (median(g) - med(base, 'exec')).toFixed(1) : 'not measured'} µs added`);
console.log(`with the launcher on no marked filesystem (--mount elsewhere; every unclassed exec also asks /proc whether the launcher starts it), one set-up: exec warm ${(median(unmarkedLauncher.warm) - med(base, 'exec')).toFixed(1)} µs, cold ${(median(unmarkedLauncher.cold) - med(base, 'cold')).toFixed(1)} µs added`);
console.log(`per-exec added: omamori ${addO.toFixed(1)} µs, fapolicyd ${addF.toFixed(1)} µs, ratio omamori/fapolicyd ${(addO / addF).toFixed(2)} (target <= 0.5)`);
console.log(`per-exec added, cold (every exec decided): omamori ${coldO.toFixed(1)} µs, fapolicyd ${coldF.toFixed(1)} µs, ratio ${(coldO / coldF).toFixed(2)} (target <= 0.5)`);
console.log(`interpreter script checks, per open by python3 (omamori / fapolicyd): system data file ${corrected.pyData![0].toFixed(1)} / ${corrected.pyData![1].toFixed(1)} µs; user-space data file, opened again by the same process (native per-process memo) ${corrected.pyUser![0].toFixed(1)} / ${corrected.pyUser![1].toFixed(1)} µs; first open of each of ${PY_FILES} user-space files (not code, no script extension, not on the command line: answered in C) ${corrected.pyFirst![0].toFixed(1)} / ${corrected.pyFirst![1].toFixed(1)} µs; an ordinary program's open of a user-space data file ${corrected.openUser![0].toFixed(1)} / ${corrected.openUser![1].toFixed(1)} µs`);
console.log(`build overhead: omamori ${corrected.build![0].toFixed(1)}%, fapolicyd ${corrected.build![1].toFixed(1)}% (target < 5%)`);
console.log(`RSS: omamori agent ${(median(om.map((x) => x.rssKb)) / 1024).toFixed(1)} MB (target < 80 MB), fapolicyd ${fa.length ? (median(fa.map((x) => x.rssKb)) / 1024).toFixed(1) : '-'} MB`);
console.log(`omamori status (last round): ${om[om.length - 1]!.status}`);
console.log(`omamori status after the guarded-application phase: ${om[om.length - 1]!.guardedStatus}`);
if (fapdError !== undefined) console.log(`fapolicyd: not measured: ${fapdError}`);
