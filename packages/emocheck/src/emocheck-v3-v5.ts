// EmoCheck v2.0 methods V3, V4 and V5 (docs/emocheck.md; spec README "Checks", tables.json v3_scan/v4_scan/v5_scan):
// files in first-level folders of %LOCALAPPDATA% and the x86 system folder, matched to running processes.
import {
  V3_MIN_FILE_SIZE, V4_COMMAND_RES, V4_DIR_RE, V4_FILE_RE, V4_RUN_VALUE_NAME_RE, V5_DIVISOR, V5_MAX_QUOTIENT,
  V5_MIN_QUOTIENT,
} from './tables.ts';
import { HKCU_RUN, SERVICES_KEY, type ListedFile, type ListedFolder, type ScanRoot, type Snapshot, type SnapshotProcess } from './snapshot.ts';
import type { AutostartEntry, Finding, FoundFile } from './findings.ts';
import { normaliseCommandLine, pathKey, winJoin } from './paths.ts';

const lc = (s: string): string => s.toLowerCase();
const stem = (name: string): string => name.replace(/\.[^.]*$/, '');

function proc(p: SnapshotProcess): Finding['process'] {
  return { pid: p.pid, name: p.name, imagePath: p.imagePath, commandLine: p.commandLine };
}
function found(snap: Snapshot, path: string, f: ListedFile): FoundFile {
  const t = snap.files.find((x) => pathKey(x.path) === pathKey(path));
  return { path, size: f.size, sha256: t?.sha256 ?? null };
}
function hkcuRun(snap: Snapshot) {
  return snap.registry.find((r) => lc(r.key) === lc(HKCU_RUN))?.values ?? [];
}
function* candidates(snap: Snapshot): Generator<{ root: ScanRoot; folder: ListedFolder; file: ListedFile; path: string }> {
  for (const root of snap.scanRoots) {
    for (const folder of root.folders) {
      for (const file of folder.files) yield { root, folder, file, path: winJoin(root.path, folder.name, file.name) };
    }
  }
}

/** V3: <root>\K1\K2.exe with K1, K2 base names of System32 .exe/.dll files. */
export function checkV3(snap: Snapshot): Finding[] {
  const keywords = new Set(snap.systemDirectoryFiles.filter((f) => /\.(exe|dll)$/i.test(f.name)).map((f) => lc(stem(f.name))));
  const sys32Size = new Map(snap.systemDirectoryFiles.filter((f) => /\.exe$/i.test(f.name)).map((f) => [lc(f.name), f.size]));
  const out: Finding[] = [];
  for (const { folder, file, path } of candidates(snap)) {
    if (!keywords.has(lc(folder.name)) || !/\.exe$/i.test(file.name) || !keywords.has(lc(stem(file.name)))) continue;
    if (file.size < V3_MIN_FILE_SIZE || sys32Size.get(lc(file.name)) === file.size) continue;
    const k2 = stem(file.name);
    const run = hkcuRun(snap).find((v) => lc(v.name) === lc(k2) && v.data === path);
    const registryKey = run ? `${HKCU_RUN}\\${run.name}` : null;
    const autostart: AutostartEntry | null = run ? { kind: 'run', location: registryKey!, command: run.data } : null;
    const evidence = { folderKeyword: folder.name, fileKeyword: k2, size: String(file.size) };
    const procs = snap.processes.filter((p) => lc(p.name) === lc(file.name) && p.imagePath !== null
      && (p.fileId && file.fileId ? lc(p.fileId) === lc(file.fileId) : pathKey(p.imagePath) === pathKey(path)));
    for (const p of procs) {
      out.push({ code: 'V3_PROCESS', method: 'v3', severity: 'infected', emocheckEquivalent: true, process: proc(p),
        file: found(snap, path, file), registryKey, autostart, evidence });
    }
    if (procs.length === 0) {
      out.push({ code: run ? 'V3_PERSISTED' : 'V3_FILE', method: 'v3', severity: run ? 'infected' : 'review',
        emocheckEquivalent: false, process: null, file: found(snap, path, file), registryKey, autostart, evidence });
    }
  }
  return out;
}

const matchesV4Command = (cmd: string): boolean => V4_COMMAND_RES.some((re) => re.test(cmd));

/** Normalised forms of a path a process command line may contain (admin root: syswow64 also as system32). */
function commandForms(path: string, adminRoot: boolean): string[] {
  const n = normaliseCommandLine(path);
  return adminRoot && n.includes('syswow64') ? [n, n.replace(/syswow64/g, 'system32')] : [n];
}

/** V4: rundll32 DLL loader in a 4–16-letter folder, persisted by an HKCU Run value (user) or a service (admin). */
export function checkV4(snap: Snapshot): Finding[] {
  const allow = new Set(snap.allowlistDirNames.map(lc));
  const out: Finding[] = [];
  for (const { root, folder, file, path } of candidates(snap)) {
    if (!V4_DIR_RE.test(folder.name) || !V4_FILE_RE.test(file.name) || !file.startsWithMZ) continue;
    if (allow.has(lc(folder.name))) continue;
    const admin = root.root === 'systemX86';
    let autostart: AutostartEntry | null = null;
    if (!admin) {
      const v = hkcuRun(snap).find((x) => x.type === 'REG_SZ' && (V4_RUN_VALUE_NAME_RE.test(x.name) || x.name === file.name)
        && matchesV4Command(x.data) && x.data.includes(file.name));
      if (v) autostart = { kind: 'run', location: `${HKCU_RUN}\\${v.name}`, command: v.data };
    } else {
      const s = snap.services.find((x) => x.name === file.name && x.imagePath !== null
        && matchesV4Command(x.imagePath) && x.imagePath.includes(file.name));
      if (s) autostart = { kind: 'service', location: `${SERVICES_KEY}\\${s.name}`, command: s.imagePath! };
    }
    const forms = commandForms(path, admin);
    const procs = snap.processes.filter((p) => lc(p.name) === 'rundll32.exe' && p.commandLine !== null
      && forms.some((f) => normaliseCommandLine(p.commandLine!).includes(f)));
    const registryKey = autostart?.location ?? null;
    const evidence = { folder: folder.name, mode: admin ? 'admin' : 'user' };
    for (const p of procs) {
      out.push({ code: 'V4_PROCESS', method: 'v4', severity: 'infected', emocheckEquivalent: true, process: proc(p),
        file: found(snap, path, file), registryKey, autostart, evidence });
    }
    if (procs.length === 0) {
      out.push({ code: autostart ? 'V4_PERSISTED' : 'V4_FILE', method: 'v4', severity: autostart ? 'infected' : 'review',
        emocheckEquivalent: false, process: null, file: found(snap, path, file), registryKey, autostart, evidence });
    }
  }
  return out;
}

/** V5 timestamp rule: (folder − file) last-write difference, integer-divided by 1e6 ticks, ≈ 7 days. */
export function v5Timestomped(folderFiletime: string, fileFiletime: string): boolean {
  const q = (BigInt(folderFiletime) - BigInt(fileFiletime)) / V5_DIVISOR;   // BigInt division truncates, as C++ does
  return q >= V5_MIN_QUOTIENT && q <= V5_MAX_QUOTIENT;
}

/** V5: MZ files whose last-write time is 7 days before their folder's, and processes naming them. */
export function checkV5(snap: Snapshot): Finding[] {
  const out: Finding[] = [];
  for (const { root, folder, file, path } of candidates(snap)) {
    if (!file.startsWithMZ || !v5Timestomped(folder.lastWriteFiletime, file.lastWriteFiletime)) continue;
    const admin = root.root === 'systemX86';
    const plain = normaliseCommandLine(path);
    const procs = snap.processes.filter((p) => {
      if (p.commandLine === null) return false;
      const forms = lc(p.name) === 'rundll32.exe' ? commandForms(path, admin) : [plain];
      return forms.some((f) => normaliseCommandLine(p.commandLine!).includes(f));
    });
    const diff = (BigInt(folder.lastWriteFiletime) - BigInt(file.lastWriteFiletime)) / 10_000_000n;
    const evidence = { secondsOlderThanFolder: diff.toString() };
    for (const p of procs) {
      out.push({ code: 'V5_PROCESS', method: 'v5', severity: 'infected', emocheckEquivalent: true, process: proc(p),
        file: found(snap, path, file), registryKey: null, autostart: null, evidence });
    }
    if (procs.length === 0) {
      out.push({ code: 'V5_FILE', method: 'v5', severity: 'review', emocheckEquivalent: false, process: null,
        file: found(snap, path, file), registryKey: null, autostart: null, evidence });
    }
  }
  return out;
}
