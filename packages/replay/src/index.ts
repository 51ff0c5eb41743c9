// @omamori/replay: Windows event logs (EVTX, Mordor JSON lines) mapped into omamori's event model and replayed
// against a policy: what would have been stopped, where in which process tree, and by which rule.
export { createWindowsMapper, isMappedEvent, parsePid, sha256Of, taskCommand, type MapStats, type WindowsMapper } from './mapper.ts';
export { classifyRegistry, classifyKey, registryCommand, expandCommand, registryTail, type AutostartMatch } from './autostart.ts';
export { fromEvtxRecord, fromMordorObject, parseWinTime, hostName, type WinRecord } from './win-record.ts';
export { streamJsonLines, archiveKind, type LineSink, type ArchiveKind } from './archive.ts';
export { findRecordings, readRecording, readRecordingParts, type Recording, type InputProblem, type ReadIssue, type ReadCallbacks, type ReadOptions,
  type PartResult } from './sources.ts';
export { mordorHeader, readEvtxPart, readMordorPart, RECOVERED_MARK, type PartTask } from './read-task.ts';
export { streamJsonLineBytes, type LineBytesSink } from './archive.ts';
export { replayPaths } from './replay-paths.ts';
export {
  createReplayRun, type ReplayResult, type ReplayOptions, type Block, type ProcessTree, type TreeNode,
  type RuleSummary, type RecordingSummary, type ComputerSummary,
} from './replay.ts';
export {
  RULE_ATTACK, SEVERITIES, SEVERITY_LABEL, TECHNIQUES, classifyStop, isSeverity, severityRank, techniqueName,
  type Severity, type StopFacts, type Classification,
} from './attack.ts';
export {
  TIMELINE_COLUMNS, createRowFilter, createTimeFormatter, csvHeader, parseIsoTime, resolveZone, rowToCsv, rowToJsonLine, rowValues,
  sortRows, type ReplayFilter, type TimelineRow, type TimeZoneChoice,
} from './timeline.ts';
export {
  objectOfEvent, type Alternative, type AltEvaluator, type AltVerdict, type AltOutcome, type AltNote, type AltBlock, type AltTree,
  type AltResult, type TreeComparison, type MechanismSummary,
} from './alternative.ts';
export { renderText, describeBlock, shortImage, LABELS, type Lang } from './report-text.ts';
export { renderHtml } from './report-html.ts';
export { readEventXmlFile, parseXmlElement, recordFromEventXml, looksLikeEventXml, type XmlElement } from './xml-source.ts';
export { pipelineLaunches, type PipelineLaunch } from './powershell-records.ts';
export { commandFileOf } from './autostart.ts';
export { benignRecordings, measureBenign, benignTotals, type BenignRecording, type BenignMeasurement, type BenignTotals } from './benign.ts';
