// `omamori agent run` with the platform forced to win32 and a record-mode PowerShell: it goes into Windows mode
// (compile + apply through PowerShell, no Linux agent, no fanotify, no nft) on the agent runtime, with the Windows
// agent mode as its enforcer, and stops cleanly. On Linux it runs on the same runtime, which re-applies a recorded
// isolation at start (as protect does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolate, openEventStore, windows, type NftRunner } from '@omamori/agent';
import { main } from '../main.ts';
import type { Io } from '../command.ts';
import { createAgentSyncCommands } from './agent-sync.ts';

function enrolledDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-agentrun-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  const consoleKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  writeFileSync(join(dir, 'agent-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  // Port 1 on loopback: the console is "away", which the agent must survive.
  writeFileSync(join(dir, 'sync.json'), JSON.stringify({ consoleUrl: 'http://127.0.0.1:1', agentId: 'a-1', groupId: 'g-1', consoleKey, heartbeatSeconds: 30, hostname: 'PC-1', enrolledAt: 0 }));
  return dir;
}

test('agent run on win32 goes into Windows mode: policy applied through PowerShell, no Linux agent', async () => {
  const dir = enrolledDir();
  try {
    let out = '', err = '';
    const io: Partial<Io> = { out: (s) => { out += s; }, err: (s) => { err += s; }, lang: 'en', cwd: dir };
    const ps = windows.createPowerShell({ mode: 'record' });
    let whileRunning = '';
    const commands = createAgentSyncCommands({
      platform: 'win32', powershell: () => ps,
      waitForStop: async () => { whileRunning = out; },
    });
    const code = await main(['agent', 'run', '--state', dir], {}, io, commands);
    assert.equal(code, 0, err);
    assert.match(whileRunning, /protecting \(Windows: App Control, ASR, CFA\)/);
    assert.match(out, /stopped/);
    assert.equal(ps.calls[0]!.script, windows.STATE_QUERY);
    assert.ok(ps.calls.some((c) => /Add-MpPreference -AttackSurfaceReductionRules_Ids/.test(c.script)), 'ASR rules applied');
    assert.ok(existsSync(join(dir, 'windows', 'app-control-base.xml')), 'compiled XML written for the apply commands');
    // events.db is the upload outbox (the Windows read-back writes there); the Linux agent (fanotify) would have
    // noted its start in it.
    const store = openEventStore(dir, { write: false });
    try { assert.deepEqual(store.notes().filter((n) => n.code === 'AGENT_STARTED'), []); } finally { store.close(); }
    assert.doesNotMatch(err, /fanotify|cannot start the agent/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('agent run --sync-only on win32 does not touch PowerShell', async () => {
  const dir = enrolledDir();
  try {
    let out = '';
    const io: Partial<Io> = { out: (s) => { out += s; }, err: () => {}, lang: 'ja', cwd: dir };
    const ps = windows.createPowerShell({ mode: 'record' });
    const code = await main(['agent', 'run', '--state', dir, '--sync-only'], {}, io, createAgentSyncCommands({ platform: 'win32', powershell: () => ps, waitForStop: async () => {} }));
    assert.equal(code, 0);
    assert.match(out, /同期のみ/);
    assert.equal(ps.calls.length, 0);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('agent run on Linux (sync only) re-applies a recorded network isolation at start, through the agent runtime', async () => {
  const dir = enrolledDir();
  try {
    const calls: string[] = [];
    const nft: NftRunner = (args, stdin) => { calls.push(`${args.join(' ')} ${/table inet omamori_isolate/.test(stdin ?? '') ? 'table' : ''}`.trim()); return { code: 0, stdout: '', stderr: '' }; };
    assert.equal(isolate(dir, { console: [{ family: 4, address: '192.0.2.10', prefix: 32 }], allow: [], dns: [] }, { nft, reason: 'test' }).ok, true);
    calls.length = 0;
    let out = '', err = '';
    const io: Partial<Io> = { out: (s) => { out += s; }, err: (s) => { err += s; }, lang: 'en', cwd: dir };
    const code = await main(['agent', 'run', '--state', dir, '--sync-only'], {}, io, createAgentSyncCommands({ platform: 'linux', nft, waitForStop: async () => {} }));
    assert.equal(code, 0, err);
    assert.deepEqual(calls, ['-f - table'], 'the isolation table is loaded again');
    assert.match(err, /omamori agent: network isolation re-applied/);
    assert.match(out, /omamori agent: sync only .*\n[^]*omamori agent: stopped/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('agent run on win32 never calls nft, even with an isolation recorded; the runtime stops the Windows mode', async () => {
  const dir = enrolledDir();
  try {
    const calls: string[] = [];
    const nft: NftRunner = (args) => { calls.push(args.join(' ')); return { code: 0, stdout: '', stderr: '' }; };
    assert.equal(isolate(dir, { console: [{ family: 4, address: '192.0.2.10', prefix: 32 }], allow: [], dns: [] }, { nft, reason: 'test' }).ok, true);
    calls.length = 0;
    for (const extra of [[], ['--sync-only']]) {
      let err = '';
      const io: Partial<Io> = { out: () => {}, err: (s) => { err += s; }, lang: 'en', cwd: dir };
      const ps = windows.createPowerShell({ mode: 'record' });
      let callsWhileRunning = -1;
      const code = await main(['agent', 'run', '--state', dir, ...extra], {}, io,
        createAgentSyncCommands({ platform: 'win32', nft, powershell: () => ps, waitForStop: async () => { callsWhileRunning = ps.calls.length; } }));
      assert.equal(code, 0, err);
      assert.doesNotMatch(err, /isolation/);
      if (extra.length === 0) assert.ok(callsWhileRunning > 0, 'the policy was applied before the runtime reported running');
      assert.equal(ps.calls.length, Math.max(callsWhileRunning, 0), 'nothing runs through PowerShell after the stop');
    }
    assert.deepEqual(calls, []);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
