// Where the agent's state (event log, enrollment, isolation record, pid file) lives when a command is not told:
// the one place every command (`protect`, `events`, `agent enroll|run`, `collect`, `isolate`, `up`) resolves it,
// so that `omamori events` after `omamori up` in a checkout reads the log the agent of `up` writes.
//
// Order: --state DIR, then $OMAMORI_STATE, then $OMAMORI_HOME/agent (the home of `omamori up`), then the folder
// `omamori up` makes by default — `.omamori/agent` in the current folder or the nearest parent that has one, used
// only when it is an agent's state (events.db or sync.json inside) owned by the user running the command, so
// a folder planted by someone else is never picked up — and last /var/lib/omamori (the installed agent's).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { StringOption } from './args.ts';
import type { Io } from './command.ts';

/** The installed agent's state directory (the Debian package makes it, 0700). */
export const DEFAULT_STATE_DIR = '/var/lib/omamori';
/** `omamori up`'s home when neither --data nor $OMAMORI_HOME is given, relative to the current folder. */
export const DEFAULT_UP_HOME = '.omamori';

export type StateSource = 'option' | 'env' | 'home' | 'found' | 'default';
export interface StateChoice { dir: string; source: StateSource }

/** `omamori up`'s home folder (console under `console/`, agent state under `agent/`). */
export function upHome(data: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, data ?? env.OMAMORI_HOME ?? DEFAULT_UP_HOME);
}

/** The agent state folder inside an `omamori up` home. */
export function upAgentState(home: string): string {
  return join(home, 'agent');
}

/** True when `dir` holds an agent's state and belongs to `uid` (any owner when uid is undefined, as on Windows). */
function isOwnAgentState(dir: string, uid: number | undefined): boolean {
  try {
    const st = statSync(dir);
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) return false;
  } catch { return false; }
  return existsSync(join(dir, 'events.db')) || existsSync(join(dir, 'sync.json'));
}

export interface ResolveOptions {
  /** The user's id (default: process.getuid()). */
  uid?: number | undefined;
}

/** Resolves the agent state directory for a command (see the order at the top of this file). */
export function resolveStateDir(option: string | undefined, io: Pick<Io, 'env' | 'cwd'>, o: ResolveOptions = {}): StateChoice {
  if (option !== undefined) return { dir: resolve(io.cwd, option), source: 'option' };
  if (io.env.OMAMORI_STATE) return { dir: resolve(io.cwd, io.env.OMAMORI_STATE), source: 'env' };
  if (io.env.OMAMORI_HOME) return { dir: upAgentState(resolve(io.cwd, io.env.OMAMORI_HOME)), source: 'home' };
  const uid = 'uid' in o ? o.uid : process.getuid?.();
  for (let d = resolve(io.cwd); ; d = dirname(d)) {
    const candidate = upAgentState(join(d, DEFAULT_UP_HOME));
    if (isOwnAgentState(candidate, uid)) return { dir: candidate, source: 'found' };
    if (dirname(d) === d) break;
  }
  return { dir: DEFAULT_STATE_DIR, source: 'default' };
}

/** The `--state DIR` option every agent command declares. */
export const STATE_OPTION = {
  type: 'string',
  value: { en: 'DIR', ja: 'ディレクトリ' },
  help: {
    en: 'agent state directory (default: $OMAMORI_STATE, else $OMAMORI_HOME/agent, else the\n'
      + `${DEFAULT_UP_HOME}/agent folder of \`omamori up\` here or in a parent folder, if yours, else ${DEFAULT_STATE_DIR})`,
    ja: 'エージェントの状態ディレクトリ (既定: $OMAMORI_STATE、なければ $OMAMORI_HOME/agent、\n'
      + `なければ現在または親のフォルダーにある \`omamori up\` の ${DEFAULT_UP_HOME}/agent (自分のものに限る)、\n`
      + `なければ ${DEFAULT_STATE_DIR})`,
  },
} as const satisfies StringOption;
