// The event query (by endpoint, rule, app, verdict, time and free text), one event in full, the quarantine of
// refused events, and time-boxed exceptions made from one event. Lists carry a projection (no `detail`, lineage
// reduced to its last steps, long fields cut) and are paged by count AND size, so no endpoint can make a page large:
// the full event is GET /api/events/:id. Exceptions match that exact file: a path without pattern characters, else
// the event's SHA-256, else none (409 EXACT_MATCH).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql, type SelectQueryBuilder } from 'kysely';
import { audit, type Ctx, type User } from '../context.ts';
import type { Database, EventsTable } from '../db/schema.ts';
import { ApiFailure } from '../errors.ts';
import { agentInScope, requireAgentInScope } from '../scope.ts';
import { newId } from '../secrets.ts';
import { IdParams, likePattern, query } from './schemas.ts';

/** A page of events is at most this many bytes of JSON (besides `limit` rows). */
export const EVENT_PAGE_BYTES = 512 * 1024;
/** Fields of a list row are cut to this many characters (the full value is in GET /api/events/:id). */
const LIST_FIELD = 512;
/** A full event's detail larger than this (stored by an older console) is answered as a note, not the text. */
const DETAIL_SHOWN_BYTES = 64 * 1024;

const LIST_COLUMNS = ['events.id', 'events.agent_id', 'events.key', 'events.time', 'events.received_at', 'events.verdict', 'events.reason', 'events.rule',
  'events.kind', 'events.app', 'events.object', 'events.guarded', 'events.policy_version', 'events.pid', 'events.user', 'events.sha256', 'events.signer'] as const;

type ListRow = Pick<EventsTable, 'agent_id' | 'time' | 'received_at' | 'verdict' | 'reason' | 'rule' | 'kind' | 'app' | 'object' | 'guarded' | 'policy_version' | 'pid' | 'user' | 'sha256' | 'signer'>
  & { id: number; hostname?: string | null; lineage_tail?: string | null };

const cut = (s: string | null) => s !== null && s.length > LIST_FIELD ? `${s.slice(0, LIST_FIELD)}…` : s;

export function eventListView(r: ListRow) {
  return {
    id: Number(r.id), endpointId: r.agent_id, hostname: r.hostname ?? null, time: Number(r.time), receivedAt: Number(r.received_at),
    verdict: r.verdict, reason: r.reason, rule: r.rule, kind: r.kind, app: cut(r.app)!, object: cut(r.object)!, guarded: r.guarded,
    policyVersion: r.policy_version, pid: r.pid, user: cut(r.user), sha256: r.sha256, signer: cut(r.signer),
  };
}

function eventView(r: Omit<EventsTable, 'id'> & { id: number; hostname?: string | null }) {
  const big = r.detail !== null && r.detail.length > DETAIL_SHOWN_BYTES;
  return {
    ...eventListView(r), app: r.app, object: r.object, user: r.user, signer: r.signer, commandLine: r.command_line,
    lineage: JSON.parse(r.lineage) as unknown,
    detail: big ? { omitted: `detail of ${r.detail!.length} bytes not shown (over ${DETAIL_SHOWN_BYTES})` } : r.detail ? JSON.parse(r.detail) as unknown : null,
  };
}

const EventIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

export const EventFilters = {
  endpoint: Type.Optional(Type.String({ maxLength: 64 })), rule: Type.Optional(Type.String({ maxLength: 128 })),
  app: Type.Optional(Type.String({ maxLength: 256 })), verdict: Type.Optional(Type.Union(['allow', 'deny', 'audit-deny'].map((v) => Type.Literal(v)))),
  reason: Type.Optional(Type.String({ maxLength: 64 })), kind: Type.Optional(Type.String({ maxLength: 64 })),
  group: Type.Optional(Type.String({ maxLength: 64 })),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  from: Type.Optional(Type.Integer({ minimum: 0 })), to: Type.Optional(Type.Integer({ minimum: 0 })),
  before: Type.Optional(Type.Integer({ minimum: 1 })),
};
export type EventFilter = { endpoint?: string; rule?: string; app?: string; verdict?: string; reason?: string; kind?: string; group?: string; q?: string; from?: number; to?: number; before?: number };

/** Applies the filters (and the user's group scope) to a query over `events`. */
export function filterEvents<O>(sel: SelectQueryBuilder<Database, 'events' | 'agents', O>, q: EventFilter, user: User) {
  let s = sel.where(agentInScope(user, 'events.agent_id'));
  if (q.endpoint) s = s.where('events.agent_id', '=', q.endpoint);
  if (q.group) s = s.where('agents.group_id', '=', q.group);
  if (q.rule) s = s.where('events.rule', '=', q.rule);
  if (q.app) s = s.where('events.app', '=', q.app);
  if (q.verdict) s = s.where('events.verdict', '=', q.verdict);
  if (q.reason) s = s.where('events.reason', '=', q.reason);
  if (q.kind) s = s.where('events.kind', '=', q.kind);
  if (q.from !== undefined) s = s.where('events.time', '>=', q.from);
  if (q.to !== undefined) s = s.where('events.time', '<', q.to);
  if (q.before !== undefined) s = s.where('events.id', '<', q.before);
  if (q.q) {
    const p = likePattern(q.q);
    s = s.where((eb) => eb.or(['events.object', 'events.app', 'events.rule', 'events.reason', 'events.user', 'events.command_line', 'events.sha256', 'agents.hostname']
      .map((c) => eb(sql`lower(${sql.ref(c)})`, 'like', p))));
  }
  return s;
}

/** Characters that make a policy path a pattern (patterns.ts): wildcards, %FOLDER% tokens, a leading ~, backslashes on Linux. */
export function patternChars(path: string, platform: string): string[] {
  const found = new Set<string>();
  for (const ch of ['*', '?']) if (path.includes(ch)) found.add(ch);
  if (/%[^%/\\]*%/.test(path)) found.add('%…%');
  if (path.startsWith('~')) found.add('~');
  if (platform !== 'windows' && path.includes('\\')) found.add('\\');
  return [...found];
}

export async function eventRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/events', {
    config: { access: 'viewer' },
    schema: { querystring: query({ ...EventFilters, limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }) },
  }, async (req) => {
    const q = req.query as EventFilter & { limit: number };
    const sel = filterEvents(ctx.db.selectFrom('events').leftJoin('agents', 'agents.id', 'events.agent_id').select([...LIST_COLUMNS, 'agents.hostname']), q, req.user!);
    const rows = await sel.orderBy('events.id', 'desc').limit(q.limit).execute();
    const events: ReturnType<typeof eventListView>[] = [];
    let bytes = 0; let full = false;
    for (const r of rows) {
      const v = eventListView(r as ListRow);
      bytes += JSON.stringify(v).length + 1;
      if (events.length > 0 && bytes > EVENT_PAGE_BYTES) { full = true; break; }
      events.push(v);
    }
    return { events, next: full || events.length === q.limit ? events[events.length - 1]!.id : null };
  });

  app.get('/api/events/:id', { config: { access: 'viewer' }, schema: { params: EventIdParams } }, async (req) => {
    const { id } = req.params as { id: number };
    const r = await ctx.db.selectFrom('events').leftJoin('agents', 'agents.id', 'events.agent_id').selectAll('events').select('agents.hostname')
      .where('events.id', '=', id).where(agentInScope(req.user!, 'events.agent_id')).executeTakeFirst();
    if (!r) throw new ApiFailure('NOT_FOUND', { what: `event ${id}` });
    return eventView(r as Omit<EventsTable, 'id'> & { id: number; hostname?: string | null });
  });

  app.get('/api/quarantine', {
    config: { access: 'viewer' },
    schema: { querystring: query({ endpoint: Type.Optional(Type.String({ maxLength: 64 })), before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) }) },
  }, async (req) => {
    const q = req.query as { endpoint?: string; before?: number; limit: number };
    let sel = ctx.db.selectFrom('event_quarantine').leftJoin('agents', 'agents.id', 'event_quarantine.agent_id')
      .select(['event_quarantine.id', 'event_quarantine.agent_id', 'event_quarantine.key', 'event_quarantine.time', 'event_quarantine.received_at',
        'event_quarantine.source', 'event_quarantine.code', 'event_quarantine.reason', 'event_quarantine.excerpt', 'agents.hostname'])
      .where(agentInScope(req.user!, 'event_quarantine.agent_id'));
    if (q.endpoint) sel = sel.where('event_quarantine.agent_id', '=', q.endpoint);
    if (q.before) sel = sel.where('event_quarantine.id', '<', q.before);
    const rows = await sel.orderBy('event_quarantine.id', 'desc').limit(q.limit).execute();
    return { entries: rows.map((r) => ({ id: Number(r.id), endpointId: r.agent_id, hostname: r.hostname ?? null, key: r.key, time: r.time === null ? null : Number(r.time), receivedAt: Number(r.received_at), source: r.source, code: r.code, reason: r.reason, excerpt: r.excerpt })) };
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
    const ev = await ctx.db.selectFrom('events').innerJoin('agents', 'agents.id', 'events.agent_id')
      .select(['events.agent_id', 'events.object', 'events.rule', 'events.detail', 'events.sha256', 'agents.platform']).where('events.id', '=', id).executeTakeFirst();
    if (!ev) throw new ApiFailure('NOT_FOUND', { what: `event ${id}` });
    await requireAgentInScope(ctx, req.user!, ev.agent_id);
    let detailSha: unknown;
    try { detailSha = ev.detail && ev.detail.length < DETAIL_SHOWN_BYTES ? (JSON.parse(ev.detail) as Record<string, unknown>).sha256 : undefined; } catch { detailSha = undefined; }
    const shaRaw = ev.sha256 ?? detailSha;
    const sha = typeof shaRaw === 'string' && /^[0-9a-f]{64}$/i.test(shaRaw) ? shaRaw.toLowerCase() : null;
    if (b.match === 'sha256' && !sha) throw new ApiFailure('VALIDATION', { where: 'body.match', detail: 'the event has no SHA-256' }, { field: 'match' });
    let match = b.match;
    const chars = patternChars(ev.object, ev.platform);
    if (match === 'path' && chars.length) {
      // A path with pattern characters would allow more than this file: the hash names it exactly.
      if (!sha) throw new ApiFailure('EXACT_MATCH', { path: ev.object.slice(0, 200), chars: chars.join(' ') });
      match = 'sha256';
    }
    const now = ctx.now();
    const x = {
      id: newId(), agent_id: ev.agent_id, path: match === 'path' ? ev.object : null, sha256: match === 'sha256' ? sha : null,
      expires_at: now + Math.round(b.hours * 3600_000), note: b.note || `from event ${id} (${ev.rule})`, event_id: id,
      created_by: req.user!.username, created_at: now,
    };
    await ctx.db.insertInto('exceptions').values(x).execute();
    await audit(ctx, req.user!, 'exception.create', `exception:${x.id}`, { endpoint: ev.agent_id, event: id, path: x.path, sha256: x.sha256, expiresAt: x.expires_at });
    ctx.wake.changed();
    return reply.code(201).send({ id: x.id, endpointId: x.agent_id, path: x.path, sha256: x.sha256, expiresAt: x.expires_at, note: x.note, eventId: id, match });
  });

  app.get('/api/exceptions', {
    config: { access: 'viewer' },
    schema: { querystring: query({ endpoint: Type.Optional(Type.String({ maxLength: 64 })), all: Type.Boolean({ default: false }) }) },
  }, async (req) => {
    const q = req.query as { endpoint?: string; all: boolean };
    let sel = ctx.db.selectFrom('exceptions').leftJoin('agents', 'agents.id', 'exceptions.agent_id').selectAll('exceptions').select('agents.hostname')
      .where(agentInScope(req.user!, 'exceptions.agent_id')).orderBy('exceptions.created_at', 'desc').limit(1000);
    if (q.endpoint) sel = sel.where('exceptions.agent_id', '=', q.endpoint);
    if (!q.all) sel = sel.where('exceptions.expires_at', '>', ctx.now());
    const rows = await sel.execute();
    return { exceptions: rows.map((x) => ({ id: x.id, endpointId: x.agent_id, hostname: x.hostname ?? null, path: x.path, sha256: x.sha256, expiresAt: Number(x.expires_at), note: x.note, eventId: x.event_id === null ? null : Number(x.event_id), createdBy: x.created_by, active: Number(x.expires_at) > ctx.now() })) };
  });

  app.delete('/api/exceptions/:id', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const x = await ctx.db.selectFrom('exceptions').select('agent_id').where('id', '=', id).executeTakeFirst();
    if (!x) throw new ApiFailure('NOT_FOUND', { what: `active exception ${id}` });
    await requireAgentInScope(ctx, req.user!, x.agent_id);
    const now = ctx.now();
    const res = await ctx.db.updateTable('exceptions').set({ expires_at: now }).where('id', '=', id).where('expires_at', '>', now).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new ApiFailure('NOT_FOUND', { what: `active exception ${id}` });
    await audit(ctx, req.user!, 'exception.revoke', `exception:${id}`);
    ctx.wake.changed();
    return { ok: true };
  });
}
