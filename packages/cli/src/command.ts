// The shape of one `omamori` subcommand. Commands are thin: parse arguments, call the packages, render ja/en.
// Exit codes (documented in docs/cli.md): 0 ok, 1 check/policy failure (or "found something"), 2 usage error.

export type Lang = 'ja' | 'en';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  lang: Lang;
  stdin: NodeJS.ReadableStream;
  /** Environment (for OMAMORI_* settings); tests pass their own. */
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** What `omamori --help` lists of a command (the build writes these to dist/commands/summaries.json). */
export interface CommandSummary {
  /** Words that select the command, e.g. `['policy', 'check']`. */
  path: string[];
  summary: Record<Lang, string>;
}

export interface Command extends CommandSummary {
  /** Full help text shown by `omamori <path> --help`. */
  help: Record<Lang, string>;
  run(argv: string[], io: Io): Promise<number>;
}

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** A usage error: the dispatcher prints its message and the command's help hint, and exits 2. */
export class UsageError extends Error {}
