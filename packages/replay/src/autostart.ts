// Windows autostart locations in the registry: which key/value writes make code start later (persistence), and
// which values carry the command. Everything else in the registry is not persistence and is only counted.
import type { PersistenceLocation } from '@omamori/policy';

export interface AutostartMatch {
  location: PersistenceLocation;
  /** Short name of the location for reports, e.g. `Run`, `Winlogon\Userinit`. */
  name: string;
  /** Whether the written value is the command that will start (so it can be checked for user-space code). */
  valueIsCommand: boolean;
}

interface Rule { re: RegExp; location: PersistenceLocation; name: string; valueIsCommand: boolean }

// Patterns over the key path with the hive prefix removed (HKLM\, HKU\SID\, HKCU\, \REGISTRY\MACHINE\ …),
// lower-cased, backslashes kept. Order matters: the first match wins.
const RULES: Rule[] = [
  { re: /\\currentversion\\(run|runonce|runonceex|runservices|runservicesonce)(\\|$)/, location: 'registry-run', name: 'Run', valueIsCommand: true },
  { re: /\\policies\\explorer\\run(\\|$)/, location: 'registry-run', name: 'Policies\\Explorer\\Run', valueIsCommand: true },
  { re: /\\winlogon\\(userinit|shell|taskman|appsetup|vmapplet)$/, location: 'logon', name: 'Winlogon', valueIsCommand: true },
  { re: /\\winlogon\\notify\\/, location: 'logon', name: 'Winlogon\\Notify', valueIsCommand: true },
  { re: /^(system\\)?(currentcontrolset|controlset\d+)\\services\\[^\\]+\\(imagepath|failurecommand)$/, location: 'service', name: 'Services', valueIsCommand: true },
  { re: /^(system\\)?(currentcontrolset|controlset\d+)\\services\\[^\\]+\\parameters\\servicedll$/, location: 'service', name: 'Services\\ServiceDll', valueIsCommand: true },
  { re: /\\image file execution options\\[^\\]+\\(debugger|verifierdlls)$/, location: 'debugger', name: 'Image File Execution Options', valueIsCommand: true },
  { re: /\\silentprocessexit\\[^\\]+\\monitorprocess$/, location: 'debugger', name: 'SilentProcessExit', valueIsCommand: true },
  { re: /\\windows nt\\currentversion\\windows\\(appinit_dlls|load|run)$/, location: 'other', name: 'AppInit_DLLs/Load', valueIsCommand: true },
  { re: /\\control\\session manager\\(bootexecute|setupexecute|execute)$/, location: 'other', name: 'Session Manager', valueIsCommand: true },
  { re: /\\control\\lsa\\(authentication packages|security packages|notification packages)$/, location: 'other', name: 'Lsa packages', valueIsCommand: true },
  { re: /^environment\\userinitmprlogonscript$/, location: 'logon', name: 'UserInitMprLogonScript', valueIsCommand: true },
  { re: /\\command processor\\autorun$/, location: 'other', name: 'Command Processor\\AutoRun', valueIsCommand: true },
  { re: /\\active setup\\installed components\\[^\\]+\\stubpath$/, location: 'other', name: 'Active Setup', valueIsCommand: true },
  { re: /\\office test\\special\\perf(\\|$)/, location: 'other', name: 'Office test', valueIsCommand: true },
  { re: /\\control\\print\\monitors\\[^\\]+\\driver$/, location: 'other', name: 'Print Monitors', valueIsCommand: true },
  { re: /\\netsh\\[^\\]+$/, location: 'other', name: 'Netsh helper', valueIsCommand: true },
  { re: /\\w32time\\timeproviders\\[^\\]+\\dllname$/, location: 'other', name: 'Time provider', valueIsCommand: true },
  { re: /\\explorer\\(user )?shell folders\\(common )?startup$/, location: 'startup-folder', name: 'Startup folder path', valueIsCommand: true },
  { re: /^(software\\)?classes\\clsid\\[^\\]+\\(inprocserver32|localserver32)\\\(default\)$/, location: 'other', name: 'COM server (HKCU)', valueIsCommand: true },
];

/** Strips the hive from a registry path: `HKU\S-1-5-21-…\Software\…` → `software\…` (lower case). */
export function registryTail(key: string): { hive: 'machine' | 'user' | 'unknown'; tail: string } {
  const k = key.toLowerCase();
  let m = /^(?:hklm|hkey_local_machine|\\registry\\machine)\\(.*)$/.exec(k);
  if (m) return { hive: 'machine', tail: m[1]! };
  m = /^(?:hku|hkey_users|\\registry\\user)\\[^\\]+\\(.*)$/.exec(k);
  if (m) return { hive: 'user', tail: m[1]! };
  m = /^(?:hkcu|hkey_current_user)\\(.*)$/.exec(k);
  if (m) return { hive: 'user', tail: m[1]! };
  m = /^hkcr\\(.*)$/.exec(k);
  if (m) return { hive: 'machine', tail: `software\\classes\\${m[1]!}` };
  return { hive: 'unknown', tail: k };
}

/** The autostart location a registry value lies in, or undefined. `key` is Sysmon's TargetObject. */
export function classifyRegistry(key: string): AutostartMatch | undefined {
  const { hive, tail } = registryTail(key);
  for (const r of RULES) {
    if (!r.re.test(tail)) continue;
    // Per-user COM registrations only hijack when written under the user's hive.
    if (r.name === 'COM server (HKCU)' && hive !== 'user') continue;
    return { location: r.location, name: r.name, valueIsCommand: r.valueIsCommand };
  }
  return undefined;
}

/** Sysmon's rendering of a written value → the command text, or undefined for numbers, binary and empty values. */
export function registryCommand(details: string | undefined): string | undefined {
  if (details === undefined) return undefined;
  const d = details.trim();
  if (d === '' || d === '(Empty)' || /^(DWORD|QWORD) \(/.test(d) || d.startsWith('Binary Data')) return undefined;
  return d;
}

const ENV: [RegExp, string][] = [
  [/%appdata%/gi, 'C:\\Users\\user\\AppData\\Roaming'],
  [/%localappdata%/gi, 'C:\\Users\\user\\AppData\\Local'],
  [/%temp%|%tmp%/gi, 'C:\\Users\\user\\AppData\\Local\\Temp'],
  [/%userprofile%/gi, 'C:\\Users\\user'],
  [/%public%/gi, 'C:\\Users\\Public'],
  [/%programdata%|%allusersprofile%/gi, 'C:\\ProgramData'],
  [/%systemroot%|%windir%/gi, 'C:\\Windows'],
  [/%systemdrive%/gi, 'C:'],
  [/%programfiles%/gi, 'C:\\Program Files'],
  [/%programfiles\(x86\)%/gi, 'C:\\Program Files (x86)'],
];

/**
 * Expands the usual folder variables of a command to sample paths (`%APPDATA%` → `C:\Users\user\AppData\Roaming`),
 * so the engine can tell whether it starts user-space code; `\SystemRoot\` and `\??\` prefixes likewise.
 */
export function expandCommand(command: string): string {
  // Some collectors double the percent signs of variables (`%%SystemRoot%%`).
  let c = command.replace(/%%([A-Za-z()0-9_ ]+)%%/g, '%$1%');
  for (const [re, to] of ENV) c = c.replace(re, to);
  return c.replace(/(^|[\s"])\\systemroot\\/gi, '$1C:\\Windows\\').replace(/(^|[\s"])\\\?\?\\/g, '$1');
}

// Keys whose creation is itself an autostart entry (Sysmon 12 CreateKey, 14 RenameKey): a new service, a debugger
// for an executable, an Active Setup component. Values under them are checked by `classifyRegistry`.
const KEY_RULES: Rule[] = [
  { re: /^(system\\)?(currentcontrolset|controlset\d+)\\services\\[^\\]+$/, location: 'service', name: 'Services', valueIsCommand: false },
  { re: /\\image file execution options\\[^\\]+$/, location: 'other', name: 'Image File Execution Options', valueIsCommand: false },
  { re: /\\active setup\\installed components\\[^\\]+$/, location: 'other', name: 'Active Setup', valueIsCommand: false },
  { re: /\\winlogon\\notify\\[^\\]+$/, location: 'other', name: 'Winlogon\\Notify', valueIsCommand: false },
];

/**
 * The code file a command starts: the quoted first word, or the longest leading text ending in a program or
 * module extension (services often hold unquoted paths with spaces). Undefined when it names no such file.
 */
export function commandFileOf(command: string): string | undefined {
  const c = command.trim();
  const q = /^"([^"]+)"/.exec(c);
  if (q) return q[1];
  const m = /^(.+?\.(?:exe|sys|dll|com|bat|cmd|scr|cpl|ocx|ps1|vbs|js))(?=[\s,]|$)/i.exec(c);
  return m ? m[1] : undefined;
}

/** The autostart location a newly created or renamed key stands for, or undefined. */
export function classifyKey(key: string): AutostartMatch | undefined {
  const { tail } = registryTail(key);
  for (const r of KEY_RULES) if (r.re.test(tail)) return { location: r.location, name: r.name, valueIsCommand: false };
  return undefined;
}
