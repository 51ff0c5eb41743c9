// Public face of @omamori/emocheck: snapshot format and reader, the pure analysis, and report rendering.
export * from './snapshot.ts';
export * from './findings.ts';
export { parseSnapshot, decodeSnapshotText, schemaFieldNames, MAX_SNAPSHOT_BYTES, tooLargeMessage, type SnapshotIssue, type SnapshotResult } from './validate.ts';
export { analyseSnapshot } from './analyse.ts';
export { v1ProcessName, v1WordAt, v1Positions, v2ValueName, v2DecodeName, hexToBytes } from './emocheck-v1-v2.ts';
export { v5Timestomped } from './emocheck-v3-v5.ts';
export { commandTargets, classifyUserSpace, normaliseCommandLine } from './paths.ts';
export { renderText, renderJson, reportFileName, formatStamp, safeHostName, EMOCHECK_VERSION, type ReportInput } from './report.ts';
export { FINDING_TEXT, type Lang } from './messages.ts';
export { V1_KEYWORDS } from './tables.ts';

/** Where the PowerShell collector ships (the CLI reads it to run it live). */
export const COLLECTOR_SCRIPT_URL = new URL('../collector/omamori-collect.ps1', import.meta.url);
