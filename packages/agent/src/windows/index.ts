// @omamori/agent windows: the policy compiled to Windows' own engines (App Control, Defender ASR and Controlled
// Folder Access, Office macro settings), applying and verifying it through PowerShell, and reading its blocks back.
export { ASR_RULES, ASR_ACTION_VALUE, asrRuleById, type AsrAction, type AsrRule, type AsrKey } from './asr.ts';
export { compileWindowsPlan, type WindowsPlan, type WindowsCompileOptions, type SupplementalPlan, type OfficeValue } from './plan.ts';
export { compileWindows, type WindowsArtefacts } from './compile-windows.ts';
export { renderMappingReport } from './report.ts';
export type { MappingEntry, Coverage } from './mapping.ts';
export { basePolicyGuid, supplementalPolicyGuid, stableGuid } from './guid.ts';
export { psQuote } from './ps-commands.ts';
