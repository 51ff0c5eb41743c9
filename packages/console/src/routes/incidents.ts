// Incident response API: cases opened on an endpoint or from an event, the JPCERT/CC checklist, actions that queue
// signed agent tasks (isolate, release, collect, check, sweep of every endpoint), manual ticks, attached replay
// reports, the partner letter and the report export. Viewers read; operators and admins act. Everything that
// changes a case goes to the audit log and to the case timeline with the user's name.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, type Ctx } from '../context.ts';
import { ApiFailure, langOf } from '../errors.ts';
import { partnerLetter, type OrgDetails } from '../incident/letter.ts';
import { renderHtml, renderMarkdown } from '../incident/report.ts';
import { stepDef, STEP_KEYS } from '../incident/steps.ts';
import { cancelTask, createTask, idb, logCase, openIncident, requireIncident as requireAny, setStep, type IdbCtx } from '../incident/store.ts';
import { agentInScope, requireAgentInScope } from '../scope.ts';
import type { User } from '../context.ts';
import { loadCase, replaySummary } from '../incident/view.ts';
import { newId, sha256Hex } from '../secrets.ts';
import { IdParams, query } from './schemas.ts';

const OpenBody = Type.Object({
  agentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  eventId: Type.Optional(Type.Integer({ minimum: 1 })),
  title: Type.Optional(Type.String({ maxLength: 200 })),
}, { additionalProperties: false });
const Org = Type.Object({
  orgName: Type.Optional(Type.String({ maxLength: 200 })), contact: Type.Optional(Type.String({ maxLength: 500 })),
  incidentDate: Type.Optional(Type.Union([Type.Literal(''), Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })])),
  watchFor: Type.Optional(Type.String({ maxLength: 4000 })),
}, { additionalProperties: false });
const PatchBody = Type.Object({
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), org: Type.Optional(Org),
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
}, { additionalProperties: false });
const StepParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), step: Type.Union(STEP_KEYS.map((k) => Type.Literal(k))) }, { additionalProperties: false });
const StepBody = Type.Object({
  state: Type.Union([Type.Literal('done'), Type.Literal('todo')]), note: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });
const ActionBody = Type.Object({
  action: Type.Union(['isolate', 'release-isolation', 'collect', 'check', 'sweep'].map((a) => Type.Literal(a))),
}, { additionalProperties: false });
const FileBody = Type.Object({
  kind: Type.Literal('replay-report'), name: Type.String({ minLength: 1, maxLength: 200 }), content: Type.String({ minLength: 2, maxLength: 900_000 }),
}, { additionalProperties: false });
const ReportQuery = query({ format: Type.Union([Type.Literal('md'), Type.Literal('html')], { default: 'md' }) });

const ACTION_STEP = { isolate: 'isolate', 'release-isolation': null, collect: 'preserve', check: 'check' } as const;

/** An incident whose endpoint is in the user's scope (else NOT_FOUND). */
async function requireIncident(x: IdbCtx, id: string, user?: User) {
  const inc = await requireAny(x, id);
  if (user && user.scope !== null) {
    try { await requireAgentInScope(x.ctx, user, inc.agent_id); } catch { throw new ApiFailure('NOT_FOUND', { what: `incident ${id}` }); }
  }
  return inc;
}

export async function incidentRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const x = idb(ctx);

  app.get('/api/incidents', { config: { access: 'viewer' }, schema: { querystring: query({}) } }, async (req) => {
    const rows = await x.db.selectFrom('incidents').leftJoin('agents', 'agents.id', 'incidents.agent_id')
      .select(['incidents.id', 'incidents.title', 'incidents.status', 'incidents.agent_id', 'incidents.created_at', 'incidents.created_by', 'agents.hostname'])
      .where(agentInScope(req.user!, 'incidents.agent_id'))
      .orderBy('incidents.created_at', 'desc').limit(500).execute();
    const steps = await x.db.selectFrom('incident_steps').select(['incident_id', 'state']).execute();
    return { incidents: rows.map((r) => {
      const mine = steps.filter((s) => s.incident_id === r.id);
      return { id: r.id, title: r.title, status: r.status, endpointId: r.agent_id, hostname: r.hostname ?? null, createdAt: Number(r.created_at),
        createdBy: r.created_by, stepsDone: mine.filter((s) => s.state === 'done').length, steps: mine.length };
    }) };
  });

  app.post('/api/incidents', { config: { access: 'operator' }, schema: { body: OpenBody } }, async (req, reply) => {
    const b = req.body as { agentId?: string; eventId?: number; title?: string };
    if (req.user!.scope !== null) {
      const agentId = b.agentId ?? (b.eventId !== undefined ? (await x.db.selectFrom('events').select('agent_id').where('id', '=', b.eventId).executeTakeFirst())?.agent_id : undefined);
      if (agentId) await requireAgentInScope(ctx, req.user!, agentId);
    }
    const id = await openIncident(x, req.user!, b);
    await audit(ctx, req.user!, 'incident.open', `incident:${id}`, req.body as Record<string, unknown>);
    const inc = await requireAny(x, id);
    const host = await x.db.selectFrom('agents').select('hostname').where('id', '=', inc.agent_id).executeTakeFirst();
    ctx.alerts.notify({ kind: 'incident', incidentId: id, title: inc.title, hostname: host?.hostname ?? inc.agent_id, by: req.user!.username });
    return reply.code(201).send({ id });
  });

  app.post('/api/tasks/:id/cancel', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const t = await x.db.selectFrom('agent_tasks').select(['agent_id']).where('id', '=', id).executeTakeFirst();
    if (!t) throw new ApiFailure('NOT_FOUND', { what: `task ${id}` });
    await requireAgentInScope(ctx, req.user!, t.agent_id);
    const c = await cancelTask(x, req.user!, id);
    if (c.incidentId) {
      await logCase(x, c.incidentId, req.user!.username, c.step ?? '', 'task.cancel', { task: id });
      if (c.step && c.step !== 'sweep') await setStep(x, c.incidentId, c.step, 'todo', {});
    }
    await audit(ctx, req.user!, 'task.cancel', `task:${id}`, { endpoint: c.agentId, incident: c.incidentId });
    return { ok: true };
  });

  app.get('/api/incidents/:id', { config: { access: 'viewer' }, schema: { params: IdParams, querystring: query({}) } }, async (req) => {
    await requireIncident(x, (req.params as { id: string }).id, req.user);
    return loadCase(x, (req.params as { id: string }).id, langOf(req));
  });

  app.patch('/api/incidents/:id', { config: { access: 'operator' }, schema: { params: IdParams, body: PatchBody } }, async (req) => {
    const { id } = req.params as { id: string };
    const b = req.body as { title?: string; org?: Partial<OrgDetails>; status?: 'open' | 'closed' };
    const inc = await requireIncident(x, id, req.user);
    const now = ctx.now();
    const org = b.org ? { ...JSON.parse(inc.org) as OrgDetails, ...b.org } : undefined;
    await x.db.updateTable('incidents').set({
      ...(b.title ? { title: b.title } : {}), ...(org ? { org: JSON.stringify(org) } : {}),
      ...(b.status === 'closed' && inc.status !== 'closed' ? { status: 'closed', closed_at: now, closed_by: req.user!.username } : {}),
      ...(b.status === 'open' && inc.status !== 'open' ? { status: 'open', closed_at: null, closed_by: null } : {}),
    }).where('id', '=', id).execute();
    const what = { ...(b.title ? { title: b.title } : {}), ...(b.org ? { org: Object.keys(b.org) } : {}), ...(b.status ? { status: b.status } : {}) };
    await logCase(x, id, req.user!.username, '', 'incident.update', what);
    await audit(ctx, req.user!, 'incident.update', `incident:${id}`, what);
    return { ok: true };
  });

  app.post('/api/incidents/:id/steps/:step', { config: { access: 'operator' }, schema: { params: StepParams, body: StepBody } }, async (req) => {
    const { id, step } = req.params as { id: string; step: string };
    const b = req.body as { state: 'done' | 'todo'; note?: string };
    await requireIncident(x, id, req.user);
    await setStep(x, id, step, b.state, { ...(b.state === 'done' ? { done: req.user!.username } : {}), ...(b.note !== undefined ? { note: b.note } : {}) });
    await logCase(x, id, req.user!.username, step, b.state === 'done' ? 'step.done' : 'step.reopen', b.note ? { note: b.note.slice(0, 500) } : {});
    await audit(ctx, req.user!, `incident.step.${b.state}`, `incident:${id}`, { step });
    return { ok: true };
  });

  app.post('/api/incidents/:id/actions', { config: { access: 'operator' }, schema: { params: IdParams, body: ActionBody } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const { action } = req.body as { action: 'isolate' | 'release-isolation' | 'collect' | 'check' | 'sweep' };
    const inc = await requireIncident(x, id, req.user);
    if (inc.status === 'closed') throw new ApiFailure('CONFLICT', { detail: 'the incident is closed; reopen it first' });
    const user = req.user!;
    let tasks: string[];
    if (action === 'sweep') {
      const agents = await x.db.selectFrom('agents').select('id').where('revoked_at', 'is', null).where(agentInScope(user, 'id')).execute();
      tasks = [];
      for (const a of agents) tasks.push(await createTask(x, user, a.id, 'check', { incidentId: id, step: 'sweep' }));
      await setStep(x, id, 'sweep', 'waiting', { requested: user.username });
      await logCase(x, id, user.username, 'sweep', 'sweep.request', { endpoints: agents.length });
    } else {
      const step = ACTION_STEP[action];
      const agent = await x.db.selectFrom('agents').select('id').where('id', '=', inc.agent_id).executeTakeFirst();
      if (!agent) throw new ApiFailure('NOT_FOUND', { what: `endpoint ${inc.agent_id}` });
      tasks = [await createTask(x, user, inc.agent_id, action, { incidentId: id, step })];
      if (step) await setStep(x, id, step, 'waiting', { requested: user.username });
      await logCase(x, id, user.username, step ?? stepDef('isolate')!.key, 'task.request', { kind: action, task: tasks[0] });
    }
    await audit(ctx, user, `incident.action.${action}`, `incident:${id}`, { tasks: tasks.length });
    return reply.code(202).send({ tasks });
  });

  app.post('/api/incidents/:id/files', { config: { access: 'operator' }, bodyLimit: 1024 * 1024, schema: { params: IdParams, body: FileBody } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = req.body as { kind: string; name: string; content: string };
    await requireIncident(x, id, req.user);
    try { JSON.parse(b.content); } catch (e) {
      throw new ApiFailure('VALIDATION', { where: 'body.content', detail: `not JSON (${(e as Error).message}); attach the output of omamori replay --format json` }, { field: 'content' });
    }
    const summary = replaySummary(b.content);
    if (Object.keys(summary).length === 0) throw new ApiFailure('VALIDATION', { where: 'body.content', detail: 'not an omamori replay JSON report (no policy, stats or rules)' }, { field: 'content' });
    const fileId = newId();
    const sha256 = sha256Hex(b.content);
    await x.db.insertInto('incident_files').values({ id: fileId, incident_id: id, kind: b.kind, name: b.name, sha256, size: Buffer.byteLength(b.content), content: b.content, created_by: req.user!.username, created_at: ctx.now() }).execute();
    await logCase(x, id, req.user!.username, 'secondary', 'file.attach', { name: b.name, sha256, ...summary });
    await audit(ctx, req.user!, 'incident.file', `incident:${id}`, { name: b.name, sha256 });
    return reply.code(201).send({ id: fileId, sha256, summary });
  });

  app.get('/api/incidents/:id/letter', { config: { access: 'viewer' }, schema: { params: IdParams, querystring: query({}) } }, async (req) => {
    const inc = await requireIncident(x, (req.params as { id: string }).id, req.user);
    return partnerLetter(JSON.parse(inc.org) as OrgDetails, langOf(req));
  });

  app.get('/api/incidents/:id/report', { config: { access: 'viewer' }, schema: { params: IdParams, querystring: ReportQuery } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const { format } = req.query as { format: 'md' | 'html' };
    const lang = langOf(req);
    await requireIncident(x, id, req.user);
    const c = await loadCase(x, id, lang);
    const text = format === 'html' ? renderHtml(c, lang, ctx.now()) : renderMarkdown(c, lang, ctx.now());
    reply.header('content-type', format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8');
    // The HTML report is self-contained: its one inline stylesheet, nothing else (no script, no request out).
    if (format === 'html') reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    reply.header('content-disposition', `attachment; filename="incident-${id}-${lang}.${format}"`);
    return text;
  });
}
