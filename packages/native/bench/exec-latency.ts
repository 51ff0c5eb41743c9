// Per-exec cost of the fanotify listener: fork+exec+wait of a copy of /bin/true on a marked tmpfs vs the same
// copy on an unmarked tmpfs, rounds interleaved, with (a) every exec decided in JS, (b) decided once then
// answered from the decision cache, (c) cache with a subject-class table (the /proc ancestry walk).
// Re-executes itself in a private mount namespace.
//   node --import tsx packages/native/bench/exec-latency.ts [execs-per-round]
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFanotifyListener, type FanotifyListener } from '../src/index.ts';

const self = fileURLToPath(import.meta.url);
const n = Number(process.argv[2] ?? 2000);

if (process.env.OMAMORI_BENCH_NS !== readlinkSync('/proc/self/ns/mnt') + ':inside') {
  if (process.env.OMAMORI_BENCH_NS) throw new Error('not in a private mount namespace');
  const parentNs = readlinkSync('/proc/self/ns/mnt');
  const child = spawn('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c',
    'OMAMORI_BENCH_NS="$(readlink /proc/self/ns/mnt):inside" exec "$0" "$@"', process.execPath, '--import', 'tsx', self, String(n)],
  { stdio: 'inherit', env: { ...process.env, OMAMORI_BENCH_PARENT: parentNs } });
  child.on('close', (code) => process.exit(code ?? 1));
} else {
  if (readlinkSync('/proc/self/ns/mnt') === process.env.OMAMORI_BENCH_PARENT) throw new Error('mount namespace not private');
  await main();
}

function loop(bin: string, count: number, path: string): Promise<{ ns: number; p90: number; failed: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, [String(count), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.on('close', (code) => {
      const [ns, p90, failed] = out.trim().split(' ').map(Number);
      if (code !== 0 || ns === undefined || p90 === undefined || failed === undefined) reject(new Error(`exec-loop exited ${code}`));
      else resolve({ ns, p90, failed });
    });
  });
}

/** Per-exec p50 over 5 interleaved rounds of (unmarked, marked): [unmarked p50, marked p50, median delta]. */
async function paired(bin: string, unmarked: string, marked: string): Promise<[number, number, number]> {
  await loop(bin, 200, unmarked);
  await loop(bin, 200, marked);
  const us: number[] = [];
  const ms: number[] = [];
  const ds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = await loop(bin, n, unmarked);
    const b = await loop(bin, n, marked);
    if (a.failed || b.failed) throw new Error(`${a.failed + b.failed} execs failed`);
    us.push(a.ns); ms.push(b.ns); ds.push(b.ns - a.ns);
  }
  const med = (xs: number[]) => xs.sort((x, y) => x - y)[2] ?? NaN;
  return [med(us), med(ms), med(ds)];
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'omamori-bench-'));
  const marked = join(work, 'marked');
  const plain = join(work, 'plain');
  for (const d of [marked, plain]) {
    execFileSync('mkdir', [d]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'omamori-bench', d]);
  }
  const bin = join(work, 'exec-loop');
  execFileSync('cc', ['-O2', '-o', bin, fileURLToPath(new URL('./exec-loop.c', import.meta.url))]);
  const unmarkedTrue = join(plain, 'true');
  const markedTrue = join(marked, 'true');
  copyFileSync('/bin/true', unmarkedTrue);
  copyFileSync('/bin/true', markedTrue);
  let l: FanotifyListener | undefined;
  try {
    const rows: [string, [number, number, number]][] = [];
    rows.push(['no listener (both unmarked)', await paired(bin, unmarkedTrue, markedTrue)]);
    l = createFanotifyListener({ paths: [marked], failMode: 'open', timeoutMs: 1000 });
    let mode: 'js' | 'cache' = 'js';
    const listener = l;
    listener.start((ev) => listener.respond(ev.id, true, { cache: mode === 'cache' }));
    rows.push(['JS decides every exec', await paired(bin, unmarkedTrue, markedTrue)]);
    mode = 'cache';
    rows.push(['decision cache', await paired(bin, unmarkedTrue, markedTrue)]);
    listener.setSubjectClass(process.pid, 1); // non-empty class table: every event walks /proc ancestry
    rows.push(['decision cache + subject-class walk', await paired(bin, unmarkedTrue, markedTrue)]);
    const s = listener.stats();
    console.log(`fork+exec+wait of a /bin/true copy: per-exec median, ${n} execs per round, 5 interleaved rounds`);
    console.log(`${'listener mode'.padEnd(38)} unmarked µs   marked µs   added µs/exec`);
    for (const [name, [u, m, d]] of rows) {
      console.log(`${name.padEnd(38)} ${(u / 1000).toFixed(1).padStart(11)} ${(m / 1000).toFixed(1).padStart(11)} ${(d / 1000).toFixed(1).padStart(15)}`);
    }
    console.log(`stats: events=${s.events} cacheHits=${s.cacheHits} timeouts=${s.timeouts} drops=${s.drops}`);
  } finally {
    l?.stop();
    for (const d of [marked, plain]) execFileSync('umount', ['-l', d]);
    rmSync(work, { recursive: true, force: true });
  }
}
