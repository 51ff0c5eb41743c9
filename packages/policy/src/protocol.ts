// The console ⇄ agent sync protocol (version 1): request/response bodies, the signed-request headers and the
// canonical byte strings that are signed. Pure: hashing and signing happen in the agent and the console (node:crypto);
// this module only says WHAT is signed, so both sides build the same bytes. Fields are only ever added. The limits
// and body checks both sides apply are in protocol-check.ts (re-exported here).

export * from './protocol-check.ts';

export const SYNC_PROTOCOL_VERSION = 1 as const;

/** Where the agent API lives on the console. */
export const AGENT_API_PREFIX = '/api/agent/v1';

/** Headers of a signed agent request (lower case, as Node presents them). */
export const AGENT_HEADERS = {
  agent: 'x-omamori-agent',
  time: 'x-omamori-time',
  nonce: 'x-omamori-nonce',
  signature: 'x-omamori-signature',
  /**
   * Hex SHA-256 of the body, the same value the signature covers. With it the console verifies the signature from
   * the headers alone, BEFORE it reads the body; without it (old agents) the body may be at most
   * PROTOCOL_LIMITS.unverifiedBodyBytes.
   */
  contentSha256: 'x-omamori-content-sha256',
} as const;

/** A signed request is accepted only when its timestamp is within this window of the console's clock. */
export const REPLAY_WINDOW_MS = 5 * 60 * 1000;

/**
 * The bytes an agent signs for a request (Ed25519, signature in base64 in `x-omamori-signature`).
 * `path` is the request path with its query string; `bodySha256` the hex SHA-256 of the raw body ('' for none).
 */
export function requestSigningPayload(method: string, path: string, time: number, nonce: string, bodySha256: string): string {
  return `omamori-request-v1\n${method.toUpperCase()}\n${path}\n${time}\n${nonce}\n${bodySha256}`;
}

/** JSON with object keys sorted at every level and no whitespace: the canonical form of signed documents. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('canonicalJson: non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** Whom a signed policy is for. An agent accepts only its own id or its own group. */
export type PolicyTarget = { kind: 'agent'; id: string } | { kind: 'group'; id: string };

/** The signed part of a policy delivered to an agent. */
export interface PolicyEnvelope {
  protocol: typeof SYNC_PROTOCOL_VERSION;
  target: PolicyTarget;
  /**
   * The console's policy epoch (ms when it was started): policies are ordered by (epoch, version). After a database
   * restore the console starts a new epoch (`omamori console --new-epoch`), and agents accept its versions although
   * they are lower than what they ran. Absent in envelopes of older consoles: epoch 0.
   */
  epoch?: number;
  /** Monotonic per agent within an epoch: the agent refuses a version that does not go up. Also `version` in `policy`. */
  version: number;
  /** Milliseconds since the epoch, when the console signed it. */
  issuedAt: number;
  /** Where it came from, for display: `preset:office`, `policy:<id>@<version>`. */
  source: string;
  /** The policy text the agent loads through `loadPolicy` (JSON, which is YAML). */
  policy: string;
  /** Ids of the time-boxed exceptions included, and when the first of them expires (ms), if any. */
  exceptions: string[];
  nextExpiry?: number;
}

export interface SignedPolicy {
  envelope: PolicyEnvelope;
  /** Base64 Ed25519 signature of `policySigningPayload(envelope)` by the console's key. */
  signature: string;
}

export function policySigningPayload(envelope: PolicyEnvelope): string {
  return `omamori-policy-v1\n${canonicalJson(envelope)}`;
}

/** Orders two (epoch, version) pairs: > 0 when `a` is newer. */
export function comparePolicyOrder(a: { epoch?: number; version: number }, b: { epoch?: number; version: number }): number {
  return (a.epoch ?? 0) !== (b.epoch ?? 0) ? (a.epoch ?? 0) - (b.epoch ?? 0) : a.version - b.version;
}

/**
 * A TLS certificate the console will serve next, announced in heartbeat answers while agents still talk to the old
 * one, signed by the console's policy key (pinned at enrollment): agents add it to their pins, so switching the
 * certificate needs no re-enrollment.
 */
export interface TlsAnnouncement { certPem: string; fingerprint: string; announcedAt: number }
export interface SignedTlsAnnouncement { announcement: TlsAnnouncement; signature: string }
export function tlsAnnouncementPayload(a: TlsAnnouncement): string {
  return `omamori-tls-v1\n${canonicalJson(a)}`;
}

/** Proof that an agent holds the new key it asks the console to switch to (signed with the NEW key). */
export function keyRotationPayload(agentId: string, newPublicKey: string): string {
  return `omamori-rotate-v1\n${agentId}\n${newPublicKey}`;
}

// ---- bodies ----

export interface EnrollRequest {
  token: string;
  /** The agent's Ed25519 public key, SPKI DER in base64. */
  publicKey: string;
  hostname: string;
  platform: 'linux' | 'windows';
  agentVersion: string;
}

export interface EnrollResponse {
  agentId: string;
  groupId: string;
  /** The console's Ed25519 policy-signing public key, SPKI DER in base64. */
  consoleKey: string;
  /** Seconds between heartbeats the console asks for. */
  heartbeatSeconds: number;
}

/** What the agent is doing: `protecting` (enforcing or auditing), `sync-only` (no local enforcement), `degraded`. */
export type AgentRunState = 'protecting' | 'sync-only' | 'degraded';

/** What the agent knows of its machine, shown on the endpoint page. */
export interface HostFacts {
  os?: string; kernel?: string; arch?: string;
  /** Non-internal IP addresses. */
  addresses?: string[];
  /** Users logged in now (utmp). */
  users?: string[];
  uptimeSeconds?: number;
  bootTime?: number;
}

export interface HeartbeatRequest {
  state: AgentRunState;
  agentVersion: string;
  /** Version of the console policy in force (0 when none yet). */
  policyVersion: number;
  /** Epoch of that policy (absent: 0). */
  policyEpoch?: number;
  /** Mode of the policy in force. */
  mode?: string;
  /**
   * The agent holds no usable copy of the policy it reports (its stored copies were tampered with or deleted) and runs
   * a stand-in in that policy's mode: the console issues a new version above the reported one.
   */
  policyMissing?: boolean;
  /** Events waiting in the spool. */
  spooled: number;
  hostname?: string;
  detail?: Record<string, string | number | boolean>;
  host?: HostFacts;
  /** Fingerprints of the console certificates the agent accepts now. */
  tlsPins?: string[];
}

export interface HeartbeatResponse {
  serverTime: number;
  /** Present when the console has a policy version other than the one the agent reported. */
  policy?: SignedPolicy;
  /** A certificate the console will switch to; the agent pins it beside the current one. */
  tlsNext?: SignedTlsAnnouncement;
  /** The console asks the agent to make a new key pair and switch to it (POST /rotate-key). */
  rotateKey?: boolean;
  /** Tasks cancelled by an operator: the agent drops them if it has not run them yet. */
  cancelled?: SignedTaskCancel[];
}

/** One event as uploaded: the agent's stored decision with an idempotency key unique per agent. */
export interface UploadedEvent {
  key: string;
  time: number;
  verdict: 'allow' | 'deny' | 'audit-deny';
  reason: string;
  rule: string;
  policyVersion: string;
  kind: string;
  pid: number;
  object: string;
  guarded?: string;
  /** Root first; the subject is last. */
  lineage: { pid: number; image: string; guarded?: string }[];
  /** What the agent knows of the subject: its user, command line, the object's SHA-256 and code signer. */
  user?: string;
  commandLine?: string;
  sha256?: string;
  signer?: string;
  detail?: Record<string, unknown>;
}

/** An event the agent could not upload (refused, or failing alone): the console keeps it with its reason. */
export interface QuarantineReport { key: string; time?: number; code: string; reason: string; excerpt: string }

export interface EventBatchRequest { events: UploadedEvent[]; quarantined?: QuarantineReport[] }
export interface EventBatchResponse {
  accepted: number; duplicates: number;
  /** Events of the batch the console did not store, each kept in its quarantine with the reason (not to be resent). */
  rejected?: { key: string; code: string; message: string }[];
}

/** Error body of every console API failure. */
export interface ApiError { error: { code: string; message: string; field?: string; problems?: unknown[] } }

// ---- agent tasks (incident response; added after version 1 shipped: old agents ignore `tasks`) ----

/** What the console can ask an agent to do. Stable strings: only ever appended. */
export type AgentTaskKind = 'isolate' | 'release-isolation' | 'collect' | 'check';
export const AGENT_TASK_KINDS: readonly AgentTaskKind[] = ['isolate', 'release-isolation', 'collect', 'check'];

/** A task as the console signs it: for one agent, once (the agent runs a task id at most once per run). */
export interface AgentTask {
  id: string;
  kind: AgentTaskKind;
  /** The agent the task is for: an agent refuses a task signed for another. */
  agentId: string;
  createdAt: number;
  /** Who asked, for the agent's log (user name on the console). */
  requestedBy: string;
  /** Free text shown on the endpoint (e.g. `incident 3fz…: isolate`). */
  reason: string;
  /** The agent refuses to start the task after this time (ms). Absent in tasks of older consoles: no expiry. */
  expiresAt?: number;
}

/** An operator cancelled a task: signed, so only the console can stop a task the agent has queued. */
export interface TaskCancel { taskId: string; agentId: string; cancelledAt: number; by: string }
export interface SignedTaskCancel { cancel: TaskCancel; signature: string }
export function taskCancelPayload(c: TaskCancel): string {
  return `omamori-task-cancel-v1\n${canonicalJson(c)}`;
}

export interface SignedAgentTask { task: AgentTask; /** Base64 Ed25519 signature of `taskSigningPayload(task)`. */ signature: string }

export function taskSigningPayload(task: AgentTask): string {
  return `omamori-task-v1\n${canonicalJson(task)}`;
}

/** One thing a check found (a structured finding; `code` is a stable string of the checker that produced it). */
export interface TaskFinding {
  code: string;
  severity: 'infected' | 'review';
  /** One line for people. */
  title: string;
  /** The file or autostart location concerned. */
  path?: string;
  detail?: Record<string, string>;
}

/** What an agent reports for a task. `failed` carries `message`; the rest depends on the kind. */
export interface TaskResultRequest {
  status: 'done' | 'failed';
  message: string;
  /** check: what the check looked at and found. */
  check?: { checker: string; verdict: 'clean' | 'findings'; examined: number; findings: TaskFinding[] };
  /** collect: the bundle stays on the endpoint; its hashes and manifest come to the console. */
  evidence?: { path: string; bundleSha256: string; bundleSize: number; manifestSha256: string; manifest: unknown };
  /** isolate / release-isolation: the state after the action. */
  isolation?: { isolated: boolean; since: string; console: string[] };
}

/** Added to HeartbeatResponse: tasks waiting for this agent (until it reports a result for each). */
export interface HeartbeatTasks { tasks?: SignedAgentTask[] }
