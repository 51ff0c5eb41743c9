// Endpoints (list, detail with what the agent knows of its machine), revoking or deleting an endpoint, asking it to
// rotate its key, and the dashboard figures: endpoints online/offline/unprotected, blocks over time (blocked and
// would-block as separate series), top rules and top applications. Everything limited to the user's groups.
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { HostFacts } from '@omamori/policy';
import { audit, type Ctx } from '../context.ts';
import type { AgentRow } from '../db/schema.ts';
import { ApiFailure } from '../errors.ts';
import { activeExceptions } from '../policy-delivery.ts';
import { agentInScope, groupInScope, requireAgentInScope } from '../scope.ts';
import type { TlsController } from '../tls-rotation.ts';
import { IdParams, likePattern, query } from './schemas.ts';

function onlineSince(ctx: Ctx): number {
  return ctx.now() - ctx.heartbeatSeconds * 3000;
}

function parseJson<T>(s: string | null): T | null {
  if (!s) return null;
  try { return JSON.parse(s) as T; } catch { return null; }
}

export function endpointView(ctx: Ctx, a: AgentRow, groupName?: string) {
  const online = Number(a.last_seen) >= onlineSince(ctx);
  const revoked = a.revoked_at !== null;
  const host = parseJson<HostFacts>(a.host_facts);
  return {
    id: a.id, hostname: a.hostname, platform: a.platform, groupId: a.group_id, group: groupName ?? a.group_id,
    state: revoked ? 'revoked' : a.state, online: online && !revoked, protected: online && !revoked && a.state === 'protecting', lastSeen: Number(a.last_seen),
    enrolledAt: Number(a.enrolled_at), agentVersion: a.agent_version, mode: a.mode, spooled: a.spooled,
    policyVersion: a.reported_version, issuedVersion: a.issued_version,
    policyCurrent: a.issued_version === 0 || a.reported_version === a.issued_version,
    revokedAt: a.revoked_at === null ? null : Number(a.revoked_at),
    os: host?.os ?? null, kernel: host?.kernel ?? null, addresses: host?.addresses ?? [], users: host?.users ?? [],
    uptimeSeconds: host?.uptimeSeconds ?? null,
  };
}

export async function endpointRoutes(app: FastifyInstance, ctx: Ctx, tls?: TlsController): Promise<void> {
  app.get('/api/endpoints', {
    config: { access: 'viewer' },
    schema: { querystring: query({
      group: Type.Optional(Type.String({ maxLength: 64 })),
      status: Type.Optional(Type.Union(['online', 'offline', 'unprotected', 'revoked'].map((s) => Type.Literal(s)))),
      search: Type.Optional(Type.String({ maxLength: 100 })),
      limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }), offset: Type.Integer({ minimum: 0, default: 0 }),
    }) },
  }, async (req) => {
    const q = req.query as { group?: string; status?: string; search?: string; limit: number; offset: number };
    let sel = ctx.db.selectFrom('agents').leftJoin('groups', 'groups.id', 'agents.group_id').selectAll('agents').select('groups.name as group_name')
      .where(groupInScope(req.user!, 'agents.group_id'));
    if (q.group) sel = sel.where('agents.group_id', '=', q.group);
    if (q.search) sel = sel.where(sql`lower(agents.hostname)`, 'like', likePattern(q.search));
    const since = onlineSince(ctx);
    if (q.status === 'revoked') sel = sel.where('agents.revoked_at', 'is not', null);
    else if (q.status) sel = sel.where('agents.revoked_at', 'is', null);
    if (q.status === 'online') sel = sel.where('agents.last_seen', '>=', since);
    if (q.status === 'offline') sel = sel.where('agents.last_seen', '<', since);
    if (q.status === 'unprotected') sel = sel.where((eb) => eb.or([eb('agents.last_seen', '<', since), eb('agents.state', '!=', 'protecting')]));
    const rows = await sel.orderBy('agents.hostname').limit(q.limit).offset(q.offset).execute();
    return { endpoints: rows.map((r) => endpointView(ctx, r, r.group_name ?? undefined)) };
  });

  app.get('/api/endpoints/:id', { config: { access: 'viewer' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const a = await ctx.db.selectFrom('agents').leftJoin('groups', 'groups.id', 'agents.group_id').selectAll('agents')
      .select(['groups.name as group_name', 'groups.policy_ref', 'groups.rollout']).where('agents.id', '=', id)
      .where(groupInScope(req.user!, 'agents.group_id')).executeTakeFirst();
    if (!a) throw new ApiFailure('NOT_FOUND', { what: `endpoint ${id}` });
    const exceptions = await activeExceptions(ctx, id, ctx.now());
    const counts = await ctx.db.selectFrom('events').select(['verdict', (eb) => eb.fn.countAll<number>().as('n')]).where('agent_id', '=', id).groupBy('verdict').execute();
    const quarantined = await ctx.db.selectFrom('event_quarantine').select((eb) => eb.fn.countAll<number>().as('n')).where('agent_id', '=', id).executeTakeFirst();
    const issued = a.issued_policy ? (JSON.parse(a.issued_policy) as { envelope: { source: string; version: number; issuedAt: number; epoch?: number } }).envelope : undefined;
    const host = parseJson<HostFacts>(a.host_facts);
    return {
      ...endpointView(ctx, a, a.group_name ?? undefined), policyRef: a.policy_ref, rollout: a.rollout,
      issuedPolicy: issued ? { version: issued.version, epoch: issued.epoch ?? 0, source: issued.source, issuedAt: issued.issuedAt } : null,
      exceptions: exceptions.map((x) => ({ id: x.id, path: x.path, sha256: x.sha256, expiresAt: Number(x.expires_at), note: x.note })),
      eventCounts: Object.fromEntries(counts.map((c) => [c.verdict, Number(c.n)])),
      quarantined: Number(quarantined?.n ?? 0),
      host: host ?? null, tlsPins: parseJson<string[]>(a.tls_pins) ?? [], keyRotationPending: !!a.rotate_key,
      currentTls: tls?.fingerprint() ?? ctx.tlsFingerprint ?? null,
    };
  });

  // Revoke: the endpoint's requests are refused from now on (its events stay). With purge=true the endpoint and
  // everything of it is deleted. Either way it must enroll again (with a new token) to come back.
  app.delete('/api/endpoints/:id', {
    config: { access: 'operator' },
    schema: { params: IdParams, querystring: query({ purge: Type.Boolean({ default: false }) }) },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const { purge } = req.query as { purge: boolean };
    const a = await requireAgentInScope(ctx, req.user!, id);
    if (purge) {
      await ctx.db.transaction().execute(async (tx) => {
        await tx.deleteFrom('events').where('agent_id', '=', id).execute();
        await tx.deleteFrom('event_quarantine').where('agent_id', '=', id).execute();
        await tx.deleteFrom('exceptions').where('agent_id', '=', id).execute();
        await tx.deleteFrom('nonces').where('agent_id', '=', id).execute();
        await tx.deleteFrom('agents').where('id', '=', id).execute();
      });
    } else {
      await ctx.db.updateTable('agents').set({ revoked_at: ctx.now(), revoked_by: req.user!.username }).where('id', '=', id).execute();
    }
    await audit(ctx, req.user!, purge ? 'endpoint.delete' : 'endpoint.revoke', `agent:${id}`, { hostname: a.hostname });
    return { ok: true, deleted: purge };
  });

  app.post('/api/endpoints/:id/rotate-key', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const a = await requireAgentInScope(ctx, req.user!, id);
    await ctx.db.updateTable('agents').set({ rotate_key: 1 }).where('id', '=', id).execute();
    await audit(ctx, req.user!, 'endpoint.rotate-key', `agent:${id}`, { hostname: a.hostname });
    ctx.wake.changed();
    return { ok: true };
  });

  app.get('/api/dashboard', {
    config: { access: 'viewer' },
    schema: { querystring: query({ hours: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 24 }), bucketMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 60 }), top: Type.Integer({ minimum: 1, maximum: 100, default: 10 }) }) },
  }, async (req) => {
    const q = req.query as { hours: number; bucketMinutes: number; top: number };
    const now = ctx.now(); const from = now - q.hours * 3600_000; const b = q.bucketMinutes * 60_000;
    const since = onlineSince(ctx);
    const user = req.user!;
    const agg = await ctx.db.selectFrom('agents').select([
      (eb) => eb.fn.countAll<number>().as('total'),
      sql<number>`sum(case when last_seen >= ${since} then 1 else 0 end)`.as('online'),
      sql<number>`sum(case when last_seen < ${since} or state != 'protecting' then 1 else 0 end)`.as('unprotected'),
    ]).where('revoked_at', 'is', null).where(groupInScope(user, 'group_id')).executeTakeFirstOrThrow();
    // b is a validated integer: a literal keeps the SELECT and GROUP BY expressions identical for PostgreSQL.
    const bucket = sql<number>`CAST(time / ${sql.lit(b)} AS bigint) * ${sql.lit(b)}`;
    const series = await ctx.db.selectFrom('events').select([bucket.as('t'), 'verdict', (eb) => eb.fn.countAll<number>().as('n')])
      .where('time', '>=', from).where('verdict', '!=', 'allow').where(agentInScope(user, 'agent_id')).groupBy([bucket, 'verdict']).orderBy('t').execute();
    const top = (col: 'rule' | 'app') => ctx.db.selectFrom('events').select([col, (eb) => eb.fn.countAll<number>().as('n')])
      .where('time', '>=', from).where('verdict', '!=', 'allow').where(agentInScope(user, 'agent_id')).groupBy(col).orderBy('n', 'desc').limit(q.top).execute();
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
