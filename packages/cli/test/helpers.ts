// Runs the `omamori` command in-process with captured output, for CLI tests.
import { Readable } from 'node:stream';
import { main } from '../src/main.ts';

export interface RunResult { code: number; out: string; err: string }

export async function omamori(argv: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  let out = '';
  let err = '';
  const code = await main(argv, opts.env ?? { LANG: 'C' }, {
    out: (s) => { out += s; },
    err: (s) => { err += s; },
    stdin: Readable.from([opts.stdin ?? '']),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  return { code, out, err };
}
