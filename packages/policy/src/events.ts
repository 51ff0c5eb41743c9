// The OS-neutral event model (version 1): what sensors on Linux and Windows, and the EVTX replay, feed the engine.
// Stored and transmitted as JSON lines. Fields are only ever added; a field never changes meaning
// (bump EVENT_MODEL_VERSION and keep reading version 1 if that is ever needed).

export const EVENT_MODEL_VERSION = 1 as const;

export type Platform = 'linux' | 'windows';

/**
 * Identifies one process for its whole life. `guid` (Windows ProcessGuid) wins when present; otherwise
 * pid + start (start time in any unit the sensor keeps monotonic for that boot, e.g. /proc starttime ticks
 * or ms since epoch) so that pid reuse cannot confuse lineage.
 */
export interface ProcessRef {
  pid: number;
  start?: number;
  guid?: string;
}

/** What is known of a process image when it starts. Optional fields are filled by sensors when they know them. */
export interface ProcessInfo extends ProcessRef {
  /** Absolute image path as the OS reports it (Windows paths with backslashes and drive letters are fine). */
  image: string;
  sha256?: string;
  /** Code-signing identity (Windows publisher / subject), when known. */
  signer?: string;
  /**
   * Whether the sensor checked the image's signature: true = valid (then `signer` names it), false = checked and
   * unsigned or invalid; absent = not checked (the decision may then say "blocked unless signed by …").
   */
  signed?: boolean;
  /** Owner of the process (user name or uid as a string). */
  user?: string;
  /** Whether the image file is in user space, as decided by the sensor's probe; the policy's paths decide otherwise. */
  userSpace?: boolean;
  /** Whether the image file is owned by the package manager with a matching recorded digest. */
  packageOwned?: boolean;
  commandLine?: string;
  /** Working directory at start (Sysmon `CurrentDirectory`): relative names on the command line resolve against it. */
  cwd?: string;
  /**
   * Linux: whether the process starts inside omamori's kernel containment (the Landlock launcher). A guarded
   * application that starts outside it (`false`) is refused; absent means the sensor cannot tell (Windows, replay).
   */
  contained?: boolean;
  /**
   * Linux: the process was started by `omamori run --app ID` inside that application's containment, so it is guarded
   * as ID even when its image is not on the guarded list.
   */
  guardedAs?: string;
}

interface EventBase {
  v: typeof EVENT_MODEL_VERSION;
  platform: Platform;
  /** Milliseconds since the Unix epoch, when the sensor knows it. Only used for time-boxed exceptions and logs. */
  time?: number;
  /** Sensor-assigned id (record number, sequence), carried into decisions for reporting. */
  id?: string;
  /** Host name, when the events of several machines are mixed (replay). */
  host?: string;
}

/** A file subject of an event (library, script, written file). */
export interface FileRef {
  path: string;
  sha256?: string;
  signer?: string;
  /** As `ProcessInfo.signed`: true valid, false checked and not (validly) signed, absent not checked. */
  signed?: boolean;
  userSpace?: boolean;
  packageOwned?: boolean;
}

export interface ProcessStartEvent extends EventBase {
  kind: 'process.start';
  proc: ProcessInfo;
  parent?: ProcessRef;
  /**
   * Ancestors nearest first, for sensors that learn lineage from elsewhere (e.g. /proc at agent start). The engine
   * uses them only for processes it has not seen start.
   */
  ancestors?: ProcessInfo[];
}

export interface ProcessExitEvent extends EventBase {
  kind: 'process.exit';
  proc: ProcessRef;
}

export interface ModuleLoadEvent extends EventBase {
  kind: 'module.load';
  proc: ProcessRef & { image?: string };
  file: FileRef;
  /** How the library came in: the dynamic loader, LD_PRELOAD, an explicit dlopen/LoadLibrary, or `ld.so FILE`. */
  via?: 'loader' | 'preload' | 'dlopen' | 'ld.so';
}

export interface ScriptReadEvent extends EventBase {
  kind: 'script.read';
  proc: ProcessRef & { image?: string };
  file: FileRef;
}

export type FileOp = 'create' | 'write' | 'rename' | 'delete' | 'read';

export interface FileEvent extends EventBase {
  kind: 'file.access';
  proc: ProcessRef & { image?: string };
  op: FileOp;
  file: FileRef;
  /** For rename: the new path. */
  target?: FileRef;
}

export type PersistenceLocation =
  | 'registry-run' | 'service' | 'scheduled-task' | 'startup-folder' | 'wmi'
  | 'shell-rc' | 'xdg-autostart' | 'cron' | 'systemd-unit' | 'other'
  // System hooks (added): entries that change what Windows itself starts, whatever the command.
  /** Image File Execution Options `Debugger`/`VerifierDlls`, SilentProcessExit `MonitorProcess`. */
  | 'debugger'
  /** Winlogon `Userinit`/`Shell`/`Taskman`/`Notify`…, `UserInitMprLogonScript`. */
  | 'logon'
  /** Replacing an accessibility program started at the logon screen (sethc.exe, utilman.exe …). */
  | 'accessibility';

/** Persistence locations that are system hooks: only trusted installers may write them (docs/policy.md). */
export const SYSTEM_HOOK_LOCATIONS: ReadonlySet<PersistenceLocation> = new Set(['debugger', 'logon', 'accessibility']);

export interface PersistenceEvent extends EventBase {
  kind: 'persistence.write';
  proc: ProcessRef & { image?: string };
  location: PersistenceLocation;
  /** Registry key and value name, file path, task or service name. */
  target: string;
  /** The command or path the entry would start, when known. */
  command?: string;
  /** Whether `command` starts code from user space, when the sensor knows. */
  commandUserSpace?: boolean;
  /**
   * The code file the command starts, as far as the sensor resolved it: its signer, hash or user-space status let
   * a trusted program in user space be persisted (the command's other paths are still checked).
   */
  commandFile?: FileRef;
}

export type ProcessAccessKind = 'memory-write' | 'memory-read' | 'inject' | 'ptrace' | 'signal';

export interface ProcessAccessEvent extends EventBase {
  kind: 'process.access';
  proc: ProcessRef & { image?: string };
  target: ProcessRef & { image?: string };
  access: ProcessAccessKind;
}

export interface NetworkConnectEvent extends EventBase {
  kind: 'network.connect';
  proc: ProcessRef & { image?: string };
  address: string;
  port: number;
  protocol?: 'tcp' | 'udp';
}

export interface MediaMountEvent extends EventBase {
  kind: 'media.mount';
  device: string;
  mountPoint: string;
  removable: boolean;
  network?: boolean;
}

export type OmamoriEvent =
  | ProcessStartEvent | ProcessExitEvent | ModuleLoadEvent | ScriptReadEvent | FileEvent
  | PersistenceEvent | ProcessAccessEvent | NetworkConnectEvent | MediaMountEvent;

export type EventKind = OmamoriEvent['kind'];

export const EVENT_KINDS: readonly EventKind[] = [
  'process.start', 'process.exit', 'module.load', 'script.read', 'file.access',
  'persistence.write', 'process.access', 'network.connect', 'media.mount',
];

/** The lineage key of a process reference. */
export function processKey(ref: ProcessRef): string {
  return ref.guid !== undefined ? ref.guid : ref.start !== undefined ? `${ref.pid}@${ref.start}` : `${ref.pid}`;
}
