// After an infection: evidence collection (bundle + verify) and network isolation (Linux nftables, Windows scripts).
export { collectEvidence, EvidenceExistsError, type CollectOptions, type CollectResult, type ExtraFile, type ExtraPart } from './collect.ts';
export { verifyEvidence, type EvidenceVerifyResult } from './verify.ts';
export {
  COLLECTOR_VERSION, EVIDENCE_FORMAT, EVIDENCE_VERSION, MANIFEST_NAME, MANIFEST_HASH_NAME,
  type EvidenceManifest, type ManifestPart, type PartKind, type CollectProblem, type CollectProblemCode, type VerifyIssue, type VerifyIssueCode,
} from './manifest.ts';
export { readProcessTree, type EvidenceProcess } from './process-tree.ts';
export { scanLinuxAutostart, commandPaths, type AutostartEntry, type AutostartScan, type AutostartKind } from './autostart-linux.ts';
export { copyEventsDb, type EventsCopy } from './events-copy.ts';
export { exportWindowsEventLogs, WINDOWS_CHANNELS, type CommandRunner } from './windows-evidence.ts';
export { parseHostPort, parseCidr, resolvePeer, peerText, systemResolver, type Peer, type PeerSpec, type Resolver } from './addresses.ts';
export { buildNftRuleset, ISOLATION_TABLE, ISOLATION_FAMILY, type IsolationSpec } from './isolation-rules.ts';
export {
  isolate, releaseIsolation, isolationStatus, ensureIsolation, readIsolationState, tablePresent, runNft, currentActor, ISOLATION_FILE,
  type IsolationState, type IsolationStatus, type IsolationOutcome, type ReleaseOutcome, type EnsureOutcome, type NftRunner, type Actor,
} from './isolation.ts';
export { buildWindowsIsolationScripts, complementRanges, WINDOWS_RULE_GROUP } from './isolation-windows.ts';
