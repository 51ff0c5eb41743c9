// The one composition root of the running agent, for standalone `omamori protect` and managed `omamori agent run`,
// on Linux and Windows alike: re-applies a recorded network isolation (Linux), loads the policy once, starts
// enforcement (Linux: startAgent, i.e. engine, fanotify listener, launch sensor, event log; Windows: the enforcer the
// caller passes, the Windows agent mode's apply/verify/read-back), then the managed side (sync client and whatever
// services the caller adds), and owns the signals: SIGHUP reloads the policy and re-checks the isolation, SIGUSR1
// logs the status, SIGINT/SIGTERM stop everything in reverse order. The CLI only parses arguments and renders.
//
// Managed (`console`), the runtime makes the sync client from the enrollment in the state directory, serves the
// console's signed policy (the default preset in audit mode until one arrives) and hands new ones to enforcement.
// Not here yet (docs/architecture.md, "One runtime"): the incident task handlers are built by `agent run` (they use
// CLI collectors) and handed in. (A reload's new fail settings reach the live listener through agent.ts: no rebuild.)
import { startAgent, type Agent, type AgentOptions, type AgentStart, type AgentStatus, type PolicyLoader } from './agent.ts';
import type { EventStore } from './event-store.ts';
import { ensureIsolation, type EnsureOutcome } from './response/isolation.ts';
import { createSyncClient, type SyncClient, type SyncClientOptions } from './sync/client.ts';
import type { Outbox } from './sync/outbox.ts';
import type { TaskHandlers } from './sync/tasks.ts';
import { compile, DEFAULT_PRESET, findPreset, loadPolicy as parsePolicy, type CompiledPolicy } from '@omamori/policy';

/** Something started after enforcement and stopped before it (the sync client, the upload pull loop, ...). */
export interface RuntimeService {
  /** Called with the enforcing agent (undefined when sync only), so a heartbeat sent at once reports it. */
  start(agent: Agent | undefined): void;
  stop(): void | Promise<void>;
}

/**
 * Enforcement by something other than the Linux agent: on Windows the Windows agent mode (windows/agent-mode.ts, a
 * WindowsAgentMode fits as is), which applies the policy through Windows' own engines, verifies it and reads back
 * their blocks. Its start is awaited before any service starts; it stops after them.
 */
export interface RuntimeEnforcer {
  start(policy: CompiledPolicy, policyVersion?: string): Promise<void>;
  /** A new policy (a reload, or the console's): applied in the background, errors are the enforcer's to report. */
  onPolicy(policy: CompiledPolicy, policyVersion?: string): Promise<void>;
  /** Heartbeat / status fields. */
  detail(): Record<string, string | number | boolean>;
  stop(): Promise<void>;
}

/** Managed by a console (`omamori agent run`): the runtime makes the sync client from the enrollment in stateDir. */
export interface ConsoleOptions {
  /** The incident task handlers, given the console's URL (the CLI builds them: they use its collectors). */
  tasks?: (consoleUrl: () => string) => TaskHandlers;
  /** Test hook: the sync client's factory (default: createSyncClient). */
  createSyncClient?: (o: SyncClientOptions) => SyncClient;
}

/** Where signals come from (default: the process); tests give an EventEmitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, handler: () => void): unknown;
  off(signal: NodeJS.Signals, handler: () => void): unknown;
}

export interface AgentRuntimeDeps {
  stateDir: string;
  log: (line: string) => void;
  /**
   * Loads the policy; called at start unless `initial` is given, and on every reload. Required unless `console` is
   * given: then the default is the console's signed policy, or the default preset in audit mode until one arrives.
   */
  loadPolicy?: PolicyLoader;
  /** The policy the caller already loaded (and reported on): used as is for the start, not loaded a second time. */
  initial?: CompiledPolicy;
  /** false: no enforcement at all (sync only). */
  enforce: boolean;
  /**
   * Who enforces: 'linux' (default) the fanotify agent; an enforcer object (Windows) instead. With an enforcer the
   * start is asynchronous (createAgentRuntime returns a promise) and no nftables isolation is re-applied: on Windows
   * isolation is the firewall script pair of `omamori isolate --windows`, whose rules Windows keeps across restarts.
   */
  enforcer?: 'linux' | RuntimeEnforcer | ((outbox: Outbox) => RuntimeEnforcer);
  /** The version handed to the enforcer with each policy (managed: the console's signed version). */
  policyVersion?: () => string;
  mounts?: string[] | undefined;
  /** The event store the caller opened: with a console it is also the sync client's upload outbox. */
  store?: EventStore | undefined;
  /** A policy file watched for changes (reloaded like SIGHUP). */
  watchFile?: string | undefined;
  /** Managed by a console: the runtime makes the sync client (then `sync` is not given). Start is asynchronous. */
  console?: ConsoleOptions;
  /** The managed side made by the caller: a sync client, started once enforcement is in place. */
  sync?: RuntimeService;
  /** More services, started after the sync client, in order. */
  services?: RuntimeService[];
  signals?: SignalSource;
  /** Says what the isolation check found, at start and on each reload (default: a log line when it acted). */
  onIsolation?: (r: EnsureOutcome, when: 'start' | 'reload') => void;
  /** Where SIGUSR1's status goes (default: the log, as one JSON line). */
  onStatus?: (status: RuntimeStatus) => void;
  /** Test hooks: the enforcement start and the isolation check (default: the real ones). */
  startAgent?: (opts: AgentOptions) => AgentStart;
  ensureIsolation?: (stateDir: string) => EnsureOutcome;
}

export type RuntimeStatus = AgentStatus | { state: 'sync-only' } | { state: 'protecting'; detail: Record<string, string | number | boolean> };

export interface AgentRuntime {
  /** The enforcing Linux agent, or undefined when running sync only or with an enforcer. */
  readonly agent: Agent | undefined;
  /** The enforcer given in the deps, once started (Windows). */
  readonly enforcer: RuntimeEnforcer | undefined;
  /** The sync client the runtime made (with `console`). */
  readonly sync: SyncClient | undefined;
  /** Re-checks the isolation (Linux) and reloads the policy; returns whether a new policy was taken (see reloadPolicy). */
  reload(): boolean;
  /**
   * Reloads the policy only (a new console policy): Linux swaps it (the old one stays on problems); an enforcer gets
   * it through onPolicy, in the background. Returns false when the policy did not load or nothing enforces.
   */
  reloadPolicy(): boolean;
  status(): AgentStatus | undefined;
  /** Stops services, the sync client and enforcement, in reverse order of their start. Idempotent. */
  stop(): Promise<void>;
  /** Resolves once the runtime stopped (by SIGINT/SIGTERM or stop()). */
  readonly stopped: Promise<void>;
}

/** What the isolation check at start found; 'skipped' with an enforcer (Windows keeps its firewall rules itself). */
export type RuntimeIsolation = EnsureOutcome | { action: 'skipped'; reason: string };

export type AgentRuntimeStart =
  | { ok: true; runtime: AgentRuntime; isolation: RuntimeIsolation }
  | { ok: false; code: Exclude<AgentStart, { ok: true }>['code'] | 'ENFORCER_FAILED' | 'SYNC_FAILED'; message: string; isolation: RuntimeIsolation };

function logIsolation(log: (line: string) => void, r: EnsureOutcome): void {
  if (r.action === 'reapplied') log('network isolation re-applied');
  if (r.action === 'failed') log(`WARNING: cannot check network isolation: ${r.message}`);
}

/** Linux without a console (`protect`, tests) starts synchronously; an enforcer or a console make it asynchronous. */
export function createAgentRuntime(deps: AgentRuntimeDeps & { enforcer?: 'linux'; console?: undefined; loadPolicy: PolicyLoader }): AgentRuntimeStart;
export function createAgentRuntime(deps: AgentRuntimeDeps): Promise<AgentRuntimeStart> | AgentRuntimeStart;
export function createAgentRuntime(deps: AgentRuntimeDeps): AgentRuntimeStart | Promise<AgentRuntimeStart> {
  if (deps.console) return startManaged(deps, deps.console);
  const load = deps.loadPolicy;
  const enforcer = deps.enforcer;
  if (!load) return { ok: false, code: 'POLICY_INVALID', message: 'no policy: give loadPolicy or console', isolation: { action: 'skipped', reason: 'not started' } };
  if (typeof enforcer === 'function') return { ok: false, code: 'ENFORCER_FAILED', message: 'an enforcer factory needs the console\'s outbox (console)', isolation: { action: 'skipped', reason: 'not started' } };
  if (typeof enforcer === 'object') return startWithEnforcer(deps, load, enforcer, undefined);
  return startLinux(deps, load, undefined);
}

/**
 * Managed: the sync client first (its event store is the agent's log and the upload outbox), one heartbeat when no
 * console policy is stored yet (so a reachable console's policy is the first one enforced), then enforcement and
 * the sync loop as for the caller's services. New console policies reach enforcement through reloadPolicy.
 */
async function startManaged(deps: AgentRuntimeDeps, c: ConsoleOptions): Promise<AgentRuntimeStart> {
  const notStarted: RuntimeIsolation = { action: 'skipped', reason: 'not started' };
  let agent: Agent | undefined;
  let enforcer: RuntimeEnforcer | undefined;
  let reloadPolicy = (): boolean => true; // the runtime's, once started
  let client: SyncClient | undefined;
  try {
    client = (c.createSyncClient ?? createSyncClient)({
      stateDir: deps.stateDir, log: deps.log,
      // The first heartbeat may go as soon as the loop starts: agent/enforcer are set by then.
      runState: () => enforcer ? { state: 'protecting', detail: enforcer.detail() } : agent ? { state: 'protecting', mode: agent.status().mode } : { state: 'sync-only' },
      onPolicy: () => { if ((agent || enforcer) && !reloadPolicy()) deps.log('the new policy did not load; the previous one stays in force'); },
      ...(c.tasks ? { tasks: c.tasks(() => client!.enrollment.consoleUrl) } : {}),
    });
  } catch (e) {
    return { ok: false, code: 'SYNC_FAILED', message: (e as Error).message, isolation: notStarted };
  }
  const sync = client;
  const consolePolicy: PolicyLoader = () => {
    const doc = sync.currentPolicy();
    if (doc) return { policy: compile(doc) };
    const fallback = parsePolicy(findPreset(DEFAULT_PRESET)!.text);
    return fallback.policy ? { policy: compile({ ...fallback.policy, mode: 'audit' }) } : { problems: ['default preset does not load'] };
  };
  if (deps.enforce && !sync.currentPolicy()) {
    try { await sync.heartbeat(); } catch (e) { deps.log(`console not reachable yet (${(e as Error).message}); starting with the ${DEFAULT_PRESET} preset in audit mode`); }
  }
  // An enforcer (Windows) is made and started only when enforcing; its platform never checks nftables isolation,
  // even sync only.
  const given = deps.enforcer;
  const notLinux = typeof given === 'function' || typeof given === 'object';
  if (deps.enforce && typeof given === 'function') {
    try { enforcer = given(sync.outbox); } catch (e) {
      await sync.stop();
      return { ok: false, code: 'ENFORCER_FAILED', message: (e as Error).message, isolation: notStarted };
    }
  } else if (deps.enforce && typeof given === 'object') enforcer = given;
  const syncService: RuntimeService = { start: (a) => { agent = a; sync.start(); }, stop: () => sync.stop() };
  const inner: AgentRuntimeDeps = { ...deps, sync: syncService, store: sync.store, policyVersion: deps.policyVersion ?? (() => String(sync.policyVersion())) };
  const load = deps.loadPolicy ?? consolePolicy;
  const started = notLinux ? await startWithEnforcer(inner, load, enforcer, sync) : startLinux(inner, load, sync);
  if (!started.ok) { enforcer = undefined; await sync.stop(); return started; }
  reloadPolicy = started.runtime.reloadPolicy;
  return started;
}

function startLinux(deps: AgentRuntimeDeps, load: PolicyLoader, sync: SyncClient | undefined): AgentRuntimeStart {
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
      return load();
    };
    const started = (deps.startAgent ?? startAgent)({
      loadPolicy, stateDir: deps.stateDir, log: deps.log,
      ...(deps.mounts?.length ? { mounts: deps.mounts } : {}), ...(deps.store ? { store: deps.store } : {}), ...(deps.watchFile ? { watchFile: deps.watchFile } : {}),
    });
    if (!started.ok) return { ok: false, code: started.code, message: started.message, isolation };
    agent = started.agent;
  }
  const runtime = assemble(deps, {
    agent,
    enforcer: undefined,
    sync,
    checkIsolation: () => { onIsolation(checkIsolation(), 'reload'); },
    reloadPolicy: () => (agent ? agent.reload() : false),
  });
  return { ok: true, runtime, isolation };
}

/** Windows (or any enforcer): the policy loaded once, the enforcer's start awaited, then the services. */
async function startWithEnforcer(deps: AgentRuntimeDeps, load: PolicyLoader, enforcer: RuntimeEnforcer | undefined, sync: SyncClient | undefined): Promise<AgentRuntimeStart> {
  const isolation: RuntimeIsolation = { action: 'skipped', reason: 'isolation on Windows is the firewall script pair of `omamori isolate --windows`; Windows keeps its rules' };
  let active: RuntimeEnforcer | undefined;
  if (deps.enforce && enforcer) {
    const first = deps.initial ? { policy: deps.initial } : load();
    if (!('policy' in first)) return { ok: false, code: 'POLICY_INVALID', message: first.problems.join('\n'), isolation };
    try {
      await enforcer.start(first.policy, deps.policyVersion?.());
    } catch (e) {
      try { await enforcer.stop(); } catch { /* the start's error is the one to report */ }
      return { ok: false, code: 'ENFORCER_FAILED', message: (e as Error).message, isolation };
    }
    active = enforcer;
  }
  const runtime = assemble(deps, {
    agent: undefined,
    enforcer: active,
    sync,
    checkIsolation: () => {},
    reloadPolicy: () => {
      if (!active) return false;
      const next = load();
      if (!('policy' in next)) { deps.log(`the policy did not load; the previous one stays in force: ${next.problems.join('; ')}`); return false; }
      active.onPolicy(next.policy, deps.policyVersion?.()).catch((e: unknown) => { deps.log(`applying the policy failed: ${(e as Error).message}`); });
      return true;
    },
  });
  return { ok: true, runtime, isolation };
}

interface Enforcement {
  agent: Agent | undefined;
  enforcer: RuntimeEnforcer | undefined;
  sync: SyncClient | undefined;
  checkIsolation: () => void;
  reloadPolicy: () => boolean;
}

/** Starts the services on running enforcement and wires the signals; stop() undoes it all in reverse order. */
function assemble(deps: AgentRuntimeDeps, e: Enforcement): AgentRuntime {
  const signals = deps.signals ?? process;
  const { agent, enforcer } = e;
  const services = [...(deps.sync ? [deps.sync] : []), ...(deps.services ?? [])];
  const running: RuntimeService[] = [];
  for (const s of services) { s.start(agent); running.push(s); }

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((res) => { resolveStopped = res; });
  let stopping: Promise<void> | undefined;

  const reload = (): boolean => { e.checkIsolation(); return e.reloadPolicy(); };
  const onHup = () => { reload(); };
  const onUsr1 = () => {
    const s: RuntimeStatus = agent?.status() ?? (enforcer ? { state: 'protecting', detail: enforcer.detail() } : { state: 'sync-only' });
    if (deps.onStatus) deps.onStatus(s); else deps.log(JSON.stringify(s));
  };
  const onStop = () => { void runtime.stop(); };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      signals.off('SIGHUP', onHup); signals.off('SIGUSR1', onUsr1); signals.off('SIGINT', onStop); signals.off('SIGTERM', onStop);
      for (const s of running.reverse()) {
        try { await s.stop(); } catch (err) { deps.log(`stopping a service failed: ${(err as Error).message}`); }
      }
      if (enforcer) {
        try { await enforcer.stop(); } catch (err) { deps.log(`stopping the enforcer failed: ${(err as Error).message}`); }
      }
      agent?.stop();
      resolveStopped();
    })();
    return stopping;
  };
  const runtime: AgentRuntime = {
    get agent() { return agent; },
    get enforcer() { return enforcer; },
    get sync() { return e.sync; },
    reload,
    reloadPolicy: e.reloadPolicy,
    status: () => agent?.status(),
    stop,
    stopped,
  };
  signals.on('SIGHUP', onHup);
  signals.on('SIGUSR1', onUsr1);
  signals.on('SIGINT', onStop);
  signals.on('SIGTERM', onStop);
  return runtime;
}
