// What every route needs, built once in app.ts and passed in (no singletons): the store, the keys, the clock, the
// settings of this console process and the services routes call (alerts, waiting agents). Nothing here is state of
// its own: all state is in the database.
import type { Kysely } from 'kysely';
import type { AlertDispatcher } from './alerts/dispatcher.ts';
import type { Dialect } from './db/migrations.ts';
import type { Database, Role } from './db/schema.ts';
import type { KeyStore } from './keys.ts';
import type { SigningKey } from './secrets.ts';
import type { AgentWake } from './wake.ts';

export interface Limits {
  /** Failed logins per (user name, address) before backoff starts; the wait then doubles per failure. */
  loginFailuresBeforeBackoff: number;
  /** Longest backoff of one (user name, address), seconds. */
  loginBackoffMaxSeconds: number;
  /** Failed logins per minute for one user name from all addresses before every attempt for it is slowed (not refused). */
  loginSlowAfterPerMinute: number;
  /** The slow-down per attempt, ms. */
  loginSlowMs: number;
  /** Login attempts per minute from one address (any user name). */
  loginPerMinute: number;
  enrollPerMinute: number;
  /** Events one endpoint may upload per hour unless its group says otherwise. */
  uploadPerHour: number;
  /** Days events are kept unless the group says otherwise. */
  retentionDays: number;
}

export const DEFAULT_LIMITS: Limits = {
  loginFailuresBeforeBackoff: 5, loginBackoffMaxSeconds: 900, loginSlowAfterPerMinute: 30, loginSlowMs: 1000,
  loginPerMinute: 30, enrollPerMinute: 30, uploadPerHour: 200_000, retentionDays: 90,
};

export interface Ctx {
  db: Kysely<Database>;
  dialect: Dialect;
  keys: KeyStore;
  signingKey: SigningKey;
  now: () => number;
  /** Waits (the login slow-down); tests replace it. */
  sleep: (ms: number) => Promise<void>;
  /** Cookies carry `Secure` and answers `Strict-Transport-Security` (the console is served over TLS). */
  secureCookies: boolean;
  heartbeatSeconds: number;
  /** Fingerprint of the TLS certificate agents pin, when served over TLS. */
  tlsFingerprint?: string;
  sessionHours: number;
  /** A session ends after this many minutes without a request. */
  idleMinutes: number;
  limits: Limits;
  alerts: AlertDispatcher;
  wake: AgentWake;
}

export interface User { id: string; username: string; role: Role; /** Group ids the user is limited to; null: all. */ scope: string[] | null }

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
    /** Body bytes this request may send (set before the body is read: small until the caller is known). */
    bodyMax?: number;
    /** Agent requests: the signature still needs the body (no content-hash header). */
    agentBodyPending?: boolean;
    /** The body hash the verified signature covers (content-hash header). */
    agentBodySha256?: string;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** Who did something: a console user, an agent (by its id; its host name is only a label) or the console itself. */
export type Actor = { kind: 'user'; user: User } | { kind: 'agent'; id: string; hostname: string } | { kind: 'system' } | { kind: 'anonymous'; name: string };

/** Appends to the audit log. `detail` must hold no secrets (no passwords, tokens or keys). */
export async function audit(ctx: Ctx, who: User | Actor, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
  const a: Actor = 'kind' in who ? who : { kind: 'user', user: who };
  // Agent and anonymous names carry a prefix no user name can have (user names are [A-Za-z0-9._@-]), so an agent
  // calling itself "admin" never reads as the user admin.
  const [user_id, username] = a.kind === 'user' ? [a.user.id, a.user.username]
    : a.kind === 'agent' ? [`agent:${a.id}`, `agent:${a.hostname}`]
      : a.kind === 'system' ? ['system', 'system'] : ['anonymous', `anonymous:${a.name}`];
  await ctx.db.insertInto('audit').values({ time: ctx.now(), user_id, username, action, target, detail: JSON.stringify(detail) }).execute();
}

/** Marks a change that can alter the policy of some endpoint: agents get a new signed version on their next call. */
export async function policyInputsChanged(ctx: Ctx): Promise<void> {
  const value = `${ctx.now()}-${Math.random().toString(36).slice(2)}`;
  await ctx.db.insertInto('settings').values({ key: 'policy_epoch', value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  ctx.wake.changed();
}

export const BODY_LIMIT = 1024 * 1024;
export { PROTOCOL_LIMITS } from '@omamori/policy';
