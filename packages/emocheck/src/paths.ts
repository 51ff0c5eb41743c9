// Windows path handling for the analysis, as pure string functions: joining, case-insensitive comparison,
// %VARIABLE% expansion from the snapshot's folders, finding the files a command line starts, and deciding whether
// a path lies in user space (where ordinary users, and so malware running as them, can write).
import type { Snapshot, SnapshotPaths } from './snapshot.ts';

export function winJoin(...parts: string[]): string {
  return parts.map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, '') : p.replace(/^[\\/]+|[\\/]+$/g, ''))).join('\\');
}

/** Lowercase, forward slashes to backslashes, no trailing backslash: for comparing paths, never for display. */
export function pathKey(p: string): string {
  return p.replace(/\//g, '\\').replace(/\\+$/, '').toLowerCase();
}

export function isUnder(path: string, dir: string | null): boolean {
  if (!dir) return false;
  const p = pathKey(path), d = pathKey(dir);
  return d.length > 0 && p.startsWith(d + '\\');
}

export function baseName(p: string): string {
  const i = Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/'));
  return i >= 0 ? p.slice(i + 1) : p;
}

/** EmoCheck's command-line normalisation (V4, V5): no double quotes, runs of whitespace as one space, lowercase. */
export function normaliseCommandLine(s: string): string {
  return s.replace(/"/g, '').replace(/\s+/g, ' ').toLowerCase();
}

function envTable(paths: SnapshotPaths): Record<string, string> {
  const t: Record<string, string> = {
    systemdrive: paths.systemDrive, systemroot: paths.systemRoot, windir: paths.systemRoot,
    localappdata: paths.localAppData, appdata: paths.appData, programdata: paths.programData,
    allusersprofile: paths.programData, programfiles: paths.programFiles, userprofile: paths.userProfile,
    temp: paths.temp, tmp: paths.temp, public: paths.public,
  };
  if (paths.programFilesX86) t['programfiles(x86)'] = paths.programFilesX86;
  return t;
}

/** Expands %NAME% for the folders the snapshot knows; unknown names stay as written. */
export function expandEnv(s: string, paths: SnapshotPaths): string {
  const t = envTable(paths);
  return s.replace(/%([^%\\/"]+)%/g, (all, name: string) => t[name.toLowerCase()] ?? all);
}

const TARGET_EXT = 'exe|dll|ocx|cpl|scr|bat|cmd|ps1|psm1|vbs|vbe|js|jse|wsf|wsh|hta|lnk|com|msi|pif|jar|sys|tmp|dat|bin';
const QUOTED_RE = /"([^"]+)"/g;
const ABSOLUTE_RE = /^(?:[A-Za-z]:[\\/]|\\\\[^\\?.])/;
const UNQUOTED_RE = new RegExp(`(?:[A-Za-z]:[\\\\/]|\\\\\\\\[^\\\\?.])[^"\\r\\n]*?\\.(?:${TARGET_EXT})(?=$|[\\s,"])`, 'gi');
const BARE_PATH_RE = /(?:[A-Za-z]:[\\/]|\\\\[^\\?.])[^\s",]+/g;

/** The absolute paths a command line names (the program and its path-like arguments), %VARS% expanded,
 * `\\?\` prefixes removed. The collector hashes the same paths (collector/omamori-collect.ps1, Get-CommandTargets). */
export function commandTargets(command: string, paths: SnapshotPaths): string[] {
  const cmd = expandEnv(command, paths).replace(/\\\\\?\\/g, '');
  const out: string[] = [];
  const add = (p: string): void => {
    const clean = p.trim().replace(/,[^\\]*$/, '');   // "file.dll,Export" → file.dll
    if (ABSOLUTE_RE.test(clean) && !out.some((o) => pathKey(o) === pathKey(clean))) out.push(clean);
  };
  for (const m of cmd.matchAll(QUOTED_RE)) add(m[1]!);
  const unquoted = cmd.replace(QUOTED_RE, ' ');
  const withExt = [...unquoted.matchAll(UNQUOTED_RE)].map((m) => m[0]);
  withExt.forEach(add);
  if (withExt.length === 0) for (const m of unquoted.matchAll(BARE_PATH_RE)) add(m[0]);
  return out;
}

/** The program a command line starts, lowercase base name ("rundll32.exe"), or '' when none is recognisable. */
export function commandProgram(command: string): string {
  const c = command.trim();
  const first = c.startsWith('"') ? c.slice(1, c.indexOf('"', 1) > 0 ? c.indexOf('"', 1) : undefined)
    : (/^.*?\.(?:exe|com|bat|cmd)(?=\s|$)/i.exec(c)?.[0] ?? c.split(/\s+/)[0] ?? '');
  return baseName(first).toLowerCase();
}

export type UserSpaceKind = 'appdata' | 'temp' | 'downloads' | 'public' | 'profile' | 'programdata-writable'
  | 'removable' | 'network';

/** Whether a path lies where an ordinary user can write, and which kind of place it is; null if not. */
export function classifyUserSpace(path: string, snap: Pick<Snapshot, 'paths' | 'drives'>,
  dirUserWritable: boolean | null): UserSpaceKind | null {
  const p = pathKey(path);
  const { paths } = snap;
  if (p.startsWith('\\\\') && !p.startsWith('\\\\?\\') && !p.startsWith('\\\\.\\')) return 'network';
  const drive = /^([a-z]:)/.exec(p)?.[1];
  const dt = drive ? snap.drives.find((d) => pathKey(d.root).startsWith(drive))?.type : undefined;
  if (dt === 'removable' || dt === 'network') return dt;
  if (isUnder(p, paths.temp) || isUnder(p, winJoin(paths.systemRoot, 'Temp')) || /\\(temp|tmp)\\/.test(p)) return 'temp';
  if (isUnder(p, paths.public)) return 'public';
  if (isUnder(p, paths.downloads) || /^[a-z]:\\users\\[^\\]+\\downloads\\/.test(p)) return 'downloads';
  if (isUnder(p, paths.localAppData) || isUnder(p, paths.appData) || /\\appdata\\/.test(p)) return 'appdata';
  if (isUnder(p, paths.profilesRoot) || isUnder(p, paths.userProfile)) return 'profile';
  if (isUnder(p, paths.programData) && dirUserWritable === true) return 'programdata-writable';
  return null;
}
