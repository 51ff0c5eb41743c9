// A pool of worker threads that run exported functions of task modules (`run(moduleUrl, name, arg)`), for reading
// many event logs on every core. `orderedHybrid` hands results back in order with a bounded look-ahead, so output
// stays deterministic and memory bounded whatever the finishing order, and lets this thread work too.
// Worker threads do not inherit a loader registered in the main thread: when this package runs from TypeScript
// sources, each worker first registers tsx (resolved from here), then imports the worker entry.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Handed to a task function in the worker: reports progress (any structured-clonable value) to the caller. */
export interface TaskContext { progress(value: unknown): void }

/** What a task function may return to have buffers moved rather than copied. */
export interface Transferable<T> { value: T; transfer: ArrayBuffer[] }

export function transferable<T>(value: T, transfer: ArrayBuffer[]): Transferable<T> {
  return { value, transfer };
}

export interface TaskPool {
  /** Number of worker threads (they start on first use, or on `warm`). */
  readonly size: number;
  run<R>(module: URL | string, fn: string, arg: unknown, onProgress?: (value: unknown) => void): Promise<R>;
  /** Starts every worker and has it load `module`; tasks go only to workers that are ready. */
  warm(module: URL | string): void;
  /** Tasks that ready workers could take now without waiting behind others. */
  capacity(): number;
  /** Stops every worker; pending tasks are rejected. */
  close(): Promise<void>;
}

/** Worker threads to use by default: one per core the process may use. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

interface Pending { id: number; resolve(v: unknown): void; reject(e: Error): void; onProgress?: ((v: unknown) => void) | undefined }
interface Slot { worker: Worker; busy: Pending[]; ready: boolean }
interface Queued { msg: { id: number; module: string; fn: string; arg: unknown }; pending: Pending }

const here = fileURLToPath(import.meta.url);
const ext = here.endsWith('.ts') ? '.ts' : '.js';
const entry = new URL(`./pool-worker${ext}`, import.meta.url);

function spawn(): Worker {
  if (ext === '.js') return new Worker(entry);
  // Running from sources: the worker must register tsx before importing TypeScript.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true });
}

export function createTaskPool(size: number = defaultJobs()): TaskPool {
  const slots: Slot[] = [];
  const queue: Queued[] = [];
  let nextId = 1;
  let closed = false;

  // Each worker is given up to DEPTH tasks at once (it runs them in order), so it never waits for this thread
  // to hand it the next one.
  const DEPTH = 2;

  function dispatch(): void {
    while (queue.length > 0) {
      if (slots.length < size) start();
      let slot: Slot | undefined;
      for (const s of slots) if (s.ready && s.busy.length === 0) { slot = s; break; }
      if (!slot) for (const s of slots) if (s.ready && s.busy.length < DEPTH && (!slot || s.busy.length < slot.busy.length)) slot = s;
      if (!slot) return;
      const q = queue.shift()!;
      slot.busy.push(q.pending);
      slot.worker.ref();
      slot.worker.postMessage(q.msg);
    }
  }

  let warmModule: string | undefined;

  function start(): Slot {
    const slot: Slot = { worker: spawn(), busy: [], ready: false };
    const w = slot.worker;
    w.postMessage({ id: 0, warm: warmModule });
    w.on('message', (m: { id: number; progress?: unknown; value?: unknown; error?: string; ready?: true }) => {
      if (m.ready) { slot.ready = true; if (!closed) dispatch(); return; }
      const i = slot.busy.findIndex((p) => p.id === m.id);
      if (i < 0) return;
      const p = slot.busy[i]!;
      if ('progress' in m) { p.onProgress?.(m.progress); return; }
      slot.busy.splice(i, 1);
      if (slot.busy.length === 0) w.unref();
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.value);
      dispatch();
    });
    const fail = (e: Error) => {
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      for (const p of slot.busy.splice(0)) p.reject(e);
      if (!closed) dispatch();
    };
    w.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    w.on('exit', (code) => { if (slots.includes(slot)) fail(new Error(`worker thread stopped (exit code ${code})`)); });
    slots.push(slot);
    return slot;
  }

  return {
    size,
    run<R>(module: URL | string, fn: string, arg: unknown, onProgress?: (value: unknown) => void): Promise<R> {
      if (closed) return Promise.reject(new Error('task pool is closed'));
      return new Promise<R>((resolve, reject) => {
        const id = nextId++;
        const href = typeof module === 'string' ? module : module.href;
        queue.push({ msg: { id, module: href, fn, arg }, pending: { id, resolve: resolve as (v: unknown) => void, reject, onProgress } });
        dispatch();
      });
    },
    warm(module: URL | string) {
      warmModule = typeof module === 'string' ? module : module.href;
      while (slots.length < size) start();
    },
    capacity() {
      let n = 0;
      for (const s of slots) if (s.ready) n += DEPTH - s.busy.length;
      return n;
    },
    async close() {
      closed = true;
      for (const q of queue.splice(0)) q.pending.reject(new Error('task pool is closed'));
      const all = slots.splice(0);
      for (const s of all) for (const p of s.busy.splice(0)) p.reject(new Error('task pool is closed'));
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * Results 0…count-1 in order, each computed by `remote` (a task pool) or by `local` in this thread: this thread
 * is one of the workers (warm from the start, while new workers still load and compile). The one due is done
 * here when nobody has it yet; ready workers (`capacity`) get the next ones; this thread takes another whenever
 * the one due is still out. At most `window` results are computed ahead of the one due. A failure rejects the
 * iteration at its turn; nothing is left running when the iteration ends.
 */
export async function* orderedHybrid<R>(count: number, remote: ((i: number) => Promise<R>) | undefined,
  local: ((i: number) => R | Promise<R>) | undefined, capacity: () => number, window: number): AsyncGenerator<R, void, undefined> {
  const settled = new Map<number, { ok: true; v: R } | { ok: false; e: unknown }>();
  const pending = new Map<number, Promise<void>>();
  let next = 0, out = 0;
  const give = () => {
    // Only to workers that are ready: a task posted to one still starting would wait there, not here.
    while (remote && next < count && next - out < window && capacity() > 0) {
      const i = next++;
      const p = remote(i).then((v) => { settled.set(i, { ok: true, v }); }, (e: unknown) => { settled.set(i, { ok: false, e }); })
        .finally(() => { pending.delete(i); });
      pending.set(i, p);
    }
  };
  const here = async () => {
    const i = next++;
    try { settled.set(i, { ok: true, v: await local!(i) }); } catch (e) { settled.set(i, { ok: false, e }); }
    // Let the workers' answers in before taking another one here.
    await new Promise<void>((r) => setImmediate(r));
  };
  try {
    while (out < count) {
      const s = settled.get(out);
      if (s) {
        settled.delete(out);
        out++;
        if (!s.ok) throw s.e;
        yield s.v;
        continue;
      }
      if (local && next === out) { give(); await here(); continue; }
      give();
      if (local && next < count && next - out < window) { await here(); continue; }
      const p = pending.get(out);
      if (p) await p;
      else await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    await Promise.allSettled([...pending.values()]);
  }
}
