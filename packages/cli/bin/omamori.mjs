#!/usr/bin/env node
// Entry point of the `omamori` command. It runs the compiled program (dist/, made by `npm run build`, which `npm ci`
// runs through the root `prepare` script); with the `source` export condition (`node --conditions=source`, as the
// tests set it) it runs the TypeScript sources through tsx instead (bin/source-entry.mjs).
// A closed pipe (`omamori … | head`) ends the command quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}
let main;
try {
  ({ main } = await import('@omamori/cli/entry'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !/[/\\]dist[/\\]/.test(String(e.message))) throw e;
  process.stderr.write(`omamori: the program is not built (${e.message.split('\n')[0]})\n  run 'npm run build' in the repository (npm ci does it)\n`);
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2), process.env);
