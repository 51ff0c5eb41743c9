// The evidence bundle's manifest: what was collected, from where, when, by which collector, with the sha256 of
// every part. Format "omamori-evidence" version 1; fields are only ever added. Problem and issue codes are stable.
import { OMAMORI_VERSION } from '@omamori/policy/version';

export const EVIDENCE_FORMAT = 'omamori-evidence';
export const EVIDENCE_VERSION = 1;
/** The collector is the program: its one version (packages/policy/src/version.ts). */
export const COLLECTOR_VERSION = OMAMORI_VERSION;
export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_HASH_NAME = 'manifest.sha256';

export type PartKind = 'processes' | 'autostart' | 'autostart-source' | 'events-db' | 'file' | 'windows-snapshot'
  | 'windows-evtx';

export interface ManifestPart {
  /** Entry name in the archive. */
  name: string;
  kind: PartKind;
  size: number;
  sha256: string;
  /** Where it came from on the machine (files, autostart sources, the event log). */
  source?: string;
  mtime?: string;
  mode?: string;
  uid?: number;
  gid?: number;
  note?: string;
}

/** Things the collector could not take as asked. Codes are appended, never changed. */
export type CollectProblemCode =
  | 'UNREADABLE'            // a path could not be opened or listed
  | 'NOT_REGULAR'           // a device, socket or FIFO under an included directory (not read)
  | 'CHANGED_DURING_READ'   // the file's size or mtime changed while it was copied (kept as read, zero-padded if short)
  | 'NO_EVENT_LOG'          // <state>/events.db does not exist
  | 'EVENT_LOG_UNSTABLE'    // the event log kept changing; the last copy is kept (SQLite recovers it consistently)
  | 'EVENT_LOG_FAILED'      // the event log could not be copied
  | 'PROCESS_TREE_FAILED'
  | 'AUTOSTART_FAILED'
  | 'WINDOWS_SOURCE_FAILED'; // a Windows-side source (event log export, emocheck snapshot) failed

export interface CollectProblem { code: CollectProblemCode; path?: string; message: string }

export interface EvidenceManifest {
  format: typeof EVIDENCE_FORMAT;
  version: typeof EVIDENCE_VERSION;
  collectedAt: string;
  finishedAt: string;
  host: { hostname: string; platform: string; release: string; version: string; arch: string };
  collector: { name: string; version: string };
  operator: { uid: number | null; user: string | null };
  request: { stateDir: string | null; include: string[] };
  parts: ManifestPart[];
  /** Symbolic links met under included paths: recorded, not followed. */
  links: { path: string; target: string }[];
  eventLog?: {
    sources: { path: string; sha256: string; size: number; mtime: string }[];
    attempts: number; stable: boolean; integrity: string; counts: { events: number | null; notes: number | null };
  };
  problems: CollectProblem[];
}

/** What `verifyEvidence` finds wrong. Codes are appended, never changed. */
export type VerifyIssueCode =
  | 'UNREADABLE'        // the bundle file itself cannot be read
  | 'CONTAINER'         // archive structure damaged (header checksum, padding, end blocks, trailing bytes)
  | 'NO_MANIFEST'
  | 'MANIFEST_HASH'     // manifest.json does not match manifest.sha256
  | 'MANIFEST_INVALID'  // not JSON, or not an omamori-evidence v1 manifest
  | 'PART_MISSING'      // listed in the manifest, absent from the archive
  | 'PART_EXTRA'        // in the archive, not listed in the manifest
  | 'PART_DUPLICATE'
  | 'PART_SIZE'
  | 'PART_HASH';

export interface VerifyIssue { code: VerifyIssueCode; part: string; message: string }
