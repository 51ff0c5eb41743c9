// Reading many EVTX files, or one large one, on every core: arguments expanded into files (folders walked, sorted),
// files cut into units (a whole file, or a range of chunks of a large one), units read by a task pool (pool.ts)
// and their results handed back in unit order, so output is the same as one pass in one thread. Small inputs are
// read in this thread: starting a worker and warming its compiler costs more than it saves (measured: bench/evtx.ts).
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTaskPool, defaultJobs, orderedHybrid, type TaskContext, type TaskPool } from './pool.ts';
import { readEvtxFile, createReadStats, CHUNK_SIZE, FILE_HEADER_SIZE, type EvtxReadStats } from './reader.ts';
import { recordToJsonLine, writeRecordXml } from './output.ts';
import { ByteSink } from './sink.ts';
import type { EvtxWarning } from './warnings.ts';

/** One `.evtx` file to read: its path and the name shown for it (as given, or the folder argument + relative path). */
export interface EvtxInput { path: string; name: string; size: number }

export interface EvtxInputProblem { path: string; code: 'NOT_FOUND' | 'NO_EVTX_FILES' | 'NOT_EVTX'; detail: string }

/** Files of the arguments: files as given, folders walked (sorted, recursively) for `*.evtx`. */
export function findEvtxInputs(args: readonly string[], resolvePath: (p: string) => string = (p) => p):
  { inputs: EvtxInput[]; problems: EvtxInputProblem[] } {
  const inputs: EvtxInput[] = [];
  const problems: EvtxInputProblem[] = [];
  for (const arg of args) {
    const path = resolvePath(arg);
    let st;
    try { st = statSync(path); } catch (e) {
      problems.push({ path: arg, code: 'NOT_FOUND', detail: (e as NodeJS.ErrnoException).code ?? String(e) });
      continue;
    }
    if (!st.isDirectory()) { inputs.push({ path, name: arg, size: st.size }); continue; }
    const before = inputs.length;
    const walk = (dir: string, shown: string) => {
      let names: string[];
      try { names = readdirSync(dir).sort(); } catch { return; }
      for (const n of names) {
        const p = join(dir, n);
        let s;
        try { s = statSync(p); } catch { continue; }
        if (s.isDirectory()) walk(p, join(shown, n));
        else if (n.toLowerCase().endsWith('.evtx')) inputs.push({ path: p, name: join(shown, n), size: s.size });
      }
    };
    walk(path, arg);
    if (inputs.length === before) problems.push({ path: arg, code: 'NO_EVTX_FILES', detail: 'no .evtx files' });
  }
  return { inputs, problems };
}

/** A piece of work: chunks [firstChunk, endChunk) of one file (the whole file when 0 and Infinity). */
export interface EvtxUnit {
  path: string;
  name: string;
  /** Index of the file in the inputs. */
  file: number;
  firstChunk: number;
  endChunk: number;
  /** Bytes of the file this unit covers (for progress and balancing). */
  bytes: number;
  /** Whether this is the last unit of its file. */
  last: boolean;
}

/** Chunks per unit when a file is cut (64 chunks = 4 MiB). */
export const UNIT_CHUNKS = 64;

/** Cuts files larger than `unitChunks` chunks into chunk ranges; smaller files are one unit each. */
export function planEvtxUnits(inputs: readonly EvtxInput[], unitChunks = UNIT_CHUNKS): EvtxUnit[] {
  const units: EvtxUnit[] = [];
  inputs.forEach((f, file) => {
    const chunks = Math.ceil(Math.max(0, f.size - FILE_HEADER_SIZE) / CHUNK_SIZE);
    if (chunks <= unitChunks * 1.5) {
      units.push({ path: f.path, name: f.name, file, firstChunk: 0, endChunk: Infinity, bytes: f.size, last: true });
      return;
    }
    for (let c = 0; c < chunks; c += unitChunks) {
      const last = c + unitChunks >= chunks;
      const bytes = last ? f.size - FILE_HEADER_SIZE - c * CHUNK_SIZE + (c === 0 ? FILE_HEADER_SIZE : 0)
        : unitChunks * CHUNK_SIZE + (c === 0 ? FILE_HEADER_SIZE : 0);
      units.push({ path: f.path, name: f.name, file, firstChunk: c, endChunk: last ? Infinity : c + unitChunks, bytes, last });
    }
  });
  return units;
}

export type UnitOutput = 'count' | 'jsonl' | 'xml';

export interface UnitTask { unit: EvtxUnit; output: UnitOutput; recover: boolean }

export interface UnitResult {
  unit: EvtxUnit;
  /** Records as JSON lines or XML (empty for 'count'). */
  text: string;
  warnings: EvtxWarning[];
  stats: EvtxReadStats;
}

/** Reads one unit (in a worker or in this thread): the records as text, the warnings named by `unit.name`. */
export function readEvtxUnit(task: UnitTask, ctx?: TaskContext): UnitResult {
  const { unit, output, recover } = task;
  const warnings: EvtxWarning[] = [];
  const stats = createReadStats();
  const parts: string[] = [];
  let size = 0;
  let text = '';
  let chunk = -1;
  const sink = output === 'xml' ? new ByteSink(Math.min(1 << 24, Math.max(1 << 16, unit.bytes * 2))) : undefined;
  const options = {
    recover, firstChunk: unit.firstChunk, endChunk: unit.endChunk,
    onWarning: (w: EvtxWarning) => { warnings.push({ ...w, file: unit.name }); },
  };
  for (const r of readEvtxFile(unit.path, options, stats)) {
    if (ctx && r.chunk !== chunk && (r.chunk & 15) === 0) ctx.progress(stats.bytes);
    chunk = r.chunk;
    if (output === 'count') continue;
    if (sink) { writeRecordXml(r, sink); continue; }
    const s = recordToJsonLine(r, unit.name);
    parts.push(s);
    size += s.length;
    // Joining in slices keeps the parts array short for big units.
    if (size > 1 << 20) { text += parts.join(''); parts.length = 0; size = 0; }
  }
  text += sink ? sink.toString() : parts.join('');
  return { unit, text, warnings, stats };
}

export interface ReadUnitsOptions {
  output: UnitOutput;
  recover?: boolean;
  /**
   * Threads that read, this one included (it reads whenever the next result is not in yet): given, that many
   * (1: this thread only); not given, one per core when the input holds at least `minParallelChunks` chunks,
   * else this thread alone (a worker's start and its cold compiler cost more than they save on small inputs).
   */
  jobs?: number;
  /** Default 2048 (128 MiB of chunks, about 100,000 records). */
  minParallelChunks?: number;
}

const CHUNK_SIG = Buffer.from('ElfChnk\0', 'latin1');

/** Chunks (blocks with a chunk signature) in the units' ranges: 8 bytes read per 64 KiB block. */
export function countChunks(units: readonly EvtxUnit[], stopAt = Infinity): number {
  const sig = Buffer.alloc(8);
  let n = 0;
  for (const u of units) {
    let fd: number;
    try { fd = openSync(u.path, 'r'); } catch { continue; }
    try {
      const size = fstatSync(fd).size;
      const end = Math.min(u.endChunk, Math.ceil(Math.max(0, size - FILE_HEADER_SIZE) / CHUNK_SIZE));
      for (let c = u.firstChunk; c < end; c++) {
        if (readSync(fd, sig, 0, 8, FILE_HEADER_SIZE + c * CHUNK_SIZE) === 8 && sig.equals(CHUNK_SIG)) n++;
      }
    } catch { /* counted as far as readable */ } finally { closeSync(fd); }
    if (n >= stopAt) return n;
  }
  return n;
}

/** Results of `units` in order, read on `jobs` threads. */
export async function* readEvtxUnits(units: readonly EvtxUnit[], options: ReadUnitsOptions): AsyncGenerator<UnitResult, void, undefined> {
  const recover = options.recover === true;
  let jobs = Math.max(1, Math.min(options.jobs ?? defaultJobs(), units.length));
  if (options.jobs === undefined && jobs > 1) {
    const min = options.minParallelChunks ?? 2048;
    if (countChunks(units, min) < min) jobs = 1;
  }
  if (jobs <= 1) {
    for (const unit of units) yield readEvtxUnit({ unit, output: options.output, recover });
    return;
  }
  // This thread reads too: jobs - 1 workers, and here whenever the next result is not in yet.
  const pool: TaskPool = createTaskPool(jobs - 1);
  const self = new URL(import.meta.url);
  pool.warm(self);
  const task = (i: number): UnitTask => ({ unit: units[i]!, output: options.output, recover });
  try {
    // Enough units may be ahead of the one due that a slow one (a large file) leaves no thread idle.
    yield* orderedHybrid(units.length, (i) => pool.run<UnitResult>(self, 'readEvtxUnit', task(i)), (i) => readEvtxUnit(task(i)),
      () => pool.capacity(), jobs * 8);
  } finally {
    await pool.close();
  }
}
