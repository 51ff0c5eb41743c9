// The one agent runtime (runtime.ts): policy loaded once at start, isolation re-applied at start and on SIGHUP,
// SIGHUP reloads, the sync client and services start only after enforcement and stop before it, sync-only starts no
// enforcement, a failed start starts nothing; on Windows an enforcer object (the Windows agent mode) takes the place
// of startAgent and of the nftables isolation. The kernel part (startAgent) is replaced by a recorder here; the real
// one runs under `omamori protect` in packages/cli/test/package-deb.test.ts and agent-live.test.ts.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compile, findPreset, loadPolicy, type CompiledPolicy } from '@omamori/policy';
import type { Agent, AgentOptions, AgentStart } from './agent.ts';
import { ensureIsolation, isolate, type NftRunner } from './response/isolation.ts';
import { createAgentRuntime, type RuntimeEnforcer, type RuntimeService } from './runtime.ts';
import type { SyncClient, SyncClientOptions } from './sync/client.ts';

const office = (): CompiledPolicy => compile(loadPolicy(findPreset('office')!.text).policy!);

function recorder() {
  const steps: string[] = [];
  let loads = 0;
  const startAgent = (o: AgentOptions): AgentStart => {
    steps.push('agent.start');
    let current = o.loadPolicy();
    if (!('policy' in current)) return { ok: false, code: 'POLICY_INVALID', message: current.problems.join('\n') };
    const agent = {
      mounts: ['/mnt/test'],
      reload: () => {
        steps.push('agent.reload');
        const next = o.loadPolicy();
        if (!('policy' in next)) return false;
        current = next;
        return true;
      },
      status: () => ({ policyVersion: 'policy' in current ? current.policy.version : '?', mode: 'audit' }),
      stop: () => { steps.push('agent.stop'); },
    } as unknown as Agent;
    return { ok: true, agent };
  };
  const loader = () => { loads++; return { policy: office() }; };
  const service = (name: string): RuntimeService => ({
    start: (agent) => { steps.push(`${name}.start${agent ? '' : ' (no agent)'}`); }, stop: async () => { steps.push(`${name}.stop`); },
  });
  return { steps, startAgent, loader, service, loads: () => loads };
}

test('the policy is loaded once at start: the caller\'s copy is used, loadPolicy serves only reloads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-runtime-'));
  try {
    const r = recorder();
    const signals = new EventEmitter();
    const started = createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: r.loader, initial: office(), enforce: true, startAgent: r.startAgent, signals,
    });
    assert.ok(started.ok);
    assert.equal(r.loads(), 0, 'no second load at start');
    signals.emit('SIGHUP');
    assert.equal(r.loads(), 1, 'SIGHUP reloads');
    const without = createAgentRuntime({ stateDir: dir, log: () => {}, loadPolicy: r.loader, enforce: true, startAgent: r.startAgent, signals: new EventEmitter() });
    assert.ok(without.ok);
    assert.equal(r.loads(), 2, 'without a caller\'s copy the runtime loads it, once');
    await started.runtime.stop();
    await without.runtime.stop();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a recorded isolation is re-applied at start and again on SIGHUP; SIGUSR1 reports the status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-runtime-'));
  try {
    const nftCalls: string[] = [];
    const nft: NftRunner = (args, stdin) => { nftCalls.push(`${args.join(' ')}:${stdin?.includes('omamori_isolate') ? 'table' : ''}`); return { code: 0, stdout: '', stderr: '' }; };
    const peer = { family: 4 as const, address: '192.0.2.10', prefix: 32 };
    assert.equal(isolate(dir, { console: [peer], allow: [], dns: [] }, { nft, reason: 'test' }).ok, true);
    nftCalls.length = 0;
    const r = recorder();
    const signals = new EventEmitter();
    const seen: string[] = [];
    const status: unknown[] = [];
    const started = createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: r.loader, enforce: true, startAgent: r.startAgent, signals,
      ensureIsolation: (d) => ensureIsolation(d, { nft }), onIsolation: (o, when) => seen.push(`${when}:${o.action}`),
      onStatus: (s) => status.push(s),
    });
    assert.ok(started.ok);
    assert.equal(started.isolation.action, 'reapplied');
    assert.deepEqual(nftCalls, ['-f -:table'], 'the table is loaded before enforcement starts');
    signals.emit('SIGHUP');
    assert.deepEqual(seen, ['start:reapplied', 'reload:reapplied']);
    assert.equal(nftCalls.length, 2);
    signals.emit('SIGUSR1');
    assert.equal((status[0] as { policyVersion: string }).policyVersion, office().version);
    await started.runtime.stop();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('managed: sync and services start after enforcement and stop before it, on SIGTERM, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-runtime-'));
  try {
    const r = recorder();
    const signals = new EventEmitter();
    const started = createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: r.loader, enforce: true, startAgent: r.startAgent, signals,
      sync: r.service('sync'), services: [r.service('pull')],
    });
    assert.ok(started.ok);
    assert.deepEqual(r.steps, ['agent.start', 'sync.start', 'pull.start']);
    signals.emit('SIGTERM');
    await started.runtime.stopped;
    signals.emit('SIGTERM');
    await started.runtime.stop();
    assert.deepEqual(r.steps, ['agent.start', 'sync.start', 'pull.start', 'pull.stop', 'sync.stop', 'agent.stop']);
    assert.equal(signals.listenerCount('SIGHUP') + signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT') + signals.listenerCount('SIGUSR1'), 0);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('sync only starts no enforcement; a failed start starts no service', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-runtime-'));
  try {
    const r = recorder();
    const syncOnly = createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: r.loader, enforce: false, startAgent: r.startAgent, signals: new EventEmitter(), sync: r.service('sync'),
    });
    assert.ok(syncOnly.ok);
    assert.equal(syncOnly.runtime.agent, undefined);
    assert.equal(syncOnly.runtime.reload(), false);
    await syncOnly.runtime.stop();
    assert.deepEqual(r.steps, ['sync.start (no agent)', 'sync.stop']);

    const broken = recorder();
    const failed = createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: () => ({ problems: ['policy.yaml:3:1 OM004 unknown field'] }), enforce: true,
      startAgent: broken.startAgent, signals: new EventEmitter(), sync: broken.service('sync'),
    });
    assert.equal(failed.ok, false);
    assert.ok(!failed.ok && failed.code === 'POLICY_INVALID' && /OM004/.test(failed.message));
    assert.deepEqual(broken.steps, ['agent.start']);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

function windowsEnforcer(steps: string[], opts: { failStart?: boolean } = {}): RuntimeEnforcer {
  return {
    start: async (p, v) => {
      await Promise.resolve();
      steps.push(`enforcer.start ${p.version} v${v}`);
      if (opts.failStart) throw new Error('PowerShell is not there');
    },
    onPolicy: async (p, v) => { steps.push(`enforcer.onPolicy ${p.version} v${v}`); },
    detail: () => ({ platform: 'windows', windowsApplied: 1 }),
    stop: async () => { await Promise.resolve(); steps.push('enforcer.stop'); },
  };
}

test('Windows: the enforcer starts after the one policy load and before sync, stops after it; SIGHUP reaches onPolicy; no nft', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-runtime-'));
  try {
    const r = recorder();
    const signals = new EventEmitter();
    const isolationChecks: string[] = [];
    const status: unknown[] = [];
    let version = 3;
    const started = await createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: () => { r.steps.push('load'); return r.loader(); }, enforce: true,
      enforcer: windowsEnforcer(r.steps), policyVersion: () => String(version), startAgent: r.startAgent, signals,
      ensureIsolation: () => { isolationChecks.push('nft'); return { action: 'not-isolated' }; },
      sync: r.service('sync'), services: [r.service('pull')], onStatus: (s) => status.push(s),
    });
    assert.ok(started.ok);
    assert.equal(started.isolation.action, 'skipped', 'no nftables on Windows');
    assert.equal(started.runtime.agent, undefined, 'no Linux agent');
    const v = office().version;
    assert.deepEqual(r.steps, ['load', `enforcer.start ${v} v3`, 'sync.start (no agent)', 'pull.start (no agent)']);
    version = 4;
    signals.emit('SIGHUP');
    assert.equal(started.runtime.reloadPolicy(), true);
    signals.emit('SIGUSR1');
    assert.deepEqual(status, [{ state: 'protecting', detail: { platform: 'windows', windowsApplied: 1 } }]);
    signals.emit('SIGINT');
    await started.runtime.stopped;
    assert.deepEqual(r.steps.slice(4), ['load', `enforcer.onPolicy ${v} v4`, 'load', `enforcer.onPolicy ${v} v4`, 'pull.stop', 'sync.stop', 'enforcer.stop']);
    assert.deepEqual(isolationChecks, [], 'the nftables isolation check never runs');
    assert.equal(r.loads(), 3);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('Windows: a failed enforcer start or a bad first policy starts no service; sync only starts no enforcer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-runtime-'));
  try {
    const r = recorder();
    const failed = await createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: r.loader, enforce: true, enforcer: windowsEnforcer(r.steps, { failStart: true }),
      signals: new EventEmitter(), sync: r.service('sync'),
    });
    assert.ok(!failed.ok && failed.code === 'ENFORCER_FAILED' && /PowerShell/.test(failed.message));
    assert.deepEqual(r.steps, [`enforcer.start ${office().version} vundefined`, 'enforcer.stop']);

    const bad = recorder();
    const invalid = await createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: () => ({ problems: ['OM004 unknown field'] }), enforce: true, enforcer: windowsEnforcer(bad.steps),
      signals: new EventEmitter(), sync: bad.service('sync'),
    });
    assert.ok(!invalid.ok && invalid.code === 'POLICY_INVALID');
    assert.deepEqual(bad.steps, []);

    const only = recorder();
    const syncOnly = await createAgentRuntime({
      stateDir: dir, log: () => {}, loadPolicy: only.loader, enforce: false, enforcer: windowsEnforcer(only.steps),
      signals: new EventEmitter(), sync: only.service('sync'),
    });
    assert.ok(syncOnly.ok);
    assert.equal(syncOnly.runtime.enforcer, undefined);
    assert.equal(syncOnly.runtime.reload(), false);
    await syncOnly.runtime.stop();
    assert.deepEqual(only.steps, ['sync.start (no agent)', 'sync.stop']);
    assert.equal(only.loads(), 0);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('managed (console): the runtime makes the sync client, heartbeats once before the first policy, enforces the console policy and hands new ones on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-runtime-'));
  try {
    const steps: string[] = [];
    let opts: SyncClientOptions | undefined;
    let doc: ReturnType<SyncClient['currentPolicy']>;
    let version = 0;
    const outbox = { append: () => {}, meta: () => undefined, setMeta: () => {} };
    const fake = (o: SyncClientOptions): SyncClient => {
      opts = o;
      return {
        enrollment: { consoleUrl: 'https://console.test', agentId: 'a-1' }, outbox, store: undefined,
        currentPolicy: () => doc, policyVersion: () => version,
        heartbeat: async () => {
          steps.push('sync.heartbeat');
          doc = { ...loadPolicy(findPreset('office')!.text).policy!, mode: 'enforce' }; version = 7;
        },
        start: () => { steps.push(`sync.start ${JSON.stringify(o.runState())}`); },
        stop: async () => { steps.push('sync.stop'); },
      } as unknown as SyncClient;
    };
    let urlSeen = '';
    const signals = new EventEmitter();
    const started = await createAgentRuntime({
      stateDir: dir, log: () => {}, enforce: true, signals,
      console: { createSyncClient: fake, tasks: (consoleUrl) => { urlSeen = 'later'; return { isolate: async () => { urlSeen = consoleUrl(); return { status: 'done', message: '' }; } }; } },
      enforcer: (sink) => { assert.equal(sink, outbox, 'the Windows mode writes to the upload outbox'); return windowsEnforcer(steps); },
    });
    assert.ok(started.ok);
    const v = office().version;
    assert.deepEqual(steps, ['sync.heartbeat', `enforcer.start ${v} v7`, 'sync.start {"state":"protecting","detail":{"platform":"windows","windowsApplied":1}}']);
    assert.equal(started.runtime.sync?.enrollment.consoleUrl, 'https://console.test');
    await opts!.tasks!.isolate!({} as never);
    assert.equal(urlSeen, 'https://console.test');
    version = 8;
    opts!.onPolicy!(doc!, {} as never);
    assert.equal(steps.at(-1), `enforcer.onPolicy ${v} v8`);
    signals.emit('SIGTERM');
    await started.runtime.stopped;
    assert.deepEqual(steps.slice(-2), ['sync.stop', 'enforcer.stop']);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
