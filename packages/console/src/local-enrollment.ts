// Enrollment of the console's own machine (`omamori up`): ensures a group for it with a preset in audit rollout and
// issues a one-use token that expires within the hour, recorded in the audit log as a system action.
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.ts';
import { newId, newToken, sha256Hex } from './secrets.ts';

export interface LocalEnrollment { token: string; groupId: string; groupName: string }

const SYSTEM = { id: 'system', username: 'system' };

export async function prepareLocalEnrollment(db: Kysely<Database>, opts: { groupName?: string; preset?: string; now?: number } = {}):
  Promise<LocalEnrollment> {
  const name = opts.groupName ?? 'this-machine';
  const now = opts.now ?? Date.now();
  let group = await db.selectFrom('groups').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
  if (!group) {
    group = { id: newId(), name };
    await db.insertInto('groups').values({ id: group.id, name, policy_ref: `preset:${opts.preset ?? 'office'}`, rollout: 'audit', created_at: now, retention_days: null, upload_per_hour: null }).execute();
    await db.insertInto('audit').values({ time: now, user_id: SYSTEM.id, username: SYSTEM.username, action: 'group.create', target: `group:${group.id}`, detail: JSON.stringify({ name, rollout: 'audit' }) }).execute();
  }
  const token = newToken();
  const tokenId = newId();
  await db.insertInto('enrollment_tokens').values({ id: tokenId, token_hash: sha256Hex(token), group_id: group.id, uses_left: 1, expires_at: now + 3600_000, created_by: SYSTEM.id, created_at: now }).execute();
  await db.insertInto('audit').values({ time: now, user_id: SYSTEM.id, username: SYSTEM.username, action: 'token.create', target: `token:${tokenId}`, detail: JSON.stringify({ group: group.id, uses: 1, purpose: 'local agent' }) }).execute();
  return { token, groupId: group.id, groupName: name };
}
