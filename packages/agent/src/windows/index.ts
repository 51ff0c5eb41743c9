// @omamori/agent windows: the policy compiled to Windows' own engines (App Control, Defender ASR and Controlled
// Folder Access, Office macro settings), applying and verifying it through PowerShell, and reading its blocks back.
export { ASR_RULES, ASR_ACTION_VALUE, asrRuleById, type AsrAction, type AsrRule, type AsrKey } from './asr.ts';
export { compileWindowsPlan, type WindowsPlan, type WindowsCompileOptions, type SupplementalPlan, type OfficeValue } from './plan.ts';
export { compileWindows, type WindowsArtefacts } from './compile-windows.ts';
export { renderMappingReport } from './report.ts';
export type { MappingEntry, Coverage } from './mapping.ts';
export { basePolicyGuid, supplementalPolicyGuid, stableGuid } from './guid.ts';
export { psQuote } from './ps-commands.ts';
export { createPowerShell, type PowerShell, type PowerShellOptions, type PsCall, type PsResult } from './powershell.ts';
export { applyWindowsPolicy, verifyWindowsPolicy, type ApplyResult, type VerifyResult } from './apply.ts';
export { diffState, parseWindowsState, emptyState, STATE_QUERY, type Drift, type DiffOptions, type WindowsState } from './state.ts';
export { readWindowsBlocks, parseWindowsBlocks, toWindowsBlocks, blocksQuery, type WindowsBlock, type BlockMechanism } from './blocks.ts';
export { parseEventXml, parseEventJson, POSITIONAL, type RawWinEvent, type EventProblem } from './win-events.ts';
export { createWindowsSimulator, type WindowsSimulator, type WindowsVerdict, type WindowsMechanism, type WindowsOutcome, type ApproxKey } from './simulate.ts';
export { windowsReplayAlternative, simulationNotes, APPROX_NOTES } from './simulate-notes.ts';
export { createWindowsAgentMode, blockToUploaded, BLOCKS_CURSOR, type WindowsAgentMode, type WindowsAgentModeOptions, type WindowsAgentStatus, type WindowsEventSink } from './agent-mode.ts';
