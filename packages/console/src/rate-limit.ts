// Counters kept in the database (table rate_limits), so they hold across console processes: fixed-window attempt
// limits (setup, enrollment, logins per address), upload quotas per endpoint, and the login protection.
// Login protection: failures count per (user name, address); after `loginFailuresBeforeBackoff` of them that pair
// waits 1 s, 2 s, 4 s … (at most `loginBackoffMaxSeconds`) between attempts. A stranger can therefore slow down only
// their own address, never lock the user out elsewhere. Across all addresses, more than `loginSlowAfterPerMinute`
// failures a minute for one user name slow every attempt for it by `loginSlowMs` — slower, never refused.
import { sql } from 'kysely';
import type { Ctx } from './context.ts';
import { ApiFailure } from './errors.ts';

/** Counts one attempt under `key`; throws RATE_LIMITED past `limit` attempts in `windowMs`. */
export async function countAttempt(ctx: Ctx, key: string, limit: number, windowMs = 60_000, n = 1): Promise<{ count: number; windowStart: number }> {
  const now = ctx.now();
  const cutoff = now - windowMs;
  const row = await ctx.db.insertInto('rate_limits').values({ key, window_start: now, count: n })
    .onConflict((oc) => oc.column('key').doUpdateSet({
      count: sql<number>`CASE WHEN rate_limits.window_start <= ${cutoff} THEN ${n} ELSE rate_limits.count + ${n} END`,
      window_start: sql<number>`CASE WHEN rate_limits.window_start <= ${cutoff} THEN ${now} ELSE rate_limits.window_start END`,
    }))
    .returning(['count', 'window_start']).executeTakeFirstOrThrow();
  if (row.count > limit) {
    throw new ApiFailure('RATE_LIMITED', { seconds: Math.max(1, Math.ceil((Number(row.window_start) + windowMs - now) / 1000)) });
  }
  return { count: row.count, windowStart: Number(row.window_start) };
}

/** Clears a key after a success (a correct login resets its user's counter). */
export async function clearAttempts(ctx: Ctx, key: string): Promise<void> {
  await ctx.db.deleteFrom('rate_limits').where('key', '=', key).execute();
}

/** Upload quota: `n` more events within the hour, or QUOTA (nothing counted). */
export async function takeQuota(ctx: Ctx, key: string, n: number, limit: number, windowMs = 3600_000): Promise<void> {
  const now = ctx.now();
  const row = await ctx.db.selectFrom('rate_limits').select(['count', 'window_start']).where('key', '=', key).executeTakeFirst();
  const inWindow = row && Number(row.window_start) > now - windowMs;
  if (inWindow && row.count + n > limit) {
    throw new ApiFailure('QUOTA', { limit, seconds: Math.max(1, Math.ceil((Number(row.window_start) + windowMs - now) / 1000)) });
  }
  await countAttempt(ctx, key, Number.MAX_SAFE_INTEGER, windowMs, n);
}

const pairKey = (user: string, ip: string) => `login-fail:${user.toLowerCase()}:${ip}`;
const userKey = (user: string) => `login-user:${user.toLowerCase()}`;

/** Before checking a password: refuses a (user, address) pair in backoff, slows a user name under attack. */
export async function loginGate(ctx: Ctx, user: string, ip: string): Promise<void> {
  const L = ctx.limits;
  await countAttempt(ctx, `login-ip:${ip}`, L.loginPerMinute);
  const now = ctx.now();
  const pair = await ctx.db.selectFrom('rate_limits').select(['count', 'window_start']).where('key', '=', pairKey(user, ip)).executeTakeFirst();
  if (pair && now - Number(pair.window_start) < 86_400_000 && pair.count >= L.loginFailuresBeforeBackoff) {
    const wait = Math.min(L.loginBackoffMaxSeconds, 2 ** (pair.count - L.loginFailuresBeforeBackoff)) * 1000;
    const left = Number(pair.window_start) + wait - now;
    if (left > 0) throw new ApiFailure('RATE_LIMITED', { seconds: Math.max(1, Math.ceil(left / 1000)) });
  }
  const all = await ctx.db.selectFrom('rate_limits').select(['count', 'window_start']).where('key', '=', userKey(user)).executeTakeFirst();
  if (all && now - Number(all.window_start) < 60_000 && all.count > L.loginSlowAfterPerMinute) await ctx.sleep(L.loginSlowMs);
}

export async function loginFailed(ctx: Ctx, user: string, ip: string): Promise<void> {
  const now = ctx.now();
  const stale = now - 86_400_000;
  // window_start holds the time of the last failure; a day without one starts the count again.
  await ctx.db.insertInto('rate_limits').values({ key: pairKey(user, ip), window_start: now, count: 1 })
    .onConflict((oc) => oc.column('key').doUpdateSet({
      count: sql<number>`CASE WHEN rate_limits.window_start <= ${stale} THEN 1 ELSE rate_limits.count + 1 END`,
      window_start: now,
    })).execute();
  await countAttempt(ctx, userKey(user), Number.MAX_SAFE_INTEGER);
}

export async function loginSucceeded(ctx: Ctx, user: string, ip: string): Promise<void> {
  await clearAttempts(ctx, pairKey(user, ip));
}
