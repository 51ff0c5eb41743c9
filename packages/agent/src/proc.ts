// /proc enrichment: process identity (pid + starttime), parent, image and command line, and the ancestor chain
// of processes that started before the agent. Every reader returns undefined when the process is gone.
import { readFileSync, readlinkSync } from 'node:fs';
import type { ProcessInfo } from '@omamori/policy';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** starttime (field 22) in clock ticks since boot: with the pid, identifies the process for its life. */
  start: number;
  comm: string;
}

export interface ProcReader {
  stat(pid: number): ProcStat | undefined;
  exe(pid: number): string | undefined;
  /** argv as the process set it (NUL-separated in /proc); empty for kernel threads. */
  cmdline(pid: number): string[] | undefined;
  cwd(pid: number): string | undefined;
  /** One variable of the process's initial environment. */
  environ(pid: number, name: string): string | undefined;
  uid(pid: number): number | undefined;
  /** Real gid (the second line of status). */
  gid?(pid: number): number | undefined;
}

/** Parses /proc/PID/stat; `comm` may hold spaces and parentheses, so split after the last ')'. */
export function parseStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  const open = text.indexOf('(');
  if (close < 0 || open < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): field N is rest[N - 3].
  const ppid = Number(rest[1]);
  const start = Number(rest[19]);
  if (!Number.isFinite(ppid) || !Number.isFinite(start)) return undefined;
  return { pid, ppid, start, comm: text.slice(open + 1, close) };
}

export function createProcReader(root = '/proc'): ProcReader {
  const read = (pid: number, file: string): string | undefined => {
    try { return readFileSync(`${root}/${pid}/${file}`, 'latin1'); } catch { return undefined; }
  };
  const link = (pid: number, file: string): string | undefined => {
    try { return readlinkSync(`${root}/${pid}/${file}`); } catch { return undefined; }
  };
  return {
    stat(pid) { const t = read(pid, 'stat'); return t === undefined ? undefined : parseStat(pid, t); },
    exe: (pid) => link(pid, 'exe'),
    cwd: (pid) => link(pid, 'cwd'),
    cmdline(pid) {
      const t = read(pid, 'cmdline');
      if (t === undefined) return undefined;
      const parts = t.split('\0');
      if (parts.length && parts[parts.length - 1] === '') parts.pop();
      return parts;
    },
    environ(pid, name) {
      const t = read(pid, 'environ');
      if (t === undefined) return undefined;
      const prefix = name + '=';
      for (const kv of t.split('\0')) if (kv.startsWith(prefix)) return kv.slice(prefix.length);
      return undefined;
    },
    uid(pid) {
      const t = read(pid, 'status');
      const m = t === undefined ? null : /^Uid:\s+(\d+)/m.exec(t);
      return m ? Number(m[1]) : undefined;
    },
    gid(pid) {
      const t = read(pid, 'status');
      const m = t === undefined ? null : /^Gid:\s+(\d+)/m.exec(t);
      return m ? Number(m[1]) : undefined;
    },
  };
}

/**
 * The ancestors of `ppid` (itself first, nearest first) as the engine's ProcessInfo, stopping after the first one
 * `known` recognises (the engine already has the rest) or at pid 1. Bounded by `max`.
 */
export function readAncestors(proc: ProcReader, ppid: number, known: (pid: number, start: number) => boolean,
  max = 16): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  let pid = ppid;
  while (pid > 0 && out.length < max) {
    const st = proc.stat(pid);
    if (!st) break;
    const info: ProcessInfo = { pid, start: st.start, image: proc.exe(pid) ?? st.comm };
    out.push(info);
    if (known(pid, st.start) || pid === 1) break;
    pid = st.ppid;
  }
  return out;
}
