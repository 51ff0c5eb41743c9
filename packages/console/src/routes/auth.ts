// First-run setup (one-time token printed by the server), login/logout and who am I. The only routes besides the
// agent API that answer without a session.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, type Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { clearAttempts, countAttempt } from '../rate-limit.ts';
import { hashPassword, newId, newToken, safeEqual, sha256Hex, verifyPassword } from '../secrets.ts';
import { createSession, endSession, sessionUser } from '../sessions.ts';

export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$' });
export const Password = Type.String({ minLength: 10, maxLength: 256 });

/** When no user exists yet: a fresh one-time setup token (replacing any earlier one); undefined once set up. */
export async function prepareSetup(ctx: Ctx): Promise<string | undefined> {
  const any = await ctx.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return undefined;
  const token = newToken();
  const value = sha256Hex(token);
  await ctx.db.insertInto('settings').values({ key: 'setup_token', value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  return token;
}

export async function authRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  app.get('/api/health', { config: { access: 'public' } }, async () => {
    const any = await ctx.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    return { ok: true, setupRequired: !any, ...(ctx.tlsFingerprint ? { tlsFingerprint: ctx.tlsFingerprint } : {}) };
  });

  app.post('/api/setup', {
    config: { access: 'public' },
    schema: { body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), username: Username, password: Password }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const body = req.body as { token: string; username: string; password: string };
    await countAttempt(ctx, `setup:${req.ip}`, ctx.limits.loginPerMinute);
    const stored = await ctx.db.selectFrom('settings').select('value').where('key', '=', 'setup_token').executeTakeFirst();
    const anyUser = await ctx.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (anyUser) throw new ApiFailure('SETUP_DONE');
    if (!stored || !safeEqual(stored.value, sha256Hex(body.token))) throw new ApiFailure('SETUP_TOKEN');
    // Consuming the token is the lock: only the request that deletes it creates the first admin.
    const del = await ctx.db.deleteFrom('settings').where('key', '=', 'setup_token').where('value', '=', stored.value).executeTakeFirst();
    if (Number(del.numDeletedRows) !== 1) throw new ApiFailure('SETUP_TOKEN');
    const user = { id: newId(), username: body.username, role: 'admin' as const };
    await ctx.db.insertInto('users').values({ ...user, password_hash: await hashPassword(body.password), created_at: ctx.now(), disabled: 0 }).execute();
    await audit(ctx, user, 'setup', `user:${user.id}`, { username: user.username });
    const csrf = await createSession(ctx, reply, user.id);
    return reply.code(201).send({ user, csrf });
  });

  app.post('/api/login', {
    config: { access: 'public' },
    schema: { body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const body = req.body as { username: string; password: string };
    await countAttempt(ctx, `login-ip:${req.ip}`, ctx.limits.loginPerMinute * 3);
    await countAttempt(ctx, `login-user:${body.username.toLowerCase()}`, ctx.limits.loginPerMinute);
    const row = await ctx.db.selectFrom('users').selectAll().where('username', '=', body.username).executeTakeFirst();
    // Hash even for unknown users so timing does not tell which names exist.
    const ok = row ? await verifyPassword(body.password, row.password_hash) : (await hashPassword(body.password), false);
    if (!row || !ok || row.disabled) throw new ApiFailure('BAD_CREDENTIALS');
    await clearAttempts(ctx, `login-user:${body.username.toLowerCase()}`);
    const csrf = await createSession(ctx, reply, row.id);
    return { user: { id: row.id, username: row.username, role: row.role }, csrf };
  });

  app.post('/api/logout', { config: { access: 'viewer' } }, async (req, reply) => {
    await endSession(ctx, req, reply);
    return { ok: true };
  });

  app.get('/api/me', { config: { access: 'viewer' } }, async (req) => {
    const s = await sessionUser(ctx, req);
    return { user: req.user, csrf: s?.csrf };
  });
}
