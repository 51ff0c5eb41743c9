// The standalone Linux agent: the one place that builds the dependencies (mount table, user-space probe, package
// database, engine, event store, fanotify listener, launch sensor, desktop notices) and wires them. The CLI's
// `omamori protect` runs it in the foreground; SIGHUP or a change of the policy file reloads the policy atomically,
// fail mode and decision timeout included.
import { readdirSync, readlinkSync, realpathSync, rmSync, statSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createEngine, type CompiledPolicy, type Decision, type Engine } from '@omamori/policy';
import {
  createFanotifyListener, launcherPath, nativeAvailable, sdNotify, type FailureRecord, type FanotifyListener, type FanotifyStats,
  type MarkedFilesystem, type PermissionEvent,
} from '@omamori/native';
import { createDesktopNotifier, type DesktopNotifier } from './desktop-notify.ts';
import { compileFastExec } from './fast-exec.ts';
import { openEventStore, type EventStore } from './event-store.ts';
import { installedInterpreters, languageOf } from './interpreters.ts';
import { createLaunchSensor, type LaunchSensor } from './launch-sensor.ts';
import { execOnlyFsTypes, mediaKind, mountOf, readMounts, virtualFsTypes } from './mounts.ts';
import { findOwnInstallation, trustOwnFiles } from './own-installation.ts';
import { createDpkgDb, type PackageDb } from './package-db.ts';
import { createProcReader } from './proc.ts';
import { createSubjectFacts, withEventFacts } from './sync/event-facts.ts';
import { createUserSpaceProbe } from './user-space-probe.ts';

/** Loading a policy returns it, or the problems (already formatted for the log) that keep the old one in force. */
export type PolicyLoader = () => { policy: CompiledPolicy } | { problems: string[] };

export interface AgentOptions {
  loadPolicy: PolicyLoader;
  /**
   * Directories to protect: the filesystem holding each (in every mount namespace) and every filesystem mounted
   * beneath it later. Default: every filesystem that is not virtual, in every mount namespace, now and later.
   */
  mounts?: string[];
  stateDir: string;
  /** Policy file watched for changes (reloaded like SIGHUP). */
  watchFile?: string;
  /** Where the agent says what it does (one line per message). */
  log: (line: string) => void;
  /** dpkg's info directory (tests may point elsewhere). */
  dpkgInfo?: string;
  packages?: PackageDb;
  /** The event store, when the caller opened it (it is also the console sync's outbox); then not closed at stop. */
  store?: EventStore;
  /** Desktop notices of refusals (default on; a machine without a session bus only logs). */
  notify?: boolean;
}

export interface AgentStatus {
  policyVersion: string;
  mode: string;
  failMode: string;
  /** What is marked now (filesystems, with where they were first seen). */
  marks: MarkedFilesystem[];
  fanotify: FanotifyStats;
  sensor: LaunchSensor['counts'];
  notices: DesktopNotifier['counts'];
  processes: number;
  rssBytes: number;
}

export interface Agent {
  /** What was asked for: the --mount directories, or ['/'] and "everything" without them. */
  readonly mounts: readonly string[];
  readonly engine: Engine;
  /** Loads the policy again; on problems the old policy stays in force. Returns whether it was swapped. */
  reload(): boolean;
  status(): AgentStatus;
  stop(): void;
}

export type AgentStart = { ok: true; agent: Agent } | { ok: false; code: 'NATIVE_UNAVAILABLE' | 'POLICY_INVALID' | 'NO_MOUNTS' | 'KERNEL'; message: string };

/** At most this many fail-mode answers are logged one by one per second; the rest are counted in a note. */
const FAIL_RECORDS_PER_SECOND = 20;

function failSettings(policy: CompiledPolicy): { failMode: CompiledPolicy['failMode']; timeoutMs: number } {
  return { failMode: policy.failMode, timeoutMs: policy.doc.decisionTimeoutMs ?? 250 };
}

/**
 * The fanotify listener of an agent, created in one place (the composition root may recreate it). Fail settings come
 * from the policy and change later through `setFailSettings` (no second listener, so no window without an answer).
 */
export function createAgentListener(policy: CompiledPolicy, dirs: readonly string[] | undefined,
  handlers: { onHandlerError: (err: unknown, ev: PermissionEvent) => void; onFailure: (rec: FailureRecord) => void }): FanotifyListener {
  const all = !dirs?.length;
  return createFanotifyListener({
    paths: all ? [] : [...dirs],
    mark: 'filesystem',
    follow: { all, beneath: all ? [] : [...dirs], skipTypes: virtualFsTypes(), execOnlyTypes: execOnlyFsTypes(), namespaces: true },
    opens: 'executable',
    ...failSettings(policy),
    // The sensor asks for kernel ignore marks on allowed system-space files (see launch-sensor.ts).
    openIgnoreMarks: true,
    ...handlers,
  });
}

/** Interpreter images installed or running now (their processes' opens are checked as script reads). */
function registerInterpreters(l: FanotifyListener): number {
  const seen = new Set<string>();
  const add = (dev: number, ino: bigint) => { const k = `${dev}:${ino}`; if (!seen.has(k)) { seen.add(k); l.addInterpreter(dev, ino); } };
  for (const i of installedInterpreters((d) => readdirSync(d))) add(i.dev, i.ino);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (languageOf(readlinkSync(`/proc/${name}/exe`).replace(/ \(deleted\)$/, '')) === undefined) continue;
      const st = statSync(`/proc/${name}/exe`, { bigint: true });
      add(Number(st.dev), st.ino);
    } catch { /* gone or a kernel thread */ }
  }
  return seen.size;
}

export function startAgent(opts: AgentOptions): AgentStart {
  const avail = nativeAvailable();
  if (!avail.available) return { ok: false, code: 'NATIVE_UNAVAILABLE', message: avail.reason };
  // The agent never blocks its own program (own-installation.ts): every policy it loads trusts those exact files.
  const own = findOwnInstallation();
  const packages = opts.packages ?? createDpkgDb(opts.dpkgInfo);
  const loadPolicy: PolicyLoader = () => {
    const r = opts.loadPolicy();
    return 'policy' in r ? { policy: trustOwnFiles(r.policy, own, packages) } : r;
  };
  const first = loadPolicy();
  if (!('policy' in first)) return { ok: false, code: 'POLICY_INVALID', message: first.problems.join('\n') };
  const policy = first.policy;
  const table = readMounts();
  let dirs: string[] | undefined;
  try {
    dirs = opts.mounts?.length ? opts.mounts.map((m) => realpathSync(m)) : undefined;
  } catch (e) {
    return { ok: false, code: 'NO_MOUNTS', message: (e as Error).message };
  }

  const engine = createEngine(policy, { now: Date.now(), host: hostname(), keepRefusedStarts: false });
  const store: EventStore = opts.store ?? openEventStore(opts.stateDir, { write: true });
  const closeStore = () => { if (!opts.store) store.close(); };
  const probe = createUserSpaceProbe({ mounts: table });
  const proc = createProcReader();
  packages.isListed('/'); // read the package index now, not inside the first decision's time budget
  // Removable and network media are user space for the engine too (paths it sees in command lines).
  for (const m of table) {
    const kind = mediaKind(m);
    if (kind && (!dirs || dirs.some((d) => mountOf(table, d) === m || m.mountPoint.startsWith(d)))) {
      engine.decide({ v: 1, platform: 'linux', kind: 'media.mount', device: m.source, mountPoint: m.mountPoint, removable: kind === 'removable', network: kind === 'network' });
    }
  }
  const notifier = createDesktopNotifier({ proc, host: hostname(), log: opts.log, now: Date.now });
  const notify = opts.notify !== false;

  // Fail-mode answers JS never held: logged one by one up to a rate, then counted.
  let failWindow = { at: 0, n: 0, over: 0 };
  const wired: { sensor?: LaunchSensor } = {}; // the sensor needs the listener; the listener's callbacks need the sensor
  const onFailure = (rec: FailureRecord) => {
    const t = Date.now();
    if (t - failWindow.at >= 1000) {
      if (failWindow.over > 0) store.note(t, 'FAIL_RECORDS_HELD', `${failWindow.over} more answers by the fail mode in one second were not logged one by one`);
      failWindow = { at: t, n: 0, over: 0 };
    }
    if (++failWindow.n > FAIL_RECORDS_PER_SECOND) { failWindow.over++; return; }
    wired.sensor?.failed(rec);
  };
  let listener: FanotifyListener;
  try {
    listener = createAgentListener(policy, dirs, {
      onHandlerError: (err, ev) => {
        listener.respond(ev.id, engine.policy.failMode === 'open');
        opts.log(`error handling ${ev.kind} of ${ev.path} by pid ${ev.pid}: ${(err as Error).stack ?? String(err)}`);
      },
      onFailure,
    });
  } catch (e) {
    closeStore();
    return { ok: false, code: 'KERNEL', message: (e as Error).message };
  }
  const launcher = realpathSync(launcherPath());
  const s = createLaunchSensor({
    engine, kernel: listener, proc, probe, packages, sink: withEventFacts(store, { proc }), subjectFacts: createSubjectFacts({ proc }), launcher, now: Date.now, ownHash: own.hashOf,
    ownModule: own.isOwnModule,
    watchAll: dirs === undefined,
    ...(notify ? { onDeny: (pid: number, kind: string, d: Decision) => notifier.notify(pid, kind, d) } : {}),
  });
  wired.sensor = s;
  try {
    registerInterpreters(listener);
    listener.start((ev) => s.handle(ev));
  } catch (e) {
    listener.stop();
    closeStore();
    return { ok: false, code: 'KERNEL', message: (e as Error).message };
  }
  const marks = listener.marks();
  if (marks.length === 0) {
    listener.stop();
    closeStore();
    return { ok: false, code: 'NO_MOUNTS', message: 'no filesystem to protect' };
  }
  // What the native side may allow on its own (re-compiled on reload, with the marks of that moment).
  listener.setFastExec(compileFastExec(policy, marks, launcher));
  const pidFile = join(opts.stateDir, 'agent.pid');
  writeFileSync(pidFile, `${process.pid}\n`);
  const shown = dirs ?? ['/'];
  store.note(Date.now(), 'AGENT_STARTED', `${policy.version} ${policy.mode} ${dirs ? shown.join(' ') : 'all'} (${marks.map((m) => m.where).join(' ')})`);
  // Start-up garbage (the dpkg index's reading) is returned now when the runtime allows it (`--expose-gc`, as the
  // systemd unit runs the agent): an idle agent may otherwise never collect it (~10 MB resident).
  (globalThis as { gc?: () => void }).gc?.();
  // systemd (Type=notify): ready only now, with the marks in place, so `After=omamori.service` means protected.
  const notified = sdNotify(`READY=1\nSTATUS=protecting ${dirs ? shown.join(' ') : 'every filesystem'} (${policy.version}, ${policy.mode})`);
  if (!notified.sent && notified.reason === 'error') opts.log(`cannot tell systemd the agent is ready: ${notified.message}`);

  function reload(): boolean {
    let next;
    try { next = loadPolicy(); } catch (e) { next = { problems: [(e as Error).message] }; }
    if (!('policy' in next)) {
      const why = next.problems.join('\n');
      opts.log(`policy reload failed; keeping ${engine.policy.version}:\n${why}`);
      store.note(Date.now(), 'POLICY_RELOAD_FAILED', why);
      return false;
    }
    const cur = engine.policy;
    if (next.policy.doc.name === cur.doc.name && next.policy.doc.version < cur.doc.version) {
      const why = `version goes backwards (${cur.version} -> ${next.policy.version})`;
      opts.log(`policy reload refused; keeping ${cur.version}: ${why}`);
      store.note(Date.now(), 'POLICY_RELOAD_FAILED', why);
      return false;
    }
    // Fail settings first: from here on every new event is timed and answered by the new ones.
    const fs = failSettings(next.policy);
    listener.setFailSettings(fs);
    listener.setFastExec({ enabled: false, names: [], prefixes: [], devs: [] });
    engine.swapPolicy(next.policy);
    listener.clearCache();
    listener.setFastExec(compileFastExec(next.policy, listener.marks(), launcher));
    opts.log(`policy ${next.policy.version} (${next.policy.mode}) in force; fail mode ${fs.failMode} after ${fs.timeoutMs} ms`);
    store.note(Date.now(), 'POLICY_RELOADED', `${next.policy.version} ${next.policy.mode} fail ${fs.failMode}/${fs.timeoutMs}ms`);
    return true;
  }

  const watched = opts.watchFile;
  if (watched) watchFile(watched, { interval: 500 }, (cur, prev) => { if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino) reload(); });

  let stopped = false;
  return {
    ok: true,
    agent: {
      mounts: shown,
      engine,
      reload,
      status: () => ({
        policyVersion: engine.policy.version, mode: engine.policy.mode, failMode: engine.policy.failMode, marks: listener.marks(),
        fanotify: listener.stats(), sensor: s.counts, notices: notifier.counts, processes: engine.processCount,
        rssBytes: process.memoryUsage.rss(),
      }),
      stop() {
        if (stopped) return;
        stopped = true;
        sdNotify('STOPPING=1');
        if (watched) unwatchFile(watched);
        listener.stop();
        notifier.stop();
        try { store.note(Date.now(), 'AGENT_STOPPED', ''); } catch { /* store already unusable */ }
        closeStore();
        rmSync(pidFile, { force: true });
      },
    },
  };
}
