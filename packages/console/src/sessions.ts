// Browser sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure under TLS); the database keeps only
// its SHA-256. A session ends after `sessionHours`, or after `idleMinutes` without a request (last_seen is written at
// most once a minute). CSRF: double submit — the `omamori_csrf` cookie and the `x-csrf-token` header must both equal
// the session's token on every state-changing request.
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

export async function createSession(ctx: Ctx, reply: FastifyReply, userId: string, ip?: string): Promise<string> {
  const token = newToken();
  const csrf = newToken(24);
  const now = ctx.now();
  const maxAge = ctx.sessionHours * 3600;
  await ctx.db.insertInto('sessions').values({ id_hash: sha256Hex(token), user_id: userId, csrf, created_at: now, expires_at: now + maxAge * 1000, last_seen: now, ip: ip ?? null }).execute();
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, token, { httpOnly: true, secure: ctx.secureCookies, maxAge }),
    cookie(CSRF_COOKIE, csrf, { httpOnly: false, secure: ctx.secureCookies, maxAge }),
  ]);
  return csrf;
}

export function clearCookies(ctx: Ctx, reply: FastifyReply): void {
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, '', { httpOnly: true, secure: ctx.secureCookies, maxAge: 0 }),
    cookie(CSRF_COOKIE, '', { httpOnly: false, secure: ctx.secureCookies, maxAge: 0 }),
  ]);
}

export async function endSession(ctx: Ctx, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (token) await ctx.db.deleteFrom('sessions').where('id_hash', '=', sha256Hex(token)).execute();
  clearCookies(ctx, reply);
}

export interface SessionUser { user: User; csrf: string }
export type SessionLookup = SessionUser | { ended: 'idle' | 'expired' | 'none' };

export function parseScope(s: string | null): string[] | null {
  if (!s) return null;
  try { const v = JSON.parse(s) as unknown; return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null; } catch { return null; }
}

/** The signed-in user of a request; an idle or expired session is deleted and reported as ended. */
export async function lookupSession(ctx: Ctx, req: FastifyRequest): Promise<SessionLookup> {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (!token) return { ended: 'none' };
  const idHash = sha256Hex(token);
  const row = await ctx.db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.username', 'users.role', 'users.disabled', 'users.group_scope', 'sessions.csrf', 'sessions.expires_at', 'sessions.last_seen', 'sessions.created_at'])
    .where('sessions.id_hash', '=', idHash).executeTakeFirst();
  if (!row || row.disabled) return { ended: 'none' };
  const now = ctx.now();
  const last = Number(row.last_seen ?? row.created_at);
  const ended = Number(row.expires_at) <= now ? 'expired' : now - last > ctx.idleMinutes * 60_000 ? 'idle' : undefined;
  if (ended) {
    await ctx.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    return { ended };
  }
  if (now - last > 60_000) await ctx.db.updateTable('sessions').set({ last_seen: now }).where('id_hash', '=', idHash).execute();
  const role = row.role as Role;
  return { user: { id: row.id, username: row.username, role, scope: role === 'admin' ? null : parseScope(row.group_scope) }, csrf: row.csrf };
}

export async function sessionUser(ctx: Ctx, req: FastifyRequest): Promise<SessionUser | undefined> {
  const s = await lookupSession(ctx, req);
  return 'user' in s ? s : undefined;
}

export function csrfOk(req: FastifyRequest, expected: string): boolean {
  const header = req.headers[CSRF_HEADER];
  const fromCookie = parseCookies(req.headers.cookie)[CSRF_COOKIE];
  return typeof header === 'string' && fromCookie !== undefined && safeEqual(header, expected) && safeEqual(fromCookie, expected);
}
