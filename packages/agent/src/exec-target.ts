// What a process blocked in execve is executing, read from /proc while the kernel waits for our verdict: the
// syscall and its arguments (/proc/PID/syscall) and the path string in the process's memory (/proc/PID/mem; the old
// image's memory, still in place before the exec's point of no return). Used when the first exec event of an execve
// is its ELF loader: the program itself was on no marked filesystem (a tmpfs in a namespace we have not marked yet,
// a memfd) or the loader was started by name (`ld.so PROGRAM`, `ldd`).
import { closeSync, openSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';

const SYS_EXECVE = 59, SYS_EXECVEAT = 322; // x86-64
const AT_FDCWD = -100;

export interface ExecTarget {
  /** The path as the process passed it (or "" for fexecve / execveat with AT_EMPTY_PATH). */
  given: string;
  /** The file it names, resolved in the process's view: `/proc/PID/root/...`, `/proc/PID/fd/N`. */
  resolved: string;
  /** readlink of the descriptor for fexecve (e.g. `/memfd:payload (deleted)`). */
  fdLink?: string;
  /** (dev, ino) of the target when it could be stat'd. */
  dev?: number;
  ino?: bigint;
}

function readString(pid: number, addr: bigint): string | undefined {
  if (addr === 0n) return undefined;
  let fd: number;
  try { fd = openSync(`/proc/${pid}/mem`, 'r'); } catch { return undefined; }
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, addr);
    const end = buf.indexOf(0);
    return buf.toString('utf8', 0, end < 0 || end > n ? n : end);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function syscallArgs(pid: number): { nr: number; arg: (i: number) => bigint } | undefined {
  let fields: string[];
  try { fields = readFileSync(`/proc/${pid}/syscall`, 'latin1').trim().split(' '); } catch { return undefined; }
  return { nr: Number(fields[0]), arg: (i: number) => BigInt(fields[i + 1] ?? '0') };
}

/**
 * Variables of the environment an execve in progress passes to the new image (its envp), for `names` only; undefined
 * when the process is not in execve. (Until the exec completes, /proc/PID/environ still shows the old image's.)
 */
export function execEnvironment(pid: number, names: readonly string[]): Record<string, string> | undefined {
  if (process.arch !== 'x64') return undefined;
  const s = syscallArgs(pid);
  if (!s || (s.nr !== SYS_EXECVE && s.nr !== SYS_EXECVEAT)) return undefined;
  const envp = s.arg(s.nr === SYS_EXECVE ? 2 : 3);
  if (envp === 0n) return {};
  let fd: number;
  try { fd = openSync(`/proc/${pid}/mem`, 'r'); } catch { return undefined; }
  const out: Record<string, string> = {};
  try {
    const ptrs = Buffer.alloc(8 * 512);
    const n = readSync(fd, ptrs, 0, ptrs.length, envp);
    const str = Buffer.alloc(4096);
    for (let i = 0; i + 8 <= n; i += 8) {
      const at = ptrs.readBigUInt64LE(i);
      if (at === 0n) break;
      const m = readSync(fd, str, 0, str.length, at);
      const end = str.indexOf(0);
      const kv = str.toString('utf8', 0, end < 0 || end > m ? m : end);
      const eq = kv.indexOf('=');
      if (eq > 0 && names.includes(kv.slice(0, eq))) out[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  } catch { /* memory gone meanwhile */ } finally {
    closeSync(fd);
  }
  return out;
}

/** The file an execve in progress names, or undefined (not in execve, another architecture, process gone). */
export function execTarget(pid: number): ExecTarget | undefined {
  if (process.arch !== 'x64') return undefined;
  const s = syscallArgs(pid);
  if (!s) return undefined;
  const { nr, arg } = s;
  let dirfd = AT_FDCWD, pathAddr: bigint;
  if (nr === SYS_EXECVE) pathAddr = arg(0);
  else if (nr === SYS_EXECVEAT) { dirfd = Number(BigInt.asIntN(32, arg(0))); pathAddr = arg(1); }
  else return undefined;
  const given = readString(pid, pathAddr) ?? '';
  let resolved: string;
  let fdLink: string | undefined;
  if (given.startsWith('/')) resolved = `/proc/${pid}/root${given}`;
  else if (given === '' && dirfd >= 0) {
    resolved = `/proc/${pid}/fd/${dirfd}`;
    try { fdLink = readlinkSync(resolved); } catch { /* closed meanwhile */ }
  } else if (dirfd === AT_FDCWD) resolved = `/proc/${pid}/cwd/${given}`;
  else resolved = `/proc/${pid}/fd/${dirfd}/${given}`;
  // `/proc/self/fd/N` (and /dev/fd/N) as the process names it: its own descriptor.
  const self = /^\/(?:proc\/self|dev)\/fd\/(\d+)$/.exec(given);
  if (self) {
    resolved = `/proc/${pid}/fd/${self[1]}`;
    try { fdLink = readlinkSync(resolved); } catch { /* closed meanwhile */ }
  }
  const t: ExecTarget = { given, resolved };
  if (fdLink !== undefined) t.fdLink = fdLink;
  try {
    const st = statSync(resolved, { bigint: true });
    t.dev = Number(st.dev);
    t.ino = st.ino;
  } catch { /* unreachable from here */ }
  return t;
}

/** A file that lives on no mounted filesystem: a memfd or another anonymous (deleted, internal) file. */
export function isMemoryFile(t: ExecTarget): boolean {
  return t.fdLink !== undefined && (t.fdLink.startsWith('/memfd:') || t.fdLink.startsWith('anon_inode:'));
}
