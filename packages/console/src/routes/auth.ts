// First-run setup (one-time token printed by the server), login/logout and who am I. The only routes besides the
// agent API that answer without a session. Every login, failed login and logout is in the audit log (with the
// address; never the password). Login protection (per user and address, backoff, slow-down) is in rate-limit.ts.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, type Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { countAttempt, loginFailed, loginGate, loginSucceeded } from '../rate-limit.ts';
import { hashPassword, newId, newToken, safeEqual, sha256Hex, verifyPassword } from '../secrets.ts';
import { createSession, endSession, parseScope, sessionUser } from '../sessions.ts';
import { checkTotp } from '../totp.ts';

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
    const user = { id: newId(), username: body.username, role: 'admin' as const, scope: null };
    await ctx.db.insertInto('users').values({ id: user.id, username: user.username, role: user.role, password_hash: await hashPassword(body.password), created_at: ctx.now(), disabled: 0, totp_secret: null, totp_enabled: 0, totp_last: null, group_scope: null }).execute();
    await audit(ctx, user, 'setup', `user:${user.id}`, { username: user.username, ip: req.ip });
    const csrf = await createSession(ctx, reply, user.id, req.ip);
    return reply.code(201).send({ user: { id: user.id, username: user.username, role: user.role }, csrf });
  });

  app.post('/api/login', {
    config: { access: 'public' },
    schema: { body: Type.Object({
      username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }),
      code: Type.Optional(Type.String({ maxLength: 16 })),
    }, { additionalProperties: false }) },
  }, async (req, reply) => {
    const body = req.body as { username: string; password: string; code?: string };
    const name = body.username;
    await loginGate(ctx, name, req.ip);
    const row = await ctx.db.selectFrom('users').selectAll().where('username', '=', name).executeTakeFirst();
    // Hash even for unknown users so timing does not tell which names exist.
    const ok = row ? await verifyPassword(body.password, row.password_hash) : (await hashPassword(body.password), false);
    const fail = async (why: string, code: 'BAD_CREDENTIALS' | 'TOTP_INVALID') => {
      await loginFailed(ctx, name, req.ip);
      await audit(ctx, { kind: 'anonymous', name: name.replace(/[^A-Za-z0-9._@-]/g, '?').slice(0, 64) }, 'login.failed', row ? `user:${row.id}` : 'user:?', { username: name.slice(0, 64), ip: req.ip, why });
      return new ApiFailure(code);
    };
    if (!row || !ok) throw await fail(row ? 'password' : 'unknown user', 'BAD_CREDENTIALS');
    if (row.disabled) throw await fail('disabled', 'BAD_CREDENTIALS');
    if (row.totp_enabled && row.totp_secret) {
      // The password was right: ask for the code without counting a failure.
      if (!body.code) throw new ApiFailure('TOTP_REQUIRED', {}, { field: 'code' });
      const step = checkTotp(row.totp_secret, body.code.trim(), ctx.now(), row.totp_last === null ? null : Number(row.totp_last));
      if (step === undefined) throw await fail('two-factor code', 'TOTP_INVALID');
      // Compare-and-set: the same code used twice at once is accepted once.
      const upd = await ctx.db.updateTable('users').set({ totp_last: step }).where('id', '=', row.id)
        .where((eb) => eb.or([eb('totp_last', 'is', null), eb('totp_last', '<', step)])).executeTakeFirst();
      if (Number(upd.numUpdatedRows) !== 1) throw await fail('two-factor code reused', 'TOTP_INVALID');
    }
    await loginSucceeded(ctx, name, req.ip);
    const user = { id: row.id, username: row.username, role: row.role, scope: parseScope(row.group_scope) };
    await audit(ctx, user, 'login', `user:${row.id}`, { ip: req.ip, twoFactor: !!row.totp_enabled });
    const csrf = await createSession(ctx, reply, row.id, req.ip);
    return { user: { id: row.id, username: row.username, role: row.role }, csrf };
  });

  app.post('/api/logout', { config: { access: 'viewer' } }, async (req, reply) => {
    await endSession(ctx, req, reply);
    await audit(ctx, req.user!, 'logout', `user:${req.user!.id}`, { ip: req.ip });
    return { ok: true };
  });

  app.get('/api/me', { config: { access: 'viewer' } }, async (req) => {
    const s = await sessionUser(ctx, req);
    const row = await ctx.db.selectFrom('users').select(['totp_enabled']).where('id', '=', req.user!.id).executeTakeFirst();
    const u = req.user!;
    return { user: { id: u.id, username: u.username, role: u.role, scope: u.scope }, csrf: s?.csrf, totp: !!row?.totp_enabled, idleMinutes: ctx.idleMinutes };
  });
}
