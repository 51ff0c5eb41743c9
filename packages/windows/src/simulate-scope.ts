// What the Windows simulation needs to know about paths and programs: which folders App Control's path rules can
// match (system space, minus the folders users may write inside it), the applications each ASR rule watches (as
// Microsoft's ASR rules reference names them) and Controlled Folder Access folders as matchers.

/** Lower-case, backslashes, `\\?\` and `\SystemRoot\` prefixes resolved, so paths compare as Windows does. */
export function normalizeWinPath(p: string): string {
  let s = p.trim().replace(/\//g, '\\').toLowerCase();
  if (s.startsWith('\\\\?\\') || s.startsWith('\\??\\')) s = s.slice(4);
  if (s.startsWith('\\systemroot\\')) s = 'c:\\windows\\' + s.slice(12);
  if (/^%(windir|systemroot)%\\/.test(s)) s = s.replace(/^%[^%]+%/, 'c:\\windows');
  return s;
}

export function baseNameLower(p: string | undefined): string {
  if (!p) return '';
  const i = Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/'));
  return p.slice(i + 1).toLowerCase();
}

/**
 * Folders inside %WINDIR% that standard users may write (commonly known ones; Windows checks the real ACLs at run
 * time). App Control's runtime FilePath rule protection never lets a path rule match a file in them.
 */
export const USER_WRITABLE_IN_SYSTEM: readonly string[] = [
  'c:\\windows\\temp\\', 'c:\\windows\\tasks\\', 'c:\\windows\\tracing\\', 'c:\\windows\\registration\\crmlog\\',
  'c:\\windows\\debug\\wia\\', 'c:\\windows\\system32\\tasks\\', 'c:\\windows\\system32\\tasks_migrated\\',
  'c:\\windows\\system32\\spool\\drivers\\color\\', 'c:\\windows\\system32\\spool\\printers\\',
  'c:\\windows\\system32\\spool\\servers\\', 'c:\\windows\\system32\\microsoft\\crypto\\rsa\\machinekeys\\',
  'c:\\windows\\system32\\fxstmp\\', 'c:\\windows\\system32\\com\\dmp\\', 'c:\\windows\\syswow64\\tasks\\',
  'c:\\windows\\syswow64\\fxstmp\\', 'c:\\windows\\syswow64\\com\\dmp\\', 'c:\\windows\\pla\\reports\\',
  'c:\\windows\\pla\\rules\\', 'c:\\windows\\pla\\templates\\', 'c:\\windows\\servicing\\packages\\',
];

export function inUserWritableSystemFolder(norm: string): boolean {
  return USER_WRITABLE_IN_SYSTEM.some((f) => norm.startsWith(f));
}

/** App Control FilePath (plan form, with %WINDIR%/%OSDRIVE% macros) → a matcher on normalised paths. */
export function filePathMatcher(planPath: string): (norm: string) => boolean {
  const p = normalizeWinPath(planPath.replace(/^%windir%/i, 'c:\\windows').replace(/^%osdrive%/i, 'c:'));
  if (p.endsWith('\\*')) { const prefix = p.slice(0, -1); return (n) => n.startsWith(prefix); }
  if (p.endsWith('*')) { const prefix = p.slice(0, -1); return (n) => n.startsWith(prefix); }
  return (n) => n === p;
}

/** Whether Defender would treat a program location as trusted for Controlled Folder Access (approximation). */
export function inSystemSpace(norm: string): boolean {
  return (norm.startsWith('c:\\windows\\') || norm.startsWith('c:\\program files\\') || norm.startsWith('c:\\program files (x86)\\'))
    && !inUserWritableSystemFolder(norm);
}

const ENV: Record<string, string> = {
  '%appdata%': 'c:\\users\\*\\appdata\\roaming', '%localappdata%': 'c:\\users\\*\\appdata\\local',
  '%userprofile%': 'c:\\users\\*', '%public%': 'c:\\users\\public', '%programdata%': 'c:\\programdata',
  '%allusersprofile%': 'c:\\programdata', '%windir%': 'c:\\windows', '%systemroot%': 'c:\\windows',
  '%systemdrive%': 'c:', '%programfiles%': 'c:\\program files', '%programfiles(x86)%': 'c:\\program files (x86)',
  '%homedrive%': 'c:', '%temp%': 'c:\\users\\*\\appdata\\local\\temp', '%tmp%': 'c:\\users\\*\\appdata\\local\\temp',
};

/** A Controlled Folder Access folder (environment variables allowed, as CFA takes them) → matcher of paths inside it. */
export function cfaMatcher(folder: string): (norm: string) => boolean {
  const expanded = normalizeWinPath(folder).replace(/%[^%\\]+%/g, (v) => ENV[v] ?? v);
  const re = new RegExp('^' + expanded.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^\\\\]+') + '\\\\');
  return (n) => re.test(n);
}

/** "Office apps include Word, Excel, PowerPoint, OneNote, and Access" (child-process rule). */
export const OFFICE_CHILD_PARENTS = new Set(['winword.exe', 'excel.exe', 'powerpnt.exe', 'onenote.exe', 'msaccess.exe']);
/** "This rule applies to Word, Excel, OneNote, and PowerPoint" (injection rule). */
export const OFFICE_INJECTORS = new Set(['winword.exe', 'excel.exe', 'powerpnt.exe', 'onenote.exe']);
/** "Office apps, including Word, Excel, and PowerPoint" (executable-content rule; Access and OneNote assumed too). */
export const OFFICE_WRITERS = new Set(['winword.exe', 'excel.exe', 'powerpnt.exe', 'onenote.exe', 'msaccess.exe', 'mspub.exe']);
export const OUTLOOK = new Set(['outlook.exe']);
export const ADOBE_READER = new Set(['acrord32.exe', 'acrobat.exe']);
/** Processes that start what WMI (Win32_Process.Create) and PsExec run. */
export const WMI_PSEXEC_PARENTS = new Set(['wmiprvse.exe', 'psexesvc.exe']);
export const JS_VBS_HOSTS = new Set(['wscript.exe', 'cscript.exe']);
export const WSH_HOSTS = new Set(['wscript.exe', 'cscript.exe']);
export const POWERSHELL = new Set(['powershell.exe', 'pwsh.exe', 'powershell_ise.exe']);

/** Executable content by extension (Defender inspects the content; the file name is what the events give). */
export const EXECUTABLE_EXT = /\.(exe|dll|scr|com|pif|cpl|ocx|sys|xll|wll|msi|drv)$/i;
/** Script files the mail rule also covers ("PowerShell .ps1, Visual Basic .vbs, or JavaScript .js"). */
export const SCRIPT_EXT = /\.(ps1|vbs|vbe|js|jse|wsf|wsh|hta|bat|cmd)$/i;
/** Where a browser or mail client leaves downloads and attachments. */
export const DOWNLOAD_FOLDER = /\\(downloads|inetcache|temporary internet files|content\.outlook|content\.ie5)\\/i;
