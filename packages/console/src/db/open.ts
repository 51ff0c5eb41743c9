// Opens the console's store: SQLite (one file, WAL) by default, PostgreSQL for `postgres://` URLs. Both behind one
// kysely instance, so every query is written once.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrate, type Dialect } from './migrations.ts';
import type { Database as Schema } from './schema.ts';

export interface Store {
  db: Kysely<Schema>;
  dialect: Dialect;
  /** Where it is, without credentials (for logs). */
  describe: string;
  close(): Promise<void>;
}

// bigint (int8) and numeric count(*) come back as strings from pg: our values fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/** `sqlite:PATH`, a bare path, or `postgres://…` / `postgresql://…`. */
export async function openStore(spec: string, opts: { poolSize?: number } = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const pool = new pg.Pool({ connectionString: spec, max: opts.poolSize ?? 10 });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    await migrate(db, 'postgres');
    const u = new URL(spec);
    return { db, dialect: 'postgres', describe: `postgres://${u.host}${u.pathname}`, close: () => db.destroy() };
  }
  const path = spec.startsWith('sqlite:') ? spec.slice(7) : spec;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db, 'sqlite');
  return { db, dialect: 'sqlite', describe: `sqlite:${path}`, close: () => db.destroy() };
}
