// The snapshot: the facts one Windows machine shows to an Emotet check, as a versioned JSON document.
// Written by the PowerShell collector (collector/omamori-collect.ps1); read by the pure analysis. docs/emocheck.md
// describes every field. Version 1 only ever gains optional fields; a change of meaning needs version 2.

export const SNAPSHOT_FORMAT = 'omamori-emocheck-snapshot';
export const SNAPSHOT_VERSION = 1;

/** A FILETIME (100 ns ticks since 1601-01-01 UTC) as a decimal string: the value exceeds 2^53. */
export type FiletimeString = string;

export interface SnapshotHost {
  computerName: string;
  userName: string;
  isAdmin: boolean;
  is64BitOs: boolean;
  osVersion: string;
}

/** Folders the checks look at, as Windows reported them for the user who ran the collector. */
export interface SnapshotPaths {
  systemDrive: string;       // "C:"
  systemRoot: string;        // C:\Windows
  system32: string;          // C:\Windows\System32 (native view)
  systemX86: string;         // SysWOW64 on 64-bit Windows, System32 on 32-bit (EmoCheck's GetSysDirX86)
  localAppData: string;
  appData: string;
  programData: string;
  programFiles: string;
  programFilesX86: string | null;
  userProfile: string;
  profilesRoot: string;      // C:\Users
  temp: string;
  public: string;            // C:\Users\Public
  downloads: string | null;
}

export type DriveType = 'fixed' | 'removable' | 'network' | 'cdrom' | 'ram' | 'unknown';
export interface SnapshotDrive { root: string; type: DriveType }

export interface SnapshotProcess {
  pid: number;
  ppid: number | null;
  name: string;
  /** null when Windows would not tell (another user's process, no admin rights). */
  imagePath: string | null;
  commandLine: string | null;
  /** "<volume serial hex>:<file index hex>" of the image file, null when unknown. */
  fileId: string | null;
}

export type RegistryValueType = 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_MULTI_SZ' | 'REG_BINARY' | 'REG_DWORD'
  | 'REG_QWORD' | 'REG_NONE' | 'REG_OTHER';
/** data: text for *_SZ (MULTI_SZ joined with "\n", EXPAND_SZ unexpanded), lowercase hex for BINARY/NONE/OTHER,
 * decimal for DWORD/QWORD. */
export interface RegistryValue { name: string; type: RegistryValueType; data: string }
export interface RegistryKey { key: string; values: RegistryValue[] }

export interface SnapshotService {
  name: string;
  displayName: string;
  imagePath: string | null;
  startMode: string;
  state: string;
  serviceDll: string | null;
}

export interface TaskAction { execute: string; arguments: string | null; workingDirectory: string | null }
export interface SnapshotTask { path: string; enabled: boolean; actions: TaskAction[] }

export interface StartupItem { path: string; target: string | null; arguments: string | null }

export interface SystemFile { name: string; size: number }

export interface ListedFile {
  name: string;
  size: number;
  lastWriteFiletime: FiletimeString;
  startsWithMZ: boolean;
  fileId: string | null;
}
export interface ListedFolder { name: string; lastWriteFiletime: FiletimeString; files: ListedFile[] }
export type ScanRootName = 'localAppData' | 'systemX86';
export interface ScanRoot { root: ScanRootName; path: string; folders: ListedFolder[] }

/** A file some autostart entry starts, with what the collector could learn about it. */
export interface TargetFile {
  path: string;
  exists: boolean;
  size: number | null;
  sha256: string | null;
  startsWithMZ: boolean | null;
  fileId: string | null;
  /** Whether ordinary users may write the containing folder (null: not determined). */
  dirUserWritable: boolean | null;
}

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  collectedAt: string;
  /** languageMode: the collector's PowerShell language mode (collector version 2 on); ConstrainedLanguage on
   * machines where App Control enforces, where file identities and shortcut targets cannot be read. */
  collector: { name: string; version: string; languageMode?: string };
  host: SnapshotHost;
  /** Volume serial of the system drive, 8 hex digits. */
  systemVolumeSerial: string;
  paths: SnapshotPaths;
  drives: SnapshotDrive[];
  processes: SnapshotProcess[];
  registry: RegistryKey[];
  services: SnapshotService[];
  tasks: SnapshotTask[];
  startupItems: StartupItem[];
  systemDirectoryFiles: SystemFile[];
  scanRoots: ScanRoot[];
  /** Directory names found (recursively) under %APPDATA%, Program Files and Program Files (x86) that are also
   * names of first-level folders of a scan root (only those matter to check V4). */
  allowlistDirNames: string[];
  files: TargetFile[];
}

/** The registry keys the collector reads (and the analysis consults). */
export const RUN_KEYS = [
  'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
  'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
  'HKLM\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKLM\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
] as const;
export const HKCU_RUN = RUN_KEYS[0];
export const EXPLORER_KEYS = [
  'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer',
  'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer',
  'HKLM\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Explorer',
] as const;
/** Where a service's settings live; findings name services by this key. */
export const SERVICES_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services';
