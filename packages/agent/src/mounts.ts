// The mount table (/proc/self/mountinfo): which filesystems the agent marks by default (local ones), and which
// mounts hold user space by nature (removable media, network filesystems).
import { readFileSync } from 'node:fs';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  /** "major:minor" of the filesystem's device. */
  device: string;
}

/** Filesystems that hold no programs of their own or are not files at all: never marked by default. */
const VIRTUAL_FS = new Set([
  'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue', 'debugfs', 'tracefs', 'securityfs', 'pstore',
  'bpf', 'configfs', 'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'efivarfs', 'rpc_pipefs', 'nsfs', 'devtmpfs',
]);

const NETWORK_FS = new Set([
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', '9p', 'ceph', 'glusterfs', 'afs', 'fuse.sshfs', 'fuse.davfs', 'davfs',
  'fuse.rclone', 'fuse.s3fs', 'lustre', 'ocfs2', 'gfs2',
]);

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 6 || f.length < dash + 3) continue;
    out.push({ mountPoint: unescape(f[4]!), device: f[2]!, fsType: f[dash + 1]!, source: unescape(f[dash + 2]!) });
  }
  return out;
}

export function readMounts(file = '/proc/self/mountinfo'): MountEntry[] {
  return parseMountInfo(readFileSync(file, 'utf8'));
}

/** Filesystem types never marked (no programs of their own, or not files at all). */
export function virtualFsTypes(): string[] {
  return [...VIRTUAL_FS];
}

/**
 * Filesystem types marked for execs only, whose content the agent never reads: a stalled server (NFS, SMB) or a
 * FUSE daemon waiting on one of our own permission events would otherwise block the decision loop. Their programs
 * are user space by nature.
 */
export function execOnlyFsTypes(): string[] {
  return [...NETWORK_FS, 'fuse', 'fuse.*', 'fuseblk'];
}

export function isNetworkFs(fsType: string): boolean {
  return NETWORK_FS.has(fsType);
}

/** Filesystems a default `omamori protect` marks: every mount that is not virtual (network and FUSE: execs only). */
export function localMounts(mounts: MountEntry[]): MountEntry[] {
  return mounts.filter((m) => !VIRTUAL_FS.has(m.fsType));
}

/** Whether the block device behind a mount says it is removable (/sys/dev/block/M:m, or its whole disk). */
export function deviceRemovable(device: string, sys = '/sys'): boolean {
  for (const rel of ['removable', '../removable']) {
    try {
      if (readFileSync(`${sys}/dev/block/${device}/${rel}`, 'utf8').trim() === '1') return true;
    } catch { /* not a block device, or no such attribute */ }
  }
  return false;
}

/** The mount holding `path` (longest mount point prefix). */
export function mountOf(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const inside = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : mp + '/');
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** Removable media or network: user space by nature. Mounts under /media and /run/media count as removable. */
export function mediaKind(m: MountEntry, sys = '/sys'): 'removable' | 'network' | undefined {
  if (NETWORK_FS.has(m.fsType)) return 'network';
  if (/^\/(run\/)?media\//.test(m.mountPoint)) return 'removable';
  if (deviceRemovable(m.device, sys)) return 'removable';
  return undefined;
}
