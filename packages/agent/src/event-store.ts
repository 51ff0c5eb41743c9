// The local event log: every deny and audit-deny, with its reason and lineage, in `<state>/events.db` (SQLite,
// WAL). The agent is the only writer; `omamori events` reads it concurrently. Rows are never rewritten.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Decision, LineageEntry, ReasonCode, Verdict } from '@omamori/policy';

export interface StoredEvent {
  id: number;
  /** Milliseconds since the epoch. */
  time: number;
  verdict: Verdict;
  reason: ReasonCode;
  rule: string;
  policyVersion: string;
  /** Event kind of the model (`process.start`, `module.load`, …). */
  kind: string;
  pid: number;
  /** The object acted on (program, library, script), or the subject's image. */
  object: string;
  guarded?: string;
  lineage: LineageEntry[];
  /** Extra facts (how a library came in, the user-space probe's why). */
  detail?: Record<string, unknown>;
}

export interface AgentNote { time: number; code: string; message: string }

export interface EventStore {
  record(time: number, kind: string, pid: number, d: Decision, detail?: Record<string, unknown>): void;
  note(time: number, code: string, message: string): void;
  /** Newest first. */
  list(opts?: { since?: number; limit?: number }): StoredEvent[];
  notes(opts?: { since?: number; limit?: number }): AgentNote[];
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  rule TEXT NOT NULL,
  policy TEXT NOT NULL,
  kind TEXT NOT NULL,
  pid INTEGER NOT NULL,
  object TEXT NOT NULL,
  guarded TEXT,
  lineage TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS events_time ON events(time);
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL);
`;

interface Row {
  id: number; time: number; verdict: string; reason: string; rule: string; policy: string; kind: string; pid: number;
  object: string; guarded: string | null; lineage: string; detail: string | null;
}

export function eventsDbPath(stateDir: string): string {
  return join(stateDir, 'events.db');
}

/** Opens (creating when `write`) the store of a state directory. */
export function openEventStore(stateDir: string, opts: { write: boolean }): EventStore {
  if (opts.write) mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const db = new Database(eventsDbPath(stateDir), { readonly: !opts.write, fileMustExist: !opts.write });
  if (opts.write) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } else {
    db.pragma('busy_timeout = 2000');
  }
  const insert = opts.write ? db.prepare(`INSERT INTO events (time, verdict, reason, rule, policy, kind, pid, object, guarded, lineage, detail)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`) : undefined;
  const insertNote = opts.write ? db.prepare('INSERT INTO notes (time, code, message) VALUES (?, ?, ?)') : undefined;
  return {
    record(time, kind, pid, d, detail) {
      const subject = d.lineage[d.lineage.length - 1];
      insert!.run(time, d.verdict, d.reason, d.rule, d.policyVersion, kind, pid, d.object ?? subject?.image ?? '?',
        d.guarded ?? null, JSON.stringify(d.lineage), detail ? JSON.stringify(detail) : null);
    },
    note(time, code, message) { insertNote!.run(time, code, message); },
    list({ since, limit } = {}) {
      const rows = db.prepare('SELECT * FROM events WHERE time >= ? ORDER BY time DESC, id DESC LIMIT ?')
        .all(since ?? 0, limit ?? 1000) as Row[];
      return rows.map((r) => {
        const e: StoredEvent = {
          id: r.id, time: r.time, verdict: r.verdict as Verdict, reason: r.reason as ReasonCode, rule: r.rule,
          policyVersion: r.policy, kind: r.kind, pid: r.pid, object: r.object, lineage: JSON.parse(r.lineage) as LineageEntry[],
        };
        if (r.guarded !== null) e.guarded = r.guarded;
        if (r.detail !== null) e.detail = JSON.parse(r.detail) as Record<string, unknown>;
        return e;
      });
    },
    notes({ since, limit } = {}) {
      return db.prepare('SELECT time, code, message FROM notes WHERE time >= ? ORDER BY time DESC, id DESC LIMIT ?')
        .all(since ?? 0, limit ?? 1000) as AgentNote[];
    },
    close() { db.close(); },
  };
}
