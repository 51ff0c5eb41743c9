// What the analysis returns: findings (each with its method, severity, location and evidence) and the verdict.
// Finding codes are stored in reports: never change the meaning of one, only add new ones.

export type Method = 'v1' | 'v2' | 'v3' | 'v4' | 'v5' | 'loader2022' | 'userspace';

export type FindingCode =
  | 'V1_PROCESS'              // EmoCheck V1: process named after the volume serial
  | 'V2_PROCESS'              // EmoCheck V2: process named by the encoded Explorer value
  | 'V2_REGISTRY'             // V2 value present, no such process running
  | 'V3_PROCESS'              // EmoCheck V3: process backed by <root>\K1\K2.exe
  | 'V3_PERSISTED'            // V3 file with its HKCU Run value, not running now
  | 'V3_FILE'                 // V3 file pattern only
  | 'V4_PROCESS'              // EmoCheck V4: rundll32 running the DLL from a random folder
  | 'V4_PERSISTED'            // V4 file with its Run value / service, not running now
  | 'V4_FILE'                 // V4 file pattern only
  | 'V5_PROCESS'              // EmoCheck V5: process running a file timestomped 7 days back
  | 'V5_FILE'                 // V5 timestamp pattern only
  | 'LOADER2022_AUTOSTART'    // regsvr32/rundll32 autostart of a DLL in a random-named folder (2022–2023)
  | 'USERSPACE_AUTOSTART'     // any autostart entry that starts code from user space
  | 'LOADER2022_PROCESS'      // regsvr32/rundll32 running such a DLL now, with no autostart entry
  | 'LOADER_DLL_REVIEW';      // regsvr32/rundll32 loading a DLL from AppData/ProgramData without the loader's traits

/** infected: Emotet (or its persistence) found; review: worth a look, not proof. */
export type Severity = 'infected' | 'review';

export type AutostartKind = 'run' | 'service' | 'task' | 'startup';
export interface AutostartEntry {
  kind: AutostartKind;
  /** Where it lives: `HKCU\...\Run\<value>`, `service:<name>`, `task:<path>`, or the Startup-folder file. */
  location: string;
  command: string;
}

export interface FoundFile { path: string; size: number | null; sha256: string | null }

export interface Finding {
  code: FindingCode;
  method: Method;
  severity: Severity;
  /** True when EmoCheck v2.0 itself would have reported this (a running Emotet process). */
  emocheckEquivalent: boolean;
  process: { pid: number; name: string; imagePath: string | null; commandLine: string | null } | null;
  /** The payload file (for rundll32/regsvr32 the DLL, not the host program). */
  file: FoundFile | null;
  /** EmoCheck's registry_key: the persistence (or, for V2, the value holding the name). */
  registryKey: string | null;
  autostart: AutostartEntry | null;
  /** Computed facts shown to the user (expected name, decoded value, time difference, place kind, …). */
  evidence: Record<string, string>;
}

export interface Analysis {
  verdict: 'infected' | 'clean';
  findings: Finding[];
  /** Name V1 derives from the serial, and names decoded by V2 (shown even when clean). */
  computed: { v1Name: string; v2Names: { key: string; name: string }[] };
  /** Facts that limit the check (e.g. processes whose path could not be read). */
  limitations: { code: 'PROCESS_DETAILS_UNREADABLE' | 'NOT_ADMIN' | 'CONSTRAINED_LANGUAGE'; count: number }[];
}
