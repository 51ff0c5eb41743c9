// UserSpaceProbe: decides "user space" from real permissions, not from path names. A file is user space when it,
// or any directory above it, can be written or replaced by a non-root user (owner, group or other write bits; in
// a sticky directory only an entry's owner can replace it), or when it lies on removable media or a network
// filesystem. Not cached here: a verdict depends on every directory above, so each probe stats the chain (a few
// microseconds); the native decision cache, keyed by the file's identity and ctime, spares the repeats.
import { statSync, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { mediaKind, mountOf, type MountEntry } from './mounts.ts';

export interface UserSpaceVerdict {
  userSpace: boolean;
  /** Why (for logs and tests): the path whose permissions made it user space, and how. */
  why?: string;
}

export interface UserSpaceProbe {
  probe(path: string): UserSpaceVerdict;
  /** Re-reads the mount table (call when mounts change). */
  setMounts(mounts: readonly MountEntry[]): void;
}

const S_ISVTX = 0o1000;

/** Whether a non-root user can write this inode (content or, for a directory, its entries). */
function writableByUser(st: BigIntStats): string | undefined {
  const mode = Number(st.mode);
  if (st.uid !== 0n) return `owner uid ${st.uid}`;
  if ((mode & 0o020) && st.gid !== 0n) return `group ${st.gid} writable`;
  if (mode & 0o002) return 'writable by others';
  return undefined;
}

export function createUserSpaceProbe(opts: { mounts: readonly MountEntry[]; sys?: string}): UserSpaceProbe {
  let mounts = opts.mounts;
  const sys = opts.sys ?? '/sys';
  let media = new Map<string, 'removable' | 'network' | undefined>();

  function mediaOf(path: string): string | undefined {
    const m = mountOf(mounts, path);
    if (!m) return undefined;
    if (!media.has(m.mountPoint)) media.set(m.mountPoint, mediaKind(m, sys));
    const k = media.get(m.mountPoint);
    return k === undefined ? undefined : `${k} media at ${m.mountPoint}`;
  }

  /** Verdict for a directory and everything above it (the directory's own entries can be replaced?). */
  function dirVerdict(dir: string): UserSpaceVerdict {
    let st: BigIntStats;
    try { st = statSync(dir, { bigint: true }); } catch { return { userSpace: false }; }
    let verdict: UserSpaceVerdict;
    const own = writableByUser(st);
    // A directory others may write without the sticky bit: any entry in it can be replaced by them.
    if (own && !(st.uid === 0n && (Number(st.mode) & S_ISVTX))) verdict = { userSpace: true, why: `${dir}: ${own}` };
    else if (dir === '/') verdict = { userSpace: false };
    else verdict = dirVerdict(dirname(dir));
    return verdict;
  }

  function probe(path: string): UserSpaceVerdict {
    const m = mediaOf(path);
    if (m) return { userSpace: true, why: m };
    let st: BigIntStats;
    try { st = statSync(path, { bigint: true }); } catch { return dirVerdict(dirname(path)); }
    const own = writableByUser(st);
    if (own) return { userSpace: true, why: `${path}: ${own}` };
    // In a sticky directory (e.g. /tmp) only the entry's owner (root here) or the directory owner may replace
    // it; the directory's own writability therefore does not make a root-owned entry user space.
    return dirVerdict(dirname(path));
  }

  return {
    probe,
    setMounts(m) { mounts = m; media = new Map(); },
  };
}
