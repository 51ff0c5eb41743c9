// UserSpaceProbe: decides "user space" from real permissions, not from path names. A file is user space when it,
// or any directory above it, can be written or replaced by a non-root user (owner, group or other write bits; in
// a sticky directory only an entry's owner can replace it), or when it lies on removable media or a network
// filesystem. `probeOpened` decides on what the kernel opened (the event's fstat and the directory chain the native
// side walked from the event's descriptor); `probe(path)` stats by name and is for paths outside any event.
// Not cached here; the native decision cache, keyed by the file's identity and ctime, spares the repeats.
import { statSync, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { deviceRemovable, mediaKind, mountOf, type MountEntry } from './mounts.ts';

export interface UserSpaceVerdict {
  userSpace: boolean;
  /** Why (for logs and tests): the path whose permissions made it user space, and how. */
  why?: string;
}

/** A file as the kernel opened it (a fanotify event). */
export interface OpenedFile {
  path: string;
  dev: number;
  uid: number;
  gid: number;
  mode: number;
  /** (uid, gid, mode) of each directory above it, nearest first; null when no name leads to the file any more. */
  dirs: Uint32Array | null;
  /** False on filesystems whose content is never read (network, FUSE). */
  contentRead: boolean;
}

/** `unknown`: the directories above the file could not be established (and nothing else made it user space). */
export type OpenedVerdict = UserSpaceVerdict & { unknown?: true };

export interface UserSpaceProbe {
  probe(path: string): UserSpaceVerdict;
  probeOpened(f: OpenedFile): OpenedVerdict;
  /** Re-reads the mount table (call when mounts change). */
  setMounts(mounts: readonly MountEntry[]): void;
}

const S_ISVTX = 0o1000;

/** Whether a non-root user can write this inode (content or, for a directory, its entries). */
function writableBy(uid: number, gid: number, mode: number): string | undefined {
  if (uid !== 0) return `owner uid ${uid}`;
  if ((mode & 0o020) && gid !== 0) return `group ${gid} writable`;
  if (mode & 0o002) return 'writable by others';
  return undefined;
}
function writableByUser(st: BigIntStats): string | undefined {
  return writableBy(Number(st.uid), Number(st.gid), Number(st.mode));
}

/** "major:minor" of an encoded dev_t (glibc's makedev layout, as fstat and Node report it). */
export function deviceName(dev: number): string {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

const MEDIA_PATH = /^\/(run\/)?media\//;

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

  const removableDevs = new Map<number, boolean>();
  function probeOpened(f: OpenedFile): OpenedVerdict {
    if (!f.contentRead) return { userSpace: true, why: 'network or FUSE filesystem' };
    const m = mediaOf(f.path);
    if (m) return { userSpace: true, why: m };
    if (MEDIA_PATH.test(f.path)) return { userSpace: true, why: 'removable media (under /media)' };
    let removable = removableDevs.get(f.dev);
    if (removable === undefined) {
      removable = deviceRemovable(deviceName(f.dev), sys);
      if (removableDevs.size > 256) removableDevs.clear();
      removableDevs.set(f.dev, removable);
    }
    if (removable) return { userSpace: true, why: `removable device ${deviceName(f.dev)}` };
    const own = writableBy(f.uid, f.gid, f.mode);
    if (own) return { userSpace: true, why: `${f.path}: ${own}` };
    if (f.dirs === null) return { userSpace: false, unknown: true, why: `${f.path}: its directory could not be established (renamed or unlinked while deciding)` };
    // In a root-owned sticky directory (e.g. /tmp) only the entry's owner (root here) may replace it.
    let dir = f.path;
    for (let i = 0; i + 2 < f.dirs.length; i += 3) {
      dir = dir.lastIndexOf('/') > 0 ? dir.slice(0, dir.lastIndexOf('/')) : '/';
      const uid = f.dirs[i]!, gid = f.dirs[i + 1]!, mode = f.dirs[i + 2]!;
      const w = writableBy(uid, gid, mode);
      if (w && !(uid === 0 && (mode & S_ISVTX))) return { userSpace: true, why: `${dir}: ${w}` };
    }
    return { userSpace: false };
  }

  return {
    probe,
    probeOpened,
    setMounts(m) { mounts = m; media = new Map(); },
  };
}
