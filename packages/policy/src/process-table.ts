// The engine's table of known processes. Keyed by pid (an integer Map, fast) with the start time checked on lookup,
// so a reused pid never resolves to the dead process; Windows ProcessGuids go to their own Map. Bounded: the
// oldest processes are forgotten first.
import type { LineageEntry } from './decision.ts';
import type { ProcessRef } from './events.ts';

/** One process known to the engine. Lineage is built once at start and shared by every decision about it. */
export interface ProcessNode {
  readonly pid: number;
  readonly start: number | undefined;
  readonly guid: string | undefined;
  readonly image: string;
  /** The guarded application this process runs as or inherited from an ancestor. */
  readonly guarded: string | undefined;
  /** The guarded application matched by this process's own image (its profile is its own to use). */
  readonly app: string | undefined;
  /**
   * Windows: started by the service control manager (services.exe), directly or through unguarded descendants of a
   * service, with no COM or WMI activation on the way (those re-parent whatever asked for them). Where the service's
   * binary lies is launch control's business, decided on its own start.
   */
  readonly service: boolean;
  readonly lineage: readonly LineageEntry[];
}

/**
 * A map bounded by two generations: new entries go to `young`; when it holds max/2 entries the old generation is
 * dropped and `young` becomes `old`. Every operation is O(1) and no Map ever accumulates deletions.
 */
class Generations<K> {
  private young = new Map<K, ProcessNode>();
  private old = new Map<K, ProcessNode>();
  constructor(private readonly half: number) {}
  get size(): number { return this.young.size + this.old.size; }
  get(key: K): ProcessNode | undefined { return this.young.get(key) ?? this.old.get(key); }
  set(key: K, node: ProcessNode): void {
    if (this.young.size >= this.half && !this.young.has(key)) { this.old = this.young; this.young = new Map(); }
    this.young.set(key, node);
  }
  delete(key: K): void { this.young.delete(key); this.old.delete(key); }
}

export class ProcessTable {
  private readonly byPid: Generations<number>;
  private readonly byGuid: Generations<string>;
  /** Keeps between max/2 and max processes of each kind (pid-keyed, guid-keyed), the most recent ones. */
  constructor(max: number) {
    const half = Math.max(1, Math.floor(max / 2));
    this.byPid = new Generations(half);
    this.byGuid = new Generations(half);
  }

  get size(): number { return this.byPid.size + this.byGuid.size; }

  get(ref: ProcessRef): ProcessNode | undefined {
    if (ref.guid !== undefined) return this.byGuid.get(ref.guid);
    const n = this.byPid.get(ref.pid);
    return n !== undefined && n.start === ref.start ? n : undefined;
  }

  set(node: ProcessNode): void {
    if (node.guid !== undefined) this.byGuid.set(node.guid, node);
    else this.byPid.set(node.pid, node);
  }

  delete(ref: ProcessRef): void {
    if (ref.guid !== undefined) this.byGuid.delete(ref.guid);
    else if (this.get(ref)) this.byPid.delete(ref.pid);
  }
}
