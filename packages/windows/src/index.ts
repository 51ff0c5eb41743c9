// @omamori/windows: an omamori policy compiled to Windows' own engines — App Control for Business XML, Defender ASR
// and Controlled Folder Access settings, Office macro values — as apply/revert scripts, .reg files, Intune JSON and
// a mapping report, plus the offline simulator behind `omamori replay --as windows`. Pure: no I/O, no clock (the
// caller passes `now`). Applying, verifying and reading blocks back on a machine is @omamori/agent's job.
export { ASR_RULES, ASR_ACTION_VALUE, asrRuleById, type AsrAction, type AsrRule, type AsrKey } from './asr.ts';
export { compileWindowsPlan, BASE_AUDIT_XML, type WindowsPlan, type WindowsCompileOptions, type SupplementalPlan, type OfficeValue, type PlannedAsrRule, type DenyRule, type Skipped, type Text } from './plan.ts';
export { compileWindows, type WindowsArtefacts } from './compile-windows.ts';
export { renderBasePolicy, renderSupplementalPolicy, xmlEscape } from './app-control.ts';
export { BASE_XML, supplementalXmlName, renderApplyScript, renderRevertScript, renderRegFile, encodeRegFile, renderIntuneJson, dotnetTicks, INTUNE_NO_WARN } from './scripts.ts';
export { BLOCK_LIST, BLOCK_LIST_SOURCE, blockListFor, type BlockListEntry } from './block-list.ts';
export { renderMappingReport } from './report.ts';
export type { MappingEntry, Coverage } from './mapping.ts';
export { basePolicyGuid, supplementalPolicyGuid, stableGuid, versionEx } from './guid.ts';
export { psQuote, cmd, officeKey, stdinProgram, ASR_ACTION_NAME, CFA_MODE_NAME, CFA_MODE_VALUE, CI_ACTIVE_DIR, CI_VERSION_DIR, OFFICE_POLICY_ROOT, USER_HIVE_PATTERN, type CfaMode } from './ps-commands.ts';
export { DENIABLE, windowsPrograms, type DeniableProgram } from './lolbins.ts';
export { createWindowsSimulator, type WindowsSimulator, type WindowsVerdict, type WindowsMechanism, type WindowsOutcome, type ApproxKey } from './simulate.ts';
export { windowsReplayAlternative, simulationNotes, APPROX_NOTES } from './simulate-notes.ts';
export type { Lang } from './lang.ts';
