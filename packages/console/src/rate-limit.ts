// Fixed-window rate limits kept in the database (table rate_limits), so they hold across console processes.
import { sql } from 'kysely';
import type { Ctx } from './context.ts';
import { ApiFailure } from './errors.ts';

/** Counts one attempt under `key`; throws RATE_LIMITED past `limit` attempts in `windowMs`. */
export async function countAttempt(ctx: Ctx, key: string, limit: number, windowMs = 60_000): Promise<void> {
  const now = ctx.now();
  const cutoff = now - windowMs;
  const row = await ctx.db.insertInto('rate_limits').values({ key, window_start: now, count: 1 })
    .onConflict((oc) => oc.column('key').doUpdateSet({
      count: sql<number>`CASE WHEN rate_limits.window_start <= ${cutoff} THEN 1 ELSE rate_limits.count + 1 END`,
      window_start: sql<number>`CASE WHEN rate_limits.window_start <= ${cutoff} THEN ${now} ELSE rate_limits.window_start END`,
    }))
    .returning(['count', 'window_start']).executeTakeFirstOrThrow();
  if (row.count > limit) {
    throw new ApiFailure('RATE_LIMITED', { seconds: Math.max(1, Math.ceil((Number(row.window_start) + windowMs - now) / 1000)) });
  }
}

/** Clears a key after a success (a correct login resets its user's counter). */
export async function clearAttempts(ctx: Ctx, key: string): Promise<void> {
  await ctx.db.deleteFrom('rate_limits').where('key', '=', key).execute();
}
