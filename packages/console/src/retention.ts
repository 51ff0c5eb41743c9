// Event retention per group: events older than the group's `retention_days` (else the console default) are deleted,
// with the quarantine of refused events and old audit-free housekeeping rows (nonces, rate-limit counters). Runs on
// a timer and on demand (POST /api/settings/retention/run); several console processes may run it at once (deletes).
import { sql } from 'kysely';
import type { Ctx } from './context.ts';

export interface RetentionResult { events: number; quarantined: number; groups: { id: string; days: number; deleted: number }[] }

export async function runRetention(ctx: Ctx): Promise<RetentionResult> {
  const now = ctx.now();
  const groups = await ctx.db.selectFrom('groups').select(['id', 'retention_days']).execute();
  const out: RetentionResult = { events: 0, quarantined: 0, groups: [] };
  for (const g of groups) {
    const days = g.retention_days ?? ctx.limits.retentionDays;
    const cutoff = now - days * 86_400_000;
    const agents = ctx.db.selectFrom('agents').select('id').where('group_id', '=', g.id);
    const del = await ctx.db.deleteFrom('events').where('time', '<', cutoff).where('agent_id', 'in', agents).executeTakeFirst();
    const q = await ctx.db.deleteFrom('event_quarantine').where('received_at', '<', cutoff).where('agent_id', 'in', agents).executeTakeFirst();
    const n = Number(del.numDeletedRows ?? 0n);
    out.events += n; out.quarantined += Number(q.numDeletedRows ?? 0n);
    out.groups.push({ id: g.id, days, deleted: n });
  }
  // Events of endpoints that no longer exist (deleted with purge=false keeps them; they follow the default).
  const orphanCutoff = now - ctx.limits.retentionDays * 86_400_000;
  const orphans = await ctx.db.deleteFrom('events').where('time', '<', orphanCutoff)
    .where(sql<boolean>`agent_id NOT IN (SELECT id FROM agents)`).executeTakeFirst();
  out.events += Number(orphans.numDeletedRows ?? 0n);
  await ctx.db.deleteFrom('rate_limits').where('window_start', '<', now - 86_400_000).execute();
  await ctx.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
  return out;
}

export function startRetention(ctx: Ctx, everyMs: number): { stop(): void } {
  if (everyMs <= 0) return { stop() {} };
  const t = setInterval(() => { void runRetention(ctx).catch(() => { /* retried at the next tick */ }); }, everyMs);
  t.unref();
  return { stop: () => clearInterval(t) };
}
