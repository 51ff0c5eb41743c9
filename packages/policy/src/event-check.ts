// Structural check of an event-model object received from outside (JSON lines, the console API): names the first
// field that is wrong. Sensors inside the process build typed events and need no check.
import { EVENT_KINDS, type OmamoriEvent } from './events.ts';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

function proc(o: Obj, field: string, needImage: boolean): string | undefined {
  const p = o[field];
  if (!isObj(p)) return `'${field}' must be an object`;
  if (typeof p.pid !== 'number' || !Number.isInteger(p.pid)) return `'${field}.pid' must be an integer`;
  if (p.start !== undefined && typeof p.start !== 'number') return `'${field}.start' must be a number`;
  if (p.guid !== undefined && typeof p.guid !== 'string') return `'${field}.guid' must be a string`;
  if ((needImage || p.image !== undefined) && typeof p.image !== 'string') return `'${field}.image' must be a string`;
  return undefined;
}

function file(o: Obj, field: string): string | undefined {
  const f = o[field];
  if (!isObj(f)) return `'${field}' must be an object`;
  if (typeof f.path !== 'string' || f.path === '') return `'${field}.path' must be a non-empty string`;
  return undefined;
}

/** Returns undefined when `x` is a well-formed event of model version 1, else what is wrong. */
export function checkEvent(x: unknown): string | undefined {
  if (!isObj(x)) return 'an event must be a JSON object';
  if (x.v !== 1) return "'v' must be 1 (event model version)";
  if (x.platform !== 'linux' && x.platform !== 'windows') return "'platform' must be 'linux' or 'windows'";
  if (typeof x.kind !== 'string' || !(EVENT_KINDS as readonly string[]).includes(x.kind)) {
    return `'kind' must be one of ${EVENT_KINDS.join(', ')}`;
  }
  if (x.time !== undefined && typeof x.time !== 'number') return "'time' must be a number (ms since the epoch)";
  switch (x.kind as OmamoriEvent['kind']) {
    case 'process.start': return proc(x, 'proc', true) ?? (x.parent !== undefined ? proc(x, 'parent', false) : undefined)
      ?? (x.ancestors !== undefined && !Array.isArray(x.ancestors) ? "'ancestors' must be an array" : undefined);
    case 'process.exit': return proc(x, 'proc', false);
    case 'module.load': case 'script.read': return proc(x, 'proc', false) ?? file(x, 'file');
    case 'file.access':
      return proc(x, 'proc', false) ?? file(x, 'file')
        ?? (['create', 'write', 'rename', 'delete', 'read'].includes(x.op as string) ? undefined : "'op' must be create, write, rename, delete or read");
    case 'persistence.write':
      return proc(x, 'proc', false) ?? (typeof x.location === 'string' ? undefined : "'location' must be a string")
        ?? (typeof x.target === 'string' ? undefined : "'target' must be a string");
    case 'process.access':
      return proc(x, 'proc', false) ?? proc(x, 'target', false)
        ?? (['memory-write', 'memory-read', 'inject', 'ptrace', 'signal'].includes(x.access as string) ? undefined : "'access' must be memory-write, memory-read, inject, ptrace or signal");
    case 'network.connect':
      return proc(x, 'proc', false) ?? (typeof x.address === 'string' && typeof x.port === 'number' ? undefined : "'address' (string) and 'port' (number) are required");
    case 'media.mount':
      return typeof x.mountPoint === 'string' && typeof x.removable === 'boolean' ? undefined : "'mountPoint' (string) and 'removable' (boolean) are required";
  }
}
