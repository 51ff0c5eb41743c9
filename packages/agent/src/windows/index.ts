// @omamori/agent windows: a compiled Windows plan (from @omamori/windows) applied and verified on a Windows machine
// through PowerShell, Windows' blocks read back into the event model, and the Windows agent mode.
export { createPowerShell, type PowerShell, type PowerShellOptions, type PsCall, type PsResult } from './powershell.ts';
export { applyWindowsPolicy, verifyWindowsPolicy, type ApplyOptions, type ApplyResult, type VerifyResult } from './apply.ts';
export { diffState, parseWindowsState, policyVersion, emptyState, STATE_QUERY, type Drift, type DiffOptions, type WindowsState } from './state.ts';
export { readWindowsBlocks, parseWindowsBlocks, toWindowsBlocks, blocksQuery, type WindowsBlock, type BlockMechanism } from './blocks.ts';
export { parseEventXml, parseEventJson, POSITIONAL, type RawWinEvent, type EventProblem } from './win-events.ts';
export { createWindowsAgentMode, blockToUploaded, BLOCKS_CURSOR, type WindowsAgentMode, type WindowsAgentModeOptions, type WindowsAgentStatus, type WindowsEventSink } from './agent-mode.ts';
