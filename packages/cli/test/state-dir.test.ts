// One place for the agent's state directory: `omamori events` (and collect, isolate, protect, agent run) without
// --state find the folder `omamori up` gives its agent (issue 13, daily use: "events without --state after up looks
// in /var/lib/omamori"), and never a folder someone else planted.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEventStore } from '@omamori/agent';
import type { Decision } from '@omamori/policy';
import { DEFAULT_STATE_DIR, resolveStateDir, upAgentState, upHome } from '../src/state-dir.ts';
import { omamori } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'omamori.mjs');
/** What the temporary folders resolve to before `up` (the installed agent's folder, unless /tmp or / hold an up's). */
const baseline = resolveStateDir(undefined, { env: {}, cwd: tmpdir() });
const decision: Decision = {
  verdict: 'audit-deny', reason: 'USER_SPACE_EXEC', rule: 'launch.user-space', policyVersion: 'office@1', cacheable: true,
  object: '/home/alice/Downloads/invoice.exe', lineage: [{ pid: 41, image: '/usr/bin/bash' }, { pid: 42, image: '/home/alice/Downloads/invoice.exe' }],
};

/** What `omamori up` run in `cwd` leaves: its agent's state folder with the agent's event log in it. */
function upLeavesAnEvent(cwd: string): string {
  const state = upAgentState(upHome(undefined, {}, cwd));
  const store = openEventStore(state, { write: true });
  store.record(Date.now(), 'process.start', 42, decision);
  store.close();
  return state;
}

test('resolveStateDir: --state, then OMAMORI_STATE, OMAMORI_HOME/agent, up\'s .omamori/agent here or above, else the installed one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-state-'));
  try {
    const sub = join(dir, 'a', 'b');
    mkdirSync(sub, { recursive: true });
    const io = (env: NodeJS.ProcessEnv, cwd = sub) => ({ env, cwd });
    assert.deepEqual(resolveStateDir(undefined, io({})), baseline);
    const state = upLeavesAnEvent(dir);
    assert.equal(state, join(dir, '.omamori', 'agent'));
    assert.deepEqual(resolveStateDir(undefined, io({})), { dir: state, source: 'found' });
    assert.deepEqual(resolveStateDir(undefined, io({}, dir)), { dir: state, source: 'found' });
    assert.deepEqual(resolveStateDir('s', io({ OMAMORI_STATE: '/x' })), { dir: join(sub, 's'), source: 'option' });
    assert.deepEqual(resolveStateDir(undefined, io({ OMAMORI_STATE: '/x', OMAMORI_HOME: '/h' })), { dir: '/x', source: 'env' });
    assert.deepEqual(resolveStateDir(undefined, io({ OMAMORI_HOME: '/h' })), { dir: '/h/agent', source: 'home' });
    // A folder that is not an agent's state (no events.db or sync.json) is passed over.
    mkdirSync(join(sub, '.omamori', 'agent'), { recursive: true });
    assert.equal(resolveStateDir(undefined, io({})).dir, state);
    // Someone else's folder is never taken: the walk goes on to the default.
    assert.equal(resolveStateDir(undefined, io({}), { uid: 12345 }).dir, resolveStateDir(undefined, { env: {}, cwd: tmpdir() }, { uid: 12345 }).dir);
    if (process.getuid?.() === 0) {
      chownSync(state, 65534, 65534);
      assert.deepEqual(resolveStateDir(undefined, io({})), baseline);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('omamori events without --state after up reads up\'s agent log (in the folder of up and below)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-state-'));
  try {
    const env = { LANG: 'C' };
    if (baseline.source === 'default' && !existsSync(join(DEFAULT_STATE_DIR, 'events.db'))) {
      const before = await omamori(['events'], { cwd: dir, env });
      assert.equal(before.code, 1);
      assert.match(before.err, new RegExp(`cannot open ${DEFAULT_STATE_DIR}/events\\.db`));
      assert.match(before.err, /no \.omamori\/agent of `omamori up` here or in a parent folder/);
    }
    upLeavesAnEvent(dir);
    const sub = join(dir, 'src');
    mkdirSync(sub);
    for (const cwd of [dir, sub]) {
      const r = await omamori(['events', '--json'], { cwd, env });
      assert.equal(r.code, 0, r.err);
      const [e] = r.out.trim().split('\n').map((l) => JSON.parse(l) as { object: string; verdict: string });
      assert.equal(e?.object, '/home/alice/Downloads/invoice.exe');
      assert.equal(e?.verdict, 'audit-deny');
    }
    // The real command, as a user types it.
    const { OMAMORI_STATE: _s, OMAMORI_HOME: _h, ...rest } = process.env;
    const run = spawnSync(process.execPath, [BIN, 'events'], { cwd: sub, encoding: 'utf8', env: { ...rest, LANG: 'C' } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /invoice\.exe/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
