// Incident cases in the store: opening a case (with its checklist), agent tasks (signed, queued until the agent
// reports), applying an agent's result to the case step it belongs to, and reading a whole case for the API, the
// report and the UI. Every change is written to the case timeline (incident_log) with who did it and when.
import { AGENT_TASK_KINDS, taskCancelPayload, taskSigningPayload, type AgentTask, type AgentTaskKind, type SignedAgentTask, type SignedTaskCancel, type TaskCancel, type TaskResultRequest } from '@omamori/policy';
import { audit, type Ctx, type User } from '../context.ts';
import { incidentDb, type IncidentDb, type StepState } from '../db/migration-incidents.ts';
import { ApiFailure } from '../errors.ts';
import { newId } from '../secrets.ts';
import { EMPTY_ORG, type OrgDetails } from './letter.ts';
import { STEP_KEYS, STEPS, type StepKey } from './steps.ts';

export const idb = (ctx: Ctx): IdbCtx => ({ ctx, db: incidentDb(ctx.db) });
export interface IdbCtx { ctx: Ctx; db: IncidentDb }

export async function logCase(x: IdbCtx, incidentId: string, actor: string, step: string, action: string, detail: Record<string, unknown> = {}): Promise<void> {
  await x.db.insertInto('incident_log').values({ incident_id: incidentId, time: x.ctx.now(), actor, step, action, detail: JSON.stringify(detail) }).execute();
}

export async function openIncident(x: IdbCtx, user: User, b: { agentId?: string; eventId?: number; title?: string }): Promise<string> {
  let agentId = b.agentId;
  let eventObject: string | undefined;
  if (b.eventId !== undefined) {
    const ev = await x.db.selectFrom('events').select(['agent_id', 'object']).where('id', '=', b.eventId).executeTakeFirst();
    if (!ev) throw new ApiFailure('NOT_FOUND', { what: `event ${b.eventId}` });
    if (agentId && agentId !== ev.agent_id) throw new ApiFailure('VALIDATION', { where: 'body.agentId', detail: 'the event belongs to another endpoint' }, { field: 'agentId' });
    agentId = ev.agent_id; eventObject = ev.object;
  }
  if (!agentId) throw new ApiFailure('VALIDATION', { where: 'body', detail: 'give agentId or eventId' });
  const agent = await x.db.selectFrom('agents').select(['id', 'hostname']).where('id', '=', agentId).executeTakeFirst();
  if (!agent) throw new ApiFailure('NOT_FOUND', { what: `endpoint ${agentId}` });
  const id = newId();
  const now = x.ctx.now();
  const title = b.title?.trim() || `${agent.hostname}${eventObject ? `: ${eventObject}` : ''}`;
  const org: OrgDetails = { ...EMPTY_ORG, incidentDate: new Date(now).toISOString().slice(0, 10) };
  await x.db.insertInto('incidents').values({
    id, title: title.slice(0, 200), status: 'open', agent_id: agentId, event_id: b.eventId ?? null, org: JSON.stringify(org),
    created_by: user.username, created_at: now, closed_at: null, closed_by: null,
  }).execute();
  await x.db.insertInto('incident_steps').values(STEP_KEYS.map((step) => ({
    incident_id: id, step, state: 'todo' as StepState, note: '', requested_by: null, requested_at: null, done_by: null, done_at: null,
  }))).execute();
  await logCase(x, id, user.username, '', 'incident.open', { endpoint: agent.hostname, ...(b.eventId !== undefined ? { event: b.eventId } : {}) });
  return id;
}

export async function requireIncident(x: IdbCtx, id: string) {
  const inc = await x.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!inc) throw new ApiFailure('NOT_FOUND', { what: `incident ${id}` });
  return inc;
}

/** How long a task stays valid unless the caller says otherwise: an agent that comes back later does not run it. */
export const TASK_TTL_MS = 24 * 3600_000;

/** Queues a signed task for one agent, valid until `ttlMs` from now. */
export async function createTask(x: IdbCtx, user: User, agentId: string, kind: AgentTaskKind, link: { incidentId: string; step: StepKey | null }, ttlMs = TASK_TTL_MS): Promise<string> {
  const id = newId();
  const now = x.ctx.now();
  const task: AgentTask = { id, kind, agentId, createdAt: now, requestedBy: user.username, reason: `incident ${link.incidentId}: ${kind}`, expiresAt: now + ttlMs };
  const signed: SignedAgentTask = { task, signature: x.ctx.signingKey.sign(taskSigningPayload(task)) };
  await x.db.insertInto('agent_tasks').values({
    id, agent_id: agentId, incident_id: link.incidentId, step: link.step, kind, state: 'pending', created_by: user.username,
    created_at: now, sent_at: null, finished_at: null, message: '', result: null, signed: JSON.stringify(signed),
    expires_at: now + ttlMs, cancelled_by: null, cancel_signed: null,
  }).execute();
  x.ctx.wake.changed();
  return id;
}

/** Cancels a task not finished yet: it is no longer sent, and a signed cancellation goes to the agent. */
export async function cancelTask(x: IdbCtx, user: User, taskId: string): Promise<{ agentId: string; incidentId: string | null; step: string | null }> {
  const t = await x.db.selectFrom('agent_tasks').select(['id', 'agent_id', 'state', 'incident_id', 'step']).where('id', '=', taskId).executeTakeFirst();
  if (!t) throw new ApiFailure('NOT_FOUND', { what: `task ${taskId}` });
  if (t.state !== 'pending' && t.state !== 'sent') throw new ApiFailure('CONFLICT', { detail: `the task is ${t.state} already` });
  const now = x.ctx.now();
  const cancel: TaskCancel = { taskId, agentId: t.agent_id, cancelledAt: now, by: user.username };
  const signed: SignedTaskCancel = { cancel, signature: x.ctx.signingKey.sign(taskCancelPayload(cancel)) };
  const upd = await x.db.updateTable('agent_tasks').set({ state: 'cancelled', finished_at: now, cancelled_by: user.username, cancel_signed: JSON.stringify(signed), message: `cancelled by ${user.username}` })
    .where('id', '=', taskId).where('state', 'in', ['pending', 'sent']).executeTakeFirst();
  if (Number(upd.numUpdatedRows) !== 1) throw new ApiFailure('CONFLICT', { detail: 'the task finished meanwhile' });
  x.ctx.wake.changed();
  return { agentId: t.agent_id, incidentId: t.incident_id, step: t.step };
}

export async function setStep(x: IdbCtx, incidentId: string, step: string, state: StepState, by: { requested?: string; done?: string; note?: string }): Promise<void> {
  const now = x.ctx.now();
  await x.db.updateTable('incident_steps').set({
    state,
    ...(by.requested ? { requested_by: by.requested, requested_at: now } : {}),
    ...(by.done ? { done_by: by.done, done_at: now } : state === 'todo' || state === 'waiting' ? { done_by: null, done_at: null } : {}),
    ...(by.note !== undefined ? { note: by.note } : {}),
  }).where('incident_id', '=', incidentId).where('step', '=', step).execute();
}

/**
 * The tasks an agent should run now (not yet reported, not expired), marked as sent; tasks past their expiry become
 * `expired` (their case step returns to be done); and the signed cancellations of the last day, for tasks the agent
 * may have queued.
 */
export async function tasksFor(x: IdbCtx, agentId: string): Promise<{ tasks: SignedAgentTask[]; cancelled: SignedTaskCancel[] }> {
  const now = x.ctx.now();
  const stale = await x.db.selectFrom('agent_tasks').select(['id', 'incident_id', 'step']).where('agent_id', '=', agentId)
    .where('state', 'in', ['pending', 'sent']).where('expires_at', '<=', now).execute();
  for (const t of stale) {
    const upd = await x.db.updateTable('agent_tasks').set({ state: 'expired', finished_at: now, message: 'expired before the agent ran it' })
      .where('id', '=', t.id).where('state', 'in', ['pending', 'sent']).executeTakeFirst();
    if (Number(upd.numUpdatedRows) === 1 && t.incident_id) {
      await logCase(x, t.incident_id, 'system', t.step ?? '', 'task.expired', { task: t.id });
      if (t.step && t.step !== 'sweep') await setStep(x, t.incident_id, t.step, 'todo', {});
    }
  }
  const rows = await x.db.selectFrom('agent_tasks').select(['id', 'signed', 'state']).where('agent_id', '=', agentId)
    .where('state', 'in', ['pending', 'sent']).orderBy('created_at').limit(20).execute();
  const fresh = rows.filter((r) => r.state === 'pending').map((r) => r.id);
  if (fresh.length) await x.db.updateTable('agent_tasks').set({ state: 'sent', sent_at: now }).where('id', 'in', fresh).where('state', '=', 'pending').execute();
  const cancels = await x.db.selectFrom('agent_tasks').select('cancel_signed').where('agent_id', '=', agentId).where('state', '=', 'cancelled')
    .where('finished_at', '>', now - 86_400_000).where('sent_at', 'is not', null).limit(50).execute();
  return {
    tasks: rows.map((r) => JSON.parse(r.signed) as SignedAgentTask),
    cancelled: cancels.filter((c) => c.cancel_signed).map((c) => JSON.parse(c.cancel_signed!) as SignedTaskCancel),
  };
}

/** An agent reports a task: the task is finished and the case step it belongs to moves on. */
export async function applyResult(x: IdbCtx, agentId: string, taskId: string, r: TaskResultRequest): Promise<{ duplicate: boolean }> {
  const task = await x.db.selectFrom('agent_tasks').selectAll().where('id', '=', taskId).where('agent_id', '=', agentId).executeTakeFirst();
  if (!task) throw new ApiFailure('NOT_FOUND', { what: `task ${taskId}` });
  if (task.state !== 'pending' && task.state !== 'sent') return { duplicate: true };
  const agent = await x.db.selectFrom('agents').select('hostname').where('id', '=', agentId).executeTakeFirstOrThrow();
  const now = x.ctx.now();
  const { status, message, ...rest } = r;
  const upd = await x.db.updateTable('agent_tasks').set({ state: status, finished_at: now, message, result: JSON.stringify(rest) })
    .where('id', '=', taskId).where('state', 'in', ['pending', 'sent']).executeTakeFirst();
  if (Number(upd.numUpdatedRows) !== 1) return { duplicate: true };
  const actor = `agent:${agent.hostname}`;
  await audit(x.ctx, { kind: 'agent', id: agentId, hostname: agent.hostname }, `task.${status}`, `task:${taskId}`, { kind: task.kind, incident: task.incident_id, message: message.slice(0, 200) });
  if (!task.incident_id) return { duplicate: false };
  const inc = task.incident_id;
  await logCase(x, inc, actor, task.step ?? '', `task.${status}`, { task: taskId, kind: task.kind, message: message.slice(0, 500), ...(r.check ? { verdict: r.check.verdict, findings: r.check.findings.length } : {}), ...(r.evidence ? { bundleSha256: r.evidence.bundleSha256 } : {}) });
  if (task.step === 'sweep') { await settleSweep(x, inc, actor); return { duplicate: false }; }
  if (!task.step) return { duplicate: false };
  let state: StepState = status === 'done' ? 'done' : 'failed';
  if (status === 'done' && task.kind === 'check' && r.check?.verdict === 'findings') state = 'attention';
  await setStep(x, inc, task.step, state, state === 'done' ? { done: actor } : {});
  return { duplicate: false };
}

/** The sweep step settles when every endpoint of the latest sweep reported: done when all are clean. */
async function settleSweep(x: IdbCtx, incidentId: string, actor: string): Promise<void> {
  const latest = await latestSweep(x, incidentId);
  if (latest.some((t) => t.state === 'pending' || t.state === 'sent')) return;
  const clean = latest.every((t) => t.state === 'done' && (JSON.parse(t.result ?? '{}') as TaskResultRequest).check?.verdict === 'clean');
  await setStep(x, incidentId, 'sweep', clean ? 'done' : 'attention', clean ? { done: actor } : {});
}

/** The newest sweep task per endpoint. */
export async function latestSweep(x: IdbCtx, incidentId: string) {
  const rows = await x.db.selectFrom('agent_tasks').selectAll().where('incident_id', '=', incidentId).where('step', '=', 'sweep').orderBy('created_at', 'desc').execute();
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.agent_id) && (seen.add(r.agent_id), true));
}

export const isTaskKind = (k: string): k is AgentTaskKind => (AGENT_TASK_KINDS as readonly string[]).includes(k);
export { STEPS };
