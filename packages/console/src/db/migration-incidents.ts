// Migration 002: incident response — cases (incidents), their checklist steps with who did what and when, the case
// timeline, agent tasks (isolate, collect, check) with the results agents report, and attachments (replay reports).
// Types are kept here and joined to the base schema with `withTables`, so the base schema file stays as it was.
import type { Generated, Kysely } from 'kysely';
import type { Dialect } from './migrations.ts';
import type { Database } from './schema.ts';

export interface IncidentsTable {
  id: string; title: string; status: 'open' | 'closed'; agent_id: string; event_id: number | null;
  /** Organisation details for letters and the report (JSON: orgName, contact, incidentDate, watchFor). */
  org: string; created_by: string; created_at: number; closed_at: number | null; closed_by: string | null;
}
export type StepState = 'todo' | 'waiting' | 'attention' | 'done' | 'failed';
export interface IncidentStepsTable {
  incident_id: string; step: string; state: StepState; note: string;
  requested_by: string | null; requested_at: number | null; done_by: string | null; done_at: number | null;
}
export interface IncidentLogTable {
  id: Generated<number>; incident_id: string; time: number; actor: string; step: string; action: string; detail: string;
}
export type TaskState = 'pending' | 'sent' | 'done' | 'failed' | 'cancelled' | 'expired';
export interface AgentTasksTable {
  id: string; agent_id: string; incident_id: string | null; step: string | null; kind: string; state: TaskState;
  created_by: string; created_at: number; sent_at: number | null; finished_at: number | null;
  message: string; result: string | null; signed: string;
  /** Added by migration 003: when the signed task expires, who cancelled it and the signed cancellation. */
  expires_at: number | null; cancelled_by: string | null; cancel_signed: string | null;
}
export interface IncidentFilesTable {
  id: string; incident_id: string; kind: string; name: string; sha256: string; size: number; content: string;
  created_by: string; created_at: number;
}

export type IncidentTables = {
  incidents: IncidentsTable; incident_steps: IncidentStepsTable; incident_log: IncidentLogTable;
  agent_tasks: AgentTasksTable; incident_files: IncidentFilesTable;
};
export type IncidentDb = Kysely<Database & IncidentTables>;
export const incidentDb = (db: Kysely<Database>): IncidentDb => db.withTables<IncidentTables>();

export async function m002Incidents(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const s = db.schema;
  const big = 'bigint';
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  await s.createTable('incidents').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull()).addColumn('status', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull()).addColumn('event_id', big)
    .addColumn('org', 'text', (c) => c.notNull()).addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull()).addColumn('closed_at', big).addColumn('closed_by', 'text').execute();
  await s.createTable('incident_steps').ifNotExists().addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull()).addColumn('state', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull()).addColumn('requested_by', 'text').addColumn('requested_at', big)
    .addColumn('done_by', 'text').addColumn('done_at', big)
    .addPrimaryKeyConstraint('incident_steps_pk', ['incident_id', 'step']).execute();
  await s.createTable('incident_log').ifNotExists()
    .addColumn('id', serial, (c) => dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
    .addColumn('incident_id', 'text', (c) => c.notNull()).addColumn('time', big, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull()).addColumn('step', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull()).addColumn('detail', 'text', (c) => c.notNull()).execute();
  await s.createIndex('incident_log_incident').ifNotExists().on('incident_log').columns(['incident_id', 'id']).execute();
  await s.createTable('agent_tasks').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull()).addColumn('incident_id', 'text').addColumn('step', 'text')
    .addColumn('kind', 'text', (c) => c.notNull()).addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull()).addColumn('created_at', big, (c) => c.notNull())
    .addColumn('sent_at', big).addColumn('finished_at', big).addColumn('message', 'text', (c) => c.notNull())
    .addColumn('result', 'text').addColumn('signed', 'text', (c) => c.notNull()).execute();
  await s.createIndex('agent_tasks_agent_state').ifNotExists().on('agent_tasks').columns(['agent_id', 'state']).execute();
  await s.createIndex('agent_tasks_incident').ifNotExists().on('agent_tasks').columns(['incident_id']).execute();
  await s.createTable('incident_files').ifNotExists().addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull()).addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull()).addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull()).addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull()).addColumn('created_at', big, (c) => c.notNull()).execute();
}
