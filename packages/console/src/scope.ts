// Roles limited to groups: a user with a scope sees and acts only on those groups, their endpoints and everything of
// those endpoints (events, exceptions, incidents, tasks). Out-of-scope things answer 404 (their existence is not
// told), group-wide changes outside the scope 403.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Ctx, User } from './context.ts';
import { ApiFailure } from './errors.ts';

export function inScope(user: User, groupId: string): boolean {
  return user.scope === null || user.scope.includes(groupId);
}

export function requireGroupInScope(user: User, groupId: string): void {
  if (!inScope(user, groupId)) throw new ApiFailure('OUT_OF_SCOPE');
}

/** A where-condition on a column holding an agent id: only agents of the user's groups. */
export function agentInScope(user: User, column: string): RawBuilder<SqlBool> {
  if (user.scope === null) return sql<SqlBool>`1 = 1`;
  if (user.scope.length === 0) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`${sql.ref(column)} IN (SELECT id FROM agents WHERE group_id IN (${sql.join(user.scope)}))`;
}

/** A where-condition on a group id column. */
export function groupInScope(user: User, column: string): RawBuilder<SqlBool> {
  if (user.scope === null) return sql<SqlBool>`1 = 1`;
  if (user.scope.length === 0) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`${sql.ref(column)} IN (${sql.join(user.scope)})`;
}

/** The agent, when it exists and is in the user's scope; else NOT_FOUND. */
export async function requireAgentInScope(ctx: Ctx, user: User, agentId: string) {
  const a = await ctx.db.selectFrom('agents').selectAll().where('id', '=', agentId).executeTakeFirst();
  if (!a || !inScope(user, a.group_id)) throw new ApiFailure('NOT_FOUND', { what: `endpoint ${agentId}` });
  return a;
}
