// Migration 003: the console under attack and in daily use — event fields the agent knows (user, command line,
// SHA-256, signer), the quarantine of refused events, agent revocation, key rotation, host facts and certificate
// pins, policy epochs, TOTP and group scopes of users, idle sessions, per-group retention and upload quotas, and task
// expiry and cancellation. Columns are only added (nullable or with a default), so older rows stay valid.
import type { Kysely } from 'kysely';
import type { Dialect } from './migrations.ts';
import type { Database } from './schema.ts';

export async function m003Hardening(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const s = db.schema;
  const add = async (table: string, column: string, type: 'text' | 'bigint' | 'integer', notNullDefault?: number) => {
    await s.alterTable(table).addColumn(column, type, (c) => notNullDefault === undefined ? c : c.notNull().defaultTo(notNullDefault)).execute();
  };
  for (const c of ['user', 'command_line', 'sha256', 'signer']) await add('events', c, 'text');
  await add('agents', 'issued_epoch', 'bigint', 0);
  await add('agents', 'reported_epoch', 'bigint', 0);
  await add('agents', 'revoked_at', 'bigint');
  await add('agents', 'revoked_by', 'text');
  await add('agents', 'prev_public_key', 'text');
  await add('agents', 'rotate_key', 'integer', 0);
  await add('agents', 'host_facts', 'text');
  await add('agents', 'tls_pins', 'text');
  await add('users', 'totp_secret', 'text');
  await add('users', 'totp_enabled', 'integer', 0);
  await add('users', 'totp_last', 'bigint');
  await add('users', 'group_scope', 'text');
  await add('sessions', 'last_seen', 'bigint');
  await add('sessions', 'ip', 'text');
  await add('groups', 'retention_days', 'integer');
  await add('groups', 'upload_per_hour', 'integer');
  await add('agent_tasks', 'expires_at', 'bigint');
  await add('agent_tasks', 'cancelled_by', 'text');
  await add('agent_tasks', 'cancel_signed', 'text');
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  await s.createTable('event_quarantine').ifNotExists()
    .addColumn('id', serial, (c) => dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
    .addColumn('agent_id', 'text', (c) => c.notNull()).addColumn('key', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint').addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()).addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull()).addColumn('excerpt', 'text', (c) => c.notNull()).execute();
  await s.createIndex('event_quarantine_agent').ifNotExists().on('event_quarantine').columns(['agent_id', 'id']).execute();
  await s.createIndex('events_received').ifNotExists().on('events').columns(['received_at']).execute();
  await s.createIndex('audit_time').ifNotExists().on('audit').columns(['time']).execute();
}
