// Users and roles (admin only) and the audit log. Roles may be limited to groups (`groups`: the ids an operator or
// viewer sees and acts on; admins always see everything). The last active administrator can be neither demoted nor
// disabled, so somebody can always administer. Audit entries name their actor with its kind: a console user, an
// agent (by id; its host name is a label) or the console itself.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { audit, type Ctx } from '../context.ts';
import { ROLES, type AuditTable, type Role } from '../db/schema.ts';
import { ApiFailure } from '../errors.ts';
import { hashPassword, newId } from '../secrets.ts';
import { parseScope } from '../sessions.ts';
import { neutralize } from '../text.ts';
import { Password, Username } from './auth.ts';
import { likePattern } from './schemas.ts';

const RoleT = Type.Union(ROLES.map((r) => Type.Literal(r)));
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
const Groups = Type.Union([Type.Null(), Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 200, uniqueItems: true })]);

export function auditView(r: Omit<AuditTable, 'id'> & { id: number }) {
  const agent = r.user_id.startsWith('agent:');
  const kind = agent ? 'agent' : r.user_id === 'system' ? 'system' : r.user_id === 'anonymous' ? 'anonymous' : 'user';
  const name = neutralize(r.username.replace(/^(agent|anonymous):/, ''));
  return {
    id: Number(r.id), time: Number(r.time), actor: { kind, id: agent ? r.user_id.slice(6) : r.user_id, name },
    // `user` stays for older clients: never a bare agent name (agents read `agent:NAME`).
    user: kind === 'user' || kind === 'system' ? name : `${kind}:${name}`, userId: r.user_id,
    action: r.action, target: r.target, detail: JSON.parse(r.detail) as unknown,
  };
}

export const AuditQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  q: Type.Optional(Type.String({ maxLength: 200 })), action: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(Type.Integer({ minimum: 0 })), to: Type.Optional(Type.Integer({ minimum: 0 })),
  lang: Type.Optional(Type.String({ maxLength: 8 })),
}, { additionalProperties: false });

export function auditSelect(ctx: Ctx, q: { before?: number; q?: string; action?: string; from?: number; to?: number }) {
  let sel = ctx.db.selectFrom('audit').selectAll();
  if (q.before) sel = sel.where('id', '<', q.before);
  if (q.action) sel = sel.where('action', '=', q.action);
  if (q.from !== undefined) sel = sel.where('time', '>=', q.from);
  if (q.to !== undefined) sel = sel.where('time', '<', q.to);
  if (q.q) {
    const p = likePattern(q.q);
    sel = sel.where((eb) => eb.or(['username', 'action', 'target', 'detail'].map((c) => eb(sql`lower(${sql.ref(c)})`, 'like', p))));
  }
  return sel.orderBy('id', 'desc');
}

/** Changes one user unless it would leave no active administrator (atomic in both stores). */
async function updateGuarded(ctx: Ctx, id: string, set: Record<string, unknown>, losesAdmin: boolean): Promise<void> {
  await ctx.db.transaction().execute(async (tx) => {
    if (losesAdmin) {
      let admins = tx.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled', '=', 0);
      // PostgreSQL: lock the admin rows, so two admins demoting each other at once cannot both succeed.
      if (ctx.dialect === 'postgres') admins = admins.forUpdate();
      const rows = await admins.execute();
      if (!rows.some((r) => r.id !== id)) throw new ApiFailure('LAST_ADMIN');
    }
    await tx.updateTable('users').set(set).where('id', '=', id).execute();
  });
}

export async function userRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/users', { config: { access: 'admin' } }, async () => {
    const rows = await ctx.db.selectFrom('users').select(['id', 'username', 'role', 'created_at', 'disabled', 'totp_enabled', 'group_scope']).orderBy('username').execute();
    return { users: rows.map((r) => ({ id: r.id, username: r.username, role: r.role, createdAt: Number(r.created_at), disabled: !!r.disabled, totp: !!r.totp_enabled, groups: parseScope(r.group_scope) })) };
  });

  app.post('/api/users', {
    config: { access: 'admin' },
    schema: { body: Type.Object({ username: Username, password: Password, role: RoleT, groups: Type.Optional(Groups) }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const b = req.body as { username: string; password: string; role: Role; groups?: string[] | null };
    const exists = await ctx.db.selectFrom('users').select('id').where('username', '=', b.username).executeTakeFirst();
    if (exists) throw new ApiFailure('CONFLICT', { detail: `user ${b.username} exists` });
    const scope = b.role === 'admin' ? null : b.groups ?? null;
    const id = newId();
    await ctx.db.insertInto('users').values({ id, username: b.username, role: b.role, password_hash: await hashPassword(b.password), created_at: ctx.now(), disabled: 0, totp_secret: null, totp_enabled: 0, totp_last: null, group_scope: scope ? JSON.stringify(scope) : null }).execute();
    await audit(ctx, req.user!, 'user.create', `user:${id}`, { username: b.username, role: b.role, groups: scope });
    return reply.code(201).send({ id, username: b.username, role: b.role, groups: scope });
  });

  app.patch('/api/users/:id', {
    config: { access: 'admin' },
    schema: {
      params: IdParams,
      body: Type.Object({
        role: Type.Optional(RoleT), password: Type.Optional(Password), disabled: Type.Optional(Type.Boolean()),
        groups: Type.Optional(Groups), resetTotp: Type.Optional(Type.Literal(true)),
      }, { additionalProperties: false, minProperties: 1 }),
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const b = req.body as { role?: Role; password?: string; disabled?: boolean; groups?: string[] | null; resetTotp?: true };
    const row = await ctx.db.selectFrom('users').select(['id', 'role', 'disabled']).where('id', '=', id).executeTakeFirst();
    if (!row) throw new ApiFailure('NOT_FOUND', { what: `user ${id}` });
    const role = b.role ?? row.role;
    const losesAdmin = row.role === 'admin' && !row.disabled && (role !== 'admin' || b.disabled === true);
    await updateGuarded(ctx, id, {
      ...(b.role ? { role: b.role } : {}),
      ...(b.password ? { password_hash: await hashPassword(b.password) } : {}),
      ...(b.disabled !== undefined ? { disabled: b.disabled ? 1 : 0 } : {}),
      ...(role === 'admin' ? { group_scope: null } : b.groups !== undefined ? { group_scope: b.groups ? JSON.stringify(b.groups) : null } : {}),
      ...(b.resetTotp ? { totp_secret: null, totp_enabled: 0, totp_last: null } : {}),
    }, losesAdmin);
    if (b.disabled || b.password || b.role || b.groups !== undefined) await ctx.db.deleteFrom('sessions').where('user_id', '=', id).execute();
    await audit(ctx, req.user!, 'user.update', `user:${id}`, { role: b.role, disabled: b.disabled, passwordChanged: b.password !== undefined, groups: b.groups, totpReset: b.resetTotp });
    return { ok: true };
  });

  app.get('/api/audit', { config: { access: 'admin' }, schema: { querystring: AuditQuery } }, async (req) => {
    const q = req.query as { before?: number; limit: number; q?: string; action?: string; from?: number; to?: number };
    const rows = await auditSelect(ctx, q).limit(q.limit).execute();
    const entries = rows.map((r) => auditView(r as Omit<AuditTable, 'id'> & { id: number }));
    return { entries, next: entries.length === q.limit ? entries[entries.length - 1]!.id : null };
  });
}
