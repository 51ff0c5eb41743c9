// Opens the console's store: SQLite (one file, WAL) by default, PostgreSQL for `postgres://` URLs. Both behind one
// kysely instance, so every query is written once. The SQLite file and its -wal/-shm files are 0600 whatever the
// umask or the mode of their folder (they hold sessions and the audit log), and its keys live beside it in
// `keys/` (keys.ts), not in it.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { createDbKeyStore, createFileKeyStore, type KeyStore } from '../keys.ts';
import { migrate, type Dialect } from './migrations.ts';
import type { Database as Schema } from './schema.ts';

export interface Store {
  db: Kysely<Schema>;
  dialect: Dialect;
  /** Where it is, without credentials (for logs). */
  describe: string;
  /** Where the signing and TLS keys are kept. */
  keys: KeyStore;
  close(): Promise<void>;
}

// bigint (int8) and numeric count(*) come back as strings from pg: our values fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/** Makes `path` exist with mode 0600 and narrows it to 0600 when it exists with a wider mode. */
function privateFile(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

/**
 * `sqlite:PATH`, a bare path, or `postgres://…` / `postgresql://…`. `keyDir` keeps the keys in files there (default
 * for SQLite: `keys/` beside the database; for PostgreSQL: in the database, shared by every console process).
 */
export async function openStore(spec: string, opts: { poolSize?: number; keyDir?: string } = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const pool = new pg.Pool({ connectionString: spec, max: opts.poolSize ?? 10 });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    await migrate(db, 'postgres');
    const u = new URL(spec);
    return { db, dialect: 'postgres', describe: `postgres://${u.host}${u.pathname}`, keys: opts.keyDir ? createFileKeyStore(opts.keyDir, db) : createDbKeyStore(db), close: () => db.destroy() };
  }
  const path = spec.startsWith('sqlite:') ? spec.slice(7) : spec;
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    privateFile(path);
    for (const side of ['-wal', '-shm']) if (existsSync(path + side)) chmodSync(path + side, 0o600);
  }
  // SQLite creates -wal and -shm with the mode of the database file (0600 above).
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db, 'sqlite');
  const keys = path === ':memory:' ? createDbKeyStore(db) : createFileKeyStore(opts.keyDir ?? join(dirname(path), 'keys'), db);
  return { db, dialect: 'sqlite', describe: `sqlite:${path}`, keys, close: () => db.destroy() };
}
