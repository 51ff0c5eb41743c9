// Checks beyond EmoCheck v2.0 over autostart entries (Run/RunOnce keys, services, scheduled tasks, Startup folder):
// the 2022–2023 loader pattern (regsvr32/rundll32 + DLL in a random-named folder under %LOCALAPPDATA% or
// ProgramData) and the generic rule "an autostart entry starts code from user space".
import { RUN_KEYS, SERVICES_KEY, type Snapshot } from './snapshot.ts';
import type { AutostartEntry, Finding, FoundFile } from './findings.ts';
import { baseName, classifyUserSpace, commandProgram, commandTargets, pathKey } from './paths.ts';

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

/** Folder names under %LOCALAPPDATA% / ProgramData that legitimate software uses; never "random". */
const KNOWN_FOLDERS = new Set(['microsoft', 'google', 'mozilla', 'packages', 'programs', 'temp', 'adobe', 'apple',
  'intel', 'nvidia', 'amd', 'comms', 'crashdumps', 'd3dscache', 'publishers', 'virtualstore', 'connecteddevicesplatform',
  'peerdistrepub', 'onedrive', 'package cache', 'oracle', 'java', 'zoom', 'slack', 'discord', 'dropbox']);

/** A first-level folder name that looks machine-made: 4–24 letters/digits only, not a known vendor folder. */
export function looksRandomFolder(name: string): boolean {
  return /^[A-Za-z0-9]{4,24}$/.test(name) && !KNOWN_FOLDERS.has(name.toLowerCase());
}

/** If `path` is <base>\<folder>\<file> for base %LOCALAPPDATA% or ProgramData, the folder name. */
function firstLevelFolder(path: string, base: string): string | null {
  const p = pathKey(path), b = pathKey(base);
  if (!p.startsWith(b + '\\')) return null;
  const rest = path.replace(/\//g, '\\').slice(b.length + 1).split('\\');
  return rest.length === 2 ? rest[0]! : null;
}

const LOADERS = new Set(['regsvr32.exe', 'regsvr32', 'rundll32.exe', 'rundll32']);

/** Keys `location|file` of findings that already name an autostart entry and its file. */
function reportedPairs(findings: Finding[]): Set<string> {
  return new Set(findings.filter((f) => f.autostart && f.file).map((f) => `${f.autostart!.location.toLowerCase()}|${pathKey(f.file!.path)}`));
}

/** regsvr32/rundll32 autostart of a non-.exe file in a random-named first-level folder; skips what `already` reported. */
export function checkLoader2022(snap: Snapshot, entries: AutostartEntry[], already: Finding[]): Finding[] {
  const seen = reportedPairs(already);
  const out: Finding[] = [];
  for (const e of entries) {
    const program = commandProgram(e.command);
    if (!LOADERS.has(program)) continue;
    for (const target of commandTargets(e.command, snap.paths)) {
      if (LOADERS.has(baseName(target).toLowerCase()) || /\.exe$/i.test(target)) continue;
      const base = firstLevelFolder(target, snap.paths.localAppData) !== null ? 'localAppData'
        : firstLevelFolder(target, snap.paths.programData) !== null ? 'programData' : null;
      if (!base) continue;
      const folder = firstLevelFolder(target, base === 'localAppData' ? snap.paths.localAppData : snap.paths.programData)!;
      if (!looksRandomFolder(folder) || seen.has(`${e.location.toLowerCase()}|${pathKey(target)}`)) continue;
      const t = pathKey(target);
      const p = snap.processes.find((x) => LOADERS.has(x.name.toLowerCase()) && x.commandLine !== null
        && pathKey(x.commandLine.replace(/"/g, '')).includes(t));
      const { dirUserWritable: _w, ...file } = fileFacts(snap, target);
      out.push({ code: 'LOADER2022_AUTOSTART', method: 'loader2022', severity: 'infected', emocheckEquivalent: false,
        process: p ? { pid: p.pid, name: p.name, imagePath: p.imagePath, commandLine: p.commandLine } : null,
        file, registryKey: e.location, autostart: e, evidence: { loader: program, folder, base } });
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
