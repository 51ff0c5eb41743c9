// What the benchmarks that start programs share: a child's resident memory and a stop that cannot hang.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resident set size of a process, in KiB (0 when gone). */
export function vmRssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** SIGTERM, then SIGKILL after 10 s if it is still there; resolves once it closed. */
export async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const closed = new Promise((r) => c.once('close', r));
  process.kill(c.pid!, 'SIGTERM');
  const guard = setTimeout(() => { if (c.exitCode === null && c.signalCode === null) process.kill(c.pid!, 'SIGKILL'); }, 10_000);
  await closed;
  clearTimeout(guard);
}
