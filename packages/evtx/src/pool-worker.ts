// Entry of a task-pool worker thread (pool.ts): imports the requested task module once, calls the named export
// with the argument and a progress reporter, and answers with the value (buffers of a `transferable` moved).
import { parentPort } from 'node:worker_threads';
import type { TaskContext, Transferable } from './pool.ts';

type TaskFn = (arg: unknown, ctx: TaskContext) => unknown;
const modules = new Map<string, Promise<Record<string, unknown>>>();

function isTransferable(v: unknown): v is Transferable<unknown> {
  return typeof v === 'object' && v !== null && 'transfer' in v && 'value' in v && Array.isArray((v as { transfer: unknown }).transfer);
}

function load(module: string): Promise<Record<string, unknown>> {
  let mod = modules.get(module);
  // Layer exception: the specifier is the file URL of the caller's own task module (pool.ts runTask), never a
  // package name, so it cannot cross a layer; the caller's import of that module is checked where it is written.
  // eslint-disable-next-line omamori/layers
  if (!mod) { mod = import(module) as Promise<Record<string, unknown>>; modules.set(module, mod); }
  return mod;
}

parentPort!.on('message', async (m: { id: number; module: string; fn: string; arg: unknown; warm?: string }) => {
  const port = parentPort!;
  if (m.id === 0) {
    // Ready once the task module (when named) is loaded, so that tasks are only sent to a worker that can start.
    try { if (m.warm) await load(m.warm); } catch { /* the task itself will report it */ }
    port.postMessage({ id: 0, ready: true });
    return;
  }
  try {
    const fn = (await load(m.module))[m.fn];
    if (typeof fn !== 'function') throw new Error(`${m.module} has no task function '${m.fn}'`);
    const out = await (fn as TaskFn)(m.arg, { progress: (value) => port.postMessage({ id: m.id, progress: value }) });
    if (isTransferable(out)) port.postMessage({ id: m.id, value: out.value }, out.transfer);
    else port.postMessage({ id: m.id, value: out });
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
