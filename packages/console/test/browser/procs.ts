// Child processes for the browser end-to-end test: the real `omamori console`, `omamori agent enroll|run` (the agent
// inside a private mount namespace, marking only a tmpfs it mounted there), each stopped by its pid. Also a free
// port, the built web UI (built here when dist/ is missing) and Chromium launch options for this machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI = `${ROOT}packages/cli/bin/omamori.mjs`;
export const WEB_DIST = `${ROOT}packages/console/web/dist`;

export const CHROMIUM = {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
};

export function ensureWebBuilt(): void {
  if (existsSync(`${WEB_DIST}/index.html`)) return;
  const r = spawnSync(process.execPath, [`${ROOT}node_modules/vite/bin/vite.js`, 'build', 'packages/console/web', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the web UI failed (npm run build:web): ${r.stderr}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A started child with its output collected, waiting for lines, and a stop by pid. */
export interface Proc {
  child: ChildProcess; pid: number;
  out(): string; err(): string;
  waitFor(re: RegExp, what: 'stdout' | 'stderr', ms: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

export function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  if (!child.pid) throw new Error(`cannot start ${cmd}`);
  let out = ''; let err = '';
  const waiters = new Set<() => void>();
  const poke = () => { for (const w of waiters) w(); };
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); poke(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); poke(); });
  let exited = false;
  const done = new Promise<void>((r) => child.on('exit', () => { exited = true; poke(); r(); }));
  const pid = child.pid;
  return {
    child, pid, out: () => out, err: () => err,
    waitFor(re, what, ms) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = (what === 'stdout' ? out : err).match(re);
          if (m) { cleanup(); resolve(m); return; }
          if (exited) { cleanup(); reject(new Error(`${cmd} exited before printing ${re}\nstdout: ${out}\nstderr: ${err}`)); }
        };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${re} on ${what}\nstdout: ${out}\nstderr: ${err}`)); }, ms);
        const cleanup = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (exited) return;
      try { process.kill(pid, 'SIGTERM'); } catch { return; }
      const killer = setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
      await done;
      clearTimeout(killer);
    },
  };
}

export function runCli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--lang', 'en', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `omamori agent run` inside a private mount namespace: a tmpfs at `mnt` (only there) holds `alice/evil-tool`, a
 * copy of /usr/bin/true owned by uid 1000 (user space); the agent marks only that tmpfs.
 */
export function startAgentInNamespace(stateDir: string, mnt: string): Proc {
  const script = `set -e
mount -t tmpfs -o size=8m,mode=0755 omamori-e2e "$MNT"
mkdir "$MNT/alice"
cp /usr/bin/true "$MNT/alice/evil-tool"
chmod 755 "$MNT/alice/evil-tool"
chown -R 1000:1000 "$MNT/alice"
exec "$NODE" "$CLI" --lang en agent run --state "$STATE" --mount "$MNT"`;
  return start('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { MNT: mnt, STATE: stateDir, NODE: process.execPath, CLI });
}

/** Runs a program inside the agent's mount namespace (where the tmpfs is). */
export function execInAgentNamespace(agentPid: number, path: string): { code: number | null; stderr: string } {
  const r = spawnSync('nsenter', ['-t', String(agentPid), '-m', path], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}
