// Runs every `*.test.ts` under packages/*/src and packages/*/test with node's test runner and tsx.
// Arguments narrow the run to files whose path contains one of them: `npm run test:unit -- evtx policy`.
// Tests run the TypeScript sources: the `source` export condition (in NODE_OPTIONS, so every node a test starts
// inherits it, `bin/omamori.mjs` included) resolves @omamori/* to src/*.ts; without it they resolve to dist/*.js.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  walk(join(root, 'packages', pkg, 'src'), files);
  walk(join(root, 'packages', pkg, 'test'), files);
}
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (selected.length === 0) {
  console.error('no test files matched');
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
// Children that drop NODE_OPTIONS (a test's own env) run the compiled program: build it first (~3 s, no web UI).
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--quiet'], { stdio: 'inherit', cwd: root });
if (build.status !== 0) {
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const res = spawnSync(process.execPath, [
  '--import', 'tsx', '--test',
  '--test-reporter', join(root, 'scripts/summary-reporter.mjs'), '--test-reporter-destination', 'stdout',
  ...selected,
], { stdio: 'inherit', cwd: root, env: { ...process.env, OMAMORI_ROOT: root, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=source`.trim() } });
process.exit(res.status ?? 1);
