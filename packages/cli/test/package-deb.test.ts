// The Debian package, built here by scripts/package-deb.mjs (from the dist/ that scripts/run-tests.mjs builds):
// its control files and contents, the unit (systemd-analyze verify), the extracted program run for real (version,
// policy check, the agent on a tmpfs in a private mount namespace telling systemd READY=1 once its mark is in place),
// the agent never blocking its own files from user space, and a system-wide install (services held back by
// policy-rc.d): package-owned files, upgrade keeping the policy and the event log, remove stopping the agent, purge.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OMAMORI_VERSION } from '@omamori/policy/version';

const root = join(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'omamori-deb-test-'));
const LIB = 'usr/lib/omamori/node_modules';

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? { ...process.env, LANG: 'C' }, input: opts.input ?? '', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}
function ok(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): string {
  const r = sh(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.err}${r.out}`);
  return r.out;
}

function buildDeb(version?: string): string {
  const out = join(work, version ?? 'v1');
  const r = sh(process.execPath, [join(root, 'scripts/package-deb.mjs'), '--out', out, ...(version ? ['--version', version] : [])],
    { env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.code, 0, r.err + r.out);
  const debs = readdirSync(out).filter((f) => f.endsWith('.deb'));
  assert.equal(debs.length, 1, `one .deb in ${out}`);
  return join(out, debs[0]!);
}

/** The NODE_OPTIONS the unit gives the agent. */
function unitNodeOptions(unit: string): string {
  const m = /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(unit);
  assert.ok(m, 'the unit sets NODE_OPTIONS');
  return m[1]!;
}

/** A process with its output collected; waits for text; stops by pid. */
function startProc(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child, out: () => out, exited,
    async waitFor(re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
      const end = Date.now() + ms;
      for (;;) {
        const m = re.exec(out);
        if (m) return m;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${cmd} exited before ${re}:\n${out}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => { if (child.exitCode === null) child.kill('SIGKILL'); }, 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A unix datagram socket that prints what it receives (as systemd's NOTIFY_SOCKET), one JSON string per line. */
function notifyReceiver(path: string) {
  return startProc('/usr/bin/python3', ['-u', '-c', [
    'import json, socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    's.bind(sys.argv[1])',
    'print("bound", flush=True)',
    'while True:',
    '    print(json.dumps(s.recv(65536).decode()), flush=True)',
  ].join('\n'), path], { ...process.env });
}

/** Mount ids (decimal) of the fanotify marks process `pid` holds, from /proc/PID/fdinfo. */
/** The mounts and filesystems a process's fanotify groups mark: `mnt ID` or `sb MAJOR:MINOR` (inode marks left out). */
function fanotifyMarks(pid: number): string[] {
  const marks: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let text = '';
    try { text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'); } catch { continue; }
    for (const m of text.matchAll(/^fanotify .*mnt_id:([0-9a-f]+)/gm)) marks.push(`mnt ${parseInt(m[1]!, 16)}`);
    for (const m of text.matchAll(/^fanotify sdev:([0-9a-f]+)/gm)) {
      const dev = parseInt(m[1]!, 16); // the kernel's own encoding: major << 20 | minor
      marks.push(`sb ${dev >>> 20}:${dev & 0xfffff}`);
    }
  }
  return marks;
}
/** The device (MAJOR:MINOR) of what is mounted at `mountPoint` in `pid`'s mount namespace. */
function mountDevIn(pid: number, mountPoint: string): string | undefined {
  const line = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter((l) => l.split(' ')[4] === mountPoint).pop();
  return line?.split(' ')[2];
}

let deb = '';
let extracted = '';

describe('Debian package', { timeout: 600_000 }, () => {
  before(() => {
    if (!existsSync(join(root, 'packages/console/web/dist/index.html'))) {
      ok(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', join(root, 'packages/console/web'), '--logLevel', 'warn']);
    }
    deb = buildDeb();
    extracted = join(work, 'x');
    ok('dpkg-deb', ['-x', deb, extracted]);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('control: name, version, architecture, Depends nodejs (>= 20), the policy as conffile, maintainer scripts', () => {
    assert.match(deb, new RegExp(`/omamori_${OMAMORI_VERSION.replace(/\./g, '\\.')}_${ok('dpkg', ['--print-architecture']).trim()}\\.deb$`));
    const f = (name: string) => ok('dpkg-deb', ['-f', deb, name]).trim();
    assert.equal(f('Package'), 'omamori');
    assert.equal(f('Version'), OMAMORI_VERSION);
    assert.equal(f('Depends'), 'nodejs (>= 20)');
    const ctl = join(work, 'control');
    ok('dpkg-deb', ['-e', deb, ctl]);
    assert.equal(readFileSync(join(ctl, 'conffiles'), 'utf8'), '/etc/omamori/policy.yaml\n');
    for (const s of ['postinst', 'prerm', 'postrm']) {
      assert.ok(statSync(join(ctl, s)).mode & 0o100, `${s} executable`);
      assert.equal(sh('sh', ['-n', join(ctl, s)]).code, 0, `${s} parses`);
    }
  });

  test('contents: compiled program and production dependencies only, owned by root, state directory 0700', () => {
    const list = ok('dpkg-deb', ['-c', deb]).trim().split('\n');
    const entry = (path: string) => list.find((l) => l.endsWith(` ./${path}`) || l.includes(` ./${path} -> `));
    for (const l of list) assert.match(l, /^\S+ root\/root /, l);
    assert.match(entry('usr/bin/omamori') ?? '', /^l.* -> \.\.\/lib\/omamori\/node_modules\/@omamori\/cli\/bin\/omamori\.mjs$/);
    assert.match(entry('var/lib/omamori/') ?? '', /^drwx------ /);
    assert.match(entry('lib/systemd/system/omamori.service') ?? '', /^-rw-r--r-- /);
    assert.match(entry('etc/omamori/policy.yaml') ?? '', /^-rw-r--r-- /);
    for (const p of [`${LIB}/@omamori/native/build/Release/omamori_native.node`, `${LIB}/@omamori/native/build/Release/omamori-launch`,
      `${LIB}/better-sqlite3/build/Release/better_sqlite3.node`, `${LIB}/@omamori/console/web/dist/index.html`,
      `${LIB}/@omamori/cli/dist/commands/summaries.json`, `${LIB}/@omamori/emocheck/collector/omamori-collect.ps1`, `${LIB}/fastify/package.json`]) {
      assert.ok(entry(p), `${p} in the package`);
    }
    assert.match(entry(`${LIB}/@omamori/native/build/Release/omamori-launch`)!, /^-rwxr-xr-x /);
    const files = list.map((l) => l.replace(/^.* \.\//, '').replace(/ -> .*$/, ''));
    for (const f of files) {
      assert.doesNotMatch(f, /node_modules\/(tsx|typescript|vite|esbuild|@esbuild|eslint|node-gyp|react|react-dom|playwright-core)\//, `${f}: not a production dependency`);
      assert.doesNotMatch(f, /@omamori\/[^/]+\/(src|test)\//, `${f}: sources and tests stay out`);
      assert.doesNotMatch(f, /better-sqlite3\/(deps|src)\//, `${f}: SQLite sources stay out`);
    }
    const policy = readFileSync(join(extracted, 'etc/omamori/policy.yaml'), 'utf8');
    assert.match(policy, /^mode: audit$/m);
    assert.match(policy, /^name: office$/m);
  });

  test('the unit: Type=notify, the installed paths, clean systemd-analyze verify', () => {
    const unitPath = join(extracted, 'lib/systemd/system/omamori.service');
    const unit = readFileSync(unitPath, 'utf8');
    assert.match(unit, /^Type=notify$/m);
    assert.match(unit, /^ExecStart=\/usr\/bin\/omamori protect --policy \/etc\/omamori\/policy\.yaml --state \/var\/lib\/omamori$/m);
    assert.match(unitNodeOptions(unit), /--expose-gc/);
    // verify checks the commands exist inside --root: the package's /usr/bin/omamori, and /bin/kill of ExecReload.
    mkdirSync(join(extracted, 'bin'), { recursive: true });
    copyFileSync('/bin/kill', join(extracted, 'bin/kill'));
    // Without a terminal systemd tools log to the journal or kmsg: the console keeps the findings on stderr.
    const env = { ...process.env, SYSTEMD_LOG_TARGET: 'console', SYSTEMD_LOG_COLOR: '0' };
    try {
      const r = sh('systemd-analyze', ['verify', `--root=${extracted}`, unitPath], { env });
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err.trim(), '', 'no warnings');
      // …and it does complain about a broken unit (the check can fail).
      const broken = join(extracted, 'lib/systemd/system/omamori-broken.service');
      writeFileSync(broken, unit.replace(/^Type=notify$/m, 'Type=notfy'));
      const b = sh('systemd-analyze', ['verify', `--root=${extracted}`, broken], { env });
      assert.match(b.err, /notfy/);
      rmSync(broken);
    } finally {
      rmSync(join(extracted, 'bin'), { recursive: true, force: true });
    }
  });

  test('the extracted program runs without the repository: version, policy check', () => {
    const cmd = join(extracted, 'usr/bin/omamori');
    const env = { PATH: '/usr/bin:/bin', LANG: 'C' };
    assert.equal(ok(cmd, ['--version'], { env }), `omamori ${OMAMORI_VERSION}\n`);
    assert.match(ok(cmd, ['policy', 'check', join(extracted, 'etc/omamori/policy.yaml')], { env }), /valid \(office@1, audit\)/);
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, 'omamori: 1\nname: x\nversion: 1\nmode: enforced\n');
    const r = sh(cmd, ['policy', 'check', bad], { env });
    assert.equal(r.code, 1);
    assert.match(r.out + r.err, /bad\.yaml:4:7 OM\d+ /);
    assert.match(ok(cmd, ['--lang', 'ja', '--help'], { env }), /使い方/);
  });

  test('the extracted console serves the web UI and its API', async () => {
    const data = join(work, 'console');
    const consoleProc = startProc(join(extracted, 'usr/bin/omamori'), ['console', '--no-tls', '--listen', '127.0.0.1:0', '--data', data], { PATH: '/usr/bin:/bin', LANG: 'C' });
    try {
      const url = (await consoleProc.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<title>omamori console<\/title>/);
      const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script, 'the page loads its script');
      assert.equal((await fetch(`${url}${script}`)).status, 200);
      const api = await fetch(`${url}/api/no-such-route`);
      assert.equal(api.status, 404);
      assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    } finally {
      await consoleProc.stop();
    }
  });

  test('the extracted agent on a tmpfs: READY=1 once its mark is in place, audit logged, STOPPING=1 on stop', async () => {
    const unit = readFileSync(join(extracted, 'lib/systemd/system/omamori.service'), 'utf8');
    const mnt = join(work, 'mnt');
    const state = join(work, 'state');
    mkdirSync(mnt); mkdirSync(state, { mode: 0o700 });
    const sock = join(work, 'notify.sock');
    const rx = notifyReceiver(sock);
    let agent: ReturnType<typeof startProc> | undefined;
    try {
      await rx.waitFor(/^bound$/m);
      // As the unit runs it (its NODE_OPTIONS), under a NOTIFY_SOCKET, marking only the tmpfs of its namespace.
      agent = startProc('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
        `mount -t tmpfs omamori-deb "${mnt}" && exec "${extracted}/usr/bin/omamori" protect --policy "${extracted}/etc/omamori/policy.yaml" --state "${state}" --mount "${mnt}"`],
      { PATH: '/usr/bin:/bin', LANG: 'C', NOTIFY_SOCKET: sock, NODE_OPTIONS: unitNodeOptions(unit) });
      await rx.waitFor(/READY=1/);
      const pid = agent.child.pid!;
      const dev = mountDevIn(pid, mnt);
      assert.ok(dev !== undefined, 'the tmpfs is mounted in the agent namespace');
      assert.deepEqual(fanotifyMarks(pid), [`sb ${dev}`], 'at READY the agent marks exactly the tmpfs (its filesystem)');
      assert.match(rx.out(), /STATUS=protecting .*office@1, audit/);
      await agent.waitFor(/protecting .*audit/);
      const run = sh('nsenter', ['-t', String(pid), '-m', 'sh', '-c', `cp /bin/true "${mnt}/payload" && "${mnt}/payload" && echo ran`]);
      assert.equal(run.out.trim(), 'ran', run.err);
      const events = ok(join(extracted, 'usr/bin/omamori'), ['events', '--state', state, '--json'], { env: { PATH: '/usr/bin:/bin' } });
      const ev = events.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.object === `${mnt}/payload`);
      assert.equal(ev?.verdict, 'audit-deny', events);
      await agent.stop();
      assert.match(agent.out(), /omamori protect: stopped/);
      await rx.waitFor(/STOPPING=1/, 5_000);
    } finally {
      await agent?.stop();
      await rx.stop();
    }
  });

  test('from user space, the agent enforcing never blocks its own files; copies, changed files and others stay blocked', async () => {
    // The package unpacked onto a tmpfs under /tmp (user space by the office policy's paths), the agent started from
    // there in enforce mode marking that tmpfs: every later start of the program passes through the agent.
    const mnt = mkdtempSync(join(tmpdir(), 'omamori-own-'));
    const state = join(work, 'own-state');
    mkdirSync(state, { mode: 0o700 });
    const r = join(mnt, 'root');
    const cli = join(r, 'usr/bin/omamori');
    const launcher = join(r, LIB, '@omamori/native/build/Release/omamori-launch');
    let agent: ReturnType<typeof startProc> | undefined;
    try {
      agent = startProc('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
        `mount -t tmpfs omamori-own "${mnt}" && dpkg-deb -x "${deb}" "${r}" && exec "${cli}" protect --preset office --mode enforce --state "${state}" --mount "${mnt}"`],
      { PATH: '/usr/bin:/bin', LANG: 'C', NODE_OPTIONS: '--max-semi-space-size=1' });
      await agent.waitFor(/protecting .*enforce/);
      const pid = String(agent.child.pid!);
      const inNs = (script: string) => sh('nsenter', ['-t', pid, '-m', 'sh', '-c', script]);
      // The program itself: the #! entry script, the SQLite addon (events), omamori-launch (run).
      const version = inNs(`"${cli}" --version`);
      assert.equal(version.code, 0, version.err);
      assert.equal(version.out, `omamori ${OMAMORI_VERSION}\n`);
      const events = inNs(`"${cli}" events --state "${state}"`);
      assert.equal(events.code, 0, events.err);
      const contained = inNs(`"${cli}" run --preset office -- /bin/true && echo contained`);
      assert.equal(contained.out.trim(), 'contained', contained.err);
      // Not the program: a user-space program, a copy of the trusted launcher elsewhere, the launcher changed in place.
      const other = inNs(`cp /bin/true "${mnt}/other" && "${mnt}/other"`);
      assert.equal(other.code, 126, `a user-space program is refused: ${other.err}`);
      const copy = inNs(`cp "${launcher}" "${mnt}/launch-copy" && "${mnt}/launch-copy" --help`);
      assert.equal(copy.code, 126, `a copy of the launcher is refused: ${copy.err}`);
      const changed = inNs(`cp /bin/true "${launcher}" && "${launcher}"`);
      assert.equal(changed.code, 126, `the launcher changed after start is refused: ${changed.err}`);
      // Its JavaScript modules are code node reads (script reads): one changed after start is refused.
      const mainModule = join(r, LIB, '@omamori/cli/dist/main.js');
      const touched = inNs(`echo '// changed' >> "${mainModule}" && "${cli}" --version`);
      assert.notEqual(touched.code, 0, 'a module changed after start is refused');
      assert.match(touched.err, /EPERM/);
      const log = ok(process.execPath, [join(root, 'packages/cli/bin/omamori.mjs'), 'events', '--state', state, '--json']).trim().split('\n').map((l) => JSON.parse(l));
      const denied = log.filter((e) => e.verdict === 'deny').map((e) => e.object as string);
      assert.ok(denied.includes(`${mnt}/other`) && denied.includes(`${mnt}/launch-copy`) && denied.includes(launcher) && denied.includes(mainModule), denied.join('\n'));
      for (const own of ['omamori.mjs', 'better_sqlite3.node', 'omamori_native.node']) {
        assert.ok(!denied.some((d) => d.endsWith(own)), `${own} was refused`);
      }
    } finally {
      await agent?.stop();
      rmSync(mnt, { recursive: true, force: true });
    }
    assert.match(agent!.out(), /omamori protect: stopped/);
  });

  test('installed system-wide: own files package-owned, upgrade keeps the policy and the event log, remove stops the agent, purge', async (t) => {
    if (sh('dpkg-query', ['-W', '-f=${Status}', 'omamori']).out.includes('installed')) {
      t.skip('an omamori package is already installed on this machine; not touching it');
      return;
    }
    const madeGuard = !existsSync('/usr/sbin/policy-rc.d');
    if (madeGuard) writeFileSync('/usr/sbin/policy-rc.d', '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const mnt = join(work, 'sys-mnt');
    mkdirSync(mnt);
    let agent: ReturnType<typeof startProc> | undefined;
    try {
      ok('dpkg', ['--force-unsafe-io', '-i', deb]);
      assert.equal(ok('/usr/bin/omamori', ['--version']), `omamori ${OMAMORI_VERSION}\n`);
      assert.equal(statSync('/var/lib/omamori').mode & 0o777, 0o700);
      assert.match(readFileSync('/etc/omamori/policy.yaml', 'utf8'), /^mode: audit$/m);
      // Installed, the agent's own files are package-owned: nothing needs a hash unless package trust is off.
      const own = JSON.parse(ok('/usr/bin/node', ['--input-type=module', '-e', `
        const a = await import('/usr/lib/omamori/node_modules/@omamori/agent/dist/index.js');
        const p = await import('/usr/lib/omamori/node_modules/@omamori/policy/dist/index.js');
        const own = a.findOwnInstallation(), db = a.createDpkgDb();
        const doc = p.loadPolicy(p.findPreset('office').text).policy;
        const added = (d) => a.trustOwnFiles(p.compile(d), own, db).doc.trust.hashes.length - d.trust.hashes.length;
        console.log(JSON.stringify({ root: own.root, owned: own.files.map((f) => [f.path, db.isPackageOwned(f.path)]),
          added: added(doc), addedWithoutPackageTrust: added({ ...doc, trust: { ...doc.trust, packageManager: false } }) }));
      `], { env: { PATH: '/usr/bin:/bin' } }));
      assert.equal(own.root, '/usr/lib/omamori');
      assert.equal(own.owned.length, 4, JSON.stringify(own.owned));
      for (const [path, owned] of own.owned) assert.ok(owned && path.startsWith('/usr/lib/omamori/'), `${path} package-owned`);
      assert.equal(own.added, 0);
      assert.equal(own.addedWithoutPackageTrust, 4);

      // The installed agent started by hand (systemd is held back), on a tmpfs, with the real state directory.
      agent = startProc('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
        `mount -t tmpfs omamori-sys "${mnt}" && exec /usr/bin/omamori protect --policy /etc/omamori/policy.yaml --state /var/lib/omamori --mount "${mnt}"`],
      { PATH: '/usr/bin:/bin', LANG: 'C', NODE_OPTIONS: '--max-semi-space-size=1' });
      await agent.waitFor(/protecting .*audit/);
      const run = sh('nsenter', ['-t', String(agent.child.pid), '-m', 'sh', '-c', `cp /bin/true "${mnt}/payload" && "${mnt}/payload"`]);
      assert.equal(run.code, 0, run.err);
      const logged = () => ok('/usr/bin/omamori', ['events', '--state', '/var/lib/omamori', '--json']);
      assert.match(logged(), /payload/);
      appendFileSync('/etc/omamori/policy.yaml', '# site edit: kept on upgrade\n');

      // Upgrade to a newer version of the same package.
      const deb2 = buildDeb(`${OMAMORI_VERSION}+upgrade1`);
      ok('dpkg', ['--force-unsafe-io', '-i', deb2]);
      assert.equal(ok('dpkg-query', ['-W', '-f=${Version}', 'omamori']), `${OMAMORI_VERSION}+upgrade1`);
      assert.match(readFileSync('/etc/omamori/policy.yaml', 'utf8'), /# site edit: kept on upgrade/);
      assert.match(logged(), /payload/, 'the event log survives the upgrade');

      // Remove: prerm stops the running agent cleanly; the policy and the event log stay until purge.
      ok('dpkg', ['-r', 'omamori']);
      await Promise.race([agent.exited, new Promise((r) => setTimeout(r, 15_000))]);
      assert.notEqual(agent.child.exitCode ?? agent.child.signalCode, null, 'the agent stopped on remove');
      assert.match(agent.out(), /omamori protect: stopped/);
      assert.equal(existsSync('/usr/bin/omamori'), false);
      assert.ok(existsSync('/etc/omamori/policy.yaml'), 'the conffile stays after remove');
      assert.ok(existsSync('/var/lib/omamori/events.db'), 'the event log stays after remove');
      ok('dpkg', ['-P', 'omamori']);
      assert.equal(existsSync('/var/lib/omamori'), false);
      assert.equal(existsSync('/etc/omamori/policy.yaml'), false);
    } finally {
      await agent?.stop();
      if (sh('dpkg-query', ['-W', '-f=${Status}', 'omamori']).out.includes('ok')) sh('dpkg', ['-P', 'omamori']);
      if (madeGuard) rmSync('/usr/sbin/policy-rc.d', { force: true });
    }
  });
});
