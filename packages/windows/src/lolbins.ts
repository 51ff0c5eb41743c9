// Which programs App Control may deny for the whole machine. App Control has no notion of a parent process, so a
// deny rule stops a program for every user and service; omamori emits one only for programs that ordinary office
// work and Windows itself do not start. The rest of a policy's denied children are stopped for Office, Outlook and
// Adobe Reader by ASR rules, and reported as "not enforced" for other guarded applications.

export interface DeniableProgram {
  /** The file name as the policy sets write it; App Control matches it against OriginalFileName (version resource). */
  name: string;
  /** Also deny in enforce mode, or only in lockdown. */
  from: 'enforce' | 'lockdown';
}

export const DENIABLE: readonly DeniableProgram[] = [
  { name: 'mshta.exe', from: 'enforce' },
  { name: 'msbuild.exe', from: 'enforce' },
  { name: 'installutil.exe', from: 'enforce' },
  { name: 'regasm.exe', from: 'enforce' },
  { name: 'regsvcs.exe', from: 'enforce' },
  { name: 'cmstp.exe', from: 'enforce' },
  { name: 'msxsl.exe', from: 'enforce' },
  { name: 'ieexec.exe', from: 'enforce' },
  { name: 'presentationhost.exe', from: 'enforce' },
  { name: 'mavinject.exe', from: 'enforce' },
  { name: 'xwizard.exe', from: 'enforce' },
  { name: 'odbcconf.exe', from: 'enforce' },
  { name: 'finger.exe', from: 'enforce' },
  { name: 'tftp.exe', from: 'enforce' },
  { name: 'bitsadmin.exe', from: 'enforce' },
  { name: 'hh.exe', from: 'lockdown' },
  { name: 'wscript.exe', from: 'lockdown' },
  { name: 'cscript.exe', from: 'lockdown' },
  { name: 'certutil.exe', from: 'lockdown' },
  { name: 'wmic.exe', from: 'lockdown' },
  { name: 'ftp.exe', from: 'lockdown' },
];

/** Windows program names in a set (those ending .exe/.com/.scr), lower-cased and sorted. */
export function windowsPrograms(names: Iterable<string>): string[] {
  return [...new Set([...names].map((n) => n.toLowerCase()).filter((n) => /\.(exe|com|scr)$/.test(n)))].sort();
}
