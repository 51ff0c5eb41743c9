// Containment of guarded applications on Linux: turns the policy into the Landlock ruleset omamori-launch applies
// before it execs the application. Landlock only allow-lists, so "all of the home folder except ~/.ssh" becomes
// read grants on each child of each home folder except the protected ones (descending into folders that hold a
// protected one). Writes are granted only where `guarded.writable` and the applications' profiles allow; execute
// only in system space. Signals and abstract unix sockets are scoped to the containment (ptrace is confined to
// nested domains by Landlock itself), so the contained tree cannot signal or trace the agent.
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { PATH_SETS, PlatformPathSet, type CompiledPolicy } from '@omamori/policy';
import type { LandlockPath, LandlockRulesetSpec } from '@omamori/native';

export interface ContainmentOptions {
  /** Home folders to open up (default: every folder in /home, and /root). */
  homes?: string[];
  /** The guarded application launched (its own profiles may be read even when protected). */
  app?: string;
  /** How deep to descend into a home folder around protected entries. */
  maxDepth?: number;
}

const SYSTEM_EXEC = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/opt'];
const SYSTEM_READ = ['/etc', '/proc', '/sys', '/run', '/var', '/srv'];
const DEVICES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/ptmx', '/dev/pts'];
const GLOB = /[*?[]/;

function expand(list: readonly string[]): string[] {
  return list.flatMap((p) => (p.startsWith('@') ? [...(PATH_SETS[p.slice(1)] ?? [])] : [p]))
    .filter((p) => p.startsWith('/') || p.startsWith('~'));
}

function forHome(pattern: string, home: string): string | undefined {
  if (pattern === '~' || pattern.startsWith('~/')) return home + pattern.slice(1);
  return pattern.startsWith('/') ? pattern : undefined;
}

/** The literal directory or file a pattern names before its first wildcard (`/a/b/**` → `/a/b`). */
function staticPrefix(pattern: string): string {
  const segs = pattern.split('/');
  const out: string[] = [];
  for (const s of segs) { if (GLOB.test(s)) break; out.push(s); }
  return out.join('/') || '/';
}

function globToRegExp(seg: string): RegExp {
  return new RegExp('^' + seg.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/** Existing paths a pattern covers as whole trees: `/x/**` → `/x`, `/x/a*` → matching entries of /x. */
function concreteRoots(pattern: string): string[] {
  const trimmed = pattern.replace(/\/\*\*$/, '');
  if (!GLOB.test(trimmed)) return existsSync(trimmed) ? [trimmed] : [];
  const segs = trimmed.split('/').slice(1);
  let current = [''];
  for (const seg of segs) {
    const next: string[] = [];
    for (const dir of current) {
      if (!GLOB.test(seg)) { next.push(`${dir}/${seg}`); continue; }
      if (seg === '**') return current.filter((p) => existsSync(p || '/'));
      const re = globToRegExp(seg);
      let names: string[] = [];
      try { names = readdirSync(dir || '/'); } catch { /* missing */ }
      for (const n of names) if (re.test(n)) next.push(`${dir}/${n}`);
    }
    current = next;
  }
  return current.filter((p) => existsSync(p));
}

export function defaultHomes(): string[] {
  const out: string[] = [];
  try { for (const n of readdirSync('/home')) out.push(`/home/${n}`); } catch { /* no /home */ }
  if (existsSync('/root')) out.push('/root');
  return out.filter((h) => { try { return lstatSync(h).isDirectory(); } catch { return false; } });
}

export function buildContainmentSpec(policy: CompiledPolicy, opts: ContainmentOptions = {}): LandlockRulesetSpec {
  const homes = opts.homes ?? defaultHomes();
  const maxDepth = opts.maxDepth ?? 4;
  const apps = policy.doc.guarded.applications;
  const own = opts.app === undefined ? undefined : apps.find((a) => a.id === opts.app);
  const ownProfiles = new PlatformPathSet(expand(own?.profiles ?? []));
  const protectPatterns = expand(policy.doc.guarded.readProtect);
  const isProtected = (p: string) => (policy.readProtect.matches(p, 'linux') || policy.readProtect.matches(p + '/x', 'linux'))
    && !ownProfiles.matches(p + '/x', 'linux') && !ownProfiles.matches(p, 'linux');

  const read: LandlockPath[] = [];
  const custom: NonNullable<LandlockRulesetSpec['custom']> = [];
  const write = new Set<string>();
  const opt = (path: string): LandlockPath => ({ path, optional: true });

  for (const home of homes) {
    const prefixes = protectPatterns.map((p) => forHome(p, home)).filter((p): p is string => p !== undefined).map(staticPrefix);
    const walk = (dir: string, depth: number) => {
      let names: string[];
      try { names = readdirSync(dir); } catch { return; }
      for (const n of names) {
        const c = `${dir}/${n}`;
        let st;
        try { st = lstatSync(c); } catch { continue; }
        if (st.isSymbolicLink()) continue; // a grant follows the link: never open a protected target by a side door
        if (isProtected(c)) continue;
        const partial = st.isDirectory() && prefixes.some((p) => p.startsWith(c + '/'));
        if (partial && depth < maxDepth) {
          custom.push({ path: opt(c), rights: ['read_dir'] });
          walk(c, depth + 1);
        } else read.push(opt(c));
      }
    };
    custom.push({ path: opt(home), rights: ['read_dir'] });
    walk(home, 0);
  }

  // Writable locations, and the profiles of guarded applications (other applications' private stores stay shut
  // unless they are the launched application's own).
  const writePatterns = [...expand(policy.doc.guarded.writable)];
  for (const a of apps) {
    for (const p of expand(a.profiles ?? [])) {
      if (a.id === opts.app || !(policy.readProtect.matches(staticPrefix(p) + '/x', 'linux') || policy.readProtect.matches(staticPrefix(p), 'linux'))) writePatterns.push(p);
    }
  }
  for (const p of writePatterns) {
    const targets = p.startsWith('~') ? homes.map((h) => forHome(p, h)!) : [p];
    for (const t of targets) for (const r of concreteRoots(t)) write.add(r);
  }

  return {
    readExec: SYSTEM_EXEC.map(opt),
    read: [...SYSTEM_READ.map(opt), ...read],
    write: [...write].map(opt),
    devices: DEVICES.map(opt),
    custom,
    scopes: ['signal', 'abstract-unix-socket'],
  };
}
