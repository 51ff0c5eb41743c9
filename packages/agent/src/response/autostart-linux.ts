// Linux autostart entries as evidence: shell start-up files of every home, XDG autostart, cron tables and
// systemd units (system and user, with drop-ins), each with the command it starts and the sha256 of the files
// that command names. Everything is read under `root` (a prefix, "/" on a live machine) and never written.
import { existsSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { hashFile, readSmall } from './read-only.ts';

export type AutostartKind = 'shell-rc' | 'xdg-autostart' | 'cron' | 'cron-script' | 'systemd-system' | 'systemd-user'
  | 'ld-preload' | 'rc-local';

export interface AutostartTarget { path: string; exists: boolean; sha256: string | null; size: number | null }

export interface AutostartEntry {
  kind: AutostartKind;
  /** Path (as seen on the machine) of the file that declares the entry. */
  source: string;
  sourceSha256: string;
  /** The account it runs as or whose home holds it, when known. */
  user: string | null;
  /** The command started; null for shell start-up files (the whole file is the "command" and is copied). */
  command: string | null;
  /** cron schedule, XDG/systemd key the command came from. */
  detail?: string;
  /** systemd: the .wants/.requires directories that link the unit; XDG: false when Hidden or disabled. */
  enabled?: boolean | string[];
  targets: AutostartTarget[];
}

export interface AutostartSource { path: string; sha256: string; size: number; mtime: string; copy: boolean }

export interface AutostartScan { entries: AutostartEntry[]; sources: AutostartSource[] }

const BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const RC_FILES = ['.profile', '.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.zshrc', '.zprofile', '.zshenv',
  '.zlogin', '.config/fish/config.fish', '.xprofile', '.xsessionrc', '.xinitrc', '.xsession', '.pam_environment'];
const SYSTEM_RC = ['/etc/profile', '/etc/bash.bashrc', '/etc/zsh/zshrc', '/etc/zsh/zprofile', '/etc/zsh/zshenv', '/etc/environment'];
/** Vendor locations (package-owned): listed and hashed, not copied. */
const VENDOR = ['/usr/lib/', '/lib/'];

interface Home { user: string; home: string }

export function readHomes(root: string): Home[] {
  const passwd = readSmall(join(root, 'etc/passwd'));
  const seen = new Set<string>();
  const out: Home[] = [];
  for (const line of passwd?.bytes.toString('utf8').split('\n') ?? []) {
    const f = line.split(':');
    const user = f[0], home = f[5];
    if (!user || !home || home === '/' || seen.has(home)) continue;
    if (!isDir(join(root, home))) continue;
    seen.add(home);
    out.push({ user, home });
  }
  return out;
}

function isDir(p: string): boolean { try { return statSync(p).isDirectory(); } catch { return false; } }
function list(p: string): string[] { try { return readdirSync(p).sort(); } catch { return []; } }

/**
 * The files a command names: every absolute (or home-relative) path in it, and the program word of each simple
 * command (after ; && || | and leading VAR=value assignments) as `PATH:name` for a PATH lookup. Not a shell parser:
 * enough to find what to hash.
 */
export function commandPaths(command: string, home: string | null): string[] {
  const out: string[] = [];
  for (const segment of command.split(/&&|\|\||[;|&\n()`]/)) {
    const words = segment.split(/[\s<>'"=,:]+/).filter(Boolean);
    const assign = segment.trim().match(/^(?:[A-Za-z_]\w*=\S*\s+)*/)?.[0] ?? '';
    const program = segment.trim().slice(assign.length).split(/\s+/)[0] ?? '';
    for (const w of words) {
      let p = w.replace(/^[-@+!:]+(?=\/)/, '');
      if (home) p = p.replace(/^(~|\$HOME|\$\{HOME\}|%h)(?=\/)/, home);
      if (p.startsWith('/')) out.push(posix.normalize(p));
    }
    if (/^[\w.+-]+$/.test(program)) out.push(`PATH:${program}`);
  }
  return [...new Set(out)].slice(0, 16);
}

function target(root: string, p: string): AutostartTarget | undefined {
  if (p.startsWith('PATH:')) {
    const name = p.slice(5);
    for (const d of BIN_DIRS) {
      const full = posix.join(d, name);
      if (existsSync(join(root, full))) return target(root, full);
    }
    return undefined;   // a shell builtin or a name not on the standard PATH: nothing to hash
  }
  const d = hashFile(join(root, p));
  if (!d) {
    let exists = false;
    try { lstatSync(join(root, p)); exists = true; } catch { /* absent */ }
    if (exists && isDir(join(root, p))) return undefined;   // a directory argument, not something started
    return { path: p, exists, sha256: null, size: null };
  }
  return { path: p, exists: true, sha256: d.sha256, size: d.size };
}

function targets(root: string, command: string, home: string | null): AutostartTarget[] {
  return commandPaths(command, home).map((p) => target(root, p)).filter((t): t is AutostartTarget => t !== undefined);
}

function scanner(root: string) {
  const entries: AutostartEntry[] = [];
  const sources = new Map<string, AutostartSource>();
  /** Reads a declaring file once, records it as a source; returns its text. */
  const source = (path: string): { text: string; sha256: string } | undefined => {
    const r = readSmall(join(root, path));
    if (!r) return undefined;
    if (!sources.has(path)) {
      sources.set(path, { path, sha256: r.sha256, size: r.bytes.length, mtime: r.stat.mtime.toISOString(),
        copy: !VENDOR.some((v) => path.startsWith(v)) });
    }
    return { text: r.bytes.toString('utf8'), sha256: r.sha256 };
  };
  return { entries, sources, source };
}

function logicalLines(text: string): string[] {
  return text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
}

function parseCron(text: string, hasUser: boolean): { schedule: string; user: string | null; command: string }[] {
  const out: { schedule: string; user: string | null; command: string }[] = [];
  for (const raw of logicalLines(text)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) continue;
    const f = line.split(/\s+/);
    const nSched = f[0]!.startsWith('@') ? 1 : 5;
    const user = hasUser ? f[nSched] ?? null : null;
    const command = f.slice(nSched + (hasUser ? 1 : 0)).join(' ');
    if (!command) continue;
    out.push({ schedule: f.slice(0, nSched).join(' '), user, command });
  }
  return out;
}

function iniValues(text: string, keys: string[]): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const raw of logicalLines(text)) {
    const m = /^\s*([A-Za-z][\w-]*)\s*=\s*(.*)$/.exec(raw);
    if (m && keys.includes(m[1]!)) out.push({ key: m[1]!, value: m[2]!.trim() });
  }
  return out;
}

/** Scans every autostart location under `root`. */
export function scanLinuxAutostart(root = '/'): AutostartScan {
  const { entries, sources, source } = scanner(root);
  const homes = readHomes(root);
  const add = (e: AutostartEntry) => entries.push(e);

  // Shell and X session start-up files: the file is what runs; it is copied whole and the paths it names hashed.
  const rc = (path: string, user: string | null, home: string | null) => {
    const s = source(path);
    if (!s) return;
    const lines = logicalLines(s.text).filter((l) => l.trim() && !l.trim().startsWith('#')).join('\n');
    add({ kind: 'shell-rc', source: path, sourceSha256: s.sha256, user, command: null, targets: targets(root, lines, home) });
  };
  for (const p of SYSTEM_RC) rc(p, null, null);
  for (const f of list(join(root, 'etc/profile.d'))) rc(`/etc/profile.d/${f}`, null, null);
  for (const h of homes) for (const f of RC_FILES) rc(posix.join(h.home, f), h.user, h.home);
  for (const p of ['/etc/rc.local']) {
    const s = source(p);
    if (s) add({ kind: 'rc-local', source: p, sourceSha256: s.sha256, user: 'root', command: null, targets: targets(root, s.text, null) });
  }
  {
    const s = source('/etc/ld.so.preload');
    if (s) {
      for (const l of s.text.split(/\s+/).filter(Boolean)) {
        add({ kind: 'ld-preload', source: '/etc/ld.so.preload', sourceSha256: s.sha256, user: null, command: l, targets: targets(root, l, null) });
      }
    }
  }

  // XDG autostart (.desktop Exec=).
  const xdg = (dir: string, user: string | null, home: string | null) => {
    for (const f of list(join(root, dir)).filter((n) => n.endsWith('.desktop'))) {
      const path = posix.join(dir, f);
      const s = source(path);
      if (!s) continue;
      const v = iniValues(s.text, ['Exec', 'Hidden', 'X-GNOME-Autostart-enabled', 'TryExec']);
      const exec = v.find((x) => x.key === 'Exec')?.value ?? null;
      const off = v.some((x) => (x.key === 'Hidden' && x.value === 'true') || (x.key === 'X-GNOME-Autostart-enabled' && x.value === 'false'));
      add({ kind: 'xdg-autostart', source: path, sourceSha256: s.sha256, user, command: exec, detail: 'Exec', enabled: !off,
        targets: exec ? targets(root, exec.replace(/%[a-zA-Z]/g, ''), home) : [] });
    }
  };
  xdg('/etc/xdg/autostart', null, null);
  for (const h of homes) xdg(posix.join(h.home, '.config/autostart'), h.user, h.home);

  // cron: system tables (with a user field), per-user spools (without), the run-parts directories.
  const cronTable = (path: string, hasUser: boolean, owner: string | null) => {
    const s = source(path);
    if (!s) return;
    for (const c of parseCron(s.text, hasUser)) {
      const user = c.user ?? owner;
      const home = homes.find((h) => h.user === user)?.home ?? null;
      add({ kind: 'cron', source: path, sourceSha256: s.sha256, user, command: c.command, detail: c.schedule, targets: targets(root, c.command, home) });
    }
  };
  cronTable('/etc/crontab', true, null);
  for (const f of list(join(root, 'etc/cron.d'))) cronTable(`/etc/cron.d/${f}`, true, null);
  for (const spool of ['/var/spool/cron/crontabs', '/var/spool/cron']) {
    for (const f of list(join(root, spool))) if (!isDir(join(root, spool, f))) cronTable(`${spool}/${f}`, false, f);
  }
  for (const period of ['hourly', 'daily', 'weekly', 'monthly']) {
    for (const f of list(join(root, `etc/cron.${period}`))) {
      const path = `/etc/cron.${period}/${f}`;
      const s = source(path);
      if (s) add({ kind: 'cron-script', source: path, sourceSha256: s.sha256, user: 'root', command: path, detail: period, targets: targets(root, path, null) });
    }
  }

  // systemd units and drop-ins; "enabled" = linked from a .wants/.requires directory.
  const links = new Map<string, string[]>();
  const units = (dirs: string[], kind: 'systemd-system' | 'systemd-user', user: string | null, home: string | null) => {
    const seenReal = new Set<string>();
    for (const dir of dirs) {
      let real: string;
      try { real = statSync(join(root, dir)).ino + ':' + statSync(join(root, dir)).dev; } catch { continue; }
      if (seenReal.has(real)) continue;   // /lib → /usr/lib on merged-/usr systems
      seenReal.add(real);
      for (const f of list(join(root, dir))) {
        const full = join(root, dir, f);
        if (/\.(wants|requires)$/.test(f) && isDir(full)) {
          for (const l of list(full)) links.set(`${kind}:${user}:${l}`, [...(links.get(`${kind}:${user}:${l}`) ?? []), posix.join(dir, f)]);
          continue;
        }
        const files: string[] = [];
        if (f.endsWith('.service') && !isDir(full)) {
          try { if (lstatSync(full).isSymbolicLink() && readlinkSync(full) === '/dev/null') continue; } catch { continue; }   // masked
          files.push(posix.join(dir, f));
        } else if (f.endsWith('.service.d') && isDir(full)) {
          for (const c of list(full).filter((n) => n.endsWith('.conf'))) files.push(posix.join(dir, f, c));
        }
        for (const path of files) {
          const s = source(path);
          if (!s) continue;
          const unit = posix.basename(path.endsWith('.conf') ? posix.dirname(path) : path).replace(/\.d$/, '');
          for (const v of iniValues(s.text, ['ExecStart', 'ExecStartPre', 'ExecStartPost', 'ExecReload', 'ExecStop'])) {
            if (!v.value) continue;   // "ExecStart=" resets the list in drop-ins
            add({ kind, source: path, sourceSha256: s.sha256, user, command: v.value.replace(/^[-@+!:|]+/, ''), detail: v.key,
              enabled: [unit], targets: targets(root, v.value, home) });
          }
        }
      }
    }
  };
  units(['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'],
    'systemd-system', 'root', null);
  units(['/etc/systemd/user', '/usr/local/lib/systemd/user', '/usr/lib/systemd/user'], 'systemd-user', null, null);
  for (const h of homes) units([posix.join(h.home, '.config/systemd/user'), posix.join(h.home, '.local/share/systemd/user')], 'systemd-user', h.user, h.home);
  // Resolve the placeholder [unit] into the list of directories that link it.
  for (const e of entries) {
    if ((e.kind === 'systemd-system' || e.kind === 'systemd-user') && Array.isArray(e.enabled)) {
      const unit = e.enabled[0]!;
      e.enabled = [...(links.get(`${e.kind}:${e.user}:${unit}`) ?? []), ...(e.kind === 'systemd-user' && e.user !== null ? links.get(`${e.kind}:null:${unit}`) ?? [] : [])];
    }
  }
  return { entries, sources: [...sources.values()] };
}
