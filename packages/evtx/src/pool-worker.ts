// Entry of a task-pool worker thread (pool.ts): imports the requested task module once, calls the named export
// with the argument and a progress reporter, and answers with the value (buffers of a `transferable` moved).
import { parentPort } from 'node:worker_threads';
import type { TaskContext, Transferable } from './pool.ts';

type TaskFn = (arg: unknown, ctx: TaskContext) => unknown;
const modules = new Map<string, Promise<Record<string, unknown>>>();

function isTransferable(v: unknown): v is Transferable<unknown> {
  return typeof v === 'object' && v !== null && 'transfer' in v && 'value' in v && Array.isArray((v as { transfer: unknown }).transfer);
}

parentPort!.on('message', async (m: { id: number; module: string; fn: string; arg: unknown }) => {
  const port = parentPort!;
  try {
    let mod = modules.get(m.module);
    if (!mod) { mod = import(m.module) as Promise<Record<string, unknown>>; modules.set(m.module, mod); }
    const fn = (await mod)[m.fn];
    if (typeof fn !== 'function') throw new Error(`${m.module} has no task function '${m.fn}'`);
    const out = await (fn as TaskFn)(m.arg, { progress: (value) => port.postMessage({ id: m.id, progress: value }) });
    if (isTransferable(out)) port.postMessage({ id: m.id, value: out.value }, out.transfer);
    else port.postMessage({ id: m.id, value: out });
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
