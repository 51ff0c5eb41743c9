// The signed-in user's own account: change the password (the current one is asked; every other session of the user
// ends), and two-factor sign-in with an authenticator app (TOTP): set up (a new secret, shown once), confirm with a
// code to switch it on, switch it off with the password and a code. Everything is in the audit log.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { audit, type Ctx } from '../context.ts';
import { ApiFailure } from '../errors.ts';
import { hashPassword, sha256Hex, verifyPassword } from '../secrets.ts';
import { parseCookies, SESSION_COOKIE } from '../sessions.ts';
import { checkTotp, newTotpSecret, otpauthUri } from '../totp.ts';
import { Password } from './auth.ts';

const Code = Type.String({ minLength: 6, maxLength: 8 });

export async function accountRoutes(app: FastifyInstance, ctx: Ctx): Promise<void> {
  const me = async (id: string) => ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  app.post('/api/me/password', {
    config: { access: 'viewer' },
    schema: { body: Type.Object({ current: Type.String({ minLength: 1, maxLength: 256 }), password: Password }, { additionalProperties: false }) },
  }, async (req) => {
    const b = req.body as { current: string; password: string };
    const u = await me(req.user!.id);
    if (!(await verifyPassword(b.current, u.password_hash))) {
      await audit(ctx, req.user!, 'password.change.failed', `user:${u.id}`, { ip: req.ip });
      throw new ApiFailure('WRONG_PASSWORD', {}, { field: 'current' });
    }
    await ctx.db.updateTable('users').set({ password_hash: await hashPassword(b.password) }).where('id', '=', u.id).execute();
    const mine = sha256Hex(parseCookies(req.headers.cookie)[SESSION_COOKIE] ?? '');
    await ctx.db.deleteFrom('sessions').where('user_id', '=', u.id).where('id_hash', '!=', mine).execute();
    await audit(ctx, req.user!, 'password.change', `user:${u.id}`, { ip: req.ip });
    return { ok: true };
  });

  app.post('/api/me/totp/setup', { config: { access: 'viewer' } }, async (req) => {
    const u = await me(req.user!.id);
    if (u.totp_enabled) throw new ApiFailure('CONFLICT', { detail: 'two-factor sign-in is already on; switch it off first' });
    const secret = newTotpSecret();
    await ctx.db.updateTable('users').set({ totp_secret: secret, totp_last: null }).where('id', '=', u.id).execute();
    await audit(ctx, req.user!, 'totp.setup', `user:${u.id}`);
    return { secret, uri: otpauthUri(secret, u.username) };
  });

  app.post('/api/me/totp/enable', { config: { access: 'viewer' }, schema: { body: Type.Object({ code: Code }, { additionalProperties: false }) } }, async (req) => {
    const u = await me(req.user!.id);
    if (!u.totp_secret || u.totp_enabled) throw new ApiFailure('CONFLICT', { detail: 'set two-factor sign-in up first' });
    const step = checkTotp(u.totp_secret, (req.body as { code: string }).code, ctx.now(), null);
    if (step === undefined) throw new ApiFailure('TOTP_INVALID', {}, { field: 'code' });
    await ctx.db.updateTable('users').set({ totp_enabled: 1, totp_last: step }).where('id', '=', u.id).execute();
    await audit(ctx, req.user!, 'totp.enable', `user:${u.id}`);
    return { ok: true };
  });

  app.post('/api/me/totp/disable', {
    config: { access: 'viewer' },
    schema: { body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 256 }), code: Code }, { additionalProperties: false }) },
  }, async (req) => {
    const b = req.body as { password: string; code: string };
    const u = await me(req.user!.id);
    if (!u.totp_enabled || !u.totp_secret) throw new ApiFailure('CONFLICT', { detail: 'two-factor sign-in is not on' });
    if (!(await verifyPassword(b.password, u.password_hash))) throw new ApiFailure('WRONG_PASSWORD', {}, { field: 'password' });
    if (checkTotp(u.totp_secret, b.code, ctx.now(), u.totp_last === null ? null : Number(u.totp_last)) === undefined) throw new ApiFailure('TOTP_INVALID', {}, { field: 'code' });
    await ctx.db.updateTable('users').set({ totp_enabled: 0, totp_secret: null, totp_last: null }).where('id', '=', u.id).execute();
    await audit(ctx, req.user!, 'totp.disable', `user:${u.id}`);
    return { ok: true };
  });
}
