// The one door to Windows: every interaction is a plain PowerShell script, logged before it runs, and executed only
// on win32. Elsewhere (tests, `--dry-run`) the door records the scripts and answers from a responder.
// Scripts go through `-Command -` wrapped by stdinProgram (@omamori/windows): one script block, so multi-line
// statements work and the exit code says whether it threw. Under App Control they run in Constrained Language Mode.
import { spawn } from 'node:child_process';
import { stdinProgram } from '@omamori/windows';

export interface PsResult { stdout: string; stderr: string; code: number }
export interface PsCall { script: string; purpose: string }

export interface PowerShell {
  /** True when scripts really run (win32, live mode). */
  readonly live: boolean;
  /** Every script asked for, in order, whether it ran or was only recorded. */
  readonly calls: readonly PsCall[];
  run(script: string, purpose: string): Promise<PsResult>;
}

export type PowerShellOptions =
  | { mode: 'live'; platform?: NodeJS.Platform; exe?: string; onCall?: (c: PsCall) => void }
  | { mode: 'record'; respond?: (c: PsCall) => PsResult; onCall?: (c: PsCall) => void };

export function createPowerShell(opts: PowerShellOptions): PowerShell {
  const calls: PsCall[] = [];
  if (opts.mode === 'record') {
    return {
      live: false, calls,
      async run(script, purpose) {
        const c = { script, purpose };
        calls.push(c); opts.onCall?.(c);
        return opts.respond?.(c) ?? { stdout: '', stderr: '', code: 0 };
      },
    };
  }
  const platform = opts.platform ?? process.platform;
  if (platform !== 'win32') throw new Error(`PowerShell live mode needs Windows (platform is ${platform})`);
  const exe = opts.exe ?? 'powershell.exe';
  return {
    live: true, calls,
    run(script, purpose) {
      const c = { script, purpose };
      calls.push(c); opts.onCall?.(c);
      return new Promise((resolve) => {
        const child = spawn(exe, ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', '-'], { windowsHide: true });
        let stdout = '', stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
        child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
        child.on('error', (e) => resolve({ stdout, stderr: stderr + e.message, code: -1 }));
        child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
        child.stdin.end(stdinProgram(script));
      });
    },
  };
}
