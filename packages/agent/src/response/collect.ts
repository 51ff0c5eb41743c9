// `collectEvidence`: writes one evidence bundle (a ustar archive, see docs/response.md) holding the process tree,
// autostart entries (with copies of their declaring files), a consistent copy of the agent's event log, any
// caller-supplied parts (Windows event logs, the emocheck snapshot) and included files, closed by manifest.json
// and manifest.sha256. Sources are opened read-only with O_NOATIME; nothing is written beside them: the archive is
// written to `<out>.partial-<pid>` and renamed into place, and an existing `out` is never overwritten.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, linkSync, lstatSync, openSync, readdirSync, readlinkSync, rmSync, unlinkSync } from 'node:fs';
import { arch, hostname, release, userInfo, version } from 'node:os';
import { basename, resolve } from 'node:path';
import { readProcessTree } from './process-tree.ts';
import { scanLinuxAutostart } from './autostart-linux.ts';
import { copyEventsDb } from './events-copy.ts';
import { openQuietly, streamFd } from './read-only.ts';
import { TarWriter } from './tar.ts';
import {
  COLLECTOR_VERSION, EVIDENCE_FORMAT, EVIDENCE_VERSION, MANIFEST_HASH_NAME, MANIFEST_NAME,
  type CollectProblem, type EvidenceManifest, type ManifestPart, type PartKind,
} from './manifest.ts';

export interface ExtraPart { name: string; kind: PartKind; bytes: Buffer; note?: string }
export interface ExtraFile { name: string; kind: PartKind; path: string; note?: string }

export interface CollectOptions {
  out: string;
  /** The agent's state directory; its events.db is copied when present. */
  stateDir?: string;
  include?: string[];
  /** Linux sources: process tree and autostart (default: on linux). */
  linuxSources?: boolean;
  /** Filesystem root for the autostart scan (tests point it at a fake world) and /proc for the process tree. */
  root?: string;
  procRoot?: string;
  /** Parts produced elsewhere (the CLI passes the Windows emocheck snapshot and exported event logs). */
  extraParts?: ExtraPart[];
  extraFiles?: ExtraFile[];
  /** Problems met by the caller while producing extra parts (recorded in the manifest). */
  extraProblems?: CollectProblem[];
  now?: () => Date;
}

export interface CollectResult { out: string; manifest: EvidenceManifest; bundleSha256: string; bundleSize: number }

export class EvidenceExistsError extends Error {}

function safeName(s: string, max = 60): string {
  let n = s.replace(/[^A-Za-z0-9._-]/g, '_');
  while (Buffer.byteLength(n) > max) n = n.slice(0, -1);
  return n || '_';
}

function json(v: unknown): Buffer { return Buffer.from(JSON.stringify(v, null, 2) + '\n', 'utf8'); }

/** Collects a bundle; expected shortfalls land in manifest.problems, an unusable `out` throws. */
export async function collectEvidence(opts: CollectOptions): Promise<CollectResult> {
  const now = opts.now ?? (() => new Date());
  const out = resolve(opts.out);
  try { lstatSync(out); throw new EvidenceExistsError(out); } catch (e) { if (e instanceof EvidenceExistsError) throw e; }
  const partial = `${out}.partial-${process.pid}`;
  const fd = openSync(partial, 'wx', 0o600);
  const tar = new TarWriter(fd);
  const parts: ManifestPart[] = [];
  const problems: CollectProblem[] = [...(opts.extraProblems ?? [])];
  const links: EvidenceManifest['links'] = [];
  const started = now();
  const mtime = started.getTime() / 1000;
  const names = new Set<string>();
  const unique = (name: string): string => {
    let n = name, i = 1;
    while (names.has(n)) n = `${name}.${++i}`;
    names.add(n);
    return n;
  };
  const addBuffer = (name: string, kind: PartKind, bytes: Buffer, extra: Partial<ManifestPart> = {}) => {
    const n = unique(name);
    tar.addBuffer(n, bytes, 0o600, mtime);
    parts.push({ name: n, kind, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), ...extra });
  };
  /** Streams a file into the archive as one part (size fixed at open; a short read is zero-padded and reported). */
  const addFile = (name: string, kind: PartKind, path: string, extra: Partial<ManifestPart> = {}) => {
    let src: number;
    try { src = openQuietly(path); } catch (e) {
      problems.push({ code: 'UNREADABLE', path, message: (e as NodeJS.ErrnoException).code ?? String(e) });
      return;
    }
    try {
      const st = fstatSync(src);
      if (!st.isFile()) { problems.push({ code: 'NOT_REGULAR', path, message: 'not a regular file' }); return; }
      const n = unique(name);
      let digest = { sha256: '', size: 0 };
      const hash = createHash('sha256');
      tar.addStream(n, st.size, (emit) => {
        digest = streamFd(src, (c) => { hash.update(c); emit(c); }, st.size);
        if (digest.size < st.size) {
          const pad = Buffer.alloc(st.size - digest.size);
          hash.update(pad); emit(pad);
        }
      }, 0o600, st.mtimeMs / 1000);
      const after = fstatSync(src);
      if (digest.size < st.size || after.size !== st.size || after.mtimeMs !== st.mtimeMs) {
        problems.push({ code: 'CHANGED_DURING_READ', path, message: `size ${st.size} → ${after.size} while copying (read ${digest.size})` });
      }
      parts.push({ name: n, kind, size: st.size, sha256: hash.digest('hex'), source: path, mtime: st.mtime.toISOString(),
        mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), uid: st.uid, gid: st.gid, ...extra });
    } finally { closeSync(src); }
  };

  let manifest: EvidenceManifest;
  try {
    const linux = opts.linuxSources ?? process.platform === 'linux';
    if (linux) {
      try {
        addBuffer('processes.json', 'processes', json(readProcessTree(opts.procRoot ? { procRoot: opts.procRoot } : {})));
      } catch (e) { problems.push({ code: 'PROCESS_TREE_FAILED', message: String(e) }); }
      try {
        const root = opts.root ?? '/';
        const scan = scanLinuxAutostart(root);
        addBuffer('autostart.json', 'autostart', json(scan));
        scan.sources.filter((s) => s.copy).forEach((s, i) => {
          addFile(`autostart/${String(i + 1).padStart(4, '0')}-${safeName(basename(s.path))}`, 'autostart-source',
            resolve(root, '.' + s.path), { source: s.path });
        });
      } catch (e) { problems.push({ code: 'AUTOSTART_FAILED', message: String(e) }); }
    }

    let eventLog: EvidenceManifest['eventLog'];
    if (opts.stateDir) {
      const db = resolve(opts.stateDir, 'events.db');
      try {
        const copy = await copyEventsDb(db);
        try {
          addFile('events.db', 'events-db', copy.path, { source: db, note: 'consistent copy (SQLite backup API), journal_mode=DELETE' });
          const { path: _p, workDir: _w, ...facts } = copy;
          eventLog = facts;
          if (!copy.stable) problems.push({ code: 'EVENT_LOG_UNSTABLE', path: db, message: `still changing after ${copy.attempts} copies` });
        } finally { rmSync(copy.workDir, { recursive: true, force: true }); }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        problems.push(code === 'ENOENT' ? { code: 'NO_EVENT_LOG', path: db, message: 'no event log in the state directory' }
          : { code: 'EVENT_LOG_FAILED', path: db, message: e instanceof Error ? e.message : String(e) });
      }
    }

    for (const p of opts.extraParts ?? []) addBuffer(p.name, p.kind, p.bytes, p.note ? { note: p.note } : {});
    for (const f of opts.extraFiles ?? []) addFile(f.name, f.kind, f.path, f.note ? { note: f.note } : {});

    let fileNo = 0;
    const include = (path: string) => {
      if (path === partial || path === out) return;
      let st;
      try { st = lstatSync(path); } catch (e) {
        problems.push({ code: 'UNREADABLE', path, message: (e as NodeJS.ErrnoException).code ?? String(e) });
        return;
      }
      if (st.isSymbolicLink()) { try { links.push({ path, target: readlinkSync(path) }); } catch { /* gone */ } return; }
      if (st.isDirectory()) {
        let children: string[];
        try { children = readdirSync(path).sort(); } catch (e) {
          problems.push({ code: 'UNREADABLE', path, message: (e as NodeJS.ErrnoException).code ?? String(e) });
          return;
        }
        for (const c of children) include(resolve(path, c));
        return;
      }
      if (!st.isFile()) { problems.push({ code: 'NOT_REGULAR', path, message: 'not a regular file (not read)' }); return; }
      addFile(`files/${String(++fileNo).padStart(6, '0')}-${safeName(basename(path))}`, 'file', path);
    };
    for (const p of opts.include ?? []) include(resolve(p));

    let user: string | null = null;
    try { user = userInfo().username; } catch { /* no passwd entry */ }
    manifest = {
      format: EVIDENCE_FORMAT, version: EVIDENCE_VERSION,
      collectedAt: started.toISOString(), finishedAt: now().toISOString(),
      host: { hostname: hostname(), platform: process.platform, release: release(), version: version(), arch: arch() },
      collector: { name: 'omamori collect', version: COLLECTOR_VERSION },
      operator: { uid: typeof process.getuid === 'function' ? process.getuid() : null, user },
      request: { stateDir: opts.stateDir ? resolve(opts.stateDir) : null, include: (opts.include ?? []).map((p) => resolve(p)) },
      parts, links, ...(eventLog ? { eventLog } : {}), problems,
    };
    const m = json(manifest);
    tar.addBuffer(MANIFEST_NAME, m, 0o600, mtime);
    tar.addBuffer(MANIFEST_HASH_NAME, Buffer.from(`${createHash('sha256').update(m).digest('hex')}  ${MANIFEST_NAME}\n`), 0o600, mtime);
    tar.finish();
  } catch (e) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw e;
  }
  closeSync(fd);
  // link + unlink instead of rename: fails (EEXIST) rather than replacing a bundle that appeared meanwhile.
  try { linkSync(partial, out); } finally { unlinkSync(partial); }
  const check = openQuietly(out);
  try {
    const d = streamFd(check);
    return { out, manifest, bundleSha256: d.sha256, bundleSize: d.size };
  } finally { closeSync(check); }
}
