// `omamori protect` for real on the agent runtime (agent/src/runtime.ts): started on a tmpfs in a private mount
// namespace (the only thing it marks), SIGHUP reloads the policy (a broken file keeps the old one in force), SIGUSR1
// prints the status, SIGTERM stops it cleanly. No recorded isolation exists in its state, so no nft runs.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findPreset } from '@omamori/policy';

const bin = join(import.meta.dirname, '..', 'bin', 'omamori.mjs');

test('protect on the runtime: SIGHUP reloads (a broken policy keeps the old one), SIGUSR1 reports, SIGTERM stops', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-protect-rt-'));
  const mnt = join(dir, 'mnt');
  const state = join(dir, 'state');
  const policy = join(dir, 'policy.yaml');
  mkdirSync(mnt);
  writeFileSync(policy, findPreset('office')!.text);
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mount -t tmpfs omamori-rt "${mnt}" && exec "${process.execPath}" "${bin}" protect --policy "${policy}" --state "${state}" --mount "${mnt}"`],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const waitFor = async (what: string, f: () => boolean) => {
    const end = Date.now() + 30_000;
    while (!f()) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`timed out waiting for ${what}\nstdout: ${out}\nstderr: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await waitFor('protecting', () => /omamori protect: protecting .*\(policy office@\d+, enforce, fail \w+, pid \d+\)/.test(out));
    assert.ok(existsSync(join(state, 'agent.pid')));
    child.kill('SIGHUP');
    await waitFor('reload', () => /omamori protect: policy office@\d+ \(enforce\) in force/.test(err));
    child.kill('SIGUSR1');
    await waitFor('status', () => /"policyVersion":"office@\d+"/.test(out));
    writeFileSync(policy, 'omamori: 1\nname: office\nversion: 99\nmode: audit\ncolour: red\n');
    child.kill('SIGHUP');
    await waitFor('refused reload', () => /policy reload failed; keeping office@\d+/.test(err));
    assert.match(err, /OM004/);
    child.kill('SIGUSR1');
    await waitFor('second status', () => (out.match(/"mode":"enforce"/g) ?? []).length >= 2);
    child.kill('SIGTERM');
    assert.equal(await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]), 0, err);
    assert.match(out, /omamori protect: stopped\n$/);
    assert.equal(existsSync(join(state, 'agent.pid')), false, 'the pid file goes with the agent');
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
