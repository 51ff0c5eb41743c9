// A consistent copy of the agent's event log without touching the state directory. Opening the live database with
// SQLite, even read-only, creates or updates events.db-shm/-wal beside it (measured with better-sqlite3 12), so
// instead the database and its WAL are copied byte for byte (O_NOATIME) into a private directory and re-hashed:
// when both source files still hash as copied, the pair is a state they were in at one moment. SQLite then
// recovers the WAL in the private copy and the backup API writes one self-contained file (rollback journal mode).
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashFile, openQuietly, streamFd } from './read-only.ts';

export interface EventsCopy {
  /** The self-contained copy (caller removes `workDir` when done). */
  path: string;
  workDir: string;
  /** The source files as copied, with their hashes. */
  sources: { path: string; sha256: string; size: number; mtime: string }[];
  /** Copy attempts until the source held still; `stable` false when it never did (the last copy is used). */
  attempts: number;
  stable: boolean;
  integrity: string;
  counts: { events: number | null; notes: number | null };
}

function copyOne(src: string, dst: string): { sha256: string; size: number; mtime: string } {
  const fd = openQuietly(src);
  try {
    const st = fstatSync(fd);
    const out = openSync(dst, 'wx', 0o600);
    try {
      const d = streamFd(fd, (c) => { let w = 0; while (w < c.length) w += writeSync(out, c, w); });
      return { ...d, mtime: st.mtime.toISOString() };
    } finally { closeSync(out); }
  } finally { closeSync(fd); }
}

function count(db: Database.Database, table: string): number | null {
  try { return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n; } catch { return null; }
}

/** Copies `<state>/events.db` (+ `-wal`). Throws ENOENT when there is no event log. */
export async function copyEventsDb(dbPath: string, maxAttempts = 5): Promise<EventsCopy> {
  const workDir = mkdtempSync(join(tmpdir(), 'omamori-events-'));
  try {
    const names = ['', '-wal'];
    let attempt = 0, stable = false;
    let sources: EventsCopy['sources'] = [];
    const raw = join(workDir, 'raw');
    while (!stable && attempt < maxAttempts) {
      attempt++;
      rmSync(raw, { recursive: true, force: true });
      mkdirSync(raw, { mode: 0o700 });
      sources = [];
      for (const n of names) {
        const src = dbPath + n;
        if (n !== '' && !existsSync(src)) continue;
        const c = copyOne(src, join(raw, 'events.db' + n));
        sources.push({ path: src, ...c });
      }
      stable = sources.every((s) => hashFile(s.path)?.sha256 === s.sha256)
        && (existsSync(dbPath + '-wal') === sources.some((s) => s.path.endsWith('-wal')));
    }
    const out = join(workDir, 'events.db');
    const db = new Database(join(raw, 'events.db'), { fileMustExist: true });
    try {
      await db.backup(out);
    } finally { db.close(); }
    const copy = new Database(out, { fileMustExist: true });
    let integrity: string, counts: EventsCopy['counts'];
    try {
      copy.pragma('journal_mode = DELETE');
      integrity = String(copy.pragma('integrity_check', { simple: true }));
      counts = { events: count(copy, 'events'), notes: count(copy, 'notes') };
    } finally { copy.close(); }
    rmSync(raw, { recursive: true, force: true });
    return { path: out, workDir, sources, attempts: attempt, stable, integrity, counts };
  } catch (e) {
    rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}
