// fanotify permission listener: typed wrapper over the addon. Mechanism only; the caller decides.
import { requireAddon, type RawEvent, type RawListener } from './load.ts';

/** What the native side answers when TypeScript cannot (late, queue full, stopping). */
export type FailMode = 'open' | 'closed';

/**
 * Which plain opens (FAN_OPEN_PERM) reach `onEvent`, besides execs (FAN_OPEN_EXEC_PERM, always):
 * - `none`: execs only;
 * - `executable`: opens of regular files with any exec bit or ELF / `#!` magic (library loads, `ld.so ./x`,
 *   scripts with a shebang); everything else is allowed in C without asking;
 * - `all`: every regular-file open (costly: every read of every file on the marked mounts goes through JS).
 */
export type OpenEvents = 'none' | 'executable' | 'all';

export interface FanotifyListenerOptions {
  /** Paths whose mount (or filesystem, see `mark`) is watched. */
  paths: string[];
  /** FAN_MARK_MOUNT (default) or FAN_MARK_FILESYSTEM (every mount of the same filesystem, bind mounts too). */
  mark?: 'mount' | 'filesystem';
  opens?: OpenEvents;
  /** How long JS has to answer an event before the native side answers by `failMode`. Default 200. */
  timeoutMs?: number;
  failMode: FailMode;
  /** Events waiting for JS at once; beyond it, events are answered by `failMode` and counted as drops. */
  maxPending?: number;
  /** Decision-cache entries; when full the cache is emptied (see docs/native.md). Default 65536. */
  cacheCapacity?: number;
  /**
   * Allow in C the events of our own direct children (default true). Node's spawn blocks the JS thread until
   * the child has exec'd, so asking JS about it would stall until the timeout.
   */
  ignoreOwnChildren?: boolean;
  /**
   * Allow `respond(id, true, { cache: true, ignoreOpens: true })` to answer later opens in the kernel (default
   * false): an inode ignore mark for FAN_OPEN_PERM, so plain opens of that file (the open that follows an exec
   * included) no longer generate events until the file is written with write(2) or `clearCache()` runs.
   */
  openIgnoreMarks?: boolean;
  /** Called when `onEvent` throws; the event is then answered by `failMode` at its timeout. */
  onHandlerError?: (err: unknown, ev: PermissionEvent) => void;
}

/** One permission event. The kernel waits until it is answered (by `respond`, the cache or the fail mode). */
export interface PermissionEvent {
  /** Pass to `respond`. */
  id: number;
  /** Process (thread group) that execs or opens. */
  pid: number;
  kind: 'exec' | 'open';
  /** Subject class of `pid` or its nearest classed ancestor; 0 when none (see setSubjectClass). */
  subjectClass: number;
  /** readlink of the event fd; may end in " (deleted)" for an unlinked file. */
  path: string;
  dev: number;
  ino: bigint;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ctimeNs: bigint;
  mtimeNs: bigint;
}

export interface FanotifyStats {
  /** Permission events read from the kernel. */
  events: number;
  allowed: number;
  denied: number;
  /** Answered from the decision cache, without JS. */
  cacheHits: number;
  /** Answered by the fail mode because JS was late. */
  timeouts: number;
  /** Answered by the fail mode because too many events were waiting for JS. */
  drops: number;
  /** Opens allowed in C by the open filter (and the open that follows an allowed exec). */
  filtered: number;
  /** Events of our own process (and, with ignoreOwnChildren, of its direct children), allowed in C. */
  selfIgnored: number;
  /** `respond` calls for events already answered. */
  lateResponses: number;
  /** Inode ignore marks added for cached allows (openIgnoreMarks). */
  ignoreMarks: number;
  /** Events waiting for JS now. */
  queueDepth: number;
  cacheSize: number;
  /** Entries in the subject-class table (explicit and inherited). */
  subjects: number;
  running: boolean;
}

export interface FanotifyListener {
  /**
   * Opens the fanotify group, marks the paths and starts the native thread. Throws on kernel errors (EPERM
   * without CAP_SYS_ADMIN, ENOENT for a path). A started listener keeps Node's event loop alive until stop().
   */
  start(onEvent: (ev: PermissionEvent) => void): void;
  /**
   * Answers an event. With `cache: true` the verdict is remembered for this file identity
   * (dev, ino, ctime, mtime), event kind and subject class, and later identical events never reach JS.
   * Returns false when the event was already answered (late: the fail mode applied).
   * `ignoreOpens` (with `cache`, an allow, and the listener's `openIgnoreMarks`): the kernel stops sending plain
   * opens of this inode. Only when every plain open of the file is allowed for every subject class AND only root
   * can change the file: a store through a shared writable mapping does not drop the mark (write(2) does).
   */
  respond(id: number, allow: boolean, opts?: { cache?: boolean; ignoreOpens?: boolean }): boolean;
  /**
   * Puts `pid` and its future descendants in subject class `cls` (1..2^32-1; 0 clears). The pid is identified
   * with its start time, so a reused pid does not inherit. Returns false when the process is gone.
   */
  setSubjectClass(pid: number, cls: number): boolean;
  clearSubjectClass(pid: number): boolean;
  /** Forgets every cached verdict (call on policy reload). */
  clearCache(): void;
  stats(): FanotifyStats;
  /** Answers every pending event by the fail mode, stops the thread and closes the group. Idempotent. */
  stop(): void;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1 || x > 0xffffffff) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return x;
}

export function createFanotifyListener(opts: FanotifyListenerOptions): FanotifyListener {
  if (!Array.isArray(opts.paths) || opts.paths.length === 0) throw new TypeError('paths must list at least one path');
  if (opts.failMode !== 'open' && opts.failMode !== 'closed') throw new TypeError(`failMode must be 'open' or 'closed'`);
  const opens = opts.opens ?? 'none';
  if (!['none', 'executable', 'all'].includes(opens)) throw new TypeError(`opens must be none, executable or all`);
  const raw: RawListener = new (requireAddon().Listener)({
    paths: [...opts.paths],
    filesystemMark: opts.mark === 'filesystem',
    openEvents: opens !== 'none',
    openFilter: opens === 'all' ? 0 : 1,
    timeoutMs: positiveInt('timeoutMs', opts.timeoutMs, 200),
    failMode: opts.failMode === 'open' ? 0 : 1,
    maxPending: positiveInt('maxPending', opts.maxPending, 1024),
    cacheCapacity: positiveInt('cacheCapacity', opts.cacheCapacity, 65536),
    ignoreOwnChildren: opts.ignoreOwnChildren ?? true,
    openIgnoreMarks: opts.openIgnoreMarks ?? false,
  });
  return {
    start(onEvent) {
      raw.start((ev: RawEvent) => {
        try {
          onEvent(ev);
        } catch (err) {
          opts.onHandlerError?.(err, ev);
        }
      });
    },
    respond: (id, allow, o) => raw.respond(id, allow, o?.cache === true, o?.ignoreOpens === true),
    setSubjectClass(pid, cls) {
      if (!Number.isInteger(pid) || pid < 1) throw new RangeError(`pid must be a positive integer, got ${pid}`);
      if (!Number.isInteger(cls) || cls < 0 || cls > 0xffffffff) throw new RangeError(`class must be 0..2^32-1, got ${cls}`);
      return raw.setSubjectClass(pid, cls);
    },
    clearSubjectClass: (pid) => raw.clearSubjectClass(pid),
    clearCache: () => raw.clearCache(),
    stats: () => raw.stats() as unknown as FanotifyStats,
    stop: () => raw.stop(),
  };
}
