// Benchmark: added latency per exec and per file open under `omamori protect` (enforce) against no agent, the
// agent's resident memory, and a build-like workload (compile a small C project in the marked tree) with and
// without the agent. Runs itself inside `unshare -m --propagation private` and marks only a tmpfs it mounts there.
// fapolicyd is not measured here yet (see docs/agent.md). Usage: npm run bench:exec [-- EXECS]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const N = Number(process.argv[3] ?? process.argv[2] ?? 2000);

if (process.argv[2] !== 'inner') {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), 'inner', String(N)], {
    stdio: 'inherit', cwd: root, env: { ...process.env, OMAMORI_PARENT_MNTNS: readlinkSync('/proc/self/ns/mnt') },
  });
  process.exit(r.status ?? 1);
}

if (readlinkSync('/proc/self/ns/mnt') === process.env.OMAMORI_PARENT_MNTNS) throw new Error('not in a private mount namespace');
const W = '/opt';
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128m,mode=0755', 'omamori-bench', W]);
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'omamori-bench-aux', '/srv']); // unmarked: driver, state
const DRIVER = `#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
int main(int c, char **v) {
  int n = atoi(v[2]); double t0 = now();
  if (v[1][0] == 'x') for (int i = 0; i < n; i++) { pid_t p = fork(); if (!p) { execl(v[3], v[3], (char *)0); _exit(127); } int st; waitpid(p, &st, 0); }
  else for (int i = 0; i < n; i++) { int fd = open(v[3], O_RDONLY); if (fd < 0) { perror(v[3]); return 1; } close(fd); }
  printf("%.3f\\n", (now() - t0) / n); return 0;
}
`;
writeFileSync(`${W}/driver.c`, DRIVER);
execFileSync('cc', ['-O2', '-o', '/srv/driver', `${W}/driver.c`]); // the driver lives outside the mark
const TINY = 'int main(void){return 0;}\n';
writeFileSync(`${W}/tiny.c`, TINY);
execFileSync('cc', ['-O2', '-o', `${W}/tiny`, `${W}/tiny.c`]);
writeFileSync(`${W}/data.txt`, 'data\n');
copyFileSync('/usr/lib/x86_64-linux-gnu/libc.so.6', `${W}/libfake.so`);
// A small C project: 24 translation units and a link.
mkdirSync(`${W}/proj`, { recursive: true });
for (let i = 0; i < 24; i++) writeFileSync(`${W}/proj/u${i}.c`, `#include <stdio.h>\n#include <string.h>\nint f${i}(const char *s){ char b[64]; snprintf(b, sizeof b, "%s-${i}", s); return (int)strlen(b); }\n`);
writeFileSync(`${W}/proj/main.c`, Array.from({ length: 24 }, (_, i) => `int f${i}(const char *);`).join('\n') + '\nint main(void){int s=0;' + Array.from({ length: 24 }, (_, i) => `s+=f${i}("x");`).join('') + 'return s>0?0:1;}\n');
writeFileSync(`${W}/proj/Makefile`, 'OBJS=' + Array.from({ length: 24 }, (_, i) => `u${i}.o`).join(' ') + ' main.o\nprog: $(OBJS)\n\tcc -o prog $(OBJS)\n%.o: %.c\n\tcc -O1 -c $< -o $@\nclean:\n\trm -f *.o prog\n');

function driver(mode: 'x' | 'o', target: string, n = N): number {
  return Number(execFileSync('/srv/driver', [mode, String(n), target], { encoding: 'utf8' }).trim());
}
function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; }
function measure(): { exec: number; openData: number; openLib: number; build: number } {
  const exec = median([1, 2, 3].map(() => driver('x', `${W}/tiny`)));
  const openData = median([1, 2, 3].map(() => driver('o', `${W}/data.txt`, N * 10)));
  const openLib = median([1, 2, 3].map(() => driver('o', `${W}/libfake.so`, N * 10)));
  const builds = [1, 2, 3].map(() => {
    execFileSync('make', ['-s', '-C', `${W}/proj`, 'clean']);
    const t0 = process.hrtime.bigint();
    execFileSync('make', ['-s', '-j2', '-C', `${W}/proj`]);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  });
  return { exec, openData, openLib, build: median(builds) };
}

measure(); // warm-up (page cache, compiler)
const base = measure();
const agent = spawn(process.execPath, [root + 'packages/cli/bin/omamori.mjs', 'protect', '--preset', 'office', '--mount', W, '--state', '/srv/state'], { stdio: ['ignore', 'pipe', 'inherit'] });
let agentOut = '';
let rssKb = 0;
try {
  await new Promise<void>((res, rej) => {
    agent.stdout!.on('data', (d: Buffer) => { agentOut += d.toString(); if (agentOut.includes('protecting ')) res(); });
    agent.on('close', () => rej(new Error('agent exited')));
  });
  driver('x', `${W}/tiny`, 10); // first decision outside the figures
  const withAgent = measure();
  rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))?.[1] ?? 0);
  const row = (name: string, unit: string, a: number, b: number) =>
    console.log(`${name.padEnd(22)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(9)} ${(b - a).toFixed(1).padStart(9)} ${unit}  x${(b / a).toFixed(3)}`);
  console.log(`omamori bench:exec (${N} execs, ${N * 10} opens, medians of 3)\n${''.padEnd(22)} ${'no agent'.padStart(9)} ${'omamori'.padStart(9)} ${'added'.padStart(9)}`);
  row('exec (fork+exec+wait)', 'µs', base.exec, withAgent.exec);
  row('open data file', 'µs', base.openData, withAgent.openData);
  row('open shared object', 'µs', base.openLib, withAgent.openLib);
  row('build (24 units, -j2)', 'ms', base.build, withAgent.build);
  console.log(`agent RSS: ${(rssKb / 1024).toFixed(1)} MB (target < 80 MB); build overhead ${(100 * (withAgent.build / base.build - 1)).toFixed(1)}% (target < 5%)`);
  console.log('fapolicyd: not measured by this version of the benchmark (see docs/agent.md)');
} finally {
  if (agent.exitCode === null) agent.kill('SIGTERM');
  await new Promise((r) => agent.on('close', r));
}
