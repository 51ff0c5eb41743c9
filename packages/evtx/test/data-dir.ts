// Where the shared EVTX corpus lives for tests and the benchmark: $OMAMORI_DATA, else ../shared/data beside
// the repository. Missing data is an error, never a silent pass.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const repoRoot = process.env.OMAMORI_ROOT ?? resolve(new URL('../../..', import.meta.url).pathname);

export function dataDir(): string {
  const dir = process.env.OMAMORI_DATA ?? resolve(repoRoot, '../shared/data');
  if (!existsSync(dir)) {
    throw new Error(`EVTX test data not found at ${dir}: set OMAMORI_DATA or provide ../shared/data (tests cannot run without it)`);
  }
  return dir;
}

/** Every `.evtx` file under `dir`, as paths relative to it, sorted. */
export function listEvtxFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.toLowerCase().endsWith('.evtx')) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
