// Maps fanotify permission events to the event model, asks the engine, answers the kernel and logs what would be or
// was stopped. Every decision is made on the file the kernel opened: its header, fstat and directory chain come with
// the event (read by the native side through the event's descriptor); a name is never reopened to decide.
//   exec   (FAN_OPEN_EXEC_PERM, first of an execve) → process.start
//   interp (the interpreter the same execve asked for: the ELF loader of PT_INTERP, a `#!` script's interpreter)
//          → module.load of that file (launch control only: it is part of the exec already decided)
//   open   of an ELF shared object → module.load (`via: loader`/`preload`); of an ELF program by ld.so naming it or
//          listed in LD_PRELOAD → module.load (`ld.so`/`preload`); of a script by an interpreter (interpreters.ts)
//          → script.read; anything else is not a load and is allowed.
// An exec whose first event is the ELF loader itself (no program exec before it in that execve) ran a program on
// no marked filesystem (a memfd, a filesystem mounted where no mark reaches yet) or started the loader by name:
// /proc/PID/syscall tells which (exec-target.ts).
// When what the kernel opened cannot be established (no name leads to it any more), the answer is the policy's
// fail mode, logged as such; never "allowed as something else".
//
// Cache invariant (native decision cache keyed by file identity, kind and subject class): only allows are cached,
// when the engine says `cacheable` (every deny and audit-deny reaches us and is logged). Never cached: script execs
// (an `env` script's next exec must reach us), the launcher's exec and execs by it (class transitions), and an exec
// that changes the subject class. An open that is not a load is cached only when a load of the same file would be
// allowed and cacheable (the verdict then holds whoever opens it).
//
// Kernel ignore marks (listener option openIgnoreMarks): a cached allow of a file only root can change (not user
// space) also asks the kernel to stop sending plain opens of that inode. Sound because every allow cached here holds
// for any plain open of the file by any process; the native side drops the mark on write(2) and on attribute changes.
//
// Guarded by label: `omamori run [--app ID]` passes `--label ID` to omamori-launch, which forks: its child execs the
// target while its image is still the launcher, so its /proc cmdline names ID. The launcher's own exec puts it in
// the LAUNCHING class (so the target's exec never comes from a class-0 cache entry); the target's exec sets the
// application's class on the child and on the launcher that stays behind as its reaper (PR_SET_CHILD_SUBREAPER), so
// everything the tree starts, orphaned or CLONE_PARENT'ed, has a classed ancestor.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import {
  normalizePath, REASONS, type Decision, type Engine, type FileRef, type ModuleLoadEvent, type OmamoriEvent, type ProcessInfo,
  type ProcessRef,
} from '@omamori/policy';
import { launcherLabel, type FailureRecord, type PermissionEvent, type RespondResult } from '@omamori/native';
import { execTarget, isMemoryFile } from './exec-target.ts';
import { classifyHeader, type FileKind } from './file-kind.ts';
import { languageOf, scriptReadReason } from './interpreters.ts';
import type { PackageDb } from './package-db.ts';
import { resolvePath } from './package-db.ts';
import { readAncestors, type ProcReader, type ProcStat } from './proc.ts';
import type { UserSpaceProbe } from './user-space-probe.ts';

export interface KernelAnswer {
  respond(id: number, allow: boolean, opts?: { cache?: boolean; ignoreOpens?: boolean; processData?: boolean }): RespondResult;
  setSubjectClass(pid: number, cls: number): boolean;
  /** Reads the pending event's file (package digests). */
  read(id: number, buf: Buffer, position: number): number;
  addInterpreter(dev: number, ino: bigint): void;
  /** Devices of the filesystems marked now. */
  marks(): { dev: number }[];
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
  ownHash?: (path: string, opened?: { dev: number; ino: bigint }) => string | undefined;
  /** A JavaScript module of the agent's own installation, unchanged since it started (own-installation.ts). */
  ownModule?: (path: string, ctimeNs: bigint) => boolean;
  /** What is known of a logged decision's subject (user, command line), read before the answer lets it go on or exit. */
  subjectFacts?: (pid: number) => Record<string, unknown> | undefined;
  now: () => number;
  /** Every local filesystem is watched (no --mount): a program on an unmarked filesystem is suspect. */
  watchAll?: boolean;
  /** A deny about to be given (for the desktop notice): called before the kernel is answered. */
  onDeny?: (pid: number, kind: string, d: Decision) => void;
}

export interface LaunchSensor {
  handle(ev: PermissionEvent): void;
  /** An answer the native side gave by the fail mode without the sensor holding the event. */
  failed(rec: FailureRecord): void;
  readonly counts: Readonly<Record<'exec' | 'open' | 'interp' | 'scriptReads' | 'ownModules' | 'unseen' | 'logged' | 'late' | 'failed', number>>;
}

/** Subject class of a launcher and what it forks until it execs the target. */
export const LAUNCHING_CLASS = 0x7fffffff;

const LD_SO = /^ld(-linux[-\w.]*)?\.so(\.\d+)?$|^ld-\S+\.so/;

interface Facts extends FileRef { why?: string; unknown: boolean }

export function createLaunchSensor(deps: LaunchSensorDeps): LaunchSensor {
  const { engine, kernel, proc, probe, packages, sink, now } = deps;
  const classes = new Map<string, number>();
  const labels = new Map<number, string>();
  const interpreters = new Set<string>();
  /** pid → the program an allowed `#!/usr/bin/env NAME` script asked env to run next. */
  const envNext = new Map<number, { start: number; name: string }>();
  const counts = { exec: 0, open: 0, interp: 0, scriptReads: 0, ownModules: 0, unseen: 0, logged: 0, late: 0, failed: 0 };
  let marked: { at: number; devs: Set<number> } = { at: -Infinity, devs: new Set() };

  function classOf(guarded: string | undefined): number {
    if (guarded === undefined) return 0;
    let c = classes.get(guarded);
    if (c === undefined) { c = classes.size + 1; classes.set(guarded, c); labels.set(c, guarded); }
    return c;
  }

  /**
   * The kernel's subject class is the truth about guarded status (it follows forks, orphans and CLONE_PARENT through
   * the launcher's reaper): make the engine's node of a running process guarded as `label` if it is not yet.
   */
  function adoptGuarded(pid: number, label: string): void {
    const st = proc.stat(pid);
    if (!st || engine.lookup({ pid, start: st.start })?.guarded !== undefined) return;
    const ancestors = ancestorsOf(st.ppid);
    const ev: OmamoriEvent = { v: 1, platform: 'linux', kind: 'process.start', proc: { pid, start: st.start, image: proc.exe(pid) ?? st.comm, guardedAs: label } };
    if (ancestors.length) { ev.parent = { pid: ancestors[0]!.pid, start: ancestors[0]!.start! }; ev.ancestors = ancestors; }
    engine.decide(ev); // only to build lineage: this process already runs
  }

  function markedDevs(): Set<number> {
    const t = now();
    if (t - marked.at > 1000) marked = { at: t, devs: new Set(kernel.marks().map((m) => m.dev)) };
    return marked.devs;
  }

  function registerInterpreter(ev: PermissionEvent, path: string): void {
    if (languageOf(path) === undefined) return;
    const key = `${ev.dev}:${ev.ino}`;
    if (interpreters.has(key)) return;
    interpreters.add(key);
    kernel.addInterpreter(ev.dev, ev.ino);
  }

  function fileFacts(ev: PermissionEvent, path: string): Facts {
    const v = probe.probeOpened({ path, dev: ev.dev, uid: ev.uid, gid: ev.gid, mode: ev.mode, dirs: ev.dirs, contentRead: ev.contentRead });
    const byPolicy = engine.policy.userSpace.matches(normalizePath(path, 'linux'), 'linux');
    const userSpace = v.userSpace || byPolicy;
    const f: Facts = { path, userSpace, unknown: !userSpace && v.unknown === true };
    const why = v.why ?? (byPolicy ? 'policy userSpace.paths' : undefined);
    if (why) f.why = why;
    // Package ownership changes a verdict only for user-space files or in lockdown; hashing is skipped otherwise.
    if (!f.unknown && ev.contentRead && (userSpace || engine.policy.mode === 'lockdown')) {
      f.packageOwned = packages.isPackageOwned(path, { key: `${ev.dev}:${ev.ino}:${ev.ctimeNs}:${ev.mtimeNs}`, read: (b, p) => kernel.read(ev.id, b, p) });
    }
    // The agent's own files carry their hash, only while the name still leads to the file the kernel opened.
    const own = f.unknown ? undefined : deps.ownHash?.(path, { dev: ev.dev, ino: ev.ino });
    if (own !== undefined) f.sha256 = own;
    return f;
  }

  /** The engine's lineage of `pid`, or the process alone. */
  function lineageOf(pid: number): Decision['lineage'] {
    const st = proc.stat(pid);
    const node = st ? engine.lookup({ pid, start: st.start }) : undefined;
    return node?.lineage ?? [{ pid, image: proc.exe(pid) ?? '?' }];
  }

  /** A decision value for an answer the fail mode gave (what the kernel got). */
  function failDecision(pid: number, allowed: boolean, cause: FailureRecord['cause'], object: string): Decision {
    const open = allowed;
    const reason = cause === 'timeout' ? (open ? REASONS.FAIL_OPEN_TIMEOUT : REASONS.FAIL_CLOSED_TIMEOUT)
      : cause === 'queue-full' ? (open ? REASONS.FAIL_OPEN_QUEUE_FULL : REASONS.FAIL_CLOSED_QUEUE_FULL)
        : (open ? REASONS.FAIL_OPEN_UNREADABLE : REASONS.FAIL_CLOSED_UNREADABLE);
    const lineage = lineageOf(pid);
    return {
      verdict: allowed ? 'allow' : 'deny', reason, rule: `native.fail-mode.${engine.policy.failMode}`, policyVersion: engine.policy.version,
      lineage, cacheable: false, object, guarded: lineage[lineage.length - 1]?.guarded,
    };
  }

  const KIND_OF: Record<FailureRecord['kind'], string> = { exec: 'process.start', interp: 'module.load', open: 'module.load' };

  /** What could not be established is answered by the fail mode, and logged as what the kernel got. */
  function answerByFailMode(ev: PermissionEvent, kind: string, path: string, why?: string): void {
    const allow = engine.policy.failMode === 'open';
    if (!allow) deps.onDeny?.(ev.pid, kind, failDecision(ev.pid, false, 'unreadable', path));
    const res = kernel.respond(ev.id, allow);
    const got = res === 'late-denied' ? false : res === 'late-allowed' ? true : allow;
    const d = failDecision(ev.pid, got, res === 'answered' ? 'unreadable' : 'timeout', path);
    counts.logged++;
    sink.record(now(), kind, ev.pid, d, why ? { userSpaceWhy: why } : undefined);
  }

  function finish(ev: PermissionEvent, kind: string, d: Decision, cache: boolean, systemSpace: boolean,
    detail?: Record<string, unknown>): void {
    const c = cache && d.cacheable && d.verdict === 'allow';
    // The notice reads the refused process's session while it still waits in the kernel (before the answer).
    if (d.verdict === 'deny') deps.onDeny?.(ev.pid, kind, d);
    // The subject's user and command line are read now too: once answered, a refused process may exit at once.
    const facts = d.verdict !== 'allow' ? deps.subjectFacts?.(ev.pid) : undefined;
    if (facts) detail = { ...facts, ...detail };
    const res = kernel.respond(ev.id, d.verdict !== 'deny', { cache: c, ignoreOpens: c && systemSpace });
    if (res === 'late-allowed' || res === 'late-denied') {
      counts.late++;
      const got = res === 'late-allowed';
      // Too late: the kernel got the fail mode's answer. Log that, with what the engine decided beside it.
      if (d.verdict !== 'allow' || !got) {
        counts.logged++;
        sink.record(now(), kind, ev.pid, { ...failDecision(ev.pid, got, 'timeout', d.object ?? ev.path), lineage: d.lineage },
          { ...detail, decided: d.verdict, decidedReason: d.reason, decidedRule: d.rule });
      }
      return;
    }
    if (d.verdict !== 'allow') {
      counts.logged++;
      sink.record(now(), kind, ev.pid, d, detail);
    }
  }

  /**
   * A process the engine knows may have exec'd in place since it last heard of it (an exec answered in C, from the
   * cache or by the fast exec rule): its node is brought up to date (an exec in place: the old image becomes its
   * parent in the lineage), so lineages name what runs now. `image` is what /proc says it runs.
   */
  function freshen(pid: number, start: number, image: string | undefined): void {
    const node = engine.lookup({ pid, start });
    if (!node || image === undefined || image === '?') return;
    const now = image.endsWith(' (deleted)') ? image.slice(0, -10) : image;
    if (node.image === now) return;
    engine.decide({ v: 1, platform: 'linux', kind: 'process.start', proc: { pid, start, image: now }, parent: { pid, start } });
  }

  /** The ancestors of `ppid` from /proc, the engine's last known one brought up to date. */
  function ancestorsOf(ppid: number): ProcessInfo[] {
    const ancestors = readAncestors(proc, ppid, (p, s) => engine.lookup({ pid: p, start: s }) !== undefined);
    const last = ancestors[ancestors.length - 1];
    if (last?.start !== undefined) freshen(last.pid, last.start, last.image);
    return ancestors;
  }

  /** Makes sure the engine knows `pid` (and its ancestors from /proc) before a decision about it. */
  function adopt(pid: number, start: number, ppid: number): ProcessRef & { image?: string } {
    const ref = { pid, start };
    if (engine.lookup(ref)) { freshen(pid, start, proc.exe(pid)); return ref; }
    const image = proc.exe(pid) ?? '?';
    const ancestors = ancestorsOf(ppid);
    const ev: OmamoriEvent = { v: 1, platform: 'linux', kind: 'process.start', proc: { pid, start, image } };
    if (ancestors.length) { ev.parent = { pid: ancestors[0]!.pid, start: ancestors[0]!.start! }; ev.ancestors = ancestors; }
    engine.decide(ev); // only to build lineage: this process already runs
    return { pid, start, image };
  }

  /** A process.start of `image` by `ev.pid`, decided and answered. */
  function decideStart(ev: PermissionEvent, st: ProcStat, image: string, facts: Facts, kind: FileKind, detail?: Record<string, unknown>): void {
    const isLauncher = image === deps.launcher;
    const current = proc.exe(ev.pid); // the image being replaced (the exec is not complete yet)
    const contained = current === deps.launcher;
    const info: ProcessInfo = { pid: ev.pid, start: st.start, image, userSpace: facts.userSpace, contained };
    if (facts.packageOwned !== undefined) info.packageOwned = facts.packageOwned;
    if (facts.sha256 !== undefined) info.sha256 = facts.sha256;
    if (contained) {
      const label = launcherLabel(proc.cmdline(ev.pid) ?? []);
      if (label) info.guardedAs = label;
    }
    const uid = proc.uid(ev.pid);
    if (uid !== undefined) info.user = String(uid);
    const e: OmamoriEvent = { v: 1, platform: 'linux', time: now(), kind: 'process.start', proc: info };
    // Started inside a guarded tree (kernel class): the process it replaces, or its parent, is guarded.
    const treeLabel = labels.get(ev.subjectClass);
    if (treeLabel !== undefined) adoptGuarded(engine.lookup({ pid: ev.pid, start: st.start }) ? ev.pid : st.ppid, treeLabel);
    if (engine.lookup({ pid: ev.pid, start: st.start })) {
      freshen(ev.pid, st.start, current);
      e.parent = { pid: ev.pid, start: st.start }; // exec without fork: the previous image is the parent
    } else {
      const ancestors = ancestorsOf(st.ppid);
      if (ancestors.length) { e.parent = { pid: ancestors[0]!.pid, start: ancestors[0]!.start! }; e.ancestors = ancestors; }
    }
    const d = engine.decide(e);
    let cls = classOf(d.guarded);
    if (isLauncher && cls === 0) cls = LAUNCHING_CLASS;
    if (cls !== ev.subjectClass && d.verdict !== 'deny') {
      kernel.setSubjectClass(ev.pid, cls);
      // The launcher stays behind as the tree's reaper: it carries the class too (orphans are reparented to it).
      if (contained && cls !== LAUNCHING_CLASS && proc.exe(st.ppid) === deps.launcher && kernel.setSubjectClass(st.ppid, cls)) {
        adoptGuarded(st.ppid, d.guarded!);
      }
    }
    if (d.verdict !== 'deny') {
      registerInterpreter(ev, image);
      if (kind.kind === 'script' && basename(kind.interpreter) === 'env') {
        const name = kind.arg?.split(/\s+/).find((w) => !w.startsWith('-'));
        if (name) envNext.set(ev.pid, { start: st.start, name });
        if (envNext.size > 4096) envNext.delete(envNext.keys().next().value!);
      }
    }
    const cache = kind.kind !== 'script' && !isLauncher && ev.subjectClass !== LAUNCHING_CLASS && cls === ev.subjectClass;
    const why = facts.why ? { userSpaceWhy: facts.why } : undefined;
    finish(ev, 'process.start', d, cache, !facts.userSpace, why || detail ? { ...why, ...detail } : undefined);
  }

  /** The program an allowed `#!/usr/bin/env NAME` script asked for, now exec'd by env (a new execve). */
  function envRuns(ev: PermissionEvent, st: ProcStat): boolean {
    const p = envNext.get(ev.pid);
    if (!p) return false;
    envNext.delete(ev.pid);
    if (p.start !== st.start || basename(proc.exe(ev.pid) ?? '') !== 'env') return false;
    const dirs = p.name.includes('/') ? [''] : (proc.environ(ev.pid, 'PATH') ?? '/usr/local/bin:/usr/bin:/bin').split(':');
    for (const dir of dirs) {
      try {
        const s = statSync(`/proc/${ev.pid}/root${dir ? `${dir}/` : ''}${p.name}`, { bigint: true });
        if (Number(s.dev) === ev.dev && s.ino === ev.ino) return true;
      } catch { /* not there */ }
    }
    return false;
  }

  function onExec(ev: PermissionEvent, path: string): void {
    counts.exec++;
    const st = proc.stat(ev.pid);
    if (!st) { kernel.respond(ev.id, true); return; } // gone: no exec to protect
    const kind = classifyHeader(ev.header);
    if (kind.kind === 'elf-library' && ev.contentRead) { onUnseenProgram(ev, path, st, kind); return; }
    if (envRuns(ev, st)) { counts.interp++; registerInterpreter(ev, path); kernel.respond(ev.id, true); return; }
    const facts = fileFacts(ev, path);
    if (facts.unknown) { answerByFailMode(ev, 'process.start', path, facts.why); return; }
    decideStart(ev, st, path, facts, kind);
  }

  /** The first event of this execve is the ELF loader: what program is being run? */
  function onUnseenProgram(ev: PermissionEvent, path: string, st: ProcStat, kind: FileKind): void {
    counts.unseen++;
    const t = execTarget(ev.pid);
    if (t && t.dev === ev.dev && t.ino === ev.ino) {
      // `ld.so PROGRAM`, ldd: the loader started by name is the program (its argument is checked as it opens it).
      const facts = fileFacts(ev, path);
      if (facts.unknown) { answerByFailMode(ev, 'process.start', path, facts.why); return; }
      decideStart(ev, st, path, facts, kind);
      return;
    }
    const memory = t !== undefined && isMemoryFile(t);
    const watched = t?.dev !== undefined && markedDevs().has(t.dev);
    if (!t || watched || (!memory && !deps.watchAll)) {
      // The program's own exec was decided (or lies outside what --mount asked us to watch): the loader is part of
      // it; check the loader file as a library.
      onCodeOpen(ev, path, 'loader', st);
      return;
    }
    const image = memory ? t.fdLink!.replace(/ \(deleted\)$/, '') : (t.given || t.resolved);
    const why = memory ? 'a program in memory (memfd): on no filesystem' : 'on a filesystem no mark covers (mounted out of sight)';
    decideStart(ev, st, image, { path: image, userSpace: true, why, unknown: false }, { kind: 'other' }, { unseen: true });
  }

  /** The interpreter the same execve asked for: launch control of that file; the exec itself is decided. */
  function onInterp(ev: PermissionEvent, path: string): void {
    counts.interp++;
    const st = proc.stat(ev.pid);
    if (!st) { kernel.respond(ev.id, true); return; }
    registerInterpreter(ev, path);
    onCodeOpen(ev, path, 'loader', st, { via: 'interpreter' });
  }

  /** Whether `pid`'s command line names `path` as an argument (`ld.so FILE`). */
  function argNames(pid: number, path: string): boolean {
    const argv = proc.cmdline(pid);
    if (!argv || argv.length < 2) return false;
    const base = basename(path);
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (!a.startsWith('-') && a.endsWith(base) && resolveArg(pid, a) === path) return true;
    }
    return false;
  }

  function resolveArg(pid: number, a: string): string {
    return resolvePath(a.startsWith('/') ? a : `${proc.cwd(pid) ?? '/'}/${a}`);
  }

  function onOpen(ev: PermissionEvent, path: string): void {
    counts.open++;
    const kind = classifyHeader(ev.header);
    const st = proc.stat(ev.pid);
    if (!st) { kernel.respond(ev.id, true); return; }
    if (ev.interpreterOpen) {
      const why = scriptReadReason({
        image: proc.exe(ev.pid) ?? '', argv: proc.cmdline(ev.pid) ?? [], resolveArg: (a) => resolveArg(ev.pid, a), path, kind,
        home: proc.environ(ev.pid, 'HOME'),
      });
      if (why && deps.ownModule?.(path, ev.ctimeNs)) { counts.ownModules++; kernel.respond(ev.id, true); return; }
      if (why) { counts.scriptReads++; onCodeOpen(ev, path, 'script', st, { scriptBy: why }); return; }
    }
    let via: ModuleLoadEvent['via'] | undefined;
    if (kind.kind === 'elf-library') {
      // Like fapolicyd's ld_so/sharedlib rules: any open of a shared object counts as loading it.
      via = 'loader';
    } else if (kind.kind === 'elf-program') {
      const exe = proc.exe(ev.pid);
      if (exe && LD_SO.test(basename(exe)) && argNames(ev.pid, path)) via = 'ld.so';
      else if (proc.environ(ev.pid, 'LD_PRELOAD')?.split(/[:\s]+/).some((x) => x === path || (x && resolvePath(x) === path))) via = 'preload';
    }
    if (via === undefined) { plainOpen(ev, path, kind.kind === 'script' || ev.interpreterOpen ? 'script' : 'loader', st); return; }
    onCodeOpen(ev, path, via, st);
  }

  function codeEvent(ev: PermissionEvent, facts: Facts, via: ModuleLoadEvent['via'] | 'script', st: ProcStat): OmamoriEvent {
    const subject = adopt(ev.pid, st.start, st.ppid);
    const file: FileRef = { path: facts.path, userSpace: facts.userSpace };
    if (facts.packageOwned !== undefined) file.packageOwned = facts.packageOwned;
    if (facts.sha256 !== undefined) file.sha256 = facts.sha256;
    return via === 'script'
      ? { v: 1, platform: 'linux', time: now(), kind: 'script.read', proc: subject, file }
      : { v: 1, platform: 'linux', time: now(), kind: 'module.load', proc: subject, file, via };
  }

  /**
   * An open of a program or script that does not load it: allowed. Cached when a load of the same file would be
   * allowed and cacheable (module.load and script.read verdicts depend on the file alone), so the next open of it,
   * as a load or not, is answered in C.
   */
  function plainOpen(ev: PermissionEvent, path: string, as: 'loader' | 'script', st: ProcStat): void {
    const facts = fileFacts(ev, path);
    if (facts.unknown) { kernel.respond(ev.id, true); return; }
    const d = engine.decide(codeEvent(ev, facts, as, st));
    const cache = d.verdict === 'allow' && d.cacheable;
    // An interpreter's open that is not a script read (scriptReadReason said so): data to this process image for
    // as long as it runs it — the native side answers its next opens of the same file without us.
    kernel.respond(ev.id, true, { cache, ignoreOpens: cache && !facts.userSpace, ...(ev.interpreterOpen ? { processData: true } : {}) });
  }

  function onCodeOpen(ev: PermissionEvent, path: string, via: ModuleLoadEvent['via'] | 'script', st: ProcStat,
    extra?: Record<string, unknown>): void {
    if (via === 'loader' && proc.environ(ev.pid, 'LD_PRELOAD')?.includes(basename(path))) via = 'preload';
    const kind = via === 'script' ? 'script.read' : 'module.load';
    const facts = fileFacts(ev, path);
    if (facts.unknown) { answerByFailMode(ev, kind, path, facts.why); return; }
    const d = engine.decide(codeEvent(ev, facts, via, st));
    const detail: Record<string, unknown> = { via, ...extra };
    if (facts.why) detail.userSpaceWhy = facts.why;
    finish(ev, kind, d, true, !facts.userSpace, detail);
  }

  return {
    handle(ev) {
      const path = ev.path.endsWith(' (deleted)') ? ev.path.slice(0, -10) : ev.path;
      if (ev.kind === 'exec') onExec(ev, path);
      else if (ev.kind === 'interp') onInterp(ev, path);
      else onOpen(ev, path);
    },
    failed(rec) {
      counts.failed++;
      const d = failDecision(rec.pid, rec.answer === 'allow', rec.cause, rec.path || '?');
      counts.logged++;
      sink.record(now(), KIND_OF[rec.kind], rec.pid, d, { cause: rec.cause });
      if (rec.answer === 'deny') deps.onDeny?.(rec.pid, KIND_OF[rec.kind], d);
    },
    counts,
  };
}
