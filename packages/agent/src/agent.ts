// The standalone Linux agent: the one place that builds the dependencies (mount table, user-space probe, package
// database, engine, event store, fanotify listener, launch sensor) and wires them. The CLI's `omamori protect`
// runs it in the foreground; SIGHUP or a change of the policy file reloads the policy atomically.
import { realpathSync, unwatchFile, watchFile, writeFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createEngine, type CompiledPolicy, type Engine } from '@omamori/policy';
import { createFanotifyListener, launcherPath, nativeAvailable, sdNotify, type FanotifyListener, type FanotifyStats } from '@omamori/native';
import { openEventStore, type EventStore } from './event-store.ts';
import { createLaunchSensor, type LaunchSensor } from './launch-sensor.ts';
import { localMounts, mediaKind, mountOf, readMounts } from './mounts.ts';
import { findOwnInstallation, trustOwnFiles } from './own-installation.ts';
import { createDpkgDb, type PackageDb } from './package-db.ts';
import { createProcReader } from './proc.ts';
import { createSubjectFacts, withEventFacts } from './sync/event-facts.ts';
import { createUserSpaceProbe } from './user-space-probe.ts';

/** Loading a policy returns it, or the problems (already formatted for the log) that keep the old one in force. */
export type PolicyLoader = () => { policy: CompiledPolicy } | { problems: string[] };

export interface AgentOptions {
  loadPolicy: PolicyLoader;
  /** Mount points to protect; default every local filesystem. */
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
}

export interface AgentStatus {
  policyVersion: string;
  mode: string;
  mounts: string[];
  fanotify: FanotifyStats;
  sensor: LaunchSensor['counts'];
  processes: number;
  rssBytes: number;
}

export interface Agent {
  readonly mounts: readonly string[];
  readonly engine: Engine;
  /** Loads the policy again; on problems the old policy stays in force. Returns whether it was swapped. */
  reload(): boolean;
  status(): AgentStatus;
  stop(): void;
}

export type AgentStart = { ok: true; agent: Agent } | { ok: false; code: 'NATIVE_UNAVAILABLE' | 'POLICY_INVALID' | 'NO_MOUNTS' | 'KERNEL'; message: string };

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
  const mounts = opts.mounts?.length ? opts.mounts.map((m) => realpathSync(m)) : localMounts(table).map((m) => m.mountPoint);
  if (mounts.length === 0) return { ok: false, code: 'NO_MOUNTS', message: 'no mount to protect' };

  const engine = createEngine(policy, { now: Date.now(), host: hostname(), keepRefusedStarts: false });
  const store: EventStore = opts.store ?? openEventStore(opts.stateDir, { write: true });
  const closeStore = () => { if (!opts.store) store.close(); };
  const probe = createUserSpaceProbe({ mounts: table });
  const proc = createProcReader();
  packages.isListed('/'); // read the package index now, not inside the first decision's time budget
  // Removable and network media are user space for the engine too (paths it sees in command lines).
  for (const mp of mounts) {
    const m = mountOf(table, mp);
    const kind = m && mediaKind(m);
    if (m && kind) engine.decide({ v: 1, platform: 'linux', kind: 'media.mount', device: m.source, mountPoint: m.mountPoint, removable: kind === 'removable', network: kind === 'network' });
  }

  const failMode = policy.failMode;
  let listener: FanotifyListener;
  try {
    listener = createFanotifyListener({
      paths: mounts, mark: 'mount', opens: 'executable', failMode, timeoutMs: policy.doc.decisionTimeoutMs ?? 250,
      // The sensor asks for kernel ignore marks on allowed system-space files (see launch-sensor.ts).
      openIgnoreMarks: true,
      onHandlerError: (err, ev) => {
        listener.respond(ev.id, failMode === 'open');
        opts.log(`error handling ${ev.kind} of ${ev.path} by pid ${ev.pid}: ${(err as Error).stack ?? String(err)}`);
      },
    });
  } catch (e) {
    closeStore();
    return { ok: false, code: 'KERNEL', message: (e as Error).message };
  }
  const sensor = createLaunchSensor({
    engine, kernel: listener, proc, probe, packages, sink: withEventFacts(store, { proc }), subjectFacts: createSubjectFacts({ proc }), launcher: realpathSync(launcherPath()), now: Date.now,
    ownHash: own.hashOf,
  });
  try {
    listener.start((ev) => sensor.handle(ev));
  } catch (e) {
    closeStore();
    return { ok: false, code: 'KERNEL', message: (e as Error).message };
  }
  const pidFile = join(opts.stateDir, 'agent.pid');
  writeFileSync(pidFile, `${process.pid}\n`);
  store.note(Date.now(), 'AGENT_STARTED', `${policy.version} ${policy.mode} ${mounts.join(' ')}`);
  // Start-up garbage (the dpkg index's reading) is returned now when the runtime allows it (`--expose-gc`, as the
  // systemd unit runs the agent): an idle agent may otherwise never collect it (~10 MB resident).
  (globalThis as { gc?: () => void }).gc?.();
  // systemd (Type=notify): ready only now, with the marks in place, so `After=omamori.service` means protected.
  const notified = sdNotify(`READY=1\nSTATUS=protecting ${mounts.join(' ')} (${policy.version}, ${policy.mode})`);
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
    engine.swapPolicy(next.policy);
    listener.clearCache();
    opts.log(`policy ${next.policy.version} (${next.policy.mode}) in force`);
    store.note(Date.now(), 'POLICY_RELOADED', `${next.policy.version} ${next.policy.mode}`);
    return true;
  }

  const watched = opts.watchFile;
  if (watched) watchFile(watched, { interval: 500 }, (cur, prev) => { if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino) reload(); });

  let stopped = false;
  return {
    ok: true,
    agent: {
      mounts,
      engine,
      reload,
      status: () => ({
        policyVersion: engine.policy.version, mode: engine.policy.mode, mounts, fanotify: listener.stats(),
        sensor: sensor.counts, processes: engine.processCount, rssBytes: process.memoryUsage.rss(),
      }),
      stop() {
        if (stopped) return;
        stopped = true;
        sdNotify('STOPPING=1');
        if (watched) unwatchFile(watched);
        listener.stop();
        try { store.note(Date.now(), 'AGENT_STOPPED', ''); } catch { /* store already unusable */ }
        closeStore();
        rmSync(pidFile, { force: true });
      },
    },
  };
}
