// The one composition root of the running Linux agent, for standalone `omamori protect` and managed `omamori agent
// run` alike: re-applies a recorded network isolation, loads the policy once, starts enforcement (startAgent: engine,
// fanotify listener, launch sensor, event log), then the managed side (sync client and whatever services the caller
// adds), and owns the signals: SIGHUP reloads the policy and re-checks the isolation, SIGUSR1 logs the status,
// SIGINT/SIGTERM stop everything in reverse order. The CLI only parses arguments and renders.
//
// Not here yet (docs/architecture.md, "One runtime"): the Windows agent mode stays in `agent run`. (A reload's new
// fail settings reach the live listener through agent.ts: no rebuild is needed.)
import { startAgent, type Agent, type AgentOptions, type AgentStart, type AgentStatus, type PolicyLoader } from './agent.ts';
import type { EventStore } from './event-store.ts';
import { ensureIsolation, type EnsureOutcome } from './response/isolation.ts';
import type { CompiledPolicy } from '@omamori/policy';

/** Something started after enforcement and stopped before it (the sync client, the upload pull loop, ...). */
export interface RuntimeService {
  /** Called with the enforcing agent (undefined when sync only), so a heartbeat sent at once reports it. */
  start(agent: Agent | undefined): void;
  stop(): void | Promise<void>;
}

/** Where signals come from (default: the process); tests give an EventEmitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, handler: () => void): unknown;
  off(signal: NodeJS.Signals, handler: () => void): unknown;
}

export interface AgentRuntimeDeps {
  stateDir: string;
  log: (line: string) => void;
  /** Loads the policy; called at start unless `initial` is given, and on every reload. */
  loadPolicy: PolicyLoader;
  /** The policy the caller already loaded (and reported on): used as is for the start, not loaded a second time. */
  initial?: CompiledPolicy;
  /** false: no kernel enforcement (sync only). */
  enforce: boolean;
  mounts?: string[] | undefined;
  /** The event store the caller opened: with a console it is also the sync client's upload outbox. */
  store?: EventStore | undefined;
  /** A policy file watched for changes (reloaded like SIGHUP). */
  watchFile?: string | undefined;
  /** The managed side: the sync client, started once enforcement is in place. */
  sync?: RuntimeService;
  /** More services, started after the sync client, in order. */
  services?: RuntimeService[];
  signals?: SignalSource;
  /** Says what the isolation check found, at start and on each reload (default: a log line when it acted). */
  onIsolation?: (r: EnsureOutcome, when: 'start' | 'reload') => void;
  /** Where SIGUSR1's status goes (default: the log, as one JSON line). */
  onStatus?: (status: AgentStatus | { state: 'sync-only' }) => void;
  /** Test hooks: the enforcement start and the isolation check (default: the real ones). */
  startAgent?: (opts: AgentOptions) => AgentStart;
  ensureIsolation?: (stateDir: string) => EnsureOutcome;
}

export interface AgentRuntime {
  /** The enforcing agent, or undefined when running sync only. */
  readonly agent: Agent | undefined;
  /** Reloads the policy (the old one stays on problems) and re-checks the isolation; returns whether it swapped. */
  reload(): boolean;
  status(): AgentStatus | undefined;
  /** Stops services, the sync client and enforcement, in reverse order of their start. Idempotent. */
  stop(): Promise<void>;
  /** Resolves once the runtime stopped (by SIGINT/SIGTERM or stop()). */
  readonly stopped: Promise<void>;
}

export type AgentRuntimeStart =
  | { ok: true; runtime: AgentRuntime; isolation: EnsureOutcome }
  | { ok: false; code: Exclude<AgentStart, { ok: true }>['code']; message: string; isolation: EnsureOutcome };

function logIsolation(log: (line: string) => void, r: EnsureOutcome): void {
  if (r.action === 'reapplied') log('network isolation re-applied');
  if (r.action === 'failed') log(`WARNING: cannot check network isolation: ${r.message}`);
}

export function createAgentRuntime(deps: AgentRuntimeDeps): AgentRuntimeStart {
  const signals = deps.signals ?? process;
  const checkIsolation = () => (deps.ensureIsolation ?? ensureIsolation)(deps.stateDir);
  // A machine isolated by `omamori isolate` (or a console task) stays isolated across agent restarts.
  const onIsolation = deps.onIsolation ?? ((r: EnsureOutcome) => logIsolation(deps.log, r));
  const isolation = checkIsolation();
  onIsolation(isolation, 'start');

  let agent: Agent | undefined;
  if (deps.enforce) {
    // The policy is loaded once for the start: the caller's copy when it has one, else here.
    let pending: ReturnType<PolicyLoader> | undefined = deps.initial ? { policy: deps.initial } : undefined;
    const loadPolicy: PolicyLoader = () => {
      if (pending) { const p = pending; pending = undefined; return p; }
      return deps.loadPolicy();
    };
    const started = (deps.startAgent ?? startAgent)({
      loadPolicy, stateDir: deps.stateDir, log: deps.log,
      ...(deps.mounts?.length ? { mounts: deps.mounts } : {}), ...(deps.store ? { store: deps.store } : {}), ...(deps.watchFile ? { watchFile: deps.watchFile } : {}),
    });
    if (!started.ok) return { ok: false, code: started.code, message: started.message, isolation };
    agent = started.agent;
  }
  const services = [...(deps.sync ? [deps.sync] : []), ...(deps.services ?? [])];
  const running: RuntimeService[] = [];
  for (const s of services) { s.start(agent); running.push(s); }

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((res) => { resolveStopped = res; });
  let stopping: Promise<void> | undefined;

  const reload = (): boolean => {
    onIsolation(checkIsolation(), 'reload');
    return agent ? agent.reload() : false;
  };
  const onHup = () => { reload(); };
  const onUsr1 = () => {
    const s = agent?.status() ?? { state: 'sync-only' as const };
    if (deps.onStatus) deps.onStatus(s); else deps.log(JSON.stringify(s));
  };
  const onStop = () => { void runtime.stop(); };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      signals.off('SIGHUP', onHup); signals.off('SIGUSR1', onUsr1); signals.off('SIGINT', onStop); signals.off('SIGTERM', onStop);
      for (const s of running.reverse()) {
        try { await s.stop(); } catch (e) { deps.log(`stopping a service failed: ${(e as Error).message}`); }
      }
      agent?.stop();
      resolveStopped();
    })();
    return stopping;
  };
  const runtime: AgentRuntime = {
    get agent() { return agent; },
    reload,
    status: () => agent?.status(),
    stop,
    stopped,
  };
  signals.on('SIGHUP', onHup);
  signals.on('SIGUSR1', onUsr1);
  signals.on('SIGINT', onStop);
  signals.on('SIGTERM', onStop);
  return { ok: true, runtime, isolation };
}
