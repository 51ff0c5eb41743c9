// Endpoints (list, detail) and the dashboard figures: endpoints online/offline/unprotected, blocks over time, top
// rules and top applications.
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context.ts';
import type { AgentsTable } from '../db/schema.ts';
import { ApiFailure } from '../errors.ts';
import { activeExceptions } from '../policy-delivery.ts';
import { IdParams, query } from './schemas.ts';

function onlineSince(ctx: Ctx): number {
  return ctx.now() - ctx.heartbeatSeconds * 3000;
}

export function endpointView(ctx: Ctx, a: AgentsTable, groupName?: string) {
  const online = Number(a.last_seen) >= onlineSince(ctx);
  return {
    id: a.id, hostname: a.hostname, platform: a.platform, groupId: a.group_id, group: groupName ?? a.group_id,
    state: a.state, online, protected: online && a.state === 'protecting', lastSeen: Number(a.last_seen),
    enrolledAt: Number(a.enrolled_at), agentVersion: a.agent_version, mode: a.mode, spooled: a.spooled,
    policyVersion: a.reported_version, issuedVersion: a.issued_version,
    policyCurrent: a.issued_version === 0 || a.reported_version === a.issued_version,
  };
}

export async function endpointRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/endpoints', {
    config: { access: 'viewer' },
    schema: { querystring: query({
      group: Type.Optional(Type.String({ maxLength: 64 })),
      status: Type.Optional(Type.Union(['online', 'offline', 'unprotected'].map((s) => Type.Literal(s)))),
      search: Type.Optional(Type.String({ maxLength: 100 })),
      limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }), offset: Type.Integer({ minimum: 0, default: 0 }),
    }) },
  }, async (req) => {
    const q = req.query as { group?: string; status?: string; search?: string; limit: number; offset: number };
    let sel = ctx.db.selectFrom('agents').leftJoin('groups', 'groups.id', 'agents.group_id').selectAll('agents').select('groups.name as group_name');
    if (q.group) sel = sel.where('agents.group_id', '=', q.group);
    if (q.search) sel = sel.where('agents.hostname', 'like', `%${q.search.replace(/[%_]/g, '')}%`);
    const since = onlineSince(ctx);
    if (q.status === 'online') sel = sel.where('agents.last_seen', '>=', since);
    if (q.status === 'offline') sel = sel.where('agents.last_seen', '<', since);
    if (q.status === 'unprotected') sel = sel.where((eb) => eb.or([eb('agents.last_seen', '<', since), eb('agents.state', '!=', 'protecting')]));
    const rows = await sel.orderBy('agents.hostname').limit(q.limit).offset(q.offset).execute();
    return { endpoints: rows.map((r) => endpointView(ctx, r, r.group_name ?? undefined)) };
  });

  app.get('/api/endpoints/:id', { config: { access: 'viewer' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const a = await ctx.db.selectFrom('agents').leftJoin('groups', 'groups.id', 'agents.group_id').selectAll('agents')
      .select(['groups.name as group_name', 'groups.policy_ref', 'groups.rollout']).where('agents.id', '=', id).executeTakeFirst();
    if (!a) throw new ApiFailure('NOT_FOUND', { what: `endpoint ${id}` });
    const exceptions = await activeExceptions(ctx, id, ctx.now());
    const counts = await ctx.db.selectFrom('events').select(['verdict', (eb) => eb.fn.countAll<number>().as('n')]).where('agent_id', '=', id).groupBy('verdict').execute();
    const issued = a.issued_policy ? (JSON.parse(a.issued_policy) as { envelope: { source: string; version: number; issuedAt: number } }).envelope : undefined;
    return {
      ...endpointView(ctx, a, a.group_name ?? undefined), policyRef: a.policy_ref, rollout: a.rollout,
      issuedPolicy: issued ? { version: issued.version, source: issued.source, issuedAt: issued.issuedAt } : null,
      exceptions: exceptions.map((x) => ({ id: x.id, path: x.path, sha256: x.sha256, expiresAt: Number(x.expires_at), note: x.note })),
      eventCounts: Object.fromEntries(counts.map((c) => [c.verdict, Number(c.n)])),
    };
  });

  app.get('/api/dashboard', {
    config: { access: 'viewer' },
    schema: { querystring: query({ hours: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 24 }), bucketMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 60 }), top: Type.Integer({ minimum: 1, maximum: 100, default: 10 }) }) },
  }, async (req) => {
    const q = req.query as { hours: number; bucketMinutes: number; top: number };
    const now = ctx.now(); const from = now - q.hours * 3600_000; const b = q.bucketMinutes * 60_000;
    const since = onlineSince(ctx);
    const agg = await ctx.db.selectFrom('agents').select([
      (eb) => eb.fn.countAll<number>().as('total'),
      sql<number>`sum(case when last_seen >= ${since} then 1 else 0 end)`.as('online'),
      sql<number>`sum(case when last_seen < ${since} or state != 'protecting' then 1 else 0 end)`.as('unprotected'),
    ]).executeTakeFirstOrThrow();
    // b is a validated integer: a literal keeps the SELECT and GROUP BY expressions identical for PostgreSQL.
    const bucket = sql<number>`CAST(time / ${sql.lit(b)} AS bigint) * ${sql.lit(b)}`;
    const series = await ctx.db.selectFrom('events').select([bucket.as('t'), 'verdict', (eb) => eb.fn.countAll<number>().as('n')])
      .where('time', '>=', from).where('verdict', '!=', 'allow').groupBy([bucket, 'verdict']).orderBy('t').execute();
    const top = (col: 'rule' | 'app') => ctx.db.selectFrom('events').select([col, (eb) => eb.fn.countAll<number>().as('n')])
      .where('time', '>=', from).where('verdict', '!=', 'allow').groupBy(col).orderBy('n', 'desc').limit(q.top).execute();
    const [rules, apps] = await Promise.all([top('rule'), top('app')]);
    const points = new Map<number, { t: number; deny: number; auditDeny: number }>();
    for (const s of series) {
      const t = Number(s.t);
      const p = points.get(t) ?? { t, deny: 0, auditDeny: 0 };
      if (s.verdict === 'deny') p.deny += Number(s.n); else p.auditDeny += Number(s.n);
      points.set(t, p);
    }
    const total = Number(agg.total); const online = Number(agg.online ?? 0);
    return {
      endpoints: { total, online, offline: total - online, unprotected: Number(agg.unprotected ?? 0) },
      from, to: now, bucketMs: b, blocks: [...points.values()],
      topRules: rules.map((r) => ({ rule: r.rule, count: Number(r.n) })), topApps: apps.map((r) => ({ app: r.app, count: Number(r.n) })),
    };
  });
}
