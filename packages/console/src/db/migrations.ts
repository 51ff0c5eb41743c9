// Schema migrations, the same for SQLite and PostgreSQL (only the auto-increment column type differs). Applied in
// order at start; each runs once, recorded in `schema_migrations`. Several consoles may start at once on one
// PostgreSQL database: the DDL is idempotent (IF NOT EXISTS) and the record insert ignores conflicts.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { m002Incidents } from './migration-incidents.ts';
import { m003Hardening } from './migration-003.ts';

export type Dialect = 'sqlite' | 'postgres';

type Migration = (db: Kysely<Database>, dialect: Dialect) => Promise<void>;

const m001: Migration = async (db, dialect) => {
  const s = db.schema;
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const big = 'bigint';
  await s.createTable('settings').ifNotExists().addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull()).execute();
  await s.createTable('users').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique()).addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull()).addColumn('created_at', big, (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await s.createTable('sessions').ifNotExists().addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull()).addColumn('csrf', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull()).addColumn('expires_at', big, (c) => c.notNull()).execute();
  await s.createTable('rate_limits').ifNotExists().addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', big, (c) => c.notNull()).addColumn('count', 'integer', (c) => c.notNull()).execute();
  await s.createTable('groups').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique()).addColumn('policy_ref', 'text', (c) => c.notNull())
    .addColumn('rollout', 'text', (c) => c.notNull()).addColumn('created_at', big, (c) => c.notNull()).execute();
  await s.createTable('policies').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique()).addColumn('latest_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull()).execute();
  await s.createTable('policy_versions').ifNotExists().addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull()).addColumn('text', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull()).addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull()).addPrimaryKeyConstraint('policy_versions_pk', ['policy_id', 'version']).execute();
  await s.createTable('enrollment_tokens').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique()).addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('uses_left', 'integer', (c) => c.notNull()).addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull()).addColumn('created_at', big, (c) => c.notNull()).execute();
  await s.createTable('agents').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('group_id', 'text', (c) => c.notNull()).addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull()).addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('enrolled_at', big, (c) => c.notNull()).addColumn('last_seen', big, (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull()).addColumn('agent_version', 'text', (c) => c.notNull())
    .addColumn('reported_version', 'integer', (c) => c.notNull()).addColumn('mode', 'text')
    .addColumn('spooled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('issued_version', 'integer', (c) => c.notNull()).addColumn('issued_hash', 'text', (c) => c.notNull())
    .addColumn('issued_key', 'text', (c) => c.notNull()).addColumn('issued_policy', 'text').execute();
  await s.createTable('nonces').ifNotExists().addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull()).addColumn('expires_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('nonces_pk', ['agent_id', 'nonce']).execute();
  await s.createTable('events').ifNotExists()
    .addColumn('id', serial, (c) => dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
    .addColumn('agent_id', 'text', (c) => c.notNull()).addColumn('key', 'text', (c) => c.notNull())
    .addColumn('time', big, (c) => c.notNull()).addColumn('received_at', big, (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull()).addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull()).addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('app', 'text', (c) => c.notNull()).addColumn('object', 'text', (c) => c.notNull())
    .addColumn('guarded', 'text').addColumn('policy_version', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull()).addColumn('lineage', 'text', (c) => c.notNull())
    .addColumn('detail', 'text').addUniqueConstraint('events_agent_key', ['agent_id', 'key']).execute();
  await s.createIndex('events_time').ifNotExists().on('events').columns(['time']).execute();
  await s.createIndex('events_agent_time').ifNotExists().on('events').columns(['agent_id', 'time']).execute();
  await s.createTable('exceptions').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull()).addColumn('path', 'text').addColumn('sha256', 'text')
    .addColumn('expires_at', big, (c) => c.notNull()).addColumn('note', 'text', (c) => c.notNull())
    .addColumn('event_id', big).addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull()).execute();
  await s.createIndex('exceptions_agent').ifNotExists().on('exceptions').columns(['agent_id', 'expires_at']).execute();
  await s.createTable('audit').ifNotExists()
    .addColumn('id', serial, (c) => dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
    .addColumn('time', big, (c) => c.notNull()).addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull()).addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull()).addColumn('detail', 'text', (c) => c.notNull()).execute();
};

const MIGRATIONS: [string, Migration][] = [['001-initial', m001], ['002-incidents', m002Incidents], ['003-hardening', m003Hardening]];

export async function migrate(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    // Serialise concurrent starts of several consoles on one database.
    await db.connection().execute(async (conn) => {
      await sql`SELECT pg_advisory_lock(72616)`.execute(conn);
      try { await applyAll(conn, dialect); } finally { await sql`SELECT pg_advisory_unlock(72616)`.execute(conn); }
    });
  } else {
    await applyAll(db, dialect);
  }
}

async function applyAll(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at bigint NOT NULL)`.execute(db);
  const done = await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(db);
  const have = new Set(done.rows.map((r) => r.name));
  for (const [name, run] of MIGRATIONS) {
    if (have.has(name)) continue;
    // One transaction per migration (DDL is transactional in both stores): a crash leaves it undone, not half done.
    await db.transaction().execute(async (tx) => {
      await run(tx, dialect);
      await sql`INSERT INTO schema_migrations (name, applied_at) VALUES (${name}, ${Date.now()}) ON CONFLICT DO NOTHING`.execute(tx);
    });
  }
}
