// What a Windows program's command line names as code to run: the script a script host runs (`wscript x.vbs`,
// `powershell -File x.ps1`, `cmd /c x.bat`, `mshta x.hta`, `python x.py`) and the module a proxy loader loads
// (`rundll32 x.dll,Entry`, `regsvr32 x.dll`, `InstallUtil x.dll`, `control x.cpl`, `msiexec /y x.dll` …). The engine
// decides that file by launch control, whatever started the program. Pure string work, no I/O.

export interface NamedCode {
  /** The file as resolved (Windows form), or the URL for remote code. */
  path: string;
  kind: 'script' | 'module';
  /** Code fetched from the network at run time (`regsvr32 /i:https://… scrobj.dll`, `mshta https://…`). */
  remote: boolean;
}

/** Splits a command line as Windows' CommandLineToArgvW does (quotes, backslashes before quotes). */
export function splitWindowsCommandLine(cmd: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = cmd.length;
  while (i < n) {
    while (i < n && (cmd[i] === ' ' || cmd[i] === '\t')) i++;
    if (i >= n) break;
    let arg = '';
    let quoted = false;
    for (; i < n; i++) {
      const c = cmd[i]!;
      if (c === '\\') {
        let k = i;
        while (k < n && cmd[k] === '\\') k++;
        const count = k - i;
        if (cmd[k] === '"') {
          arg += '\\'.repeat(count >> 1);
          if (count % 2 === 1) { arg += '"'; i = k; continue; }
          i = k - 1;
          continue;
        }
        arg += '\\'.repeat(count);
        i = k - 1;
        continue;
      }
      if (c === '"') {
        if (quoted && cmd[i + 1] === '"') { arg += '"'; i++; continue; }
        quoted = !quoted;
        continue;
      }
      if (!quoted && (c === ' ' || c === '\t')) break;
      arg += c;
    }
    out.push(arg);
  }
  return out;
}

// Bare module names Windows ships in System32: the loader searches System32 before the working folder, so a bare
// name from this list is the system's copy (an attacker's file of the same name in the working folder is never
// reached). Every other bare name resolves against the working folder.
const SYSTEM_MODULES = new Set([
  'shell32.dll', 'url.dll', 'zipfldr.dll', 'advpack.dll', 'ieadvpack.dll', 'ieframe.dll', 'shdocvw.dll', 'pcwutl.dll',
  'comsvcs.dll', 'printui.dll', 'mshtml.dll', 'setupapi.dll', 'syssetup.dll', 'user32.dll', 'kernel32.dll',
  'shimgvw.dll', 'dfshim.dll', 'davclnt.dll', 'keymgr.dll', 'powrprof.dll', 'scrobj.dll', 'themeui.dll', 'twext.dll',
  'appxdeploymentextensions.onecore.dll', 'desk.cpl', 'appwiz.cpl', 'main.cpl', 'timedate.cpl', 'inetcpl.cpl',
  'sysdm.cpl', 'ncpa.cpl', 'mmsys.cpl', 'intl.cpl', 'powercfg.cpl', 'firewall.cpl', 'hdwwiz.cpl', 'joy.cpl',
  'wscui.cpl', 'bthprops.cpl', 'tabletpc.cpl', 'telephon.cpl', 'irprops.cpl',
]);

const VARS: [RegExp, string][] = [
  [/%appdata%/gi, 'C:\\Users\\user\\AppData\\Roaming'],
  [/%localappdata%/gi, 'C:\\Users\\user\\AppData\\Local'],
  [/%temp%|%tmp%/gi, 'C:\\Users\\user\\AppData\\Local\\Temp'],
  [/%userprofile%/gi, 'C:\\Users\\user'],
  [/%public%/gi, 'C:\\Users\\Public'],
  [/%programdata%|%allusersprofile%/gi, 'C:\\ProgramData'],
  [/%systemroot%|%windir%/gi, 'C:\\Windows'],
  [/%systemdrive%/gi, 'C:'],
  [/%programfiles\(x86\)%/gi, 'C:\\Program Files (x86)'],
  [/%programfiles%/gi, 'C:\\Program Files'],
];

/** Expands the usual folder variables to sample folders of the same kind (`%TEMP%` → a user's Temp). */
export function expandWindowsVariables(s: string): string {
  if (!s.includes('%')) return s;
  let out = s;
  for (const [re, to] of VARS) out = out.replace(re, to);
  return out;
}

const URL_RE = /^(?:https?|ftp):\/\//i;

function isAbsolute(p: string): boolean {
  return /^[a-zA-Z]:[\\/]/.test(p) || p.startsWith('\\\\') || p.startsWith('//');
}

/** Joins a relative name to a folder, resolving `.` and `..`. */
function join(dir: string, rel: string): string {
  const parts = dir.replace(/[\\/]+$/, '').split(/[\\/]/);
  for (const seg of rel.split(/[\\/]/)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') { if (parts.length > 1) parts.pop(); continue; }
    parts.push(seg);
  }
  return parts.join('\\');
}

type Search = 'cwd' | 'system-first';

/**
 * The file a command-line token names: quotes and `file://` stripped, folder variables expanded, relative names
 * resolved against `cwd` (bare module names of `SYSTEM_MODULES` against System32 for loaders that search it first).
 * Undefined when it cannot be told (a relative name without a working directory).
 */
function resolve(token: string, cwd: string | undefined, search: Search): { path: string; remote: boolean } | undefined {
  let t = token.trim().replace(/^['"]+|['"]+$/g, '').trim();
  if (t === '') return undefined;
  if (URL_RE.test(t)) return { path: t, remote: true };
  if (/^file:/i.test(t)) t = t.replace(/^file:\/*/i, '').replace(/\//g, '\\');
  t = expandWindowsVariables(t);
  if (isAbsolute(t)) return { path: t, remote: false };
  if (/^[\\/]/.test(t)) {
    // Root-relative: the working directory's drive (the system drive when unknown).
    const drive = cwd && /^[a-zA-Z]:/.test(cwd) ? cwd.slice(0, 2) : 'C:';
    return { path: drive + t.replace(/\//g, '\\'), remote: false };
  }
  const bare = !/[\\/]/.test(t);
  if (bare && search === 'system-first' && SYSTEM_MODULES.has(t.toLowerCase())) {
    return { path: `C:\\Windows\\System32\\${t}`, remote: false };
  }
  if (!cwd || !isAbsolute(cwd)) return undefined;
  return { path: join(cwd, t), remote: false };
}

function named(token: string | undefined, kind: NamedCode['kind'], cwd: string | undefined, search: Search, out: NamedCode[]): void {
  if (token === undefined) return;
  const r = resolve(token, cwd, search);
  if (r) out.push({ path: r.path, kind, remote: r.remote });
}

/** Arguments after the program itself (the first token). */
function argsOf(commandLine: string): string[] {
  return splitWindowsCommandLine(commandLine).slice(1);
}

const isOption = (a: string) => a.startsWith('/') || a.startsWith('-');

function scriptHost(args: string[], cwd: string | undefined, out: NamedCode[]): void {
  // wscript/cscript: host options start with `/` or `//` (`//B`, `/e:JScript.Encode`); the first other is the script.
  named(args.find((a) => !a.startsWith('/')), 'script', cwd, 'cwd', out);
}

function mshta(args: string[], cwd: string | undefined, out: NamedCode[]): void {
  const a = args.find((x) => !/^[-/]embedding$/i.test(x) && !/^\{[0-9a-f-]+\}$/i.test(x));
  if (a === undefined || /^(vbscript|javascript|about):/i.test(a)) return; // inline script: no file to judge
  named(a, 'script', cwd, 'cwd', out);
}

// PowerShell parameters that take a value (by their shortest accepted prefixes).
const PS_VALUE = /^[-/](ex|ep|executionpolicy|w|wi|win|windowstyle|v|ve|version|psc|psconsolefile|o|of|outputformat|i|if|inputformat|config|configurationname|wd|workingdirectory|settingsfile|custompipename|encodedarguments|ea)$/i;

/** The script a PowerShell command text invokes: `& 'x.ps1' …`, `. .\x.ps1`, `C:\x.ps1 -a`. */
function psCommandScript(text: string): string | undefined {
  const t = text.trim().replace(/^[&.]\s*/, '');
  const m = /^(?:'([^']+)'|"([^"]+)"|([^\s;|'"]+))/.exec(t);
  const first = m?.[1] ?? m?.[2] ?? m?.[3];
  return first !== undefined && /\.ps1$/i.test(first) ? first : undefined;
}

function powershell(args: string[], cwd: string | undefined, out: NamedCode[], positionalIsFile: boolean): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (/^[-/](f|fi|fil|file)$/i.test(a)) {
      const f = args[i + 1];
      if (f !== undefined && f !== '-') named(f, 'script', cwd, 'cwd', out);
      return;
    }
    if (/^[-/](c|co|com|comm|comma|comman|command)$/i.test(a)) {
      const s = psCommandScript(args.slice(i + 1).join(' '));
      if (s) named(s, 'script', cwd, 'cwd', out);
      return;
    }
    if (/^[-/](e|ec|en|enc|enco|encod|encode|encoded|encodedc|encodedcommand)$/i.test(a)) return;
    if (PS_VALUE.test(a)) { i++; continue; }
    if (isOption(a)) continue;
    // First positional: pwsh runs it as -File, Windows PowerShell as -Command.
    if (positionalIsFile) named(a, 'script', cwd, 'cwd', out);
    else { const s = psCommandScript(args.slice(i).join(' ')); if (s) named(s, 'script', cwd, 'cwd', out); }
    return;
  }
}

function cmd(commandLine: string, cwd: string | undefined, out: NamedCode[]): void {
  const args = commandLine.replace(/^\s*("[^"]*"|\S+)/, '');
  const m = /(?:^|\s)\/[ck]\s*/i.exec(args);
  if (!m) return;
  let rest = args.slice(m.index + m[0].length).trim();
  // cmd strips the first and the last quote when the command starts with a quote that does not simply enclose the
  // first word (`/c ""C:\x y\a.bat" arg"`), and one pair of quotes around the whole command.
  if (rest.startsWith('""') || (rest.startsWith('"') && rest.endsWith('"') && rest.indexOf('"', 1) === rest.length - 1)) {
    rest = rest.slice(1, rest.lastIndexOf('"'));
  }
  if (/^call\s/i.test(rest)) rest = rest.slice(5).trim();
  const t = /^(?:"([^"]+)"|([^\s&|<>()]+))/.exec(rest);
  const first = t?.[1] ?? t?.[2];
  if (first !== undefined && /\.(bat|cmd)$/i.test(first)) named(first, 'script', cwd, 'cwd', out);
}

function python(args: string[], cwd: string | undefined, out: NamedCode[]): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '-m' || a === '-') return;
    if (a === '-W' || a === '-X') { i++; continue; }
    if (a.startsWith('-')) continue;
    named(a, 'script', cwd, 'cwd', out);
    return;
  }
}

function rundll32(commandLine: string, cwd: string | undefined, out: NamedCode[]): void {
  const rest = commandLine.replace(/^\s*("[^"]*"|\S+)\s*/, '');
  // Inline script through mshtml: only a scriptlet fetched from the network names code (see `namedCode`).
  if (/^['"]?(javascript|vbscript):/i.test(rest)) return;
  // `DLL,Entry args`, `"DLL",Entry args`, `DLL Entry args`, `DLL, Entry args`.
  const m = /^(?:"([^"]+)"|'([^']+?)'|([^\s,]+))\s*,?\s*([^\s,]*)\s*(.*)$/.exec(rest);
  if (!m) return;
  const dll = (m[1] ?? m[2] ?? m[3] ?? '').replace(/,[^\\/]*$/, '');
  const entry = (m[4] ?? '').toLowerCase();
  const args = splitWindowsCommandLine(m[5] ?? '');
  named(dll, 'module', cwd, 'system-first', out);
  const base = dll.slice(Math.max(dll.lastIndexOf('\\'), dll.lastIndexOf('/')) + 1).toLowerCase();
  const firstArg = args[0]?.replace(/,+$/, '');
  if (base === 'shell32.dll' && (entry === 'control_rundll' || entry === 'control_rundllasuser' || entry === '#44')) {
    named(firstArg?.replace(/,.*$/, ''), 'module', cwd, 'system-first', out);
  } else if ((base === 'advpack.dll' || base === 'ieadvpack.dll') && entry === 'registerocx') {
    named(firstArg, 'module', cwd, 'system-first', out);
  } else if ((base === 'advpack.dll' || base === 'ieadvpack.dll') && entry.startsWith('launchinfsection')) {
    named(firstArg?.replace(/,.*$/, ''), 'script', cwd, 'cwd', out);
  } else if ((base === 'setupapi.dll' || base === 'syssetup.dll') && entry === 'installhinfsection') {
    named(args[args.length - 1], 'script', cwd, 'cwd', out);
  }
}

function regsvr32(args: string[], cwd: string | undefined, out: NamedCode[]): void {
  let dll: string | undefined;
  for (const a of args) {
    const i = /^[-/]i(?::(.*))?$/i.exec(a);
    if (i) {
      const v = i[1];
      // `/i:URL` makes scrobj.dll fetch and run a remote scriptlet; a local `.sct`/path is a script file.
      if (v !== undefined && (URL_RE.test(v.replace(/^['"]/, '')) || /[\\/]|\.(sct|xml)$/i.test(v))) named(v, 'script', cwd, 'cwd', out);
      continue;
    }
    if (isOption(a)) continue;
    dll ??= a;
  }
  named(dll, 'module', cwd, 'system-first', out);
}

function firstPlain(args: string[]): string | undefined {
  return args.find((a) => !isOption(a));
}

/**
 * The code a program's command line names, for the programs that run or load a file named there. Empty when the
 * program is none of them, or names nothing resolvable. `imageName` is the lower-cased file name of the image.
 */
export function namedCode(imageName: string, commandLine: string | undefined, cwd?: string): NamedCode[] {
  if (!commandLine) return [];
  const out: NamedCode[] = [];
  // A scriptlet moniker (`GetObject("script:https://…")`, pubprn.vbs's argument) makes the host fetch and run it.
  const moniker = SCRIPT_MONIKER_HOSTS.has(imageName) ? /script:(https?:\/\/[^"')\s;]+)/i.exec(commandLine) : null;
  if (moniker) out.push({ path: moniker[1]!, kind: 'script', remote: true });
  switch (imageName) {
    case 'wscript.exe': case 'cscript.exe': scriptHost(argsOf(commandLine), cwd, out); break;
    case 'mshta.exe': mshta(argsOf(commandLine), cwd, out); break;
    // hh takes one argument, often an unquoted path with spaces.
    case 'hh.exe': { const a = argsOf(commandLine).filter((x) => !isOption(x)).join(' '); if (a) named(a, 'script', cwd, 'cwd', out); break; }
    case 'powershell.exe': powershell(argsOf(commandLine), cwd, out, false); break;
    case 'pwsh.exe': powershell(argsOf(commandLine), cwd, out, true); break;
    case 'cmd.exe': cmd(commandLine, cwd, out); break;
    case 'python.exe': case 'pythonw.exe': case 'python3.exe': case 'py.exe': python(argsOf(commandLine), cwd, out); break;
    case 'rundll32.exe': rundll32(commandLine, cwd, out); break;
    case 'regsvr32.exe': regsvr32(argsOf(commandLine), cwd, out); break;
    case 'installutil.exe': case 'regasm.exe': case 'regsvcs.exe':
      named(firstPlain(argsOf(commandLine)), 'module', cwd, 'cwd', out); break;
    case 'control.exe': {
      const a = firstPlain(argsOf(commandLine))?.replace(/,.*$/, '');
      if (a !== undefined && /\.cpl$/i.test(a)) named(a, 'module', cwd, 'system-first', out);
      break;
    }
    case 'cmstp.exe': named(firstPlain(argsOf(commandLine)), 'module', cwd, 'cwd', out); break;
    case 'odbcconf.exe': {
      const reg = /\{\s*regsvr\s+("[^"]+"|[^}]+?)\s*\}/i.exec(commandLine);
      if (reg) named(reg[1], 'module', cwd, 'system-first', out);
      const rsp = /(?:^|\s)[-/]f\s+("[^"]+"|\S+)/i.exec(commandLine);
      if (rsp) named(rsp[1], 'script', cwd, 'cwd', out);
      break;
    }
    case 'msiexec.exe': {
      const args = argsOf(commandLine);
      const i = args.findIndex((a) => /^[-/][yz]$/i.test(a));
      if (i >= 0) named(args[i + 1], 'module', cwd, 'system-first', out);
      break;
    }
    case 'mavinject.exe': {
      const args = argsOf(commandLine);
      const i = args.findIndex((a) => /^[-/]injectrunning$/i.test(a));
      if (i >= 0) named(args[i + 1], 'module', cwd, 'system-first', out);
      break;
    }
    case 'register-cimprovider.exe': {
      const args = argsOf(commandLine);
      const i = args.findIndex((a) => /^-path$/i.test(a));
      if (i >= 0) named(args[i + 1], 'module', cwd, 'cwd', out);
      break;
    }
    case 'wmic.exe': {
      const f = /\/format:("[^"]+"|\S+)/i.exec(commandLine);
      const v = f?.[1]?.replace(/^"|"$/g, '');
      if (v !== undefined && (URL_RE.test(v) || /[\\/]|\.xsl$/i.test(v))) named(v, 'script', cwd, 'cwd', out);
      break;
    }
  }
  return out;
}

const SCRIPT_MONIKER_HOSTS = new Set(['wscript.exe', 'cscript.exe', 'mshta.exe', 'rundll32.exe']);

/** Image names whose start decision depends on the command line (never cached). */
export const COMMAND_LINE_HOSTS: ReadonlySet<string> = new Set([
  'wscript.exe', 'cscript.exe', 'mshta.exe', 'hh.exe', 'powershell.exe', 'pwsh.exe', 'cmd.exe', 'python.exe',
  'pythonw.exe', 'python3.exe', 'py.exe', 'rundll32.exe', 'regsvr32.exe', 'installutil.exe', 'regasm.exe',
  'regsvcs.exe', 'control.exe', 'cmstp.exe', 'odbcconf.exe', 'msiexec.exe', 'mavinject.exe', 'register-cimprovider.exe',
  'wmic.exe',
]);
