// The README's first command on a fresh clone: `npm ci && npx omamori up` serves the full web UI, with no other build
// step. The clone is a faithful equivalent of `git clone`: exactly the tracked files (`git ls-files`), as they are in
// this tree (so uncommitted edits are tested too), nothing built, no node_modules. `npm ci --offline` installs from
// the npm cache that CI's own `npm ci` just filled and runs every lifecycle script as on a user's machine: the native
// addon is compiled by node-gyp, the root `prepare` script builds the program and the web UI. One thing differs:
// better-sqlite3's install script (prebuild-install) finds its prebuilt addon in a local prebuilds directory — the one
// this tree's `npm ci` built — instead of downloading it from GitHub as it does online (without either it compiles
// SQLite for ~95 s). Then `npx omamori up` runs as the README says, limited to a tmpfs in a private mount namespace
// (--mount) with a free port and its own data directory, and the pages are loaded in Chromium.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

const root = join(import.meta.dirname, '..', '..', '..');
const CHROMIUM = {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
};

/** The files a `git clone` of this tree would have, with their content here. */
function cloneTrackedFiles(to: string): number {
  const r = spawnSync('git', ['-C', root, 'ls-files', '-z'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  let n = 0;
  for (const rel of r.stdout.split('\0').filter(Boolean)) {
    const from = join(root, rel);
    if (!existsSync(from) && !lstatSync(from, { throwIfNoEntry: false })) continue; // deleted, not yet committed
    const target = join(to, rel);
    mkdirSync(dirname(target), { recursive: true });
    if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), target);
    else copyFileSync(from, target);
    n++;
  }
  return n;
}

/** better-sqlite3's prebuilt addon where prebuild-install looks for local prebuilds (its tarball name and layout). */
function localPrebuilds(dir: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
  mkdirSync(dir, { recursive: true });
  const name = `better-sqlite3-v${pkg.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const r = spawnSync('tar', ['-czf', join(dir, name), '-C', join(root, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return dir;
}

test('a fresh clone: npm ci && npx omamori up serves the full web UI', { timeout: 900_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'omamori-clone-'));
  const clone = join(work, 'omamori');
  const mnt = join(work, 'mnt');
  mkdirSync(mnt);
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C' };
  delete env.NODE_OPTIONS; // no `source` condition: the clone runs what npm ci built
  delete env.OMAMORI_ROOT;
  let up: ReturnType<typeof spawn> | undefined;
  let browser: Browser | undefined;
  try {
    assert.ok(cloneTrackedFiles(clone) > 100);
    assert.equal(existsSync(join(clone, 'node_modules')), false);
    assert.equal(existsSync(join(clone, 'packages/console/web/dist')), false);
    const t0 = Date.now();
    const ci = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
      cwd: clone, encoding: 'utf8', maxBuffer: 64 << 20,
      env: { ...env, npm_config_better_sqlite3_local_prebuilds: localPrebuilds(join(work, 'prebuilds')) },
    });
    assert.equal(ci.status, 0, `npm ci failed:\n${ci.stdout}\n${ci.stderr}`);
    const ciSeconds = (Date.now() - t0) / 1000;
    assert.ok(existsSync(join(clone, 'packages/console/web/dist/index.html')), 'npm ci built the web UI');
    assert.ok(existsSync(join(clone, 'packages/cli/dist/main.js')), 'npm ci built the program');

    // The README's command (plus a tmpfs for the agent, a free port, a data directory), `exec` keeps the pid.
    up = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
      `mount -t tmpfs omamori-clone "${mnt}" && exec npx omamori up --data "${join(work, 'home')}" --listen 127.0.0.1:0 --mount "${mnt}"`],
    // Its own process group: npx runs omamori as a child, so it is stopped as a user's Ctrl-C stops it (the group).
    { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    let out = '';
    up.stdout!.on('data', (d) => { out += d; });
    up.stderr!.on('data', (d) => { out += d; });
    const waitFor = async (re: RegExp, ms = 60_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (up!.exitCode !== null) throw new Error(`omamori up exited:\n${out}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const url = (await waitFor(/console: (https:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const setup = (await waitFor(/first-time setup \(one use, open in a browser\): (\S+)/))[1]!;
    await waitFor(/omamori agent: protecting/);
    // Run from a clone under /tmp: it says plainly that enforce needs an installed agent.
    assert.match(out, /note: omamori runs from user space \(.*\)\.\n.*never blocks itself.*\n.*enforce needs an installed agent/);

    browser = await chromium.launch(CHROMIUM);
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US' });
    const page = await ctx.newPage();
    const home = await page.goto(`${url}/`);
    assert.equal(home?.status(), 200, 'GET / serves the UI (was 404 before the build ran in npm ci)');
    assert.match(await page.title(), /omamori/);
    await page.goto(setup);
    await page.getByRole('heading', { level: 1, name: 'First-time setup' }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
    await page.getByLabel('Password again').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Endpoints', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor();
    // This machine, enrolled by `up`, is listed.
    await page.locator(`tr[data-endpoint="${hostname()}"]`).waitFor();
    await browser.close();
    browser = undefined;
    await stopGroup(up);
    assert.match(out, /omamori up: stopped/);
    process.stdout.write(`# fresh clone: npm ci ${ciSeconds.toFixed(0)} s\n`);
  } finally {
    await browser?.close();
    if (up) await stopGroup(up);
    rmSync(work, { recursive: true, force: true });
  }
});

/** SIGINT to the process group we started (npx, omamori up, its agent), as Ctrl-C; SIGKILL after 15 s. */
async function stopGroup(child: ReturnType<typeof spawn>): Promise<void> {
  const pgid = child.pid!;
  const alive = () => { try { process.kill(-pgid, 0); return true; } catch { return false; } };
  if (!alive()) return;
  process.kill(-pgid, 'SIGINT');
  for (let i = 0; i < 150 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(-pgid, 'SIGKILL');
}
