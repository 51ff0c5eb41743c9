// `omamori up` as a user runs it (the README's main job): console on SQLite, this machine's agent enrolled in audit
// mode, a would-be block reaching the console. The agent is limited to a tmpfs in a private mount namespace.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'packages/cli/bin/omamori.mjs');

async function waitFor<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('omamori up starts the console with this machine enrolled in audit mode; omamori events there shows its log', { timeout: 120_000 }, async () => {
  // As a user types it: in a folder, no --data (./.omamori), no OMAMORI_* settings.
  const { OMAMORI_HOME: _h, OMAMORI_STATE: _s, ...env } = process.env;
  const dir = mkdtempSync(join(tmpdir(), 'omamori-up-'));
  const mnt = join(dir, 'mnt');
  spawnSync('mkdir', ['-p', mnt]);
  // The private namespace and its tmpfs are the only thing the agent marks; `exec` keeps the pid for teardown.
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mount -t tmpfs omamori-up "${mnt}" && chmod 1777 "${mnt}" && exec "${process.execPath}" "${bin}" up --listen 127.0.0.1:0 --mount "${mnt}"`],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, LANG: 'C' }, cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  try {
    const url = await waitFor('console url', () => /console: (https:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]);
    const token = await waitFor('setup link', () => /setup#token=(\S+)/.exec(out)?.[1]);
    await waitFor('agent protecting', () => (/omamori agent: protecting/.test(out) ? true : undefined));
    assert.match(out, /enrolled this machine: agent \S+ \(group this-machine, office, audit\)/);
    assert.match(out, /mode audit\) accepted/);
    // A user-space program runs (audit) and its would-be block reaches the console.
    const run = spawnSync('nsenter', ['-t', String(child.pid), '-m', 'sh', '-c', `cp /bin/true "${mnt}/payload" && "${mnt}/payload" && echo ran`], { encoding: 'utf8' });
    assert.equal(run.stdout.trim(), 'ran', run.stderr);
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const setup = await fetch(`${url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, username: 'admin', password: 'correct horse battery staple' }) });
    assert.ok(setup.ok, await setup.clone().text());
    const cookie = setup.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const ev = await waitFor('event in the console', async () => {
      const r = await fetch(`${url}/api/events`, { headers: { cookie } });
      const body = await r.json() as { events: { verdict: string; reason: string; object: string }[] };
      return body.events.find((e) => e.object === `${mnt}/payload`);
    }, 30_000);
    assert.equal(ev.verdict, 'audit-deny');
    assert.equal(ev.reason, 'USER_SPACE_EXEC');
    // issue 13: `omamori events` without --state, where up runs, reads up's agent log (not /var/lib/omamori).
    assert.match(out, /what it would have stopped: omamori events\n/);
    const local = spawnSync(process.execPath, [bin, 'events', '--json'], { cwd: dir, encoding: 'utf8', env: { ...env, LANG: 'C' } });
    assert.equal(local.status, 0, local.stderr);
    const logged = local.stdout.trim().split('\n').map((l) => JSON.parse(l) as { object: string; verdict: string });
    assert.ok(logged.some((e) => e.object === `${mnt}/payload` && e.verdict === 'audit-deny'), local.stdout);
  } finally {
    delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(out, /omamori up: stopped/);
});
