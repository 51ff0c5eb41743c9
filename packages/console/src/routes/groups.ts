// Endpoint groups (their policy: a preset or a custom policy, the audit → enforce rollout, how long their events are
// kept and how many events an endpoint may upload per hour), "apply now" (wakes the group's agents, which take their
// policy at once instead of at the next heartbeat), and the enrollment tokens that put new endpoints into a group.
// Users limited to groups see and change only theirs.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, policyInputsChanged, type Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { resolvePolicyRef } from '../policy-delivery.ts';
import { newId, newToken, sha256Hex } from '../secrets.ts';
import { groupInScope, requireGroupInScope } from '../scope.ts';
import { IdParams } from './schemas.ts';

const PolicyRef = Type.String({ pattern: '^(preset|policy):[A-Za-z0-9_-]{1,64}$', maxLength: 80 });
const Rollout = Type.Union([Type.Literal('audit'), Type.Literal('enforce')]);
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Retention = Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 3650 })]);
const Quota = Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 10_000_000 })]);

function groupView(ctx: Ctx, g: { id: string; name: string; policy_ref: string; rollout: 'audit' | 'enforce'; created_at: number; retention_days: number | null; upload_per_hour: number | null }, endpoints?: number) {
  return {
    id: g.id, name: g.name, policyRef: g.policy_ref, rollout: g.rollout, createdAt: Number(g.created_at),
    retentionDays: g.retention_days, uploadPerHour: g.upload_per_hour,
    effectiveRetentionDays: g.retention_days ?? ctx.limits.retentionDays, effectiveUploadPerHour: g.upload_per_hour ?? ctx.limits.uploadPerHour,
    ...(endpoints !== undefined ? { endpoints } : {}),
  };
}

export async function ensureDefaultGroup(ctx: Ctx): Promise<void> {
  await ctx.db.insertInto('groups').values({ id: 'default', name: 'default', policy_ref: 'preset:office', rollout: 'audit', created_at: ctx.now(), retention_days: null, upload_per_hour: null })
    .onConflict((oc) => oc.doNothing()).execute();
}

async function checkRef(ctx: Ctx, ref: string): Promise<void> {
  const r = await resolvePolicyRef(ctx, ref);
  if ('missing' in r) throw new ApiFailure('VALIDATION', { where: 'body.policyRef', detail: r.missing }, { field: 'policyRef' });
}

export async function groupRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  await ensureDefaultGroup(ctx);

  app.get('/api/groups', { config: { access: 'viewer' } }, async (req) => {
    const groups = await ctx.db.selectFrom('groups').selectAll().where(groupInScope(req.user!, 'id')).orderBy('name').execute();
    const counts = await ctx.db.selectFrom('agents').select(['group_id', (eb) => eb.fn.countAll<number>().as('n')]).where('revoked_at', 'is', null).groupBy('group_id').execute();
    const byGroup = new Map(counts.map((c) => [c.group_id, Number(c.n)]));
    return { groups: groups.map((g) => groupView(ctx, g, byGroup.get(g.id) ?? 0)) };
  });

  app.post('/api/groups', {
    config: { access: 'operator' },
    schema: { body: Type.Object({ name: Name, policyRef: Type.Optional(PolicyRef), rollout: Type.Optional(Rollout), retentionDays: Type.Optional(Retention), uploadPerHour: Type.Optional(Quota) }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const b = req.body as { name: string; policyRef?: string; rollout?: 'audit' | 'enforce'; retentionDays?: number | null; uploadPerHour?: number | null };
    // A user limited to groups cannot make new ones (they would be outside the scope).
    if (req.user!.scope !== null) throw new ApiFailure('OUT_OF_SCOPE');
    const ref = b.policyRef ?? 'preset:office';
    await checkRef(ctx, ref);
    const dup = await ctx.db.selectFrom('groups').select('id').where('name', '=', b.name).executeTakeFirst();
    if (dup) throw new ApiFailure('CONFLICT', { detail: `group ${b.name} exists` });
    const id = newId();
    const row = { id, name: b.name, policy_ref: ref, rollout: b.rollout ?? 'audit' as const, created_at: ctx.now(), retention_days: b.retentionDays ?? null, upload_per_hour: b.uploadPerHour ?? null };
    await ctx.db.insertInto('groups').values(row).execute();
    await audit(ctx, req.user!, 'group.create', `group:${id}`, { name: b.name, policyRef: ref, rollout: row.rollout, retentionDays: row.retention_days, uploadPerHour: row.upload_per_hour });
    return reply.code(201).send(groupView(ctx, row));
  });

  app.patch('/api/groups/:id', {
    config: { access: 'operator' },
    schema: { params: IdParams, body: Type.Object({ name: Type.Optional(Name), policyRef: Type.Optional(PolicyRef), rollout: Type.Optional(Rollout), retentionDays: Type.Optional(Retention), uploadPerHour: Type.Optional(Quota) }, { additionalProperties: false, minProperties: 1 }) },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const b = req.body as { name?: string; policyRef?: string; rollout?: 'audit' | 'enforce'; retentionDays?: number | null; uploadPerHour?: number | null };
    const g = await ctx.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!g) throw new ApiFailure('NOT_FOUND', { what: `group ${id}` });
    requireGroupInScope(req.user!, id);
    if (b.policyRef) await checkRef(ctx, b.policyRef);
    await ctx.db.updateTable('groups').set({
      ...(b.name ? { name: b.name } : {}), ...(b.policyRef ? { policy_ref: b.policyRef } : {}), ...(b.rollout ? { rollout: b.rollout } : {}),
      ...(b.retentionDays !== undefined ? { retention_days: b.retentionDays } : {}), ...(b.uploadPerHour !== undefined ? { upload_per_hour: b.uploadPerHour } : {}),
    }).where('id', '=', id).execute();
    if (b.policyRef || b.rollout) await policyInputsChanged(ctx);
    await audit(ctx, req.user!, 'group.update', `group:${id}`, { before: { name: g.name, policyRef: g.policy_ref, rollout: g.rollout, retentionDays: g.retention_days, uploadPerHour: g.upload_per_hour }, after: b });
    const after = await ctx.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return groupView(ctx, after);
  });

  // "Apply now": the group's agents are woken (long-poll) and take their current policy at once.
  app.post('/api/groups/:id/apply-now', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const g = await ctx.db.selectFrom('groups').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    if (!g) throw new ApiFailure('NOT_FOUND', { what: `group ${id}` });
    requireGroupInScope(req.user!, id);
    ctx.wake.changed();
    const n = await ctx.db.selectFrom('agents').select((eb) => eb.fn.countAll<number>().as('n')).where('group_id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    await audit(ctx, req.user!, 'group.apply-now', `group:${id}`, { name: g.name });
    return { ok: true, endpoints: Number(n?.n ?? 0) };
  });

  app.post('/api/groups/:id/tokens', {
    config: { access: 'operator' },
    schema: {
      params: IdParams,
      body: Type.Object({ uses: Type.Integer({ minimum: 1, maximum: 100000, default: 1 }), hours: Type.Number({ exclusiveMinimum: 0, maximum: 720, default: 24 }) }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = req.body as { uses: number; hours: number };
    const g = await ctx.db.selectFrom('groups').select('id').where('id', '=', id).executeTakeFirst();
    if (!g) throw new ApiFailure('NOT_FOUND', { what: `group ${id}` });
    requireGroupInScope(req.user!, id);
    const token = newToken();
    const tokenId = newId();
    const expiresAt = ctx.now() + Math.round(b.hours * 3600_000);
    await ctx.db.insertInto('enrollment_tokens').values({ id: tokenId, token_hash: sha256Hex(token), group_id: id, uses_left: b.uses, expires_at: expiresAt, created_by: req.user!.id, created_at: ctx.now() }).execute();
    await audit(ctx, req.user!, 'token.create', `token:${tokenId}`, { group: id, uses: b.uses, expiresAt });
    return reply.code(201).send({ id: tokenId, token, groupId: id, usesLeft: b.uses, expiresAt, ...(ctx.tlsFingerprint ? { fingerprint: ctx.tlsFingerprint } : {}) });
  });

  app.get('/api/groups/:id/tokens', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    requireGroupInScope(req.user!, id);
    const rows = await ctx.db.selectFrom('enrollment_tokens').select(['id', 'uses_left', 'expires_at', 'created_at']).where('group_id', '=', id).orderBy('created_at', 'desc').execute();
    return { tokens: rows.map((r) => ({ id: r.id, usesLeft: r.uses_left, expiresAt: Number(r.expires_at), createdAt: Number(r.created_at), usable: r.uses_left > 0 && Number(r.expires_at) > ctx.now() })) };
  });

  app.delete('/api/tokens/:id', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const t = await ctx.db.selectFrom('enrollment_tokens').select('group_id').where('id', '=', id).executeTakeFirst();
    if (t) requireGroupInScope(req.user!, t.group_id);
    const res = await ctx.db.updateTable('enrollment_tokens').set({ uses_left: 0 }).where('id', '=', id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new ApiFailure('NOT_FOUND', { what: `token ${id}` });
    await audit(ctx, req.user!, 'token.revoke', `token:${id}`);
    return { ok: true };
  });
}
