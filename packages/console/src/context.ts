// What every route needs, built once in app.ts and passed in (no singletons): the store, the signing key, the clock
// and the settings of this console process. Nothing here is state of its own: all state is in the database.
import type { Kysely } from 'kysely';
import type { Dialect } from './db/migrations.ts';
import type { Database, Role } from './db/schema.ts';
import type { SigningKey } from './secrets.ts';

export interface Ctx {
  db: Kysely<Database>;
  dialect: Dialect;
  signingKey: SigningKey;
  now: () => number;
  /** Cookies carry `Secure` (the console is served over TLS). */
  secureCookies: boolean;
  heartbeatSeconds: number;
  /** Fingerprint of the TLS certificate agents pin, when served over TLS. */
  tlsFingerprint?: string;
  sessionHours: number;
  limits: { loginPerMinute: number; enrollPerMinute: number };
}

export interface User { id: string; username: string; role: Role }

/** Who may call a route: nobody signed in, a signed agent, or a user with at least this role. */
export type Access = 'public' | 'agent' | Role;

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
    agentId?: string;
    rawBody?: string;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** Appends to the audit log. `detail` must hold no secrets (no passwords, tokens or keys). */
export async function audit(ctx: Ctx, user: User, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
  await ctx.db.insertInto('audit').values({
    time: ctx.now(), user_id: user.id, username: user.username, action, target, detail: JSON.stringify(detail),
  }).execute();
}

/** Marks a change that can alter the policy of some endpoint: agents get a new signed version on their next call. */
export async function bumpPolicyEpoch(ctx: Ctx): Promise<void> {
  const value = `${ctx.now()}-${Math.random().toString(36).slice(2)}`;
  await ctx.db.insertInto('settings').values({ key: 'policy_epoch', value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
}

export const BODY_LIMIT = 1024 * 1024;
export const EVENTS_BODY_LIMIT = 8 * 1024 * 1024;
