// Users and roles (admin only) and the audit log.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, type Ctx } from '../context.ts';
import { ROLES, type Role } from '../db/schema.ts';
import { ApiFailure } from '../errors.ts';
import { hashPassword, newId } from '../secrets.ts';
import { Password, Username } from './auth.ts';

const RoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export async function userRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/users', { config: { access: 'admin' } }, async () => {
    const rows = await ctx.db.selectFrom('users').select(['id', 'username', 'role', 'created_at', 'disabled']).orderBy('username').execute();
    return { users: rows.map((r) => ({ id: r.id, username: r.username, role: r.role, createdAt: Number(r.created_at), disabled: !!r.disabled })) };
  });

  app.post('/api/users', {
    config: { access: 'admin' },
    schema: { body: Type.Object({ username: Username, password: Password, role: RoleT }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const b = req.body as { username: string; password: string; role: Role };
    const exists = await ctx.db.selectFrom('users').select('id').where('username', '=', b.username).executeTakeFirst();
    if (exists) throw new ApiFailure('CONFLICT', { detail: `user ${b.username} exists` });
    const id = newId();
    await ctx.db.insertInto('users').values({ id, username: b.username, role: b.role, password_hash: await hashPassword(b.password), created_at: ctx.now(), disabled: 0 }).execute();
    await audit(ctx, req.user!, 'user.create', `user:${id}`, { username: b.username, role: b.role });
    return reply.code(201).send({ id, username: b.username, role: b.role });
  });

  app.patch('/api/users/:id', {
    config: { access: 'admin' },
    schema: {
      params: IdParams,
      body: Type.Object({ role: Type.Optional(RoleT), password: Type.Optional(Password), disabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false, minProperties: 1 }),
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const b = req.body as { role?: Role; password?: string; disabled?: boolean };
    const row = await ctx.db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw new ApiFailure('NOT_FOUND', { what: `user ${id}` });
    await ctx.db.updateTable('users').set({
      ...(b.role ? { role: b.role } : {}),
      ...(b.password ? { password_hash: await hashPassword(b.password) } : {}),
      ...(b.disabled !== undefined ? { disabled: b.disabled ? 1 : 0 } : {}),
    }).where('id', '=', id).execute();
    if (b.disabled || b.password || b.role) await ctx.db.deleteFrom('sessions').where('user_id', '=', id).execute();
    await audit(ctx, req.user!, 'user.update', `user:${id}`, { role: b.role, disabled: b.disabled, passwordChanged: b.password !== undefined });
    return { ok: true };
  });

  app.get('/api/audit', {
    config: { access: 'admin' },
    schema: { querystring: Type.Object({ before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }), lang: Type.Optional(Type.String()) }, { additionalProperties: false }) },
  }, async (req) => {
    const q = req.query as { before?: number; limit: number };
    let sel = ctx.db.selectFrom('audit').selectAll().orderBy('id', 'desc').limit(q.limit);
    if (q.before) sel = sel.where('id', '<', q.before);
    const rows = await sel.execute();
    return { entries: rows.map((r) => ({ id: Number(r.id), time: Number(r.time), user: r.username, userId: r.user_id, action: r.action, target: r.target, detail: JSON.parse(r.detail) as unknown })) };
  });
}
