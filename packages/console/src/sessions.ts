// Browser sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure under TLS); the database keeps only
// its SHA-256. CSRF: double submit — the `omamori_csrf` cookie and the `x-csrf-token` header must both equal the
// session's token on every state-changing request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx, User } from './context.ts';
import type { Role } from './db/schema.ts';
import { newToken, safeEqual, sha256Hex } from './secrets.ts';

export const SESSION_COOKIE = 'omamori_session';
export const CSRF_COOKIE = 'omamori_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    try { out[k] = decodeURIComponent(part.slice(i + 1).trim()); } catch { /* malformed cookie: ignore */ }
  }
  return out;
}

function cookie(name: string, value: string, opts: { httpOnly: boolean; secure: boolean; maxAge: number }): string {
  return `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${opts.maxAge}; SameSite=Strict${opts.httpOnly ? '; HttpOnly' : ''}${opts.secure ? '; Secure' : ''}`;
}

export async function createSession(ctx: Ctx, reply: FastifyReply, userId: string): Promise<string> {
  const token = newToken();
  const csrf = newToken(24);
  const now = ctx.now();
  const maxAge = ctx.sessionHours * 3600;
  await ctx.db.insertInto('sessions').values({ id_hash: sha256Hex(token), user_id: userId, csrf, created_at: now, expires_at: now + maxAge * 1000 }).execute();
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, token, { httpOnly: true, secure: ctx.secureCookies, maxAge }),
    cookie(CSRF_COOKIE, csrf, { httpOnly: false, secure: ctx.secureCookies, maxAge }),
  ]);
  return csrf;
}

export async function endSession(ctx: Ctx, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (token) await ctx.db.deleteFrom('sessions').where('id_hash', '=', sha256Hex(token)).execute();
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, '', { httpOnly: true, secure: ctx.secureCookies, maxAge: 0 }),
    cookie(CSRF_COOKIE, '', { httpOnly: false, secure: ctx.secureCookies, maxAge: 0 }),
  ]);
}

export interface SessionUser { user: User; csrf: string }

export async function sessionUser(ctx: Ctx, req: FastifyRequest): Promise<SessionUser | undefined> {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (!token) return undefined;
  const row = await ctx.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.username', 'users.role', 'users.disabled', 'sessions.csrf', 'sessions.expires_at'])
    .where('sessions.id_hash', '=', sha256Hex(token)).executeTakeFirst();
  if (!row || row.disabled || Number(row.expires_at) <= ctx.now()) return undefined;
  return { user: { id: row.id, username: row.username, role: row.role as Role }, csrf: row.csrf };
}

export function csrfOk(req: FastifyRequest, expected: string): boolean {
  const header = req.headers[CSRF_HEADER];
  const fromCookie = parseCookies(req.headers.cookie)[CSRF_COOKIE];
  return typeof header === 'string' && fromCookie !== undefined && safeEqual(header, expected) && safeEqual(fromCookie, expected);
}
