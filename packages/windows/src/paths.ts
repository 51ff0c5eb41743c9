// Policy path patterns → Windows forms: App Control FilePath rules (system space only, with its own macros) and
// Controlled Folder Access folders (environment variables allowed, wildcards not).
import type { CompiledPolicy } from '@omamori/policy';

/** Windows folder tokens App Control understands in FilePath rules, from the policy's tokens. */
const APP_CONTROL_MACROS: readonly [RegExp, string][] = [
  [/^%(windir|systemroot)%/i, '%WINDIR%'],
  [/^%programfiles\(x86\)%/i, '%OSDRIVE%\\Program Files (x86)'],
  [/^%programfiles%/i, '%OSDRIVE%\\Program Files'],
  [/^%systemdrive%/i, '%OSDRIVE%'],
];

/** A sample concrete path for a pattern (tokens expanded as the engine does, wildcards filled), lower-case. */
function samplePath(pattern: string): string {
  const map: Record<string, string> = {
    '%windir%': 'c:/windows', '%systemroot%': 'c:/windows', '%programfiles%': 'c:/program files',
    '%programfiles(x86)%': 'c:/program files (x86)', '%systemdrive%': 'c:', '%programdata%': 'c:/programdata',
  };
  return pattern.replace(/%[^%/\\]*%/g, (t) => map[t.toLowerCase()] ?? 'c:/users/x').replace(/\\/g, '/')
    .replace(/\*\*/g, 'x').replace(/[*?]/g, 'x').toLowerCase();
}

export type FilePathResult = { ok: true; path: string } | { ok: false; why: 'not-windows' | 'user-space' | 'not-system-folder' };

/**
 * An App Control FilePath for a policy path pattern, only when the pattern lies in system space: a folder only
 * administrators can write. (App Control's runtime FilePath rule protection enforces the same at run time.)
 */
export function appControlFilePath(pattern: string, policy: CompiledPolicy): FilePathResult {
  const p = pattern.replace(/\//g, '\\');
  const isWindows = /^%[^%]+%/.test(p) || /^[a-z]:\\/i.test(p);
  if (!isWindows) return { ok: false, why: 'not-windows' };
  if (policy.userSpace.matches(samplePath(pattern), 'windows')) return { ok: false, why: 'user-space' };
  let out: string | undefined;
  for (const [re, macro] of APP_CONTROL_MACROS) if (re.test(p)) { out = p.replace(re, macro); break; }
  if (out === undefined && /^c:\\(windows|program files|program files \(x86\))(\\|$)/i.test(p)) out = p.replace(/^c:/i, '%OSDRIVE%');
  if (out === undefined) return { ok: false, why: 'not-system-folder' };
  // `**` and a trailing `*` both mean "everything below" to App Control, which allows one wildcard at the end.
  out = out.replace(/\\\*\*$/, '\\*').replace(/\*\*/g, '*');
  if (out.slice(0, -1).includes('*') || out.includes('?')) return { ok: false, why: 'not-system-folder' };
  return { ok: true, path: out };
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
