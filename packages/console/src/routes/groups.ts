// Endpoint groups (their policy: a preset or a custom policy, and the audit → enforce rollout) and the enrollment
// tokens that put new endpoints into a group.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, bumpPolicyEpoch, type Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { resolvePolicyRef } from '../policy-delivery.ts';
import { newId, newToken, sha256Hex } from '../secrets.ts';
import { IdParams } from './schemas.ts';

const PolicyRef = Type.String({ pattern: '^(preset|policy):[A-Za-z0-9_-]{1,64}$', maxLength: 80 });
const Rollout = Type.Union([Type.Literal('audit'), Type.Literal('enforce')]);
const Name = Type.String({ minLength: 1, maxLength: 100 });

export async function ensureDefaultGroup(ctx: Ctx): Promise<void> {
  await ctx.db.insertInto('groups').values({ id: 'default', name: 'default', policy_ref: 'preset:office', rollout: 'audit', created_at: ctx.now() })
    .onConflict((oc) => oc.doNothing()).execute();
}

async function checkRef(ctx: Ctx, ref: string): Promise<void> {
  const r = await resolvePolicyRef(ctx, ref);
  if ('missing' in r) throw new ApiFailure('VALIDATION', { where: 'body.policyRef', detail: r.missing }, { field: 'policyRef' });
}

export async function groupRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  await ensureDefaultGroup(ctx);

  app.get('/api/groups', { config: { access: 'viewer' } }, async () => {
    const groups = await ctx.db.selectFrom('groups').selectAll().orderBy('name').execute();
    const counts = await ctx.db.selectFrom('agents').select(['group_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('group_id').execute();
    const byGroup = new Map(counts.map((c) => [c.group_id, Number(c.n)]));
    return { groups: groups.map((g) => ({ id: g.id, name: g.name, policyRef: g.policy_ref, rollout: g.rollout, endpoints: byGroup.get(g.id) ?? 0, createdAt: Number(g.created_at) })) };
  });

  app.post('/api/groups', {
    config: { access: 'operator' },
    schema: { body: Type.Object({ name: Name, policyRef: Type.Optional(PolicyRef), rollout: Type.Optional(Rollout) }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const b = req.body as { name: string; policyRef?: string; rollout?: 'audit' | 'enforce' };
    const ref = b.policyRef ?? 'preset:office';
    await checkRef(ctx, ref);
    const dup = await ctx.db.selectFrom('groups').select('id').where('name', '=', b.name).executeTakeFirst();
    if (dup) throw new ApiFailure('CONFLICT', { detail: `group ${b.name} exists` });
    const id = newId();
    await ctx.db.insertInto('groups').values({ id, name: b.name, policy_ref: ref, rollout: b.rollout ?? 'audit', created_at: ctx.now() }).execute();
    await audit(ctx, req.user!, 'group.create', `group:${id}`, { name: b.name, policyRef: ref, rollout: b.rollout ?? 'audit' });
    return reply.code(201).send({ id, name: b.name, policyRef: ref, rollout: b.rollout ?? 'audit' });
  });

  app.patch('/api/groups/:id', {
    config: { access: 'operator' },
    schema: { params: IdParams, body: Type.Object({ name: Type.Optional(Name), policyRef: Type.Optional(PolicyRef), rollout: Type.Optional(Rollout) }, { additionalProperties: false, minProperties: 1 }) },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const b = req.body as { name?: string; policyRef?: string; rollout?: 'audit' | 'enforce' };
    const g = await ctx.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!g) throw new ApiFailure('NOT_FOUND', { what: `group ${id}` });
    if (b.policyRef) await checkRef(ctx, b.policyRef);
    await ctx.db.updateTable('groups').set({
      ...(b.name ? { name: b.name } : {}), ...(b.policyRef ? { policy_ref: b.policyRef } : {}), ...(b.rollout ? { rollout: b.rollout } : {}),
    }).where('id', '=', id).execute();
    await bumpPolicyEpoch(ctx);
    await audit(ctx, req.user!, 'group.update', `group:${id}`, { before: { name: g.name, policyRef: g.policy_ref, rollout: g.rollout }, after: b });
    const after = await ctx.db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { id, name: after.name, policyRef: after.policy_ref, rollout: after.rollout };
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
    const token = newToken();
    const tokenId = newId();
    const expiresAt = ctx.now() + Math.round(b.hours * 3600_000);
    await ctx.db.insertInto('enrollment_tokens').values({ id: tokenId, token_hash: sha256Hex(token), group_id: id, uses_left: b.uses, expires_at: expiresAt, created_by: req.user!.id, created_at: ctx.now() }).execute();
    await audit(ctx, req.user!, 'token.create', `token:${tokenId}`, { group: id, uses: b.uses, expiresAt });
    return reply.code(201).send({ id: tokenId, token, groupId: id, usesLeft: b.uses, expiresAt, ...(ctx.tlsFingerprint ? { fingerprint: ctx.tlsFingerprint } : {}) });
  });

  app.get('/api/groups/:id/tokens', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const rows = await ctx.db.selectFrom('enrollment_tokens').select(['id', 'uses_left', 'expires_at', 'created_at']).where('group_id', '=', id).orderBy('created_at', 'desc').execute();
    return { tokens: rows.map((r) => ({ id: r.id, usesLeft: r.uses_left, expiresAt: Number(r.expires_at), createdAt: Number(r.created_at), usable: r.uses_left > 0 && Number(r.expires_at) > ctx.now() })) };
  });

  app.delete('/api/tokens/:id', { config: { access: 'operator' }, schema: { params: IdParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const res = await ctx.db.updateTable('enrollment_tokens').set({ uses_left: 0 }).where('id', '=', id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new ApiFailure('NOT_FOUND', { what: `token ${id}` });
    await audit(ctx, req.user!, 'token.revoke', `token:${id}`);
    return { ok: true };
  });
}
