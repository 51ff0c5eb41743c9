// What the replay reads: FILE|DIR arguments become recordings (all .evtx files of one folder together — the logs
// of one machine —, each Mordor archive or JSON-lines file alone), each cut into parts (an .evtx file or a chunk
// range of a large one, a Mordor capture) that are read on every core and handed back in order (read-task.ts).
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { countChunks, createTaskPool, defaultJobs, orderedHybrid, planEvtxUnits, type EvtxUnit, type TaskPool } from '@omamori/evtx';
import { archiveKind } from './archive.ts';
import { readEvtxPart, readMordorPart, readXmlPart, type PartResult, type PartTask, type ReadIssue } from './read-task.ts';
import type { WinRecord } from './win-record.ts';

export type { ReadIssue, PartResult } from './read-task.ts';

export interface Recording {
  /** Name for reports: the archive, or the folder of the .evtx files (relative to the argument's parent). */
  name: string;
  kind: 'evtx' | 'mordor' | 'xml';
  files: string[];
  bytes: number;
}

export interface InputProblem { path: string; code: 'NOT_FOUND' | 'NOT_READABLE' | 'NO_EVENTS_FILES'; detail: string }

/** Expands the arguments; problems name the argument that is wrong. */
export function findRecordings(paths: readonly string[]): { recordings: Recording[]; problems: InputProblem[] } {
  const recordings: Recording[] = [];
  const problems: InputProblem[] = [];
  for (const p of paths) {
    let st;
    try { st = statSync(p); } catch (e) {
      problems.push({ path: p, code: 'NOT_FOUND', detail: (e as NodeJS.ErrnoException).code ?? String(e) });
      continue;
    }
    if (st.isFile()) {
      if (p.toLowerCase().endsWith('.evtx')) recordings.push({ name: basename(p), kind: 'evtx', files: [p], bytes: st.size });
      else if (archiveKind(p)) recordings.push({ name: basename(p), kind: 'mordor', files: [p], bytes: st.size });
      else if (p.toLowerCase().endsWith('.xml')) recordings.push({ name: basename(p), kind: 'xml', files: [p], bytes: st.size });
      else problems.push({ path: p, code: 'NOT_READABLE', detail: 'not .evtx, .xml, .zip, .tar.gz or .json' });
      continue;
    }
    const evtxByDir = new Map<string, { files: string[]; bytes: number }>();
    const before = recordings.length;
    const walk = (dir: string) => {
      let names: string[];
      try { names = readdirSync(dir).sort(); } catch { return; }
      for (const n of names) {
        const f = join(dir, n);
        let s;
        try { s = statSync(f); } catch { continue; }
        if (s.isDirectory()) { walk(f); continue; }
        if (n.toLowerCase().endsWith('.evtx')) {
          const g = evtxByDir.get(dir) ?? { files: [], bytes: 0 };
          g.files.push(f); g.bytes += s.size; evtxByDir.set(dir, g);
        } else if (archiveKind(n)) recordings.push({ name: relative(dirname(p), f), kind: 'mordor', files: [f], bytes: s.size });
        else if (n.toLowerCase().endsWith('.xml')) recordings.push({ name: relative(dirname(p), f), kind: 'xml', files: [f], bytes: s.size });
      }
    };
    walk(p);
    for (const [dir, g] of evtxByDir) recordings.push({ name: relative(dirname(p), dir) || dir, kind: 'evtx', files: g.files, bytes: g.bytes });
    if (recordings.length === before) problems.push({ path: p, code: 'NO_EVENTS_FILES', detail: 'no .evtx, .xml, .zip, .tar.gz or .json files' });
  }
  return { recordings, problems };
}

export interface ReadCallbacks {
  record(r: WinRecord): void;
  /** Bytes of this recording consumed so far. */
  progress?(bytes: number): void;
  /** A damaged part that was skipped (EVTX warning, bad JSON line, damaged archive). */
  issue(i: ReadIssue): void;
}

interface Part { recording: number; task: PartTask; bytes: number }

function planParts(recordings: readonly Recording[], recover: boolean, all: boolean): Part[] {
  const parts: Part[] = [];
  recordings.forEach((rec, recording) => {
    for (const file of rec.files) {
      const short = rec.files.length > 1 ? `${rec.name}/${basename(file)}` : rec.name;
      if (rec.kind === 'mordor' || rec.kind === 'xml') {
        parts.push({ recording, task: { kind: rec.kind, path: file, short, all }, bytes: statSize(file) });
        continue;
      }
      for (const u of planEvtxUnits([{ path: file, name: short, size: statSize(file) }])) {
        parts.push({ recording, task: { kind: 'evtx', path: file, short, firstChunk: u.firstChunk, endChunk: u.endChunk, recover, all }, bytes: u.bytes });
      }
    }
  });
  return parts;
}

export interface ReadOptions {
  /**
   * Threads that read, this one included: given, that many (1: this thread only). Not given: one per core when
   * the input is large enough to repay starting workers (Mordor captures of 8 MiB or more, or 2,048 EVTX
   * chunks), else this thread alone.
   */
  jobs?: number;
  /** Also read records from slack space (EVTX). */
  recover?: boolean;
  /** Keep every record (default: only the kinds the mapping uses; the rest are counted in `unmapped`). */
  all?: boolean;
  /** Bytes read of all recordings, as it goes (per 64 KiB chunk or 1 MiB of archive). */
  onProgress?(done: number, total: number, current: string): void;
}

function chooseJobs(parts: readonly Part[], jobs: number | undefined): number {
  if (jobs !== undefined) return Math.max(1, Math.min(jobs, parts.length));
  const cores = Math.min(defaultJobs(), parts.length);
  if (cores <= 1) return 1;
  const mordor = parts.reduce((n, p) => n + (p.task.kind === 'mordor' ? p.bytes : 0), 0);
  if (mordor >= 8 << 20) return cores;
  const units: EvtxUnit[] = parts.filter((p) => p.task.kind === 'evtx').map((p, file) => ({
    path: p.task.path, name: p.task.short, file, firstChunk: p.task.firstChunk ?? 0, endChunk: p.task.endChunk ?? Infinity, bytes: p.bytes, last: true,
  }));
  return countChunks(units, 2048) >= 2048 ? cores : 1;
}

const SELF = new URL('./read-task' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url);

function runPart(p: Part, pool: TaskPool | undefined, onProgress: (n: number) => void): Promise<PartResult> {
  const fn = p.task.kind === 'evtx' ? 'readEvtxPart' : p.task.kind === 'xml' ? 'readXmlPart' : 'readMordorPart';
  if (pool) return pool.run<PartResult>(SELF, fn, p.task, (n) => onProgress(n as number));
  const ctx = { progress: (n: unknown) => onProgress(n as number) };
  if (p.task.kind === 'evtx') return Promise.resolve(readEvtxPart(p.task, ctx));
  if (p.task.kind === 'xml') return Promise.resolve(readXmlPart(p.task, ctx));
  return readMordorPart(p.task, ctx);
}

/**
 * The parts of `recordings`, read on `jobs` threads, in order: every part of recording 0 first, and so on. Never
 * throws on bad input: problems are in the parts' `issues`.
 */
export async function* readRecordingParts(recordings: readonly Recording[], options: ReadOptions = {}):
  AsyncGenerator<{ recording: number; part: PartResult }, void, undefined> {
  const parts = planParts(recordings, options.recover === true, options.all === true);
  const total = recordings.reduce((n, r) => n + r.bytes, 0);
  const jobs = chooseJobs(parts, options.jobs);
  // This thread reads too (whenever the next part is not in yet): jobs - 1 workers.
  const pool = jobs > 1 ? createTaskPool(jobs - 1) : undefined;
  pool?.warm(SELF);
  // Progress: bytes of finished parts plus what the running ones have reported.
  let finished = 0;
  const running = new Map<number, number>();
  let shown = 0;
  const report = (i: number, n: number) => {
    running.set(i, Math.min(n, parts[i]!.bytes));
    let done = finished;
    for (const v of running.values()) done += v;
    if (done > shown) { shown = done; options.onProgress?.(done, total, recordings[parts[i]!.recording]!.name); }
  };
  try {
    const remote = pool ? (i: number) => runPart(parts[i]!, pool, (n) => report(i, n)) : undefined;
    const local = (i: number) => runPart(parts[i]!, undefined, (n) => report(i, n));
    let i = 0;
    // Parts ahead of the one due hold their records in memory (a Mordor capture can be 100,000 of them): few.
    for await (const part of orderedHybrid(parts.length, remote, local, () => pool?.capacity() ?? 0, pool ? jobs * 2 : 1)) {
      const p = parts[i]!;
      running.delete(i);
      finished += p.bytes;
      if (finished > shown) { shown = finished; options.onProgress?.(finished, total, recordings[p.recording]!.name); }
      i++;
      yield { recording: p.recording, part };
    }
  } finally {
    await pool?.close();
  }
}

/** Reads every record of one recording, in file order, in this thread. Never throws on bad input: problems go to `issue`. */
export async function readRecording(rec: Recording, cb: ReadCallbacks, options: Omit<ReadOptions, 'onProgress' | 'all' | 'jobs'> = {}): Promise<void> {
  for await (const { part } of readRecordingParts([rec], { ...options, jobs: 1, all: true, onProgress: (done) => cb.progress?.(done) })) {
    for (const i of part.issues) cb.issue(i);
    for (const r of part.records) cb.record(r);
  }
}

function statSize(f: string): number {
  try { return statSync(f).size; } catch { return 0; }
}
