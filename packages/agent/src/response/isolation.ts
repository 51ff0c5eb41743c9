// Network isolation on Linux: apply/remove the `inet omamori_isolate` nftables table and keep the decision in
// `<state>/isolation.json`, so `ensureIsolation` (called by the agent at start) puts the table back after a reboot
// or an agent restart. The state file is the source of truth; the table is its enforcement. Only our own table is
// ever created, listed or deleted. Expected failures are returned as values.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { peerText, type Peer } from './addresses.ts';
import { ISOLATION_FAMILY, ISOLATION_TABLE, buildNftRuleset, type IsolationSpec } from './isolation-rules.ts';

export interface NftResult { code: number; stdout: string; stderr: string }
/** Runs `nft` with arguments and optional stdin. Tests and the agent inject their own. */
export type NftRunner = (args: string[], stdin?: string) => NftResult;

export const runNft: NftRunner = (args, stdin) => {
  const r = spawnSync('nft', args, { input: stdin ?? '', encoding: 'utf8', timeout: 30_000 });
  if (r.error) return { code: 127, stdout: '', stderr: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'nft not found (install nftables)' : r.error.message };
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
};

export interface Actor { uid: number | null; user: string | null; sudoUser: string | null; host: string }

export interface IsolationState {
  isolated: boolean;
  /** When the current state was set (ISO). */
  since: string;
  by: Actor;
  reason?: string;
  spec: IsolationSpec;
  /** What the operator typed for --console (the names resolved into spec.console). */
  consoleRequested: string[];
}

export const ISOLATION_FILE = 'isolation.json';

export function currentActor(env: NodeJS.ProcessEnv = process.env): Actor {
  let user: string | null = null;
  try { user = userInfo().username; } catch { /* no passwd entry */ }
  return { uid: typeof process.getuid === 'function' ? process.getuid() : null, user, sudoUser: env.SUDO_USER ?? null, host: hostname() };
}

export type StateRead = { ok: true; state: IsolationState | null } | { ok: false; message: string };

/** Reads `<state>/isolation.json`; null when absent. A damaged file is an error, never "not isolated". */
export function readIsolationState(stateDir: string): StateRead {
  const path = join(stateDir, ISOLATION_FILE);
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, state: null };
    return { ok: false, message: `${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  try {
    const s = JSON.parse(text) as IsolationState;
    if (typeof s?.isolated !== 'boolean' || !s.spec || !Array.isArray(s.spec.console) || !Array.isArray(s.spec.allow) || !Array.isArray(s.spec.dns)) {
      return { ok: false, message: `${path}: not an isolation state (fields isolated, spec.console/allow/dns)` };
    }
    return { ok: true, state: s };
  } catch (e) {
    return { ok: false, message: `${path}: ${(e as Error).message}` };
  }
}

function writeIsolationState(stateDir: string, s: IsolationState): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, ISOLATION_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export function tablePresent(nft: NftRunner): boolean {
  return nft(['list', 'table', ISOLATION_FAMILY, ISOLATION_TABLE]).code === 0;
}

export type IsolationOutcome =
  | { ok: true; state: IsolationState; ruleset: string }
  | { ok: false; step: 'nft' | 'state'; message: string };

/** Applies the table, then records the state (if recording fails the table is removed again). */
export function isolate(stateDir: string, spec: IsolationSpec, opts: { nft?: NftRunner; actor?: Actor; reason?: string; consoleRequested?: string[]; now?: Date } = {}): IsolationOutcome {
  const nft = opts.nft ?? runNft;
  const ruleset = buildNftRuleset(spec);
  const r = nft(['-f', '-'], ruleset);
  if (r.code !== 0) return { ok: false, step: 'nft', message: r.stderr.trim() || `nft exited ${r.code}` };
  const state: IsolationState = {
    isolated: true, since: (opts.now ?? new Date()).toISOString(), by: opts.actor ?? currentActor(),
    ...(opts.reason ? { reason: opts.reason } : {}), spec, consoleRequested: opts.consoleRequested ?? spec.console.map(peerText),
  };
  try {
    writeIsolationState(stateDir, state);
  } catch (e) {
    nft(['delete', 'table', ISOLATION_FAMILY, ISOLATION_TABLE]);
    return { ok: false, step: 'state', message: `${join(stateDir, ISOLATION_FILE)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  return { ok: true, state, ruleset };
}

export type ReleaseOutcome =
  | { ok: true; tableWasPresent: boolean; wasIsolated: boolean }
  | { ok: false; step: 'nft' | 'state'; message: string };

/** Deletes our table (only it) and records "not isolated", keeping the last spec for the record. */
export function releaseIsolation(stateDir: string, opts: { nft?: NftRunner; actor?: Actor; now?: Date } = {}): ReleaseOutcome {
  const nft = opts.nft ?? runNft;
  const prev = readIsolationState(stateDir);
  const present = tablePresent(nft);
  if (present) {
    const r = nft(['delete', 'table', ISOLATION_FAMILY, ISOLATION_TABLE]);
    if (r.code !== 0) return { ok: false, step: 'nft', message: r.stderr.trim() || `nft exited ${r.code}` };
  }
  const last = prev.ok ? prev.state : null;
  const wasIsolated = last?.isolated ?? false;
  if (last || present) {
    try {
      writeIsolationState(stateDir, {
        isolated: false, since: (opts.now ?? new Date()).toISOString(), by: opts.actor ?? currentActor(),
        spec: last?.spec ?? { console: [], allow: [], dns: [] }, consoleRequested: last?.consoleRequested ?? [],
      });
    } catch (e) {
      return { ok: false, step: 'state', message: `${join(stateDir, ISOLATION_FILE)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
    }
  }
  return { ok: true, tableWasPresent: present, wasIsolated };
}

export interface IsolationStatus {
  state: IsolationState | null;
  stateError?: string;
  tablePresent: boolean;
  /** The state file and the kernel disagree (isolated without table, or a table nobody recorded). */
  drift: boolean;
}

export function isolationStatus(stateDir: string, opts: { nft?: NftRunner } = {}): IsolationStatus {
  const s = readIsolationState(stateDir);
  const present = tablePresent(opts.nft ?? runNft);
  const isolated = s.ok && s.state?.isolated === true;
  return { state: s.ok ? s.state : null, ...(s.ok ? {} : { stateError: s.message }), tablePresent: present, drift: s.ok && isolated !== present };
}

export type EnsureOutcome =
  | { action: 'not-isolated' }
  | { action: 'reapplied'; state: IsolationState }
  | { action: 'failed'; message: string };

/**
 * For the agent's start: when the state says isolated, (re)apply the table — atomically, so an existing table is
 * simply replaced. A state file that cannot be read fails closed to "failed" (the agent should log it loudly).
 */
export function ensureIsolation(stateDir: string, opts: { nft?: NftRunner } = {}): EnsureOutcome {
  const s = readIsolationState(stateDir);
  if (!s.ok) return { action: 'failed', message: s.message };
  if (!s.state?.isolated) return { action: 'not-isolated' };
  const r = (opts.nft ?? runNft)(['-f', '-'], buildNftRuleset(s.state.spec));
  if (r.code !== 0) return { action: 'failed', message: r.stderr.trim() || `nft exited ${r.code}` };
  return { action: 'reapplied', state: s.state };
}

export type { Peer };
