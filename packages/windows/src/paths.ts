// Policy path patterns → Windows forms: App Control FilePath rules (system space only, with its own macros) and
// Controlled Folder Access folders (environment variables allowed, wildcards not).
import type { CompiledPolicy } from '@omamori/policy';

/** Policy folder tokens → App Control FilePath form (App Control knows only %OSDRIVE%, %WINDIR%, %SYSTEM32%). */
const APP_CONTROL_MACROS: readonly [RegExp, string][] = [
  [/^%(windir|systemroot)%/i, '%WINDIR%'],
  [/^%programfiles\(x86\)%/i, '%OSDRIVE%\\Program Files (x86)'],
  [/^%programfiles%/i, '%OSDRIVE%\\Program Files'],
  [/^%programdata%/i, '%OSDRIVE%\\ProgramData'],
  [/^%public%/i, '%OSDRIVE%\\Users\\Public'],
  [/^%systemdrive%/i, '%OSDRIVE%'],
  // The engine takes the system drive to be C: (docs/policy.md); App Control's %OSDRIVE% is the real one.
  [/^c:(?=\\|$)/i, '%OSDRIVE%'],
];

/** A sample concrete path for a pattern (tokens expanded as the engine does, wildcards filled), lower-case. */
export function samplePath(pattern: string): string {
  const map: Record<string, string> = {
    '%windir%': 'c:/windows', '%systemroot%': 'c:/windows', '%programfiles%': 'c:/program files',
    '%programfiles(x86)%': 'c:/program files (x86)', '%systemdrive%': 'c:', '%programdata%': 'c:/programdata',
    '%public%': 'c:/users/public',
  };
  return pattern.replace(/%[^%/\\]*%/g, (t) => map[t.toLowerCase()] ?? 'c:/users/x').replace(/\\/g, '/')
    .replace(/\*\*/g, 'x').replace(/[*?]/g, 'x').toLowerCase();
}

/**
 * Why a pattern has no App Control FilePath rule. `other-drive`, `network`: the engine treats every drive but the
 * system drive and every network path as user space, whatever `systemFolders` says; `variable`: a per-user folder
 * token (%APPDATA% …) names no one folder; `wildcard`: a wildcard App Control cannot express on Windows 10.
 */
export type FilePathWhy = 'not-windows' | 'user-space' | 'not-system-folder' | 'other-drive' | 'network' | 'variable' | 'wildcard';

export type FilePathResult = { ok: true; path: string } | { ok: false; why: FilePathWhy };

function isWindowsPattern(p: string): boolean {
  return /^%[^%]+%/.test(p) || /^[a-z]:(\\|$)/i.test(p) || p.startsWith('\\\\');
}

/**
 * The App Control FilePath form of a Windows pattern, whatever space it lies in. App Control takes one wildcard, at
 * the end, meaning everything below (Windows 11 takes more; omamori writes only what Windows 10 also accepts): `X/**`
 * becomes `X\*`; a pattern with any other wildcard — a trailing `X/*` (one level only) too — has no FilePath form.
 */
export function toAppControlPath(pattern: string): FilePathResult {
  const p = pattern.replace(/\//g, '\\');
  if (!isWindowsPattern(p)) return { ok: false, why: 'not-windows' };
  if (p.startsWith('\\\\')) return { ok: false, why: 'network' };
  if (/^[a-z]:/i.test(p) && !/^c:/i.test(p)) return { ok: false, why: 'other-drive' };
  let out: string | undefined;
  for (const [re, macro] of APP_CONTROL_MACROS) if (re.test(p)) { out = p.replace(re, macro); break; }
  if (out === undefined) return { ok: false, why: 'variable' };
  if (out.endsWith('\\**')) out = out.slice(0, -1);
  else if (out.endsWith('\\*')) return { ok: false, why: 'wildcard' };
  if (out.slice(0, -1).includes('*') || out.includes('?') || (out.endsWith('*') && !out.endsWith('\\*'))) return { ok: false, why: 'wildcard' };
  return { ok: true, path: out };
}

/** Whether the policy calls a pattern's sample path user space: its `userSpace.paths`, or outside `systemFolders`. */
export function patternInUserSpace(pattern: string, policy: CompiledPolicy): 'user-space' | 'not-system-folder' | undefined {
  const sample = samplePath(pattern);
  if (policy.userSpace.matches(sample, 'windows')) return 'user-space';
  if (!policy.systemFolders.matches(sample, 'windows')) return 'not-system-folder';
  return undefined;
}

/**
 * An App Control FilePath for a policy path pattern (trusted path, exception), only when the pattern lies in system
 * space: inside the policy's `systemFolders`, outside its user-space folders. (App Control's runtime FilePath rule
 * protection also checks at run time that the folder is writable by administrators only.)
 */
export function appControlFilePath(pattern: string, policy: CompiledPolicy): FilePathResult {
  const p = pattern.replace(/\//g, '\\');
  if (!isWindowsPattern(p)) return { ok: false, why: 'not-windows' };
  const form = toAppControlPath(pattern);
  if (!form.ok && (form.why === 'network' || form.why === 'other-drive')) return form;
  const space = patternInUserSpace(pattern, policy);
  if (space) return { ok: false, why: space };
  return form;
}

/** A Controlled Folder Access folder for a write-protect pattern `FOLDER/**`, or undefined when it is not one. */
export function cfaFolder(pattern: string): string | undefined {
  const m = /^(.*)\/\*\*$/.exec(pattern);
  if (!m) return undefined;
  const folder = m[1]!;
  // Only folders written the Windows way; `~/…` entries are written for Linux desktops (~/.config, ~/.local).
  if (!/^%[^%]+%/.test(folder) && !/^[a-z]:/i.test(folder)) return undefined;
  if (/[*?]/.test(folder)) return undefined;   // CFA takes environment variables but no wildcards
  return folder.replace(/\//g, '\\');
}
