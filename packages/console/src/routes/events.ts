// The event query (by endpoint, rule, app, verdict, time; each event with its lineage) and time-boxed exceptions:
// created from one event in one call, delivered in that endpoint's policy until they expire by themselves.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, type Ctx } from '../context.ts';
import type { EventsTable } from '../db/schema.ts';
import { ApiFailure } from '../errors.ts';
import { newId } from '../secrets.ts';
import { IdParams, query } from './schemas.ts';

type Row = Omit<EventsTable, 'id'> & { id: number; hostname?: string | null };

function eventView(r: Row) {
  return {
    id: Number(r.id), endpointId: r.agent_id, hostname: r.hostname ?? null, time: Number(r.time), receivedAt: Number(r.received_at),
    verdict: r.verdict, reason: r.reason, rule: r.rule, kind: r.kind, app: r.app, object: r.object, guarded: r.guarded,
    policyVersion: r.policy_version, pid: r.pid, lineage: JSON.parse(r.lineage) as unknown,
    detail: r.detail ? JSON.parse(r.detail) as unknown : null,
  };
}

const EventIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

export async function eventRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/events', {
    config: { access: 'viewer' },
    schema: { querystring: query({
      endpoint: Type.Optional(Type.String({ maxLength: 64 })), rule: Type.Optional(Type.String({ maxLength: 128 })),
      app: Type.Optional(Type.String({ maxLength: 256 })), verdict: Type.Optional(Type.Union(['allow', 'deny', 'audit-deny'].map((v) => Type.Literal(v)))),
      reason: Type.Optional(Type.String({ maxLength: 64 })), kind: Type.Optional(Type.String({ maxLength: 64 })),
      from: Type.Optional(Type.Integer({ minimum: 0 })), to: Type.Optional(Type.Integer({ minimum: 0 })),
      before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    }) },
  }, async (req) => {
    const q = req.query as Record<string, string | number | undefined> & { limit: number };
    let sel = ctx.db.selectFrom('events').leftJoin('agents', 'agents.id', 'events.agent_id').selectAll('events').select('agents.hostname');
    if (q.endpoint) sel = sel.where('events.agent_id', '=', String(q.endpoint));
    if (q.rule) sel = sel.where('events.rule', '=', String(q.rule));
    if (q.app) sel = sel.where('events.app', '=', String(q.app));
    if (q.verdict) sel = sel.where('events.verdict', '=', String(q.verdict));
    if (q.reason) sel = sel.where('events.reason', '=', String(q.reason));
    if (q.kind) sel = sel.where('events.kind', '=', String(q.kind));
    if (q.from !== undefined) sel = sel.where('events.time', '>=', Number(q.from));
    if (q.to !== undefined) sel = sel.where('events.time', '<', Number(q.to));
    if (q.before !== undefined) sel = sel.where('events.id', '<', Number(q.before));
    const rows = await sel.orderBy('events.id', 'desc').limit(q.limit).execute();
    const events = rows.map((r) => eventView(r as Row));
    return { events, next: events.length === q.limit ? events[events.length - 1]!.id : null };
  });

  app.get('/api/events/:id', { config: { access: 'viewer' }, schema: { params: EventIdParams } }, async (req) => {
    const { id } = req.params as { id: number };
    const r = await ctx.db.selectFrom('events').leftJoin('agents', 'agents.id', 'events.agent_id').selectAll('events').select('agents.hostname').where('events.id', '=', id).executeTakeFirst();
    if (!r) throw new ApiFailure('NOT_FOUND', { what: `event ${id}` });
    return eventView(r as Row);
  });

  app.post('/api/events/:id/exception', {
    config: { access: 'operator' },
    schema: {
      params: EventIdParams,
      body: Type.Object({
        hours: Type.Number({ exclusiveMinimum: 0, maximum: 720 }),
        match: Type.Union([Type.Literal('path'), Type.Literal('sha256')], { default: 'path' }),
        note: Type.String({ maxLength: 500, default: '' }),
      }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: number };
    const b = req.body as { hours: number; match: 'path' | 'sha256'; note: string };
    const ev = await ctx.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    if (!ev) throw new ApiFailure('NOT_FOUND', { what: `event ${id}` });
    const detail = ev.detail ? JSON.parse(ev.detail) as Record<string, unknown> : {};
    const sha = typeof detail.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(detail.sha256) ? detail.sha256.toLowerCase() : null;
    if (b.match === 'sha256' && !sha) throw new ApiFailure('VALIDATION', { where: 'body.match', detail: 'the event has no SHA-256' }, { field: 'match' });
    const now = ctx.now();
    const x = {
      id: newId(), agent_id: ev.agent_id, path: b.match === 'path' ? ev.object : null, sha256: b.match === 'sha256' ? sha : null,
      expires_at: now + Math.round(b.hours * 3600_000), note: b.note || `from event ${id} (${ev.rule})`, event_id: id,
      created_by: req.user!.username, created_at: now,
    };
    await ctx.db.insertInto('exceptions').values(x).execute();
    await audit(ctx, req.user!, 'exception.create', `exception:${x.id}`, { endpoint: ev.agent_id, event: id, path: x.path, sha256: x.sha256, expiresAt: x.expires_at });
    return reply.code(201).send({ id: x.id, endpointId: x.agent_id, path: x.path, sha256: x.sha256, expiresAt: x.expires_at, note: x.note, eventId: id });
  });

  app.get('/api/exceptions', {
    config: { access: 'viewer' },
    schema: { querystring: query({ endpoint: Type.Optional(Type.String({ maxLength: 64 })), all: Type.Boolean({ default: false }) }) },
  }, async (req) => {
    const q = req.query as { endpoint?: string; all: boolean };
    let sel = ctx.db.selectFrom('exceptions').selectAll().orderBy('created_at', 'desc').limit(1000);
    if (q.endpoint) sel = sel.where('agent_id', '=', q.endpoint);
    if (!q.all) sel = sel.where('expires_at', '>', ctx.now());
    const rows = await sel.execute();
    return { exceptions: rows.map((x) => ({ id: x.id, endpointId: x.agent_id, path: x.path, sha256: x.sha256, expiresAt: Number(x.expires_at), note: x.note, eventId: x.event_id === null ? null : Number(x.event_id), createdBy: x.created_by, active: Number(x.expires_at) > ctx.now() })) };
  });

  app.delete('/api/exceptions/:id', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const now = ctx.now();
    const res = await ctx.db.updateTable('exceptions').set({ expires_at: now }).where('id', '=', id).where('expires_at', '>', now).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new ApiFailure('NOT_FOUND', { what: `active exception ${id}` });
    await audit(ctx, req.user!, 'exception.revoke', `exception:${id}`);
    return { ok: true };
  });
}
