// @omamori/policy: the event model, the policy language (schema, loader, presets) and the decision engine.
// Pure: no I/O, no clock.
export * from './events.ts';
export * from './decision.ts';
export type * from './types.ts';
export { loadPolicy, formatProblem, parseIsoDate, type Problem, type LoadResult, type LoadOptions, type FieldPath } from './validate.ts';
export { PROBLEM_MESSAGES, formatMessage, type ProblemCode } from './messages.ts';
export { compile, type CompiledPolicy, type CompiledApp } from './compile.ts';
export { createEngine, type Engine, type EngineOptions } from './engine.ts';
export type { ProcessNode } from './process-table.ts';
export { PRESETS, DEFAULT_PRESET, findPreset, type Preset } from './presets/index.ts';
export { NAME_SETS, PATH_SETS } from './sets.ts';
export { PathMatcher, PlatformPathSet, normalizePath, normalizeWindowsPath, baseName, checkPattern } from './patterns.ts';
export { checkEvent } from './event-check.ts';
export { parseScenario, compareDecision, type Scenario, type ScenarioStep, type Expectation } from './scenario.ts';
export * from './protocol.ts';
export { REASON_TEXT, reasonText } from './reason-text.ts';
export { OMAMORI_VERSION } from './version.ts';
export { namedCode, splitWindowsCommandLine, expandWindowsVariables, type NamedCode } from './command-line.ts';
export { isComOrWmiActivation, isServiceAccount } from './windows-ancestry.ts';
export { DEFAULT_SYSTEM_FOLDERS, DEFAULT_TRUSTED_INSTALLERS } from './validate.ts';
export {
  suggestTrust, applySuggestions, unifiedDiff, entryAllows, describeEntry, platformOf,
  type SuggestEvent, type FileFacts, type TrustEntry, type ProgramGroup, type Suggestion, type SuggestResult,
} from './suggest.ts';
