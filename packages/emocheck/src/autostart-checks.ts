// Checks beyond EmoCheck v2.0 over autostart entries (Run/RunOnce keys, services, scheduled tasks, Startup folder)
// and running processes: the 2022–2023 loader pattern (regsvr32/rundll32 + DLL in a random-named folder under
// %LOCALAPPDATA%, %APPDATA% or ProgramData) and the generic rule "an autostart entry starts code from user space".
import { RUN_KEYS, SERVICES_KEY, type Snapshot } from './snapshot.ts';
import type { AutostartEntry, Finding, FoundFile } from './findings.ts';
import { baseName, classifyUserSpace, commandProgram, commandTargets, expandEnv, pathKey } from './paths.ts';

/** Every autostart entry of the snapshot, with the command it runs. */
export function autostartEntries(snap: Snapshot): AutostartEntry[] {
  const out: AutostartEntry[] = [];
  const runKeys = new Set<string>(RUN_KEYS.map((k) => k.toLowerCase()));
  for (const k of snap.registry) {
    if (!runKeys.has(k.key.toLowerCase())) continue;
    for (const v of k.values) {
      if (v.type === 'REG_SZ' || v.type === 'REG_EXPAND_SZ') out.push({ kind: 'run', location: `${k.key}\\${v.name}`, command: v.data });
    }
  }
  for (const s of snap.services) {
    if (s.imagePath) out.push({ kind: 'service', location: `${SERVICES_KEY}\\${s.name}`, command: s.imagePath });
    if (s.serviceDll) out.push({ kind: 'service', location: `${SERVICES_KEY}\\${s.name}\\Parameters\\ServiceDll`, command: `"${s.serviceDll}"` });
  }
  for (const t of snap.tasks) {
    if (!t.enabled) continue;
    for (const a of t.actions) {
      const exe = /\s/.test(a.execute) && !a.execute.startsWith('"') ? `"${a.execute}"` : a.execute;
      out.push({ kind: 'task', location: `task:${t.path}`, command: a.arguments ? `${exe} ${a.arguments}` : exe });
    }
  }
  for (const s of snap.startupItems) {
    const target = s.target ?? s.path;
    out.push({ kind: 'startup', location: s.path, command: s.arguments ? `"${target}" ${s.arguments}` : `"${target}"` });
  }
  return out;
}

function fileFacts(snap: Snapshot, path: string): FoundFile & { dirUserWritable: boolean | null } {
  const t = snap.files.find((f) => pathKey(f.path) === pathKey(path));
  return { path, size: t?.size ?? null, sha256: t?.sha256 ?? null, dirUserWritable: t?.dirUserWritable ?? null };
}

/**
 * Folder names under %LOCALAPPDATA%, %APPDATA% and ProgramData that legitimate software uses; never "random", and a
 * path through one of them is vendor-looking (review, not infected).
 */
const KNOWN_FOLDERS = new Set(['microsoft', 'google', 'mozilla', 'packages', 'programs', 'temp', 'adobe', 'apple',
  'intel', 'nvidia', 'amd', 'comms', 'crashdumps', 'd3dscache', 'publishers', 'virtualstore', 'connecteddevicesplatform',
  'peerdistrepub', 'onedrive', 'package cache', 'oracle', 'java', 'zoom', 'slack', 'discord', 'dropbox', 'dell', 'lenovo',
  'hp', 'hewlett-packard', 'citrix', 'cisco', 'logitech', 'logishrd', 'foxit software', 'foxit', 'realtek', 'synaptics',
  'vmware', 'webex', 'teams', 'sophos', 'symantec', 'mcafee', 'trend micro', 'eset', 'kaspersky', 'lab', 'jetbrains',
  'docker', 'github', 'spotify', 'steam', 'epson', 'canon', 'brother', 'ricoh', 'fujitsu', 'fujifilm', 'panasonic']);

const VOWELS = /[aeiou]/;
/**
 * Whether a folder or file name looks machine-made the way Emotet's 2020–2023 loaders make them ("Ifwkhhcedt",
 * "yzxotnbwd"): letters only, at least 5, and either four consonants in a row or fewer than one vowel in five.
 * Vendor and product names ("Logitech", "Citrix", "Lenovo", "Foxit") are pronounceable and fail both tests; names
 * with digits, spaces, dots or inner capitals (CamelCase product names) are never random. Known vendor folders
 * never are.
 */
export function looksRandomName(name: string): boolean {
  if (!/^[A-Za-z][a-z]{4,23}$/.test(name) || KNOWN_FOLDERS.has(name.toLowerCase())) return false;
  const lower = name.toLowerCase();
  let run = 0, longest = 0, vowels = 0;
  for (const ch of lower) {
    if (VOWELS.test(ch)) { vowels++; run = 0; } else { run++; longest = Math.max(longest, run); }
  }
  return longest >= 4 || vowels / lower.length < 0.2;
}

/** The same test, under the name the V4-era callers use. */
export const looksRandomFolder = looksRandomName;

/** If `path` lies below one of the bases (%LOCALAPPDATA%, %APPDATA%, ProgramData), which one and the folders between. */
function underBase(path: string, snap: Snapshot): { base: 'localAppData' | 'appData' | 'programData'; folders: string[]; file: string } | null {
  for (const base of ['localAppData', 'appData', 'programData'] as const) {
    const b = pathKey(snap.paths[base]);
    const p = pathKey(path);
    if (!p.startsWith(b + '\\')) continue;
    const rest = path.replace(/\//g, '\\').slice(b.length + 1).split('\\');
    if (rest.length < 2) return null;
    return { base, folders: rest.slice(0, -1), file: rest[rest.length - 1]! };
  }
  return null;
}

const LOADERS = new Set(['regsvr32.exe', 'regsvr32', 'rundll32.exe', 'rundll32']);
/** Entry points that register a DLL: regsvr32 calls DllRegisterServer (or DllInstall with /i). */
const REGISTRATION = /^(dllregisterserver|dllinstall|dllunregisterserver)$/i;

/** Keys `location|file` of findings that already name an autostart entry and its file. */
function reportedPairs(findings: Finding[]): Set<string> {
  return new Set(findings.filter((f) => f.autostart && f.file).map((f) => `${f.autostart!.location.toLowerCase()}|${pathKey(f.file!.path)}`));
}

interface LoaderTraits { base: string; folders: string[]; randomFolder: string | null; vendorFolder: string | null; randomFile: boolean; entry: string | null; registration: boolean }

/**
 * The 2022–2023 loader's own traits for a regsvr32/rundll32 command loading `target`: a machine-made folder name
 * below %LOCALAPPDATA%/%APPDATA%/ProgramData (any of up to three levels), no vendor folder on the way, a machine-made
 * file name, and a DLL registration entry point (regsvr32, or rundll32 …,DllRegisterServer).
 */
function loaderTraits(command: string, program: string, target: string, snap: Snapshot): LoaderTraits | null {
  const where = underBase(target, snap);
  if (!where || where.folders.length > 3) return null;
  const entryMatch = new RegExp(`${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\s*,\\s*([^\\s,"]+)`, 'i').exec(expandEnv(command, snap.paths));
  const entry = entryMatch ? entryMatch[1]! : null;
  const regsvr = program.startsWith('regsvr32');
  return {
    base: where.base, folders: where.folders,
    randomFolder: where.folders.find((f) => looksRandomName(f)) ?? null,
    vendorFolder: where.folders.find((f) => KNOWN_FOLDERS.has(f.toLowerCase()) && f.toLowerCase() !== 'temp') ?? null,
    randomFile: looksRandomName(where.file.replace(/\.[^.]*$/, '')),
    entry: regsvr ? (/\s\/i\b/i.test(command) ? 'DllInstall' : 'DllRegisterServer') : entry,
    registration: regsvr || (entry !== null && REGISTRATION.test(entry)),
  };
}

const infectedTraits = (t: LoaderTraits): boolean => t.randomFolder !== null && t.vendorFolder === null && t.randomFile && t.registration;

function traitEvidence(t: LoaderTraits, loader: string): Record<string, string> {
  const e: Record<string, string> = { loader, base: t.base, folder: t.folders.join('\\'), randomFolder: t.randomFolder ? 'yes' : 'no', randomFile: t.randomFile ? 'yes' : 'no', entryPoint: t.entry ?? '(none)' };
  if (t.vendorFolder) e.vendorFolder = t.vendorFolder;
  return e;
}

/**
 * regsvr32/rundll32 loading a non-.exe file from %LOCALAPPDATA%, %APPDATA% or ProgramData — started by an autostart
 * entry, or running now with no autostart entry. With all of the 2022–2023 loader's traits it is Emotet
 * (LOADER2022_AUTOSTART / LOADER2022_PROCESS, infected); otherwise LOADER_DLL_REVIEW (worth a look). Skips what
 * `already` reported.
 */
export function checkLoader2022(snap: Snapshot, entries: AutostartEntry[], already: Finding[]): Finding[] {
  const seen = reportedPairs(already);
  const out: Finding[] = [];
  const coveredFiles = new Set<string>();
  for (const e of entries) {
    const program = commandProgram(e.command);
    if (!LOADERS.has(program)) continue;
    for (const target of commandTargets(e.command, snap.paths)) {
      if (LOADERS.has(baseName(target).toLowerCase()) || /\.exe$/i.test(target)) continue;
      const t = loaderTraits(e.command, program, target, snap);
      if (!t || seen.has(`${e.location.toLowerCase()}|${pathKey(target)}`)) continue;
      const key = pathKey(target);
      coveredFiles.add(key);
      const p = snap.processes.find((x) => LOADERS.has(x.name.toLowerCase()) && x.commandLine !== null
        && pathKey(x.commandLine.replace(/"/g, '')).includes(key));
      const { dirUserWritable: _w, ...file } = fileFacts(snap, target);
      const infected = infectedTraits(t);
      out.push({ code: infected ? 'LOADER2022_AUTOSTART' : 'LOADER_DLL_REVIEW', method: 'loader2022', severity: infected ? 'infected' : 'review', emocheckEquivalent: false,
        process: p ? { pid: p.pid, name: p.name, imagePath: p.imagePath, commandLine: p.commandLine } : null,
        file, registryKey: e.location, autostart: e, evidence: traitEvidence(t, program) });
    }
  }
  const alreadyFiles = new Set(already.filter((f) => f.file).map((f) => pathKey(f.file!.path)));
  for (const p of snap.processes) {
    if (!LOADERS.has(p.name.toLowerCase()) || p.commandLine === null) continue;
    for (const target of commandTargets(p.commandLine, snap.paths)) {
      const key = pathKey(target);
      if (LOADERS.has(baseName(target).toLowerCase()) || /\.exe$/i.test(target) || coveredFiles.has(key) || alreadyFiles.has(key)) continue;
      const t = loaderTraits(p.commandLine, p.name.toLowerCase(), target, snap);
      if (!t) continue;
      coveredFiles.add(key);
      const { dirUserWritable: _w, ...file } = fileFacts(snap, target);
      const infected = infectedTraits(t);
      out.push({ code: infected ? 'LOADER2022_PROCESS' : 'LOADER_DLL_REVIEW', method: 'loader2022', severity: infected ? 'infected' : 'review', emocheckEquivalent: false,
        process: { pid: p.pid, name: p.name, imagePath: p.imagePath, commandLine: p.commandLine },
        file, registryKey: null, autostart: null, evidence: traitEvidence(t, p.name.toLowerCase()) });
    }
  }
  return out;
}

/** Any autostart entry whose program or path arguments lie in user space; skips what `already` reported. */
export function checkUserSpaceAutostart(snap: Snapshot, entries: AutostartEntry[], already: Finding[]): Finding[] {
  const seen = reportedPairs(already);
  const out: Finding[] = [];
  for (const e of entries) {
    for (const target of commandTargets(e.command, snap.paths)) {
      if (seen.has(`${e.location.toLowerCase()}|${pathKey(target)}`)) continue;
      const { dirUserWritable, ...file } = fileFacts(snap, target);
      const place = classifyUserSpace(target, snap, dirUserWritable);
      if (!place) continue;
      seen.add(`${e.location.toLowerCase()}|${pathKey(target)}`);
      out.push({ code: 'USERSPACE_AUTOSTART', method: 'userspace', severity: 'review', emocheckEquivalent: false,
        process: null, file, registryKey: e.kind === 'run' ? e.location : null, autostart: e, evidence: { place } });
    }
  }
  return out;
}
