// `npm run build`: turns every workspace package's TypeScript (src/) into JavaScript (dist/, same layout and depth,
// so asset URLs such as '../build/Release/' or '../web/dist' resolve the same from both), then writes the CLI's
// command summaries (dist/commands/summaries.json: `omamori --help` lists commands without loading them).
// Transpiles file by file with the TypeScript compiler (the sources are written for it: isolatedModules,
// verbatimModuleSyntax, relative imports with .ts rewritten to .js); type checking is `npm run typecheck`.
// Usage: node scripts/build.mjs [--quiet]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const quiet = process.argv.includes('--quiet');

/** Test code stays out of dist: `*.test.ts` and anything under a `test` or `fixtures` directory. */
function sources(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'test' && name !== 'fixtures' && name !== 'node_modules') sources(p, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) {
      out.push(p);
    }
  }
  return out;
}

const compilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  allowImportingTsExtensions: true,
  rewriteRelativeImportExtensions: true,
  removeComments: false,
};

const started = Date.now();
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
let files = 0;
const problems = [];
for (const ws of workspaces) {
  const pkg = join(root, ws);
  const src = join(pkg, 'src');
  const dist = join(pkg, 'dist');
  rmSync(dist, { recursive: true, force: true });
  let list;
  try { list = sources(src); } catch { continue; }
  for (const file of list) {
    const rel = relative(src, file);
    const out = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file, reportDiagnostics: true });
    for (const d of out.diagnostics ?? []) problems.push(`${relative(root, file)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    const target = join(dist, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
    files++;
  }
}
if (problems.length) {
  for (const p of problems) console.error(`build: ${p}`);
  process.exit(1);
}

// The overview of `omamori --help` from the compiled command modules, in a child without the `source` condition
// (the build may run under tests that set it), so it reads exactly what the installed program will run.
const env = { ...process.env, NODE_OPTIONS: (process.env.NODE_OPTIONS ?? '').replace(/--conditions[= ]source|-C[= ]?source/g, '') };
const summaries = spawnSync(process.execPath, ['--input-type=module', '-e', `
  const { loadCommands } = await import(${JSON.stringify(join(root, 'packages/cli/dist/commands/index.js'))});
  const all = await loadCommands();
  process.stdout.write(JSON.stringify(all.map((c) => ({ path: c.path, summary: c.summary }))));
`], { env, encoding: 'utf8' });
if (summaries.status !== 0) {
  console.error(`build: cannot list the CLI commands from dist:\n${summaries.stderr}`);
  process.exit(1);
}
writeFileSync(join(root, 'packages/cli/dist/commands/summaries.json'), summaries.stdout + '\n');
if (!quiet) console.log(`build: ${files} files in ${workspaces.length} packages to dist/ (${Date.now() - started} ms)`);
