// A decision is a value with its reason: verdict, stable reason code, rule id, policy version, the lineage that
// explains it and whether it may be cached. Reason codes are stored in logs and databases: append only, never
// change the meaning of an existing one.

export type Verdict = 'allow' | 'deny' | 'audit-deny';

export const REASONS = {
  // 1xx: allowed
  ALLOW_DEFAULT: 'ALLOW_DEFAULT',
  ALLOW_SYSTEM_SPACE: 'ALLOW_SYSTEM_SPACE',
  ALLOW_TRUSTED_HASH: 'ALLOW_TRUSTED_HASH',
  ALLOW_TRUSTED_PACKAGE: 'ALLOW_TRUSTED_PACKAGE',
  ALLOW_TRUSTED_PATH: 'ALLOW_TRUSTED_PATH',
  ALLOW_TRUSTED_PUBLISHER: 'ALLOW_TRUSTED_PUBLISHER',
  ALLOW_EXCEPTION: 'ALLOW_EXCEPTION',
  ALLOW_GUARDED_APP: 'ALLOW_GUARDED_APP',
  ALLOW_NOT_PROTECTED: 'ALLOW_NOT_PROTECTED',
  // launch control
  USER_SPACE_EXEC: 'USER_SPACE_EXEC',
  USER_SPACE_LIBRARY: 'USER_SPACE_LIBRARY',
  USER_SPACE_SCRIPT: 'USER_SPACE_SCRIPT',
  LOCKDOWN_UNTRUSTED: 'LOCKDOWN_UNTRUSTED',
  // guarded applications
  GUARDED_CHILD_DENIED: 'GUARDED_CHILD_DENIED',
  GUARDED_WRITE_PROTECTED: 'GUARDED_WRITE_PROTECTED',
  GUARDED_READ_PRIVATE: 'GUARDED_READ_PRIVATE',
  GUARDED_PERSISTENCE: 'GUARDED_PERSISTENCE',
  GUARDED_PROCESS_ACCESS: 'GUARDED_PROCESS_ACCESS',
  // persistence of untrusted code by anyone
  PERSIST_USER_SPACE_CODE: 'PERSIST_USER_SPACE_CODE',
  // fail modes (answered by the native side when the engine is late)
  FAIL_OPEN_TIMEOUT: 'FAIL_OPEN_TIMEOUT',
  FAIL_CLOSED_TIMEOUT: 'FAIL_CLOSED_TIMEOUT',
  GUARDED_NOT_CONTAINED: 'GUARDED_NOT_CONTAINED',
  // appended (issue 12)
  /** A script host or loader was told to run code from the network (regsvr32 /i:https://…, mshta https://…). */
  REMOTE_CODE: 'REMOTE_CODE',
  /** A system hook (IFEO debugger, accessibility program, Winlogon/logon script) written by other than a trusted installer. */
  PERSIST_SYSTEM_HOOK: 'PERSIST_SYSTEM_HOOK',
  // fail modes, continued: too many decisions waiting, or the file the kernel opened could not be established
  FAIL_OPEN_QUEUE_FULL: 'FAIL_OPEN_QUEUE_FULL',
  FAIL_CLOSED_QUEUE_FULL: 'FAIL_CLOSED_QUEUE_FULL',
  FAIL_OPEN_UNREADABLE: 'FAIL_OPEN_UNREADABLE',
  FAIL_CLOSED_UNREADABLE: 'FAIL_CLOSED_UNREADABLE',
} as const;

export type ReasonCode = (typeof REASONS)[keyof typeof REASONS];

/** One process of the lineage, root first in `Decision.lineage`. */
export interface LineageEntry {
  pid: number;
  image: string;
  /** Id of the guarded application this process runs as or inherited, if any. */
  guarded?: string;
}

export interface Decision {
  verdict: Verdict;
  reason: ReasonCode;
  /** The policy rule that produced the verdict (e.g. `launch.user-space`, `guarded.children`). */
  rule: string;
  policyVersion: string;
  /** Root-first chain of processes that explains the decision; the subject is last. */
  lineage: readonly LineageEntry[];
  /** The guarded application the subject belongs to, if any. */
  guarded?: string | undefined;
  /** The object acted on, when it is not the subject itself (library, script, written file, target process). */
  object?: string | undefined;
  /**
   * May the enforcer cache this verdict keyed by (file identity, subject class)? True only when the verdict depends
   * on nothing but the file's content/location and whether the subject is guarded (and by which application).
   */
  cacheable: boolean;
  /**
   * True on a refusal that a signature by one of the policy's trusted publishers on the object would have lifted,
   * when the event carried no signature information (neither `signer` nor `signed`): replays of logs that lack
   * signatures (7045, 4104, Sysmon 1 without image loads) report it as "blocked unless signed by …".
   */
  unlessSigned?: boolean;
}

export function isBlocking(d: Pick<Decision, 'verdict'>): boolean {
  return d.verdict === 'deny';
}

export function wouldBlock(d: Pick<Decision, 'verdict'>): boolean {
  return d.verdict !== 'allow';
}
