// The compiled program (`npm run build`, dist/): what each command loads, that nothing goes through tsx or TypeScript,
// that the overview matches the sources', one version everywhere. scripts/run-tests.mjs builds dist/ first; the
// program runs here without the `source` condition, as installed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OMAMORI_VERSION } from '@omamori/policy/version';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'packages/cli/bin/omamori.mjs');
const hook = join(import.meta.dirname, 'fixtures/record-loads.mjs');
const compiledEnv = { ...process.env, NODE_OPTIONS: '', LANG: 'C' };

/** Runs the compiled `omamori ARGS` and returns its output and the files it loaded (relative to the repository). */
function runCompiled(args: string[]): { code: number | null; out: string; err: string; loads: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'omamori-loads-'));
  try {
    const file = join(dir, 'loads');
    const r = spawnSync(process.execPath, ['--import', hook, bin, ...args], { encoding: 'utf8', env: { ...compiledEnv, OMAMORI_LOADS: file } });
    const loads = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean)
      .map((u) => decodeURIComponent(new URL(u).pathname).slice(root.length + 1)) : [];
    return { code: r.status, out: r.stdout, err: r.stderr, loads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ours = (loads: string[]) => loads.filter((l) => l.startsWith('packages/'));
const nothingFromSources = (loads: string[]) => {
  for (const l of loads) {
    assert.doesNotMatch(l, /(^|\/)(tsx|typescript|esbuild)\//, `${l} is a development tool`);
    assert.doesNotMatch(l, /\.tsx?$/, `${l} is TypeScript`);
  }
};

test('--help, --version and an unknown command load no command module, and nothing through tsx', () => {
  const base = ['packages/cli/bin/omamori.mjs', 'packages/cli/dist/main.js', 'packages/cli/dist/command.js',
    'packages/cli/dist/lang.js', 'packages/cli/dist/commands/index.js', 'packages/policy/dist/version.js'];
  for (const args of [['--help'], ['--version'], ['--lang', 'ja', '--help'], ['no-such-command']]) {
    const r = runCompiled(args);
    nothingFromSources(r.loads);
    assert.deepEqual([...r.loads].sort(), [...base].sort(), `omamori ${args.join(' ')} loaded ${r.loads.join(', ')}`);
    assert.equal(r.code, args[0] === 'no-such-command' ? 2 : 0, r.err);
  }
  assert.equal(runCompiled(['--version']).out, `omamori ${OMAMORI_VERSION}\n`);
});

test('a command loads only its own module', () => {
  const cases: [string[], string, RegExp][] = [
    [['protect', '--help'], 'packages/cli/dist/commands/agent.js', /packages\/(console|evtx|replay|emocheck)\/|commands\/(up|console|evtx|replay|emocheck|windows|policy)\.js/],
    [['evtx', 'dump', '--help'], 'packages/cli/dist/commands/evtx.js', /packages\/(agent|console|native|emocheck)\/|commands\/(up|agent|console|replay|policy)\.js/],
    [['policy', 'check', '--help'], 'packages/cli/dist/commands/policy.js', /packages\/(agent|console|native|evtx|replay|emocheck)\//],
  ];
  for (const [args, own, foreign] of cases) {
    const r = runCompiled(args);
    assert.equal(r.code, 0, r.err);
    nothingFromSources(r.loads);
    assert.ok(r.loads.includes(own), `${args.join(' ')}: ${own} not loaded`);
    for (const l of ours(r.loads)) assert.doesNotMatch(l, foreign, `${args.join(' ')} loaded ${l}`);
  }
});

test('the compiled overview lists exactly the commands of the sources, in both languages', () => {
  for (const lang of ['en', 'ja']) {
    const compiled = spawnSync(process.execPath, [bin, '--lang', lang, '--help'], { encoding: 'utf8', env: compiledEnv });
    const source = spawnSync(process.execPath, ['--conditions=source', bin, '--lang', lang, '--help'], { encoding: 'utf8', env: compiledEnv });
    assert.equal(compiled.status, 0, compiled.stderr);
    assert.equal(source.status, 0, source.stderr);
    assert.equal(compiled.stdout, source.stdout);
    assert.match(compiled.stdout, /protect/);
  }
});

test('one version: every package.json carries OMAMORI_VERSION', () => {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(rootPkg.version, OMAMORI_VERSION);
  for (const ws of rootPkg.workspaces as string[]) {
    const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8'));
    assert.equal(pkg.version, OMAMORI_VERSION, `${ws}/package.json`);
  }
});

test('every package exports its sources under the `source` condition and its build by default', () => {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const ws of rootPkg.workspaces as string[]) {
    const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8'));
    for (const [sub, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      const where = `${ws} exports['${sub}']`;
      assert.ok(target && typeof target === 'object', `${where}: want { source, default }, got ${JSON.stringify(target)}`);
      const t = target as Record<string, string>;
      assert.deepEqual(Object.keys(t), ['source', 'default'], where);
      assert.ok(existsSync(join(root, ws, t.source!)), `${where}: ${t.source} missing`);
      assert.match(t.default!, /^\.\/dist\/.*\.js$/, where);
      assert.ok(existsSync(join(root, ws, t.default!)), `${where}: ${t.default} not built`);
    }
  }
});

test('the bin says plainly when the program is not built', () => {
  // A package whose dist/ is missing: the cli's own package, resolved from a copy without dist/.
  const dir = mkdtempSync(join(tmpdir(), 'omamori-unbuilt-'));
  try {
    spawnSync('cp', ['-r', join(root, 'packages/cli/bin'), join(root, 'packages/cli/package.json'), dir]);
    const r = spawnSync(process.execPath, [join(dir, 'bin/omamori.mjs'), '--version'], { encoding: 'utf8', env: compiledEnv });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not built .*\n.*npm run build/);
    assert.doesNotMatch(r.stderr, /at .*\(/, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
