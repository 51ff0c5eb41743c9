// Path patterns: globs with `**`, `*`, `?`, `~` (any user's home) and Windows folder tokens (%APPDATA% …), compiled
// once into matchers. Windows paths are normalised to lower case with forward slashes before matching; Linux paths
// are matched as they are.
import type { Platform } from './events.ts';

const WIN_TOKENS: Record<string, string> = {
  '%userprofile%': 'c:/users/*',
  '%appdata%': 'c:/users/*/appdata/roaming',
  '%localappdata%': 'c:/users/*/appdata/local',
  '%temp%': 'c:/users/*/appdata/local/temp',
  '%tmp%': 'c:/users/*/appdata/local/temp',
  '%public%': 'c:/users/public',
  '%programdata%': 'c:/programdata',
  '%windir%': 'c:/windows',
  '%systemroot%': 'c:/windows',
  '%systemdrive%': 'c:',
  '%programfiles%': 'c:/program files',
  '%programfiles(x86)%': 'c:/program files (x86)',
};

export const WINDOWS_TOKENS: readonly string[] = Object.keys(WIN_TOKENS);

/**
 * Lower-cases a Windows path and turns `\` into `/`. Names that mean the same file are made one: `\\?\C:\x`,
 * `\??\C:\x` and `\\.\C:\x` become `c:/x`; `\\?\UNC\srv\share` and `\Device\Mup\srv\share` become `//srv/share`;
 * `\Device\HarddiskVolumeN\x` is taken as the system drive (`c:/x`); the 8.3 name `C:\PROGRA~1` (always Program
 * Files) is expanded. Other 8.3 names cannot be resolved without the disk: the engine treats them as user space
 * under %WINDIR% (docs/policy.md).
 */
export function normalizeWindowsPath(p: string): string {
  let s = p.toLowerCase();
  if (s.includes('\\')) s = s.replaceAll('\\', '/');
  if (s.charCodeAt(0) === 47 /* '/' */) {
    if (s.startsWith('//?/') || s.startsWith('/??/') || s.startsWith('//./')) {
      s = s.slice(4);
      if (s.startsWith('unc/')) s = '/' + s.slice(3);
    } else if (s.startsWith('/device/mup/')) s = '/' + s.slice(11);
    else if (s.startsWith('/device/harddiskvolume')) {
      const slash = s.indexOf('/', 22);
      if (slash > 0) s = 'c:' + s.slice(slash);
    }
  }
  if (s.startsWith('c:/progra~1/')) s = 'c:/program files/' + s.slice(12);
  return s;
}

/** Whether a normalised Windows path has an 8.3 short-name segment (`name~1`). */
export function hasShortNameSegment(norm: string): boolean {
  for (let i = norm.indexOf('~'); i >= 0; i = norm.indexOf('~', i + 1)) {
    const c = norm.charCodeAt(i + 1);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

export function normalizePath(p: string, platform: Platform): string {
  return platform === 'windows' ? normalizeWindowsPath(p) : p;
}

/** The file name of a path on either platform (lower-cased for Windows). */
export function baseName(p: string, platform: Platform): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  const name = i < 0 ? p : p.slice(i + 1);
  return platform === 'windows' ? name.toLowerCase() : name;
}

export interface PatternProblem { pattern: string; message: string }

/** Checks a pattern's syntax; returns a problem description or undefined. */
export function checkPattern(pattern: string): string | undefined {
  if (pattern.length === 0) return 'empty pattern';
  const tokens = pattern.match(/%[^%/\\]*%/g) ?? [];
  for (const t of tokens) if (!(t.toLowerCase() in WIN_TOKENS)) return `unknown folder token ${t}`;
  const p = expandTokens(pattern);
  if (!(p.startsWith('/') || p.startsWith('~/') || p === '~' || /^[a-z]:(\/|$)/i.test(p) || p.startsWith('//'))) {
    return 'a pattern must be absolute (/…, ~/…, C:\\…, \\\\server\\…, or start with a %FOLDER% token)';
  }
  if (/\*\*\*/.test(p)) return "'***' is not a valid wildcard";
  return undefined;
}

function expandTokens(pattern: string): string {
  return pattern.replace(/%[^%/\\]*%/g, (t) => WIN_TOKENS[t.toLowerCase()] ?? t).replace(/\\/g, '/');
}

function globToRegexSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `/**` at the end matches the folder itself and everything below; `**/` matches any depth of folders.
        if (glob[i + 2] === '/') { out += '(?:.*/)?'; i += 2; } else { out += '.*'; i += 1; }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

/** Expands `~` into the home folders of both platforms. Returns globs in matching form (Windows ones lower-cased). */
function expandPattern(pattern: string): { linux: string[]; windows: string[] } {
  const p = expandTokens(pattern);
  if (p === '~' || p.startsWith('~/')) {
    const rest = p.slice(1);
    return { linux: ['/home/*' + rest, '/root' + rest], windows: [('c:/users/*' + rest).toLowerCase()] };
  }
  if (/^[a-z]:/i.test(p) || p.startsWith('//')) return { linux: [], windows: [p.toLowerCase()] };
  return { linux: [p], windows: [] };
}

/**
 * A compiled set of patterns for one platform. Folder patterns `X/**` become prefix checks, fixed names exact
 * checks; patterns with one whole-segment wildcard after a fixed head (every user's home, as `~/.ssh` expands to
 * under /home or c:/users) are grouped by head and the rest matched from the segment after the wildcard; only
 * what is left becomes one alternation
 * regex. `matches` is on the hot path: no allocation.
 */
export class PathMatcher {
  private readonly prefixes: string[] = [];
  private readonly exact: string[] = [];
  private readonly segments: { head: string; rest: PathMatcher }[] = [];
  private readonly regex: RegExp | undefined;

  constructor(globs: readonly string[]) {
    const sources: string[] = [];
    const byHead = new Map<string, string[]>();
    for (const g of globs) {
      const body = g.endsWith('/**') ? g.slice(0, -3) : undefined;
      const star = g.indexOf('/*/');
      if (body !== undefined && !/[*?]/.test(body)) { this.prefixes.push(body + '/'); this.exact.push(body); }
      else if (!/[*?]/.test(g)) this.exact.push(g);
      else if (star >= 0 && !/[*?]/.test(g.slice(0, star))) {
        const head = g.slice(0, star + 1);
        const list = byHead.get(head) ?? [];
        list.push(g.slice(star + 2));
        byHead.set(head, list);
      } else sources.push(g.endsWith('/**') ? globToRegexSource(g.slice(0, -3)) + '(?:/.*)?' : globToRegexSource(g));
    }
    for (const [head, rests] of byHead) this.segments.push({ head, rest: new PathMatcher(rests) });
    this.regex = sources.length ? new RegExp('^(?:' + sources.join('|') + ')$') : undefined;
  }

  get empty(): boolean {
    return this.prefixes.length === 0 && this.exact.length === 0 && this.segments.length === 0 && !this.regex;
  }

  matches(path: string): boolean { return this.matchesFrom(path, 0); }

  /** Matches `path` from offset `from` on (the part after a wildcard segment). */
  private matchesFrom(path: string, from: number): boolean {
    const len = path.length - from;
    for (let i = 0; i < this.exact.length; i++) {
      const e = this.exact[i]!;
      if (e.length === len && path.startsWith(e, from)) return true;
    }
    for (let i = 0; i < this.prefixes.length; i++) if (path.startsWith(this.prefixes[i]!, from)) return true;
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i]!;
      if (!path.startsWith(s.head, from)) continue;
      const slash = path.indexOf('/', from + s.head.length);
      if (slash > from + s.head.length && s.rest.matchesFrom(path, slash)) return true;
    }
    if (this.regex === undefined) return false;
    this.regex.lastIndex = 0;
    return from === 0 ? this.regex.test(path) : this.regex.test(path.slice(from));
  }
}

/** Patterns compiled for both platforms; `matches` takes an already normalised path. */
export class PlatformPathSet {
  readonly linux: PathMatcher;
  readonly windows: PathMatcher;
  constructor(readonly patterns: readonly string[]) {
    const lin: string[] = [];
    const win: string[] = [];
    for (const p of patterns) { const e = expandPattern(p); lin.push(...e.linux); win.push(...e.windows); }
    this.linux = new PathMatcher(lin);
    this.windows = new PathMatcher(win);
  }
  matches(normalizedPath: string, platform: Platform): boolean {
    return (platform === 'windows' ? this.windows : this.linux).matches(normalizedPath);
  }
}

/**
 * A concrete path that the pattern matches (wildcards filled with 'x', `~` with a user's home), normalised for
 * its platform: used to ask "does this pattern lie in user space?".
 */
export function samplePath(pattern: string): { path: string; platform: Platform } {
  const p = expandTokens(pattern).replace(/\*\*/g, 'x').replace(/[*?]/g, 'x');
  if (p === '~' || p.startsWith('~/')) return { path: '/home/x' + p.slice(1), platform: 'linux' };
  if (/^[a-z]:/i.test(p) || p.startsWith('//')) return { path: p.toLowerCase(), platform: 'windows' };
  return { path: p, platform: 'linux' };
}
