// The policy document as written by an administrator (YAML), after validation. See docs/policy.md.

export type Mode = 'audit' | 'enforce' | 'lockdown';
export type FailMode = 'open' | 'closed';

export type AppKind =
  | 'mail' | 'browser' | 'office' | 'pdf' | 'archiver' | 'script-host' | 'network-service' | 'other';

export interface GuardedApplication {
  id: string;
  kind: AppKind;
  /** Image file names (case-insensitive on Windows). A match by name alone never lifts the user-space rule. */
  names?: string[];
  /** Image path patterns; a match here (or by hash) lets the application start guarded even from user space. */
  paths?: string[];
  sha256?: string[];
  /** The application's own profile/data folders: it may read and write there even when they are protected. */
  profiles?: string[];
}

export interface TrustedHash { sha256: string; note?: string }
export interface TrustedPublisher { signer: string; launch?: 'normal' | 'guarded'; note?: string }

export interface TimeBoxedException {
  id: string;
  path?: string;
  sha256?: string;
  /** ISO 8601 date-time after which the exception no longer applies. */
  expires: string;
  /** Limit to one endpoint (host name). */
  host?: string;
  note?: string;
}

export interface PolicyDocument {
  omamori: 1;
  name: string;
  /** Monotonic integer; agents refuse a policy whose version goes backwards. */
  version: number;
  description?: string;
  mode: Mode;
  failMode: FailMode;
  /** How long the native side waits for a decision before answering by the fail mode. */
  decisionTimeoutMs?: number;
  userSpace: {
    /** Decide user space by probing real permissions where the sensor can (Linux agent). */
    probe: boolean;
    /** Patterns that are always user space (in addition to the probe). */
    paths: string[];
    /**
     * Windows: the only folders that are system space (admin-writable). Every other path — other root folders such
     * as C:\Tools, other drives, network paths — is user space; `paths` wins inside these (C:\Windows\Temp).
     */
    systemFolders: string[];
  };
  trust: {
    packageManager: boolean;
    hashes: TrustedHash[];
    /** Path patterns trusted for launch; they only ever apply in system space. */
    paths: string[];
    publishers: TrustedPublisher[];
    exceptions: TimeBoxedException[];
  };
  guarded: {
    applications: GuardedApplication[];
    /** Programs a guarded process may not start: names or sets such as `@shells`. */
    deniedChildren: string[];
    allowedChildren: string[];
    /** Where guarded processes may not write: patterns or `@system`, `@autostart`. */
    writeProtect: string[];
    /** Where guarded processes may write (the containment allow-list on Linux): patterns. */
    writable: string[];
    /** What guarded processes may not read: patterns or `@private`. */
    readProtect: string[];
    /** Guarded processes may not write memory of, inject into, ptrace or signal processes outside their own tree. */
    processProtection: boolean;
  };
  persistence: {
    /** Refuse autostart entries that start code from user space, whoever writes them. */
    denyUserSpaceCode: boolean;
    /**
     * Refuse system hooks (Image File Execution Options debuggers, accessibility-program replacement, Winlogon and
     * logon-script entries) written by any process but a trusted installer.
     */
    denySystemHooks: boolean;
    /** Programs (path patterns in system space) that may write system hooks when they run unguarded. */
    trustedInstallers: string[];
  };
}
