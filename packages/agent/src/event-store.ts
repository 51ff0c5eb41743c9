// The local event log: every deny and audit-deny, with its reason and lineage, in `<state>/events.db` (SQLite,
// WAL). The agent is the only writer; `omamori events` reads it concurrently. Rows are never rewritten.
// It is also the upload outbox of the console sync (sync/outbox.ts): the upload cursor is kept beside the events
// (table outbox_state), events read back from elsewhere (Windows) come with their own idempotency key, and
// listeners in the same process hear of every new row — no second copy of the events, no polling.
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

/** An event as the outbox reads it: the stored event and its own key, when it came with one. */
export interface OutboxRow extends StoredEvent { key: string | null }
/** An event appended with its own idempotency key (e.g. a Windows block read back from an event log). */
export interface AppendedEvent {
  key?: string; time: number; verdict: string; reason: string; rule: string; policyVersion: string; kind: string; pid: number;
  object: string; guarded?: string; lineage: LineageEntry[] | { pid: number; image: string; guarded?: string }[]; detail?: Record<string, unknown>;
}

export interface EventStore {
  record(time: number, kind: string, pid: number, d: Decision, detail?: Record<string, unknown>): void;
  note(time: number, code: string, message: string): void;
  /** Newest first. */
  list(opts?: { since?: number; limit?: number }): StoredEvent[];
  notes(opts?: { since?: number; limit?: number }): AgentNote[];
  /** Outbox: rows with an id above `afterId`, oldest first. */
  after(afterId: number, limit: number): OutboxRow[];
  countAfter(afterId: number): number;
  /** Appends keyed events (a key already present is skipped) and, in the same transaction, a state entry. */
  append(events: AppendedEvent[], state?: { name: string; value: string }): void;
  state(name: string): string | undefined;
  setState(name: string, value: string): void;
  /** Called after every record or append in this process; returns the unsubscribe. */
  onAppend(listener: () => void): () => void;
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
CREATE TABLE IF NOT EXISTS outbox_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface Row {
  id: number; time: number; verdict: string; reason: string; rule: string; policy: string; kind: string; pid: number;
  object: string; guarded: string | null; lineage: string; detail: string | null; key?: string | null;
}

function toStored(r: Row): StoredEvent {
  const e: StoredEvent = {
    id: r.id, time: r.time, verdict: r.verdict as Verdict, reason: r.reason as ReasonCode, rule: r.rule,
    policyVersion: r.policy, kind: r.kind, pid: r.pid, object: r.object, lineage: JSON.parse(r.lineage) as LineageEntry[],
  };
  if (r.guarded !== null) e.guarded = r.guarded;
  if (r.detail !== null) e.detail = JSON.parse(r.detail) as Record<string, unknown>;
  return e;
}

export function eventsDbPath(stateDir: string): string {
  return join(stateDir, 'events.db');
}

/** Opens (creating when `write`) the store of a state directory. */
export function openEventStore(stateDir: string, opts: { write: boolean }): EventStore {
  if (opts.write) mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const db = new Database(eventsDbPath(stateDir), { readonly: !opts.write, fileMustExist: !opts.write });
  // Another writer (a second process on the same state folder) waits its turn instead of failing at once.
  db.pragma('busy_timeout = 2000');
  if (opts.write) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    // Added for the outbox: the key of events that come with one (older stores get the column here).
    if (!(db.prepare('PRAGMA table_info(events)').all() as { name: string }[]).some((c) => c.name === 'key')) db.exec('ALTER TABLE events ADD COLUMN key TEXT');
    db.exec('CREATE UNIQUE INDEX IF NOT EXISTS events_key ON events(key) WHERE key IS NOT NULL');
  }
  const listeners = new Set<() => void>();
  const changed = () => { for (const l of listeners) l(); };
  const insert = opts.write ? db.prepare(`INSERT INTO events (time, verdict, reason, rule, policy, kind, pid, object, guarded, lineage, detail)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`) : undefined;
  const insertNote = opts.write ? db.prepare('INSERT INTO notes (time, code, message) VALUES (?, ?, ?)') : undefined;
  const insertKeyed = opts.write ? db.prepare(`INSERT OR IGNORE INTO events (time, verdict, reason, rule, policy, kind, pid, object, guarded, lineage, detail, key)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`) : undefined;
  const setState = opts.write ? db.prepare('INSERT INTO outbox_state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value') : undefined;
  const appendTx = opts.write ? db.transaction((events: AppendedEvent[], state?: { name: string; value: string }) => {
    for (const e of events) {
      insertKeyed!.run(e.time, e.verdict, e.reason, e.rule, e.policyVersion, e.kind, e.pid, e.object, e.guarded ?? null,
        JSON.stringify(e.lineage), e.detail ? JSON.stringify(e.detail) : null, e.key ?? null);
    }
    if (state) setState!.run(state.name, state.value);
  }) : undefined;
  const hasState = () => (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'outbox_state'").get() as { n: number }).n > 0;
  return {
    record(time, kind, pid, d, detail) {
      const subject = d.lineage[d.lineage.length - 1];
      insert!.run(time, d.verdict, d.reason, d.rule, d.policyVersion, kind, pid, d.object ?? subject?.image ?? '?',
        d.guarded ?? null, JSON.stringify(d.lineage), detail ? JSON.stringify(detail) : null);
      changed();
    },
    after(afterId, limit) {
      return (db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Row[]).map((r) => ({ ...toStored(r), key: r.key ?? null }));
    },
    countAfter: (afterId) => (db.prepare('SELECT count(*) AS n FROM events WHERE id > ?').get(afterId) as { n: number }).n,
    append(events, state) { appendTx!(events, state); changed(); },
    state: (name) => hasState() ? (db.prepare('SELECT value FROM outbox_state WHERE name = ?').get(name) as { value: string } | undefined)?.value : undefined,
    setState: (name, value) => { setState!.run(name, value); },
    onAppend(listener) { listeners.add(listener); return () => { listeners.delete(listener); }; },
    note(time, code, message) { insertNote!.run(time, code, message); },
    list({ since, limit } = {}) {
      const rows = db.prepare('SELECT * FROM events WHERE time >= ? ORDER BY time DESC, id DESC LIMIT ?')
        .all(since ?? 0, limit ?? 1000) as Row[];
      return rows.map(toStored);
    },
    notes({ since, limit } = {}) {
      return db.prepare('SELECT time, code, message FROM notes WHERE time >= ? ORDER BY time DESC, id DESC LIMIT ?')
        .all(since ?? 0, limit ?? 1000) as AgentNote[];
    },
    close() { listeners.clear(); db.close(); },
  };
}
