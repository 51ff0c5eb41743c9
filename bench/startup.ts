// Benchmark: start-up of the built `omamori` command against `node -e 0` (the floor: any Node program pays it), and
// the agent's resident memory after `omamori protect` starts and after the exec workload of bench/exec.ts (same
// driver and counts: execs of a tiny program, opens of a data file and of a shared object, a 24-unit C build, on the
// marked filesystem), with the node options of the systemd unit. The agent part runs itself inside
// `unshare -m --propagation private` and marks only a tmpfs it mounts there; every agent is stopped by pid.
// Targets (issue 11): --help within 3x of node -e 0; resident < 80 MB after start, < 100 MB after the workload.
// Usage: npm run bench:startup [-- RUNS [ROUNDS]]   (the npm script builds the program first)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopChild, vmRssKb } from './child.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = root + 'packages/cli/bin/omamori.mjs';
const args = process.argv.slice(2).filter((a) => a !== 'inner');
const RUNS = Number(args[0] ?? 30);
const ROUNDS = Number(args[1] ?? 3);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
/** The built program, as installed: no `source` condition. */
const builtEnv = { ...process.env, NODE_OPTIONS: '', LANG: 'C' };

/** NODE_OPTIONS of packaging/systemd/omamori.service: the agent is measured as the unit runs it. */
function unitNodeOptions(): string {
  const m = /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(readFileSync(root + 'packaging/systemd/omamori.service', 'utf8'));
  if (!m) throw new Error('packaging/systemd/omamori.service sets no NODE_OPTIONS');
  return m[1]!;
}

if (process.argv[2] !== 'inner') {
  if (!existsSync(root + 'packages/cli/dist/main.js')) throw new Error('not built: npm run build');
  const time = (argv: string[], env: NodeJS.ProcessEnv = builtEnv) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const cases = { node: ['-e', '0'], help: [bin, '--help'], version: [bin, '--version'] } as const;
  const ms: Record<keyof typeof cases, number[]> = { node: [], help: [], version: [] };
  for (const k of Object.keys(cases) as (keyof typeof cases)[]) time([...cases[k]]); // warm the page cache
  // Interleaved, so a change in the machine's load hits every case alike.
  for (let i = 0; i < RUNS; i++) for (const k of Object.keys(cases) as (keyof typeof cases)[]) ms[k].push(time([...cases[k]]));
  const sources: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 5); i++) sources.push(time([bin, '--help'], { ...builtEnv, NODE_OPTIONS: '--conditions=source' }));
  const n = median(ms.node), h = median(ms.help), v = median(ms.version);
  console.log(`omamori bench:startup (${RUNS} interleaved runs each, medians; load ${load()})`);
  console.log(`node -e 0                   ${n.toFixed(1).padStart(7)} ms`);
  console.log(`omamori --help              ${h.toFixed(1).padStart(7)} ms   ${(h / n).toFixed(2)}x node -e 0 (target <= 3x: ${h / n <= 3 ? 'met' : 'NOT met'})`);
  console.log(`omamori --version           ${v.toFixed(1).padStart(7)} ms   ${(v / n).toFixed(2)}x node -e 0`);
  console.log(`omamori --help from sources ${median(sources).toFixed(1).padStart(7)} ms   ${(median(sources) / n).toFixed(2)}x node -e 0 (tsx, ${sources.length} runs: how it ran before the build)`);
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), 'inner', String(RUNS), String(ROUNDS)], {
    stdio: 'inherit', cwd: root, env: { ...process.env, OMAMORI_PARENT_MNTNS: readlinkSync('/proc/self/ns/mnt') },
  });
  process.exit(r.status ?? 1);
}

// ---- inside the private mount namespace: the agent's memory ----
if (readlinkSync('/proc/self/ns/mnt') === process.env.OMAMORI_PARENT_MNTNS) throw new Error('not in a private mount namespace');
const W = '/opt';
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=0755', 'omamori-bench-startup', W]); // the only mark
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0755', 'omamori-bench-aux', '/srv']); // driver, state
const DRIVER = `#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int c, char **v) {
  int n = atoi(v[2]);
  for (int i = 0; i < n; i++) {
    if (v[1][0] == 'x') { pid_t p = fork(); if (!p) { execl(v[3], v[3], (char *)0); _exit(127); } int st; waitpid(p, &st, 0); if (!WIFEXITED(st) || WEXITSTATUS(st)) return 1; }
    else { int fd = open(v[3], O_RDONLY); if (fd < 0) return 1; close(fd); }
  }
  return 0;
}
`;
writeFileSync('/srv/driver.c', DRIVER);
execFileSync('cc', ['-O2', '-o', '/srv/driver', '/srv/driver.c']);
writeFileSync(`${W}/tiny.c`, 'int main(void){return 0;}\n');
execFileSync('cc', ['-O2', '-o', `${W}/tiny`, `${W}/tiny.c`]);
writeFileSync(`${W}/data.txt`, 'data\n');
const SO = ['/usr/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libm.so.6'].find((p) => existsSync(p));
if (!SO) throw new Error('no shared object to copy (libz.so.1 / libm.so.6)');
copyFileSync(SO, `${W}/libfake.so`);
mkdirSync(`${W}/proj`);
for (let i = 0; i < 24; i++) writeFileSync(`${W}/proj/u${i}.c`, `#include <stdio.h>\n#include <string.h>\nint f${i}(const char *s){ char b[64]; snprintf(b, sizeof b, "%s-${i}", s); return (int)strlen(b); }\n`);
writeFileSync(`${W}/proj/main.c`, Array.from({ length: 24 }, (_, i) => `int f${i}(const char *);`).join('\n') + '\nint main(void){int s=0;' + Array.from({ length: 24 }, (_, i) => `s+=f${i}("x");`).join('') + 'return s>0?0:1;}\n');
writeFileSync(`${W}/proj/Makefile`, 'OBJS=' + Array.from({ length: 24 }, (_, i) => `u${i}.o`).join(' ') + ' main.o\nprog: $(OBJS)\n\tcc -o prog $(OBJS)\n%.o: %.c\n\tcc -O1 -c $< -o $@\nclean:\n\trm -f *.o prog\n');

/** bench/exec.ts's workload at its default size: 2,000 execs, 20,000 opens of each file, three builds. */
function workload(): void {
  for (let b = 0; b < 4; b++) {
    execFileSync('/srv/driver', ['x', '500', `${W}/tiny`]);
    execFileSync('/srv/driver', ['o', '5000', `${W}/data.txt`]);
    execFileSync('/srv/driver', ['o', '5000', `${W}/libfake.so`]);
    if (b < 3) { execFileSync('make', ['-s', '-C', `${W}/proj`, 'clean']); execFileSync('make', ['-s', '-j2', '-C', `${W}/proj`]); }
  }
}
const rssMb = (pid: number) => vmRssKb(pid) / 1024;

const nodeOptions = unitNodeOptions();
const started: number[] = [], after: number[] = [];
let lastStatus = '';
for (let r = 0; r < ROUNDS; r++) {
  execFileSync('rm', ['-rf', '/srv/state']);
  const agent = spawn(process.execPath, [bin, 'protect', '--preset', 'office', '--mount', W, '--state', '/srv/state'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...builtEnv, NODE_OPTIONS: nodeOptions } });
  try {
    let out = '';
    await new Promise<void>((res, rej) => {
      agent.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('protecting ')) res(); });
      agent.on('close', () => rej(new Error(`agent exited: ${out}`)));
    });
    await new Promise((res) => setTimeout(res, 2000)); // settled: nothing runs on the marked tmpfs yet
    started.push(rssMb(agent.pid!));
    workload();
    await new Promise((res) => setTimeout(res, 500));
    after.push(rssMb(agent.pid!));
    agent.kill('SIGUSR1'); // the agent prints its status: proof the workload went through it
    for (let i = 0; i < 50 && !out.includes('"fanotify"'); i++) await new Promise((res) => setTimeout(res, 20));
    lastStatus = out.split('\n').filter((l) => l.startsWith('{')).pop() ?? '';
  } finally {
    await stopChild(agent);
  }
}
const s = median(started), a = median(after);
console.log(`agent resident memory (omamori protect --preset office, one tmpfs; NODE_OPTIONS="${nodeOptions}" as the unit; ${ROUNDS} rounds, medians; load ${load()})`);
console.log(`after start                 ${s.toFixed(1).padStart(7)} MB   (rounds ${started.map((x) => x.toFixed(1)).join(', ')}; target < 80 MB: ${s < 80 ? 'met' : 'NOT met'})`);
console.log(`after the exec workload     ${a.toFixed(1).padStart(7)} MB   (rounds ${after.map((x) => x.toFixed(1)).join(', ')}; target < 100 MB: ${a < 100 ? 'met' : 'NOT met'})`);
console.log(`agent status after the workload (last round): ${lastStatus}`);
