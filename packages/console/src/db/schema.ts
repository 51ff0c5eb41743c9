// The console's tables as kysely sees them. Times are milliseconds since the epoch (bigint columns); JSON is text.
// One schema for SQLite and PostgreSQL: no dialect-only types.
import type { Generated, Selectable } from 'kysely';

export interface SettingsTable { key: string; value: string }

export type Role = 'admin' | 'operator' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'operator', 'viewer'];

export interface UsersTable {
  id: string; username: string; password_hash: string; role: Role; created_at: number; disabled: number;
  /** TOTP (RFC 6238) secret in base32 while set up or enabled; `totp_enabled` once confirmed with a code. */
  totp_secret: string | null; totp_enabled: Generated<number>;
  /** The last TOTP time step used (a code is accepted once). */
  totp_last: number | null;
  /** JSON array of group ids the user may see and act on; null: every group. Never set for admins. */
  group_scope: string | null;
}
export interface SessionsTable {
  /** SHA-256 of the session token (the cookie holds the token; a database dump does not give sessions away). */
  id_hash: string; user_id: string; csrf: string; created_at: number; expires_at: number;
  /** Last request (updated at most once a minute): the session ends after `idleMinutes` without one. */
  last_seen: number | null; ip: string | null;
}
export interface RateLimitsTable { key: string; window_start: number; count: number }
export interface GroupsTable {
  id: string; name: string;
  /** `preset:NAME` or `policy:ID` (the latest version of that policy). */
  policy_ref: string;
  /** Rollout: `audit` forces audit mode; `enforce` runs the policy's own mode. */
  rollout: 'audit' | 'enforce';
  created_at: number;
  /** Days events of this group's endpoints are kept (null: the console default). */
  retention_days: number | null;
  /** Events per hour one endpoint of this group may upload (null: the console default). */
  upload_per_hour: number | null;
}
export interface PoliciesTable { id: string; name: string; latest_version: number; created_at: number }
export interface PolicyVersionsTable {
  policy_id: string; version: number; text: string; comment: string; created_by: string; created_at: number;
}
export interface EnrollmentTokensTable {
  id: string; token_hash: string; group_id: string; uses_left: number; expires_at: number; created_by: string; created_at: number;
}
export interface AgentsTable {
  id: string; group_id: string; hostname: string; platform: string; public_key: string; enrolled_at: number;
  last_seen: number; state: string; agent_version: string; reported_version: number; mode: string | null;
  spooled: number;
  /** The last policy issued to this agent: version, hash of its content, the inputs key, and the signed JSON. */
  issued_version: number; issued_hash: string; issued_key: string; issued_policy: string | null;
  /** Epoch of the issued policy and the (epoch, version) the agent reported last (see protocol.ts). */
  issued_epoch: Generated<number>; reported_epoch: Generated<number>;
  /** Set when an operator revoked the endpoint: its requests are refused. */
  revoked_at: number | null; revoked_by: string | null;
  /** After a key rotation: the old key, accepted until the agent signs with the new one. */
  prev_public_key: string | null;
  /** 1 when the console asks the agent to rotate its key on the next heartbeat. */
  rotate_key: Generated<number>;
  /** JSON HostFacts from the last heartbeat; JSON array of the certificate fingerprints it pins. */
  host_facts: string | null; tls_pins: string | null;
}
/** An agents row as read. */
export type AgentRow = Selectable<AgentsTable>;
export interface NoncesTable { agent_id: string; nonce: string; expires_at: number }
export interface EventsTable {
  id: Generated<number>; agent_id: string; key: string; time: number; received_at: number; verdict: string;
  reason: string; rule: string; kind: string; app: string; object: string; guarded: string | null;
  policy_version: string; pid: number; lineage: string; detail: string | null;
  user: string | null; command_line: string | null; sha256: string | null; signer: string | null;
}
/** Events the console did not store (refused by the protocol checks or by the store), with the reason. */
export interface EventQuarantineTable {
  id: Generated<number>; agent_id: string; key: string; time: number | null; received_at: number;
  /** `agent`: reported by the agent; `console`: refused here. */
  source: string; code: string; reason: string; excerpt: string;
}
export interface ExceptionsTable {
  id: string; agent_id: string; path: string | null; sha256: string | null; expires_at: number; note: string;
  event_id: number | null; created_by: string; created_at: number;
}
export interface AuditTable {
  id: Generated<number>; time: number; user_id: string; username: string; action: string; target: string; detail: string;
}

export interface Database {
  settings: SettingsTable; users: UsersTable; sessions: SessionsTable; rate_limits: RateLimitsTable;
  groups: GroupsTable; policies: PoliciesTable; policy_versions: PolicyVersionsTable;
  enrollment_tokens: EnrollmentTokensTable; agents: AgentsTable; nonces: NoncesTable; events: EventsTable;
  exceptions: ExceptionsTable; audit: AuditTable; event_quarantine: EventQuarantineTable;
}
