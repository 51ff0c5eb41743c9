// `npm run package`: the Debian package dist/omamori_VERSION_ARCH.deb, made with dpkg-deb alone from the compiled
// program (`npm run build`) and the production dependencies npm installed (native addons built on this machine by
// `npm ci`, never on the endpoint). Layout:
//   /usr/lib/omamori/                       package.json + node_modules/ (@omamori/* compiled, production deps)
//   /usr/bin/omamori                        -> ../lib/omamori/node_modules/@omamori/cli/bin/omamori.mjs
//   /lib/systemd/system/omamori.service     packaging/systemd/omamori.service (Type=notify)
//   /etc/omamori/policy.yaml                conffile: the office preset in audit mode
//   /var/lib/omamori                        0700, the agent's state (event log); kept on remove and upgrade
//   /usr/share/doc/omamori/                 README, docs, copyright
// Maintainer scripts: packaging/debian/. Usage: node scripts/package-deb.mjs [--out DIR] [--version V]
// (--version replaces the program's version in the package's name and control file only: upgrade tests.)
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync,
  statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { values } = parseArgs({ options: { out: { type: 'string' }, version: { type: 'string' } } });

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

const { OMAMORI_VERSION } = await import(join(root, 'packages/policy/dist/version.js')).catch(() => fail('not built: run npm run build'));
const version = values.version ?? OMAMORI_VERSION;
if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(version)) fail(`not a Debian version: ${version}`);
const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (rootPkg.version !== OMAMORI_VERSION) fail(`package.json version ${rootPkg.version} differs from OMAMORI_VERSION ${OMAMORI_VERSION}`);

// ---- what must be built ----
const workspaces = rootPkg.workspaces.map((ws) => ({ dir: join(root, ws), pkg: JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8')) }));
for (const { dir, pkg } of workspaces) if (!existsSync(join(dir, 'dist'))) fail(`${pkg.name} not built (${relative(root, dir)}/dist missing): run npm run build`);
const webIndex = join(root, 'packages/console/web/dist/index.html');
if (!existsSync(webIndex)) fail('web UI not built (packages/console/web/dist): run npm run build');
const native = join(root, 'packages/native');
const nativeOut = ['omamori_native.node', 'omamori-launch'].map((f) => join(native, 'build/Release', f));
const newestSource = Math.max(...['binding.gyp', ...readdirSync(join(native, 'csrc')).map((f) => `csrc/${f}`)].map((f) => statSync(join(native, f)).mtimeMs));
if (nativeOut.some((f) => !existsSync(f) || statSync(f).mtimeMs < newestSource)) {
  // The addon and the launcher are built here, at package time (npm passes node-gyp the headers: platform.md).
  console.log('package: building the native addon (npm rebuild @omamori/native)');
  const r = spawnSync('npm', ['rebuild', '-w', '@omamori/native'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('native build failed');
}

// ---- staging tree ----
const stage = mkdtempSync(join(tmpdir(), 'omamori-deb-'));
chmodSync(stage, 0o755);
const lib = join(stage, 'usr/lib/omamori');
try {
  mkdirSync(join(lib, 'node_modules/@omamori'), { recursive: true });
  writeFileSync(join(lib, 'package.json'), JSON.stringify({ name: 'omamori-installed', version, private: true, type: 'module', license: rootPkg.license }, null, 2) + '\n');

  // Our packages: compiled code, runtime assets, and package.json with the built entry points only.
  const assets = { '@omamori/native': nativeOut.map((f) => relative(native, f)), '@omamori/console': ['web/dist'], '@omamori/emocheck': ['collector', 'NOTICE'], '@omamori/cli': ['bin/omamori.mjs'] };
  for (const { dir, pkg } of workspaces) {
    const to = join(lib, 'node_modules', pkg.name);
    cpSync(join(dir, 'dist'), join(to, 'dist'), { recursive: true });
    for (const a of assets[pkg.name] ?? []) if (existsSync(join(dir, a))) cpSync(join(dir, a), join(to, a), { recursive: true });
    const exports = Object.fromEntries(Object.entries(pkg.exports).map(([k, v]) => [k, typeof v === 'string' ? v : v.default]));
    const installed = { name: pkg.name, version, private: true, license: pkg.license, type: pkg.type, exports };
    if (pkg.bin) installed.bin = pkg.bin;
    writeFileSync(join(to, 'package.json'), JSON.stringify(installed, null, 2) + '\n');
  }

  // Production dependencies exactly as npm resolved them (npm ls), each directory without its nested node_modules
  // (those are listed on their own). A workspace's own node_modules/X goes under node_modules/@omamori/NAME/.
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  if (ls.status !== 0) fail(`npm ls failed (run npm ci): ${ls.stderr}`);
  const wsByDir = new Map(workspaces.map((w) => [w.dir, w.pkg.name]));
  let deps = 0;
  for (const abs of ls.stdout.trim().split('\n')) {
    const rel = relative(root, abs);
    if (rel === '' || wsByDir.has(abs) || rel.startsWith('node_modules/@omamori/')) continue;
    let target;
    if (rel.startsWith('node_modules/')) target = join(lib, rel);
    else {
      const ws = [...wsByDir].find(([d]) => abs.startsWith(`${d}/node_modules/`));
      if (!ws) fail(`unexpected dependency location ${rel}`);
      target = join(lib, 'node_modules', ws[1], relative(ws[0], abs));
    }
    copyDependency(abs, target);
    deps++;
  }

  // The command, the unit, the policy, the state directory, the documentation.
  mkdirSync(join(stage, 'usr/bin'), { recursive: true });
  symlinkSync('../lib/omamori/node_modules/@omamori/cli/bin/omamori.mjs', join(stage, 'usr/bin/omamori'));
  mkdirSync(join(stage, 'lib/systemd/system'), { recursive: true });
  copyFileSync(join(root, 'packaging/systemd/omamori.service'), join(stage, 'lib/systemd/system/omamori.service'));
  mkdirSync(join(stage, 'etc/omamori'), { recursive: true });
  writeFileSync(join(stage, 'etc/omamori/policy.yaml'), await auditPolicy());
  mkdirSync(join(stage, 'var/lib/omamori'), { recursive: true });
  const doc = join(stage, 'usr/share/doc/omamori');
  mkdirSync(doc, { recursive: true });
  copyFileSync(join(root, 'README.md'), join(doc, 'README.md'));
  for (const f of readdirSync(join(root, 'docs'))) if (f.endsWith('.md')) copyFileSync(join(root, 'docs', f), join(doc, f));
  writeFileSync(join(doc, 'copyright'), `omamori ${version}\nLicense: Apache-2.0 (below; also /usr/share/common-licenses/Apache-2.0).\n`
    + 'Third-party modules under /usr/lib/omamori/node_modules carry their own licence files.\n\n' + readFileSync(join(root, 'LICENSE'), 'utf8'));

  // Modes: directories 0755, files 0644, programs 0755 (their exec bit), the state directory 0700.
  normaliseModes(stage);
  chmodSync(join(stage, 'var/lib/omamori'), 0o700);

  // Control files.
  const debian = join(stage, 'DEBIAN');
  mkdirSync(debian);
  const kb = Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', stage], { encoding: 'utf8' }).split('\t')[0]);
  writeFileSync(join(debian, 'control'), [
    'Package: omamori',
    `Version: ${version}`,
    `Architecture: ${arch}`,
    'Maintainer: omamori developers <omamori@localhost>',
    `Installed-Size: ${kb}`,
    'Depends: nodejs (>= 20)',
    'Recommends: nftables',
    'Section: admin',
    'Priority: optional',
    'Homepage: https://github.com/omamori/omamori',
    'Description: containment-style endpoint protection (launch control, guarded applications)',
    ' omamori contains instead of detecting: programs, libraries and scripts in user space never start unless',
    ' trusted, and high-risk applications (mail, browsers, office suites, PDF readers) run contained together',
    ' with everything they start. Linux enforcement in the kernel (fanotify, Landlock). The agent runs as the',
    ' systemd service omamori.service with /etc/omamori/policy.yaml, installed in audit mode.',
    '',
  ].join('\n'));
  writeFileSync(join(debian, 'conffiles'), '/etc/omamori/policy.yaml\n');
  for (const s of ['postinst', 'prerm', 'postrm']) {
    copyFileSync(join(root, 'packaging/debian', s), join(debian, s));
    chmodSync(join(debian, s), 0o755);
  }

  const outDir = values.out ?? join(root, 'dist');
  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, `omamori_${version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`package: ${relative(process.cwd(), deb) || deb} (${(statSync(deb).size / 1048576).toFixed(1)} MB; ${deps} dependencies; installed ${(kb / 1024).toFixed(1)} MB)`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/**
 * Copies one dependency directory without nested node_modules and without what only development needs: type
 * declarations, source maps, TypeScript sources, documents (licence files stay), top-level test, example, benchmark
 * and CI directories; better-sqlite3 without the SQLite sources and build intermediates (~25 MB).
 */
function copyDependency(from, to) {
  const name = relative(join(from, '..'), from);
  const keepOnly = name === 'better-sqlite3' ? new Set(['package.json', 'lib', 'build', 'LICENSE']) : undefined;
  const skipTop = new Set(['node_modules', '.github', 'test', 'tests', '__tests__', 'docs', 'example', 'examples', 'benchmark', 'benchmarks', 'bench']);
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (skipTop.has(entry) || (keepOnly && !keepOnly.has(entry))) continue;
    if (keepOnly && entry === 'build') {
      mkdirSync(join(to, 'build/Release'), { recursive: true });
      copyFileSync(join(from, 'build/Release/better_sqlite3.node'), join(to, 'build/Release/better_sqlite3.node'));
      continue;
    }
    cpSync(join(from, entry), join(to, entry), { recursive: true, dereference: false, filter: (src) => runtimeFile(src) });
  }
}

function runtimeFile(path) {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (/^(licen[cs]e|copying|notice|authors)/i.test(base)) return true;
  return !/\.(d\.[cm]?ts|map|ts|mts|cts|md|markdown)$/i.test(base) && base !== 'node_modules';
}

function normaliseModes(dir) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) { chmodSync(p, 0o755); normaliseModes(p); } else chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

/** The office preset in audit mode, checked by the one validator. */
async function auditPolicy() {
  const policy = await import(join(root, 'packages/policy/dist/index.js'));
  const office = policy.findPreset('office').text;
  if (!/^mode: enforce$/m.test(office)) fail('the office preset has no "mode: enforce" line to turn into audit');
  const text = [
    '# omamori agent policy, installed by the Debian package: the "office" preset in AUDIT mode. Nothing is blocked;',
    '# every would-be block is logged with its reason and lineage (`omamori events`). When the log looks right, set',
    '# `mode: enforce` below and run `systemctl reload omamori`. Check edits with',
    '# `omamori policy check /etc/omamori/policy.yaml`. Your changes are kept on upgrades (a dpkg conffile).',
    office.replace(/^mode: enforce$/m, 'mode: audit'),
  ].join('\n');
  const loaded = policy.loadPolicy(text);
  if (!loaded.policy || loaded.policy.mode !== 'audit') fail(`the audit policy does not load: ${JSON.stringify(loaded.problems)}`);
  return text.endsWith('\n') ? text : text + '\n';
}

