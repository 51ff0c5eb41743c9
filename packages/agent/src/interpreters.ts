// Script interpreters on Linux: which program images are interpreters (the Linux members of @shells and
// @script-hosts, version suffixes allowed: python3.11, ruby3.1, php8.2), their language, and when a file one of them
// opens is a script it runs rather than data it reads.
//
// A file an interpreter opens is a SCRIPT READ when (fapolicyd's language rules, made explicit):
//   (a) it is the script the command line names: the first argument that is not an option (`python3 x.py`,
//       `bash payload`); options that take a value are skipped, and -c/-e/-m mean "no script file";
//   (b) its name has the extension of the interpreter's language (`import evil` opens evil.py, `. x.sh`,
//       `require("./x.js")`);
//   (c) it starts with `#!` naming an interpreter of the same language.
// Anything else it opens is data (`open("data.csv")`, `while read l; do ...; done < list`) and is not decided.
// A shell's own start-up files (~/.bashrc, ~/.profile, ...) are configuration, not scripts from a download: they are
// never script reads. Who may WRITE them is the policy's business (@autostart; guarded applications cannot).
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { NAME_SETS } from '@omamori/policy';
import type { FileKind } from './file-kind.ts';

export type Language = 'shell' | 'python' | 'perl' | 'ruby' | 'php' | 'node' | 'lua' | 'tcl';

const LANGUAGE: Record<string, Language> = {
  sh: 'shell', bash: 'shell', dash: 'shell', zsh: 'shell', ksh: 'shell', mksh: 'shell', csh: 'shell', tcsh: 'shell',
  fish: 'shell', busybox: 'shell', python: 'python', perl: 'perl', ruby: 'ruby', php: 'php', node: 'node',
  nodejs: 'node', lua: 'lua', luajit: 'lua', tclsh: 'tcl', wish: 'tcl',
};

const EXTENSIONS: Record<Language, readonly string[]> = {
  shell: ['.sh', '.bash', '.zsh', '.ksh', '.csh', '.fish'],
  python: ['.py', '.pyc', '.pyo', '.pyw', '.pyz'],
  perl: ['.pl', '.pm', '.pmc', '.plx'],
  ruby: ['.rb', '.rbw'],
  php: ['.php', '.phtml', '.php3', '.php4', '.php5', '.php7', '.php8', '.phar', '.phps'],
  node: ['.js', '.mjs', '.cjs'],
  lua: ['.lua'],
  tcl: ['.tcl', '.tk'],
};

/** Options that take the next argument as their value, per language (so it is not taken for the script). */
const VALUE_OPTIONS: Record<Language, readonly string[]> = {
  shell: ['-o', '+o', '-O', '+O', '--rcfile', '--init-file'],
  python: ['-W', '-X', '--check-hash-based-pycs'],
  perl: ['-I', '-M', '-m', '-x'],
  ruby: ['-I', '-r', '-C', '-E', '-F', '-K', '-T', '-W', '--encoding', '--external-encoding', '--internal-encoding'],
  php: ['-c', '-d', '-z', '-t'],
  node: ['-r', '--require', '--import', '--loader', '--experimental-loader', '--input-type', '--env-file', '--conditions', '-C', '--title'],
  lua: ['-l'],
  tcl: ['-encoding'],
};

/** Options after which there is no script file (inline code, a module by name, stdin). */
const INLINE: Record<Language, readonly string[]> = {
  shell: ['-c', '-s'], python: ['-c', '-m', '-'], perl: ['-e', '-E', '-'], ruby: ['-e', '-'], php: ['-r', '-a', '-R', '-B', '-E', '-F'],
  node: ['-e', '--eval', '-p', '--print', '-'], lua: ['-e', '-'], tcl: [],
};

/** Start-up files shells read as configuration ($HOME-relative or absolute). */
const STARTUP_HOME = ['.bashrc', '.bash_profile', '.bash_login', '.profile', '.bash_logout', '.bash_aliases',
  '.zshrc', '.zprofile', '.zshenv', '.zlogin', '.zlogout', '.kshrc', '.mkshrc', '.shrc', '.cshrc', '.tcshrc', '.login', '.logout'];
const STARTUP_ABS = ['/etc/profile', '/etc/bash.bashrc', '/etc/bash.bash_logout', '/etc/zsh/zshrc', '/etc/zsh/zprofile',
  '/etc/zsh/zshenv', '/etc/zsh/zlogin', '/etc/environment'];

/** `python3.11` → `python`, `ruby3.1` → `ruby`, `perl5.36.0` → `perl`, `php8.2` → `php`; others unchanged. */
export function unversioned(name: string): string {
  return name.replace(/[\d.]+$/, '') || name;
}

/** The language of an interpreter image (by its file name), or undefined when it is not an interpreter. */
export function languageOf(image: string): Language | undefined {
  const n = basename(image);
  return LANGUAGE[n] ?? LANGUAGE[unversioned(n)];
}

/**
 * Every image name (without its version suffix) the agent treats as an interpreter: the Linux members of the policy's
 * @shells and @script-hosts that have a language here, and the other names `languageOf` knows (nodejs, luajit …).
 */
export function interpreterNames(): string[] {
  const fromSets = [...(NAME_SETS.shells ?? []), ...(NAME_SETS['script-hosts'] ?? [])].filter((n) => !n.includes('.') && languageOf(n) !== undefined);
  return [...new Set([...fromSets, ...Object.keys(LANGUAGE)])];
}

/** Every language's script extensions (the native side's "data without asking" check: a superset of rule (b)). */
export function scriptExtensions(): string[] {
  return [...new Set(Object.values(EXTENSIONS).flat())];
}

const BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** (dev, ino) of every interpreter installed in the usual directories (versioned names found by listing). */
export function installedInterpreters(listDir: (dir: string) => string[]): { path: string; dev: number; ino: bigint }[] {
  const out = new Map<string, { path: string; dev: number; ino: bigint }>();
  for (const dir of BIN_DIRS) {
    let names: string[];
    try { names = listDir(dir); } catch { continue; }
    for (const n of names) {
      if (languageOf(n) === undefined) continue;
      try {
        const st = statSync(`${dir}/${n}`, { bigint: true });
        if (st.isFile()) out.set(`${st.dev}:${st.ino}`, { path: `${dir}/${n}`, dev: Number(st.dev), ino: st.ino });
      } catch { /* dangling link */ }
    }
  }
  return [...out.values()];
}

/** The script file argument of an interpreter's command line (argv[0] is the interpreter), if any. */
export function scriptArgument(lang: Language, argv: readonly string[]): string | undefined {
  const takesValue = VALUE_OPTIONS[lang], inline = INLINE[lang];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (inline.includes(a) || (lang === 'python' && /^-[A-Za-z]*[cm]$/.test(a))) return undefined;
    if (takesValue.includes(a)) { i++; continue; }
    if (a.startsWith('-') || (lang === 'shell' && a.startsWith('+'))) continue;
    return a;
  }
  return undefined;
}

export function isStartupFile(path: string, home: string | undefined): boolean {
  if (STARTUP_ABS.includes(path)) return true;
  if (!home) return false;
  const h = home.endsWith('/') ? home : home + '/';
  return path.startsWith(h) && STARTUP_HOME.includes(path.slice(h.length));
}

export interface ScriptReadQuery {
  /** The interpreter's image. */
  image: string;
  argv: readonly string[];
  /** Resolves an argument as the opener would (relative to its cwd) to a canonical path. */
  resolveArg: (arg: string) => string;
  /** The opened file's canonical path and what its header says it is. */
  path: string;
  kind: FileKind;
  home?: string | undefined;
}

/** Why a file an interpreter opens is a script it runs, or undefined when it is data (rules at the top). */
export function scriptReadReason(q: ScriptReadQuery): 'argument' | 'extension' | 'shebang' | undefined {
  const lang = languageOf(q.image);
  if (lang === undefined) return undefined;
  if (lang === 'shell' && isStartupFile(q.path, q.home)) return undefined;
  const arg = scriptArgument(lang, q.argv);
  if (arg !== undefined && q.resolveArg(arg) === q.path) return 'argument';
  const name = basename(q.path);
  const dot = name.lastIndexOf('.');
  if (dot > 0 && EXTENSIONS[lang].includes(name.slice(dot).toLowerCase())) return 'extension';
  if (q.kind.kind === 'script') {
    const first = basename(q.kind.interpreter) === 'env' ? q.kind.arg?.split(/\s+/).find((w) => !w.startsWith('-')) : q.kind.interpreter;
    if (first !== undefined && languageOf(first) === lang) return 'shebang';
  }
  return undefined;
}
