#!/usr/bin/env node
// Entry point of the `omamori` command: loads the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// A closed pipe (`omamori … | head`) ends the command quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2), process.env);
