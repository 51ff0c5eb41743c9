// LEGACY: the event spool of agents before the outbox (`<state>/sync.db`, SQLite WAL), kept only so that a new
// agent drains what an older one left (outbox.ts) and for tests. Events waited here, each with its idempotency key, until the
// console has acknowledged them. Append and cursor move happen in one transaction; rows are deleted only after the
// console answered, and a resend after a crash is deduplicated by key on the console. So no event is lost or doubled
// across console restarts, network cuts and agent restarts.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { UploadedEvent } from '@omamori/policy';

export type SpoolInput = Omit<UploadedEvent, 'key'> & { key?: string };

export interface Spool {
  /** Appends events (a key is made when absent); with `cursor`, also stores `meta[cursor.name] = cursor.value` atomically. */
  append(events: SpoolInput[], cursor?: { name: string; value: string }): void;
  /** The oldest `n` events, in order. */
  peek(n: number): { seq: number; event: UploadedEvent }[];
  /** Drops everything up to and including `seq` (after the console acknowledged it). */
  ack(seq: number): void;
  count(): number;
  meta(name: string): string | undefined;
  setMeta(name: string, value: string): void;
  close(): void;
}

export function openSpool(stateDir: string): Spool {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(stateDir, 'sync.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);`);
  const ins = db.prepare('INSERT OR IGNORE INTO spool (key, body) VALUES (?, ?)');
  const setMeta = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value');
  const getMeta = db.prepare('SELECT value FROM meta WHERE name = ?');
  const peek = db.prepare('SELECT seq, key, body FROM spool ORDER BY seq LIMIT ?');
  const ack = db.prepare('DELETE FROM spool WHERE seq <= ?');
  const count = db.prepare('SELECT count(*) AS n FROM spool');
  const append = db.transaction((events: SpoolInput[], cursor?: { name: string; value: string }) => {
    for (const e of events) {
      const key = e.key ?? randomUUID();
      const { key: _k, ...rest } = e;
      ins.run(key, JSON.stringify(rest));
    }
    if (cursor) setMeta.run(cursor.name, cursor.value);
  });
  return {
    append: (events, cursor) => append(events, cursor),
    peek: (n) => (peek.all(n) as { seq: number; key: string; body: string }[])
      .map((r) => ({ seq: r.seq, event: { key: r.key, ...(JSON.parse(r.body) as Omit<UploadedEvent, 'key'>) } })),
    ack: (seq) => { ack.run(seq); },
    count: () => (count.get() as { n: number }).n,
    meta: (name) => (getMeta.get(name) as { value: string } | undefined)?.value,
    setMeta: (name, value) => { setMeta.run(name, value); },
    close: () => db.close(),
  };
}
