// Maps fanotify permission events to the event model, asks the engine, answers the kernel and logs what would be
// or was stopped. FAN_OPEN_EXEC_PERM → process.start; FAN_OPEN_PERM of code → module.load (ELF shared objects,
// `ld.so FILE`, LD_PRELOAD) or script.read (the script an interpreter runs). Everything else is allowed fast.
//
// `#!` scripts: exec of a script yields an exec event for the script, then one for its interpreter, in the same
// pid. The script is decided; the interpreter of an allowed script is allowed without asking the engine (so a
// guarded browser starting `xdg-open`, a /bin/sh script, is not refused as "sh").
//
// Cache invariant (native decision cache keyed by file identity, kind and subject class): only allows are cached,
// when the engine says `cacheable` (so every deny and audit-deny reaches us and is logged), never for a script
// (its interpreter exec must reach us) and never for an exec in a guarded class (the ELF loader and script
// interpreters those exec must reach us: a shell is refused as a child but allowed as an allowed script's
// interpreter). An open of a program or script that is not a load (cp, a linker, an editor) is allowed; it is cached
// when a load of that file would be allowed and cacheable too (the verdict then holds whoever opens it), so only
// opens of refused code keep reaching us.
//
// Kernel ignore marks (listener option openIgnoreMarks): a cached allow of a file only root can change (not user
// space) also asks the kernel to stop sending plain opens of that inode. Sound because every allow cached here holds
// for any plain open of the file by any process (module.load/script.read verdicts depend on the file alone; an exec
// is cached only outside guarded classes, and an allowed cacheable exec implies an allowed load of the same file).
// Never for user-space files: a store through a shared writable mapping changes a file without dropping the mark.
//
// Guarded by label: `omamori run --app ID` passes `--label ID` to omamori-launch. When the launcher execs its
// target, the exec'ing process is still the launcher image, so its /proc cmdline names ID: the target starts
// contained and guarded as ID (ProcessInfo.guardedAs), whatever its image.
import { basename } from 'node:path';
import {
  normalizePath, type Decision, type Engine, type FileRef, type ModuleLoadEvent, type OmamoriEvent, type ProcessInfo,
  type ProcessRef,
} from '@omamori/policy';
import { launcherLabel, type PermissionEvent } from '@omamori/native';
import { classifyFile, type FileKind } from './file-kind.ts';
import type { PackageDb } from './package-db.ts';
import { resolvePath } from './package-db.ts';
import { readAncestors, type ProcReader, type ProcStat } from './proc.ts';
import type { UserSpaceProbe } from './user-space-probe.ts';

export interface KernelAnswer {
  respond(id: number, allow: boolean, opts?: { cache?: boolean; ignoreOpens?: boolean }): boolean;
  setSubjectClass(pid: number, cls: number): boolean;
}

export interface DecisionSink {
  record(time: number, kind: string, pid: number, d: Decision, detail?: Record<string, unknown>): void;
}

export interface LaunchSensorDeps {
  engine: Engine;
  kernel: KernelAnswer;
  proc: ProcReader;
  probe: UserSpaceProbe;
  packages: PackageDb;
  sink: DecisionSink;
  /** Resolved path of the omamori-launch executable: an exec by it starts a contained process. */
  launcher: string;
  /** SHA-256 of a file of the agent's own installation (own-installation.ts), undefined for every other file. */
  ownHash?: (path: string) => string | undefined;
  /** What is known of a logged decision's subject (user, command line), read before the answer lets it go on or exit. */
  subjectFacts?: (pid: number) => Record<string, unknown> | undefined;
  now: () => number;
}

export interface LaunchSensor {
  handle(ev: PermissionEvent): void;
  readonly counts: Readonly<Record<'exec' | 'open' | 'interpreter' | 'logged', number>>;
}

/** The exec expected next in a pid: the interpreter of an allowed script or program, or (`any`) what env runs. */
interface PendingInterpreter { start: number; interpreter: string; any: boolean; thenAny: boolean; time: number }

const LD_SO = /^ld(-linux[-\w.]*)?\.so(\.\d+)?$|^ld-\S+\.so/;

export function createLaunchSensor(deps: LaunchSensorDeps): LaunchSensor {
  const { engine, kernel, proc, probe, packages, sink, now } = deps;
  const interpreters = new Map<number, PendingInterpreter>();
  const classes = new Map<string, number>();
  const counts = { exec: 0, open: 0, interpreter: 0, logged: 0 };

  function classOf(guarded: string | undefined): number {
    if (guarded === undefined) return 0;
    let c = classes.get(guarded);
    if (c === undefined) { c = classes.size + 1; classes.set(guarded, c); }
    return c;
  }

  function fileFacts(path: string): FileRef & { why?: string } {
    const v = probe.probe(path);
    const userSpace = v.userSpace || engine.policy.userSpace.matches(normalizePath(path, 'linux'), 'linux');
    const f: FileRef & { why?: string } = { path, userSpace };
    // Package ownership changes a verdict only for user-space files or in lockdown; hashing is skipped otherwise.
    if (userSpace || engine.policy.mode === 'lockdown') f.packageOwned = packages.isPackageOwned(path);
    const own = deps.ownHash?.(path);
    if (own !== undefined) f.sha256 = own;
    if (v.why) f.why = v.why;
    return f;
  }

  /** Makes sure the engine knows `pid` (and its ancestors from /proc) before a decision about it. */
  function adopt(pid: number, start: number, ppid: number): ProcessRef & { image?: string } {
    const ref = { pid, start };
    if (engine.lookup(ref)) return ref;
    const image = proc.exe(pid) ?? '?';
    const ancestors = readAncestors(proc, ppid, (p, s) => engine.lookup({ pid: p, start: s }) !== undefined);
    const ev: OmamoriEvent = { v: 1, platform: 'linux', kind: 'process.start', proc: { pid, start, image } };
    if (ancestors.length) { ev.parent = { pid: ancestors[0]!.pid, start: ancestors[0]!.start! }; ev.ancestors = ancestors; }
    engine.decide(ev); // only to build lineage: this process already runs
    return { pid, start, image };
  }

  /** `systemSpace`: only root can change the file, so a kernel ignore mark for its plain opens is safe. */
  function finish(ev: PermissionEvent, kind: string, d: Decision, cache: boolean, systemSpace: boolean,
    detail?: Record<string, unknown>): void {
    const c = cache && d.cacheable && d.verdict === 'allow';
    const facts = d.verdict !== 'allow' ? deps.subjectFacts?.(ev.pid) : undefined;
    const inTime = kernel.respond(ev.id, d.verdict !== 'deny', { cache: c, ignoreOpens: c && systemSpace });
    if (d.verdict !== 'allow') {
      counts.logged++;
      const all = facts || detail ? { ...facts, ...detail } : undefined;
      // Too late: the native side already answered by the fail mode; say so next to the verdict.
      sink.record(now(), kind, ev.pid, d, inTime ? all : { ...all, late: true });
    }
  }

  function onExec(ev: PermissionEvent, path: string): void {
    counts.exec++;
    const st = proc.stat(ev.pid);
    if (!st) { kernel.respond(ev.id, true); return; }
    const pending = interpreters.get(ev.pid);
    if (pending) {
      interpreters.delete(ev.pid);
      if (pending.start === st.start && now() - pending.time < 2000
        && (pending.any || pending.interpreter === path || basename(pending.interpreter) === basename(path))) {
        counts.interpreter++;
        // Next may come the interpreter's own ELF loader; `#!/usr/bin/env X`: after env (and its loader), X.
        const k = classifyFile(path);
        const thenAny = pending.thenAny || (basename(path) === 'env' && !pending.any);
        if (k.kind === 'elf-program' && k.interpreter) {
          interpreters.set(ev.pid, { start: st.start, interpreter: resolvePath(k.interpreter), any: false, thenAny, time: now() });
        } else if (thenAny) {
          interpreters.set(ev.pid, { start: st.start, interpreter: '', any: true, thenAny: false, time: now() });
        }
        kernel.respond(ev.id, true);
        return;
      }
    }
    const kind = classifyFile(path);
    if (kind.kind === 'elf-library' && ev.subjectClass === 0) {
      // The ELF loader mapped for a program whose own exec we did not see (answered from the cache, or on an
      // unmarked mount): launch control of the loader file, without taking it for the process's new image.
      onCodeOpen(ev, path, 'loader', st);
      return;
    }
    const facts = fileFacts(path);
    const contained = proc.exe(ev.pid) === deps.launcher;
    const info: ProcessInfo = { pid: ev.pid, start: st.start, image: path, userSpace: facts.userSpace, contained };
    if (facts.packageOwned !== undefined) info.packageOwned = facts.packageOwned;
    if (facts.sha256 !== undefined) info.sha256 = facts.sha256;
    if (contained) {
      const label = launcherLabel(proc.cmdline(ev.pid) ?? []);
      if (label) info.guardedAs = label;
    }
    const uid = proc.uid(ev.pid);
    if (uid !== undefined) info.user = String(uid);
    const e: OmamoriEvent = { v: 1, platform: 'linux', time: now(), kind: 'process.start', proc: info };
    if (engine.lookup({ pid: ev.pid, start: st.start })) {
      e.parent = { pid: ev.pid, start: st.start }; // exec without fork: the previous image is the parent
    } else {
      const ancestors = readAncestors(proc, st.ppid, (p, s) => engine.lookup({ pid: p, start: s }) !== undefined);
      if (ancestors.length) { e.parent = { pid: ancestors[0]!.pid, start: ancestors[0]!.start! }; e.ancestors = ancestors; }
    }
    const d = engine.decide(e);
    const cls = classOf(d.guarded);
    if (cls !== ev.subjectClass && d.verdict !== 'deny') kernel.setSubjectClass(ev.pid, cls);
    // The next exec of this pid may be the program's own interpreter: a script's, or the ELF loader (PT_INTERP),
    // which the kernel opens for exec too. Only guarded classes need it (elsewhere the loader is allowed anyway).
    const interp = kind.kind === 'script' ? kind.interpreter : kind.kind === 'elf-program' && cls !== 0 ? kind.interpreter : undefined;
    if (interp !== undefined && d.verdict !== 'deny') {
      interpreters.set(ev.pid, { start: st.start, interpreter: resolvePath(interp), any: false, thenAny: false, time: now() });
      if (interpreters.size > 4096) interpreters.delete(interpreters.keys().next().value!);
    }
    // Execs in guarded classes are never cached: the loader and script interpreters they exec must reach us.
    const cache = kind.kind !== 'script' && cls === 0 && ev.subjectClass === 0;
    // A refused exec leaves the process running its previous image: the engine (keepRefusedStarts: false) keeps
    // the node it had, or none.
    finish(ev, 'process.start', d, cache, !facts.userSpace, facts.why ? { userSpaceWhy: facts.why } : undefined);
  }

  /** Whether `pid`'s command line names `path` as an argument (the script an interpreter runs, `ld.so FILE`). */
  function argNames(pid: number, path: string): boolean {
    const argv = proc.cmdline(pid);
    if (!argv || argv.length < 2) return false;
    const cwd = proc.cwd(pid) ?? '/';
    const base = basename(path);
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (a.startsWith('-') || !a.endsWith(base)) continue;
      if (resolvePath(a.startsWith('/') ? a : `${cwd}/${a}`) === path) return true;
    }
    return false;
  }

  function onOpen(ev: PermissionEvent, path: string): void {
    counts.open++;
    const kind: FileKind = classifyFile(path);
    if (kind.kind === 'other') { kernel.respond(ev.id, true, { cache: true }); return; }
    let via: ModuleLoadEvent['via'] | 'script' | undefined;
    if (kind.kind === 'elf-library') {
      // Like fapolicyd's ld_so/sharedlib rules: any open of a shared object counts as loading it.
      via = 'loader';
    } else if (kind.kind === 'elf-program') {
      const exe = proc.exe(ev.pid);
      if (exe && LD_SO.test(basename(exe)) && argNames(ev.pid, path)) via = 'ld.so';
      else if (proc.environ(ev.pid, 'LD_PRELOAD')?.split(/[:\s]+/).some((x) => x === path || (x && resolvePath(x) === path))) via = 'preload';
    } else if (argNames(ev.pid, path)) via = 'script';
    const st = proc.stat(ev.pid);
    if (!st) { kernel.respond(ev.id, true); return; }
    if (via === undefined) { plainOpen(ev, path, kind.kind === 'script' ? 'script' : 'loader', st); return; }
    onCodeOpen(ev, path, via, st);
  }

  function codeEvent(ev: PermissionEvent, path: string, via: ModuleLoadEvent['via'] | 'script', st: ProcStat) {
    const subject = adopt(ev.pid, st.start, st.ppid);
    const facts = fileFacts(path);
    const file: FileRef = { path, userSpace: facts.userSpace };
    if (facts.packageOwned !== undefined) file.packageOwned = facts.packageOwned;
    if (facts.sha256 !== undefined) file.sha256 = facts.sha256;
    const e: OmamoriEvent = via === 'script'
      ? { v: 1, platform: 'linux', time: now(), kind: 'script.read', proc: subject, file }
      : { v: 1, platform: 'linux', time: now(), kind: 'module.load', proc: subject, file, via };
    return { e, facts };
  }

  /**
   * An open of a program or script that does not load it: allowed. Cached when a load of the same file would be
   * allowed and cacheable (module.load and script.read verdicts depend on the file alone), so the next open of it,
   * as a load or not, is answered in C.
   */
  function plainOpen(ev: PermissionEvent, path: string, as: 'loader' | 'script', st: ProcStat): void {
    const { e, facts } = codeEvent(ev, path, as, st);
    const d = engine.decide(e);
    const cache = d.verdict === 'allow' && d.cacheable;
    kernel.respond(ev.id, true, { cache, ignoreOpens: cache && !facts.userSpace });
  }

  function onCodeOpen(ev: PermissionEvent, path: string, via: ModuleLoadEvent['via'] | 'script', st: ProcStat): void {
    if (via === 'loader' && proc.environ(ev.pid, 'LD_PRELOAD')?.includes(basename(path))) via = 'preload';
    const { e, facts } = codeEvent(ev, path, via, st);
    const d = engine.decide(e);
    const detail: Record<string, unknown> = { via };
    if (facts.why) detail.userSpaceWhy = facts.why;
    finish(ev, e.kind, d, true, !facts.userSpace, detail);
  }

  return {
    handle(ev) {
      const path = ev.path.endsWith(' (deleted)') ? ev.path.slice(0, -10) : ev.path;
      if (ev.kind === 'exec') onExec(ev, path);
      else onOpen(ev, path);
    },
    counts,
  };
}
