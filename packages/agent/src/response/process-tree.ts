// The process tree as evidence: every /proc/PID with its parent, start time, image, command line, owner and the
// sha256 of the image actually mapped (read through /proc/PID/exe, so a deleted or replaced binary still hashes).
import { fstatSync, readFileSync, readdirSync, closeSync } from 'node:fs';
import { createProcReader } from '../proc.ts';
import { openQuietly, streamFd } from './read-only.ts';

export interface EvidenceProcess {
  pid: number;
  ppid: number;
  comm: string;
  /** Start time (ISO, from boot time + starttime ticks) and the raw ticks, which with the pid identify it. */
  startTime: string | null;
  startTicks: number;
  exe: string | null;
  /** The kernel says the image was deleted or replaced after start. */
  exeDeleted: boolean;
  exeSha256: string | null;
  cmdline: string[];
  uid: number | null;
}

export interface ProcessTreeOptions { procRoot?: string; clockTicks?: number }

function bootTimeSeconds(procRoot: string): number | undefined {
  try {
    const m = /^btime\s+(\d+)/m.exec(readFileSync(`${procRoot}/stat`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch { return undefined; }
}

/** Reads every process; processes that exit mid-scan are skipped. Image hashes are cached by device+inode. */
export function readProcessTree(opts: ProcessTreeOptions = {}): EvidenceProcess[] {
  const root = opts.procRoot ?? '/proc';
  const ticks = opts.clockTicks ?? 100;   // USER_HZ is 100 on every Linux architecture Node runs on
  const proc = createProcReader(root);
  const boot = bootTimeSeconds(root);
  const cache = new Map<string, string>();
  const out: EvidenceProcess[] = [];
  const pids = readdirSync(root).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    const st = proc.stat(pid);
    if (!st) continue;
    const exe = proc.exe(pid) ?? null;
    let exeSha256: string | null = null;
    if (exe !== null) {
      try {
        const fd = openQuietly(`${root}/${pid}/exe`);
        try {
          const s = fstatSync(fd);
          const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
          exeSha256 = cache.get(key) ?? streamFd(fd).sha256;
          cache.set(key, exeSha256);
        } finally { closeSync(fd); }
      } catch { /* gone, or a kernel thread */ }
    }
    out.push({
      pid, ppid: st.ppid, comm: st.comm,
      startTime: boot === undefined ? null : new Date((boot + st.start / ticks) * 1000).toISOString(),
      startTicks: st.start,
      exe: exe === null ? null : exe.replace(/ \(deleted\)$/, ''),
      exeDeleted: exe !== null && exe.endsWith(' (deleted)'),
      exeSha256,
      cmdline: proc.cmdline(pid) ?? [],
      uid: proc.uid(pid) ?? null,
    });
  }
  return out;
}
