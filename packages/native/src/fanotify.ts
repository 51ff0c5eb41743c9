// fanotify permission listener: typed wrapper over the addon. Mechanism only; the caller decides.
import { requireAddon, type RawEvent, type RawFailRecord, type RawListener } from './load.ts';

/** What the native side answers when TypeScript cannot (late, queue full, unreadable file, stopping). */
export type FailMode = 'open' | 'closed';

/**
 * Which plain opens (FAN_OPEN_PERM) reach `onEvent`, besides execs (FAN_OPEN_EXEC_PERM, always):
 * - `none`: execs only;
 * - `executable`: opens of regular files with any exec bit or ELF / `#!` magic (library loads, `ld.so ./x`,
 *   scripts with a shebang), and every regular-file open by a process whose image is a registered interpreter
 *   (`addInterpreter`); everything else is allowed in C without asking;
 * - `all`: every regular-file open (costly: every read of every file on the marked filesystems goes through JS).
 */
export type OpenEvents = 'none' | 'executable' | 'all';

/**
 * Filesystems marked after start. `all`: every filesystem mounted later whose type is not in `skipTypes`;
 * otherwise those mounted at or beneath one of `beneath`. With `namespaces`, the mount tables of every mount
 * namespace a process that execs lives in are followed too (so a filesystem mounted inside `unshare -m` or a user
 * namespace is marked). `execOnlyTypes` (e.g. nfs, `fuse.*`) are marked for execs only and their content is never
 * read (a stalled server cannot block the loop). `source`: fanotify mount events (Linux 6.15+) or poll() on
 * /proc/PID/mountinfo; `auto` takes the first that works.
 */
export interface FollowMounts {
  all?: boolean;
  beneath?: string[];
  skipTypes?: string[];
  execOnlyTypes?: string[];
  namespaces?: boolean;
  source?: 'auto' | 'fanotify' | 'mountinfo';
}

export interface FanotifyListenerOptions {
  /** Paths whose filesystem (or mount, see `mark`) is watched. May be empty when `follow.all` marks everything. */
  paths: string[];
  /**
   * `filesystem` (default, FAN_MARK_FILESYSTEM): the whole filesystem in every mount namespace, bind mounts too.
   * `mount` (FAN_MARK_MOUNT): only that mount in this namespace; no mount following.
   */
  mark?: 'mount' | 'filesystem';
  follow?: FollowMounts;
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
   * included) no longer generate events until the file is written with write(2), its owner, mode or links change
   * (FAN_ATTRIB watch), or `clearCache()` runs.
   */
  openIgnoreMarks?: boolean;
  /** Called when `onEvent` throws; the event is then answered by `failMode` at its timeout. */
  onHandlerError?: (err: unknown, ev: PermissionEvent) => void;
  /** An event the native side answered by the fail mode without `onEvent` holding it: what the kernel got. */
  onFailure?: (rec: FailureRecord) => void;
}

/** One permission event. The kernel waits until it is answered (by `respond`, the cache or the fail mode). */
export interface PermissionEvent {
  /** Pass to `respond`. */
  id: number;
  /** Process (thread group) that execs or opens. */
  pid: number;
  /** `interp`: the interpreter the previous exec of the same execve asked for (PT_INTERP loader, `#!` program). */
  kind: 'exec' | 'open' | 'interp';
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
  /** False on exec-only filesystems (network, FUSE): header and dirs were not read. */
  contentRead: boolean;
  /** The file's first bytes (up to 4 KiB), read through the event fd. */
  header: Buffer;
  /**
   * The directories above the file as opened, nearest first, as (uid, gid, mode) triples; null when no name
   * leads to this inode any more (unlinked or renamed while the event waited) or a directory was unreadable.
   */
  dirs: Uint32Array | null;
  /** The opener runs a registered interpreter (see `addInterpreter`). */
  interpreterOpen: boolean;
}

export interface FailureRecord {
  pid: number;
  kind: 'exec' | 'open' | 'interp';
  path: string;
  /** What the kernel got. */
  answer: 'allow' | 'deny';
  cause: 'timeout' | 'queue-full' | 'unreadable';
}

/**
 * A pre-verdict compiled by the caller (docs/native.md, "Fast exec allow"): an exec outside every subject class of
 * an ELF program that only root can change, in a directory chain only root can change, on one of `devs`, whose path
 * starts with none of `prefixes` and whose name (with or without a version suffix) is not in `names`, is allowed and
 * cached in C without an event. The caller promises its policy allows every such exec, cacheably.
 */
export interface FastExecRule {
  enabled: boolean;
  names: string[];
  prefixes: string[];
  devs: number[];
  /** The launcher's image when no mark covers it (its own exec is unseen): an exec by it is never fast. */
  launcher?: { dev: number; ino: bigint };
  /**
   * Every script extension of every interpreter language (lowercase, with the dot). Given, an interpreter's open of a
   * file that is not code by content, has none of them and is named by no argument of its command line is allowed
   * in C as data (`dataHits`), whether or not the rule is `enabled`.
   */
  scriptExtensions?: string[];
}

/** `answered`: in time. `late-*`: the fail mode had answered; what the kernel got. `unknown`: no such event. */
export type RespondResult = 'answered' | 'late-allowed' | 'late-denied' | 'unknown';
const RESPOND: readonly RespondResult[] = ['unknown', 'answered', 'late-allowed', 'late-denied'];

export interface MarkedFilesystem {
  dev: number;
  /** Where it was first seen: a mount point, or `ns:<inode> <mount point>` in another mount namespace. */
  where: string;
  type: string;
  execOnly: boolean;
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
  /** Inode ignore marks added (openIgnoreMarks). */
  ignoreMarks: number;
  /** Events whose file could not be stat'd or read: answered by the fail mode. */
  unreadable: number;
  /** `interp` events (the interpreter of the same execve). */
  interpreters: number;
  /** Opens by registered interpreters handed to JS although the file did not look executable. */
  interpreterOpens: number;
  /** Times an attribute change dropped the inode ignore marks. */
  attribFlushes: number;
  /** Fail records JS could not be told about (its queue was full). */
  failRecordsLost: number;
  /** Execs allowed by the fast exec rule without an event. */
  fastAllows: number;
  /** Interpreter opens allowed from the per-process data memo (`respond(..., { processData: true })`). */
  dataHits: number;
  mountChanges: number;
  mountReconciles: number;
  /** Mount namespaces other than ours being followed. */
  namespaces: number;
  markErrors: number;
  mountSource: 'auto' | 'fanotify' | 'mountinfo' | 'none';
  failMode: FailMode;
  timeoutMs: number;
  /** Events waiting for JS now. */
  queueDepth: number;
  cacheSize: number;
  /** Entries in the subject-class table (explicit and inherited). */
  subjects: number;
  running: boolean;
}

export interface FanotifyListener {
  /**
   * Opens the fanotify groups, marks the filesystems and starts the native thread. Throws on kernel errors (EPERM
   * without CAP_SYS_ADMIN, ENOENT for a path). A started listener keeps Node's event loop alive until stop().
   */
  start(onEvent: (ev: PermissionEvent) => void): void;
  /**
   * Answers an event. With `cache: true` the verdict is remembered for this file identity
   * (dev, ino, ctime, mtime), event kind and subject class, and later identical events never reach JS.
   * A late answer (the fail mode already applied) is not cached; the result says what the kernel got.
   * `ignoreOpens` (with `cache`, an allow, and the listener's `openIgnoreMarks`): the kernel stops sending plain
   * opens of this inode. Only when every plain open of the file is allowed for every subject class AND only root
   * can change the file: a store through a shared writable mapping does not drop the mark (write(2) does).
   * `processData` (an allowed `interpreterOpen`): the file is data to this process image, whatever it is to others
   * — later opens of the same file identity by the same process (pid and start time), with no exec by it in
   * between, are allowed in C. Only for processes whose image lies on a marked filesystem (so an exec in place is
   * seen); cleared with the cache.
   */
  respond(id: number, allow: boolean, opts?: { cache?: boolean; ignoreOpens?: boolean; processData?: boolean }): RespondResult;
  /** Reads the pending event's file at `position` through its descriptor; -1 once the event is answered. */
  read(id: number, buf: Buffer, position: number): number;
  /** Fail mode and timeout for events from now on (a policy reload); pending events keep their deadline. */
  setFailSettings(s: { failMode: FailMode; timeoutMs: number }): void;
  /** Registers an interpreter image (device and inode of its file): its processes' opens reach `onEvent`. */
  addInterpreter(dev: number, ino: bigint): void;
  /** Sets (or, with `enabled: false`, turns off) the fast exec rule. */
  setFastExec(f: FastExecRule): void;
  /**
   * Puts `pid` and its future descendants in subject class `cls` (1..2^32-1; 0 clears). The pid is identified
   * with its start time, so a reused pid does not inherit. Returns false when the process is gone.
   */
  setSubjectClass(pid: number, cls: number): boolean;
  clearSubjectClass(pid: number): boolean;
  /** Forgets every cached verdict and drops the inode ignore marks (call on policy reload). */
  clearCache(): void;
  /** The filesystems (or mounts) marked now. */
  marks(): MarkedFilesystem[];
  stats(): FanotifyStats;
  /** Answers every pending event by the fail mode, stops the thread and closes the groups. Idempotent. */
  stop(): void;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1 || x > 0xffffffff) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return x;
}

export function createFanotifyListener(opts: FanotifyListenerOptions): FanotifyListener {
  if (!Array.isArray(opts.paths) || (opts.paths.length === 0 && !opts.follow?.all)) throw new TypeError('paths must list at least one path (or follow.all)');
  if (opts.failMode !== 'open' && opts.failMode !== 'closed') throw new TypeError(`failMode must be 'open' or 'closed'`);
  const opens = opts.opens ?? 'none';
  if (!['none', 'executable', 'all'].includes(opens)) throw new TypeError(`opens must be none, executable or all`);
  const mark = opts.mark ?? 'filesystem';
  if (mark !== 'mount' && mark !== 'filesystem') throw new TypeError(`mark must be 'mount' or 'filesystem'`);
  const f = opts.follow;
  if (f && mark === 'mount') throw new TypeError('follow needs filesystem marks');
  const source = f?.source ?? 'auto';
  if (!['auto', 'fanotify', 'mountinfo'].includes(source)) throw new TypeError(`follow.source must be auto, fanotify or mountinfo`);
  const raw: RawListener = new (requireAddon().Listener)({
    paths: [...opts.paths],
    filesystemMark: mark === 'filesystem',
    openEvents: opens !== 'none',
    openFilter: opens === 'all' ? 0 : 1,
    timeoutMs: positiveInt('timeoutMs', opts.timeoutMs, 200),
    failMode: opts.failMode === 'open' ? 0 : 1,
    maxPending: positiveInt('maxPending', opts.maxPending, 1024),
    cacheCapacity: positiveInt('cacheCapacity', opts.cacheCapacity, 65536),
    ignoreOwnChildren: opts.ignoreOwnChildren ?? true,
    openIgnoreMarks: opts.openIgnoreMarks ?? false,
    ...(f ? {
      follow: {
        all: f.all === true, beneath: [...(f.beneath ?? [])], skipTypes: [...(f.skipTypes ?? [])],
        execOnlyTypes: [...(f.execOnlyTypes ?? [])], namespaces: f.namespaces === true,
        source: source === 'fanotify' ? 1 : source === 'mountinfo' ? 2 : 0,
      },
    } : {}),
  });
  return {
    start(onEvent) {
      raw.start((ev: RawEvent) => {
        try {
          onEvent(ev);
        } catch (err) {
          opts.onHandlerError?.(err, ev);
        }
      }, (rec: RawFailRecord) => {
        try { opts.onFailure?.(rec); } catch { /* a logging failure must not take the listener down */ }
      });
    },
    respond: (id, allow, o) => RESPOND[raw.respond(id, allow, o?.cache === true, o?.ignoreOpens === true, o?.processData === true)] ?? 'unknown',
    read(id, buf, position) {
      if (!Number.isInteger(position) || position < 0) throw new RangeError(`position must be a non-negative integer, got ${position}`);
      return raw.read(id, buf, position);
    },
    setFailSettings(s) {
      if (s.failMode !== 'open' && s.failMode !== 'closed') throw new TypeError(`failMode must be 'open' or 'closed'`);
      raw.setFailSettings(s.failMode === 'open' ? 0 : 1, positiveInt('timeoutMs', s.timeoutMs, 200));
    },
    addInterpreter: (dev, ino) => raw.addInterpreter(dev, ino),
    setFastExec(f) {
      for (const p of f.prefixes) if (!p.startsWith('/')) throw new TypeError(`fast exec prefix must be absolute: ${p}`);
      raw.setFastExec({
        enabled: f.enabled === true, names: [...f.names], prefixes: [...f.prefixes], devs: [...f.devs],
        ...(f.launcher ? { launcher: { dev: f.launcher.dev, ino: f.launcher.ino } } : {}),
        ...(f.scriptExtensions ? { scriptExtensions: f.scriptExtensions.map((e) => e.toLowerCase()) } : {}),
      });
    },
    setSubjectClass(pid, cls) {
      if (!Number.isInteger(pid) || pid < 1) throw new RangeError(`pid must be a positive integer, got ${pid}`);
      if (!Number.isInteger(cls) || cls < 0 || cls > 0xffffffff) throw new RangeError(`class must be 0..2^32-1, got ${cls}`);
      return raw.setSubjectClass(pid, cls);
    },
    clearSubjectClass: (pid) => raw.clearSubjectClass(pid),
    clearCache: () => raw.clearCache(),
    marks: () => raw.marks(),
    stats: () => raw.stats() as unknown as FanotifyStats,
    stop: () => raw.stop(),
  };
}
