// The fast exec rule: the part of the policy the native side may apply to an exec without asking the sensor,
// compiled at load (and on reload). It covers exactly the execs the engine would answer ALLOW_SYSTEM_SPACE (cacheable)
// outside every guarded tree: an ELF program only root can change, in directories only root can change, on a plain
// local filesystem, not under a path the policy calls user space, and not named like something the sensor must see
// start (a guarded application, an interpreter, the launcher). Anything else still reaches the sensor. Off in
// lockdown (system space alone is not enough there) and when applications are matched by path or hash.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { NAME_SETS, PATH_SETS, type CompiledPolicy } from '@omamori/policy';
import type { FastExecRule, MarkedFilesystem } from '@omamori/native';
import { interpreterNames, scriptExtensions } from './interpreters.ts';
import { deviceRemovable, execOnlyFsTypes } from './mounts.ts';
import { deviceName } from './user-space-probe.ts';

const GLOB = /[*?[{]/;

/** The literal directory prefix of a path pattern (`/home/**` → `/home/`), or undefined for non-Linux patterns. */
function prefixOf(pattern: string): string[] | undefined {
  if (pattern.startsWith('~')) return ['/home/', '/root/'];
  if (!pattern.startsWith('/') || pattern.startsWith('//')) return undefined;
  const cut = pattern.search(GLOB);
  const lit = cut < 0 ? pattern : pattern.slice(0, cut);
  const dir = lit.slice(0, lit.lastIndexOf('/') + 1);
  return [dir || '/'];
}

export function compileFastExec(policy: CompiledPolicy, marks: readonly MarkedFilesystem[], launcher: string, sys = '/sys'): FastExecRule {
  const prefixes = new Set(['/media/', '/run/media/']);
  for (const p of policy.doc.userSpace.paths) {
    for (const q of p.startsWith('@') ? PATH_SETS[p.slice(1)] ?? [] : [p]) for (const x of prefixOf(q) ?? []) prefixes.add(x);
  }
  const execOnly = new Set(execOnlyFsTypes());
  const devs = marks.filter((m) => !m.execOnly && !execOnly.has(m.type) && !/^\/(run\/)?media(\/|$)/.test(m.where)
    && !deviceRemovable(deviceName(m.dev), sys)).map((m) => m.dev);
  const names = new Set<string>([basename(launcher), 'env', ...interpreterNames(), ...(NAME_SETS.shells ?? []), ...(NAME_SETS['script-hosts'] ?? [])]);
  for (const n of policy.appsByName.keys()) names.add(n);
  const enabled = policy.mode !== 'lockdown' && policy.appsWithPaths.length === 0 && policy.appsByHash.size === 0
    && !prefixes.has('/') && devs.length > 0;
  // Interpreter opens the script-read rules cannot make a script (interpreters.ts) are answered in C, policy or not.
  const rule: FastExecRule = { enabled, names: [...names], prefixes: [...prefixes], devs, scriptExtensions: scriptExtensions() };
  // The launcher on no marked filesystem (`--mount` elsewhere): its exec is unseen, so the target it starts must
  // still reach the sensor (the target is guarded there) — never fast.
  try {
    const st = statSync(launcher, { bigint: true });
    if (!marks.some((m) => BigInt(m.dev) === st.dev)) rule.launcher = { dev: Number(st.dev), ino: st.ino };
  } catch { /* no launcher: nothing starts contained */ }
  return rule;
}
