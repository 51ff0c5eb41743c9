// Landlock: ABI probe, the omamori-launch executable's path, and the builder of its ruleset text.
import { existsSync } from 'node:fs';
import { buildDirectory, requireAddon, nativeAvailable } from './load.ts';

/** Landlock filesystem rights by their kernel names (LANDLOCK_ACCESS_FS_*, lower-cased). */
export type LandlockFsRight =
  | 'execute' | 'write_file' | 'read_file' | 'read_dir' | 'remove_dir' | 'remove_file' | 'make_char'
  | 'make_dir' | 'make_reg' | 'make_sock' | 'make_fifo' | 'make_block' | 'make_sym' | 'refer' | 'truncate'
  | 'ioctl_dev';

const FS_RIGHTS: readonly LandlockFsRight[] = [
  'execute', 'write_file', 'read_file', 'read_dir', 'remove_dir', 'remove_file', 'make_char', 'make_dir',
  'make_reg', 'make_sock', 'make_fifo', 'make_block', 'make_sym', 'refer', 'truncate', 'ioctl_dev',
];

/** A path, or a path that is skipped when it does not exist at launch time. */
export type LandlockPath = string | { path: string; optional: true };

/**
 * What a launched process may do; everything else Landlock handles is denied. Grants are "beneath": a
 * directory grant covers its whole tree. A grant on a non-directory keeps only the file rights.
 */
export interface LandlockRulesetSpec {
  /** read files, list directories */
  read?: LandlockPath[];
  /** read + execute */
  readExec?: LandlockPath[];
  /** read + write, truncate, create, remove, rename (no execute, no device nodes) */
  write?: LandlockPath[];
  /** write + execute */
  writeExec?: LandlockPath[];
  /** read, write and ioctl on device files (/dev/null, /dev/tty...) */
  devices?: LandlockPath[];
  /** explicit rights */
  custom?: { path: LandlockPath; rights: LandlockFsRight[] }[];
  /** TCP ports that may be bound / connected to. Either list (or restrictTcp) makes all other TCP denied. */
  bindTcp?: number[];
  connectTcp?: number[];
  restrictTcp?: boolean;
  /** ABI 6: deny signals to, and abstract unix sockets of, processes outside the domain. */
  scopes?: ('signal' | 'abstract-unix-socket')[];
  /** ABI 7 audit logging flags of landlock_restrict_self. */
  log?: ('new-exec' | 'same-exec-off' | 'subdomains-off')[];
  /** Refuse to launch below this ABI. */
  requireAbi?: number;
}

/** The kernel's Landlock ABI version; 0 when Landlock or the addon is unavailable. */
export function landlockAbi(): number {
  if (!nativeAvailable().available) return 0;
  const v = requireAddon().landlockAbi();
  return v > 0 ? v : 0;
}

/** Absolute path of the omamori-launch executable; throws when it was not built. */
export function launcherPath(): string {
  const p = buildDirectory() + 'omamori-launch';
  if (!existsSync(p)) throw new Error(`omamori-launch not built (${p} missing: run npm ci)`);
  return p;
}

function pathLine(verb: string, p: LandlockPath, where: string, extra = ''): string {
  const path = typeof p === 'string' ? p : p.path;
  const optional = typeof p !== 'string' && p.optional;
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`${where}: path must be absolute, got ${JSON.stringify(path)}`);
  if (/[\n\r\0]/.test(path)) throw new TypeError(`${where}: path may not contain newline or NUL: ${JSON.stringify(path)}`);
  if (/^[ \t]|[ \t]$/.test(path)) throw new TypeError(`${where}: path may not start or end with blanks: ${JSON.stringify(path)}`);
  return `${verb}${optional ? '?' : ''} ${extra}${path}`;
}

function port(p: number, where: string): number {
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`${where}: port must be 0..65535, got ${p}`);
  return p;
}

/**
 * The ruleset text omamori-launch reads (format in docs/native.md). Throws TypeError/RangeError naming the
 * field on malformed input: the spec comes from an already validated policy, so a bad one is a bug.
 */
export function buildLandlockRuleset(spec: LandlockRulesetSpec): string {
  const lines = ['# omamori-launch ruleset v1'];
  if (spec.requireAbi !== undefined) {
    if (!Number.isInteger(spec.requireAbi) || spec.requireAbi < 1) throw new RangeError(`requireAbi must be >= 1`);
    lines.push(`require-abi ${spec.requireAbi}`);
  }
  const groups: [keyof LandlockRulesetSpec, string][] = [
    ['read', 'read'], ['readExec', 'read-exec'], ['write', 'write'], ['writeExec', 'write-exec'], ['devices', 'dev'],
  ];
  for (const [key, verb] of groups) {
    const list = (spec[key] ?? []) as LandlockPath[];
    list.forEach((p, i) => lines.push(pathLine(verb, p, `${key}[${i}]`)));
  }
  (spec.custom ?? []).forEach((c, i) => {
    if (!Array.isArray(c.rights) || c.rights.length === 0) throw new TypeError(`custom[${i}].rights must not be empty`);
    for (const r of c.rights) if (!FS_RIGHTS.includes(r)) throw new TypeError(`custom[${i}].rights: unknown right '${r}'`);
    lines.push(pathLine('rights', c.path, `custom[${i}].path`, `${c.rights.join(',')} `));
  });
  (spec.bindTcp ?? []).forEach((p, i) => lines.push(`bind ${port(p, `bindTcp[${i}]`)}`));
  (spec.connectTcp ?? []).forEach((p, i) => lines.push(`connect ${port(p, `connectTcp[${i}]`)}`));
  if (spec.restrictTcp) lines.push('restrict-tcp');
  for (const s of spec.scopes ?? []) {
    if (s !== 'signal' && s !== 'abstract-unix-socket') throw new TypeError(`scopes: unknown scope '${String(s)}'`);
    lines.push(`scope ${s}`);
  }
  for (const l of spec.log ?? []) {
    if (!['new-exec', 'same-exec-off', 'subdomains-off'].includes(l)) throw new TypeError(`log: unknown flag '${String(l)}'`);
    lines.push(`log ${l}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Arguments for spawning `launcherPath()` with the ruleset on file descriptor `rulesFd` (e.g. stdio index 3
 * of `spawn`, written and ended by the caller) and the target command line `argv`. `label` (the guarded
 * application's id) is ignored by the launcher; the agent reads it from the launcher's command line when the
 * launcher execs the target (`launcherLabel`).
 */
export function launcherArgs(argv: string[], opts: { rulesFd?: number; rulesFile?: string; bestEffort?: boolean; label?: string } = {}): string[] {
  if (argv.length === 0) throw new TypeError('argv must name the program to launch');
  const src = opts.rulesFile !== undefined ? ['--rules', opts.rulesFile] : ['--rules-fd', String(opts.rulesFd ?? 3)];
  if (opts.label !== undefined && (opts.label === '' || /[\0\n]/.test(opts.label) || opts.label.startsWith('-'))) {
    throw new TypeError(`label must be a non-empty name without NUL or newline, not starting with '-': ${JSON.stringify(opts.label)}`);
  }
  const label = opts.label !== undefined ? ['--label', opts.label] : [];
  return [...src, ...(opts.bestEffort ? ['--best-effort'] : []), ...label, '--', ...argv];
}

/** The `--label` of a launcher command line (argv as in /proc/PID/cmdline), before its `--`. */
export function launcherLabel(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length - 1; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a === '--label') return argv[i + 1];
    if (a === '--rules' || a === '--rules-fd') i++;
  }
  return undefined;
}
