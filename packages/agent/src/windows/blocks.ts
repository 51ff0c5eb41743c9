// Windows blocks read back into omamori's event model: Code Integrity 3076/3077 (+3089 signer), AppLocker
// 8003/8004/8028/8029 and Defender 1121/1122 (ASR) and 1123/1124 (Controlled Folder Access). Each becomes the
// event that was stopped plus Windows' verdict, so the console shows Windows and Linux blocks alike.
import { EVENT_MODEL_VERSION, REASONS, type OmamoriEvent, type ReasonCode, type Verdict } from '@omamori/policy';
import { ASR_RULES, asrRuleById } from '@omamori/windows';
import type { PowerShell } from './powershell.ts';
import { parseEventJson, parseEventXml, type EventProblem, type RawWinEvent } from './win-events.ts';

export type BlockMechanism = 'app-control' | 'app-control-script' | 'applocker' | 'asr' | 'controlled-folder-access';

export interface WindowsBlock {
  verdict: Extract<Verdict, 'deny' | 'audit-deny'>;
  reason: ReasonCode;
  mechanism: BlockMechanism;
  /** `app-control:<policy>`, `applocker:<rule id>`, `asr:<rule GUID>`, `cfa`. */
  rule: string;
  event: OmamoriEvent;
  source: { provider: string; eventId: number; recordId?: number; where: string };
}

const CI = 'Microsoft-Windows-CodeIntegrity';
const APPLOCKER = 'Microsoft-Windows-AppLocker';
const DEFENDER = 'Microsoft-Windows-Windows Defender';

/** `\Device\HarddiskVolume3\Users\…` → `C:\Users\…` is not knowable without the volume map; keep the device path. */
function imagePath(p: string | undefined): string { return (p ?? '').trim(); }
function field(d: Record<string, string>, ...names: string[]): string | undefined {
  for (const n of names) { const v = d[n]; if (v !== undefined && v !== '') return v; }
  return undefined;
}
const isProgram = (p: string) => /\.(exe|com|scr)$/i.test(p);
const isScript = (p: string) => /\.(ps1|psm1|vbs|vbe|js|jse|wsf|wsh|hta|msi|msp|bat|cmd)$/i.test(p);

function base(e: RawWinEvent, host?: string) {
  const b: { v: typeof EVENT_MODEL_VERSION; platform: 'windows'; time?: number; id?: string; host?: string } = { v: EVENT_MODEL_VERSION, platform: 'windows' };
  if (!Number.isNaN(e.time)) b.time = e.time;
  b.id = e.recordId !== undefined ? `${e.provider}/${e.eventId}/${e.recordId}` : e.where;
  const h = host ?? e.computer; if (h) b.host = h;
  return b;
}

function codeLoad(e: RawWinEvent, file: string, process: string | undefined, sha256: string | undefined, signer: string | undefined, pid: number) {
  const f: { path: string; sha256?: string; signer?: string; userSpace?: boolean } = { path: file };
  if (sha256) f.sha256 = sha256.toLowerCase();
  if (signer) f.signer = signer;
  const uw = field(e.data, 'UserWriteable'); if (uw !== undefined) f.userSpace = /^(true|1)$/i.test(uw);
  if (isProgram(file)) {
    const ev: OmamoriEvent = { ...base(e), kind: 'process.start', proc: { pid: 0, image: file, ...(f.sha256 ? { sha256: f.sha256 } : {}), ...(signer ? { signer } : {}), ...(f.userSpace !== undefined ? { userSpace: f.userSpace } : {}) }, parent: { pid } };
    return { event: ev, reason: REASONS.USER_SPACE_EXEC };
  }
  if (isScript(file)) return { event: { ...base(e), kind: 'script.read' as const, proc: { pid, ...(process ? { image: process } : {}) }, file: f }, reason: REASONS.USER_SPACE_SCRIPT };
  return { event: { ...base(e), kind: 'module.load' as const, proc: { pid, ...(process ? { image: process } : {}) }, file: f }, reason: REASONS.USER_SPACE_LIBRARY };
}

function asrEvent(e: RawWinEvent): { event: OmamoriEvent; reason: ReasonCode; rule: string } {
  const id = (field(e.data, 'ID') ?? '').replace(/[{}]/g, '').toLowerCase();
  const path = imagePath(field(e.data, 'Path'));
  const proc = { pid: e.pid ?? 0, ...(field(e.data, 'Process Name') ? { image: field(e.data, 'Process Name')! } : {}) };
  const R = ASR_RULES;
  const rule = `asr:${id}`;
  if ([R.officeChild.id, R.outlookChild.id, R.adobeChild.id, R.psexecWmi.id, R.usb.id, R.scriptDownloaded.id].includes(id as never)) {
    const cl = field(e.data, 'Target Commandline');
    return { rule, reason: REASONS.GUARDED_CHILD_DENIED, event: { ...base(e), kind: 'process.start', proc: { pid: 0, image: path, ...(cl ? { commandLine: cl } : {}) }, parent: { pid: proc.pid }, ...(proc.image ? { ancestors: [{ pid: proc.pid, image: proc.image }] } : {}) } };
  }
  if ([R.officeExecutable.id, R.mailExecutable.id].includes(id as never)) return { rule, reason: REASONS.GUARDED_WRITE_PROTECTED, event: { ...base(e), kind: 'file.access', proc, op: 'create', file: { path } } };
  if ([R.lsass.id, R.officeInjection.id].includes(id as never)) return { rule, reason: REASONS.GUARDED_PROCESS_ACCESS, event: { ...base(e), kind: 'process.access', proc, target: { pid: 0, image: path }, access: id === R.lsass.id ? 'memory-read' : 'inject' } };
  if (id === R.wmiPersistence.id) return { rule, reason: REASONS.GUARDED_PERSISTENCE, event: { ...base(e), kind: 'persistence.write', proc, location: 'wmi', target: path } };
  // Macros, obfuscated scripts, drivers and rules omamori does not set: the document/script the rule judged.
  return { rule, reason: id === R.vulnerableDrivers.id ? REASONS.USER_SPACE_LIBRARY : REASONS.USER_SPACE_SCRIPT, event: { ...base(e), kind: 'script.read', proc, file: { path } } };
}

/** Maps parsed events to blocks. 3089 records only lend their signer to the 3076/3077 with the same ActivityID. */
export function toWindowsBlocks(events: RawWinEvent[]): { blocks: WindowsBlock[]; problems: EventProblem[] } {
  const signers = new Map<string, string>();
  for (const e of events) if (e.provider === CI && e.eventId === 3089 && e.activityId) {
    const p = field(e.data, 'PublisherName'); if (p && !signers.has(e.activityId)) signers.set(e.activityId, p);
  }
  const blocks: WindowsBlock[] = [];
  const problems: EventProblem[] = [];
  for (const e of events) {
    const src = { provider: e.provider, eventId: e.eventId, where: e.where, ...(e.recordId !== undefined ? { recordId: e.recordId } : {}) };
    if (e.provider === CI && (e.eventId === 3076 || e.eventId === 3077)) {
      const file = imagePath(field(e.data, 'File Name', 'FileName', 'FileNameBuffer'));
      if (!file) { problems.push({ where: e.where, message: 'Code Integrity event without "File Name"' }); continue; }
      const r = codeLoad(e, file, field(e.data, 'Process Name', 'ProcessName', 'ProcessNameBuffer'), field(e.data, 'SHA256 Flat Hash', 'SHA256FlatHash'), e.activityId ? signers.get(e.activityId) : undefined, e.pid ?? 0);
      blocks.push({ verdict: e.eventId === 3077 ? 'deny' : 'audit-deny', reason: r.reason, mechanism: 'app-control', rule: `app-control:${field(e.data, 'PolicyName') ?? field(e.data, 'PolicyGUID') ?? '?'}`, event: r.event, source: src });
    } else if (e.provider === APPLOCKER && [8003, 8004, 8028, 8029].includes(e.eventId)) {
      const file = imagePath(field(e.data, 'FullFilePath', 'FullFilePathBuffer', 'FilePath', 'FilePathBuffer'));
      if (!file) { problems.push({ where: e.where, message: 'AppLocker event without FilePath' }); continue; }
      const pid = Number(field(e.data, 'TargetProcessId') ?? e.pid ?? 0);
      const script = e.eventId >= 8028;
      const r = script ? { event: { ...base(e), kind: 'script.read' as const, proc: { pid }, file: { path: file, ...(field(e.data, 'Sha256Hash') ? { sha256: field(e.data, 'Sha256Hash')!.toLowerCase() } : {}) } }, reason: REASONS.USER_SPACE_SCRIPT } : codeLoad(e, file, undefined, undefined, undefined, pid);
      blocks.push({ verdict: e.eventId === 8004 || e.eventId === 8029 ? 'deny' : 'audit-deny', reason: r.reason, mechanism: script ? 'app-control-script' : 'applocker',
        rule: script ? 'app-control:script-enforcement' : `applocker:${(field(e.data, 'RuleId') ?? '?').replace(/[{}]/g, '').toLowerCase()}`, event: r.event, source: src });
    } else if (e.provider === DEFENDER && (e.eventId === 1121 || e.eventId === 1122)) {
      if (!field(e.data, 'ID') || !asrRuleById(field(e.data, 'ID')!) && !/^[{]?[0-9a-f-]{36}[}]?$/i.test(field(e.data, 'ID')!)) { problems.push({ where: e.where, message: 'ASR event without a rule GUID in "ID"' }); continue; }
      const r = asrEvent(e);
      blocks.push({ verdict: e.eventId === 1121 ? 'deny' : 'audit-deny', reason: r.reason, mechanism: 'asr', rule: r.rule, event: r.event, source: src });
    } else if (e.provider === DEFENDER && (e.eventId === 1123 || e.eventId === 1124)) {
      const path = imagePath(field(e.data, 'Path'));
      const proc = { pid: e.pid ?? 0, ...(field(e.data, 'Process Name') ? { image: field(e.data, 'Process Name')! } : {}) };
      blocks.push({ verdict: e.eventId === 1123 ? 'deny' : 'audit-deny', reason: REASONS.GUARDED_WRITE_PROTECTED, mechanism: 'controlled-folder-access', rule: 'cfa',
        event: { ...base(e), kind: 'file.access', proc, op: 'write', file: { path } }, source: src });
    }
  }
  return { blocks, problems };
}

/** Parses XML or JSON text (see win-events.ts) and maps it. */
export function parseWindowsBlocks(text: string, source: string): { blocks: WindowsBlock[]; problems: EventProblem[] } {
  const t = text.replace(/^\uFEFF/, '').trim();
  const parsed = t.startsWith('<') ? parseEventXml(t, source) : parseEventJson(t, source);
  const mapped = toWindowsBlocks(parsed.events);
  return { blocks: mapped.blocks, problems: [...parsed.problems, ...mapped.problems] };
}

/** The logs and event IDs read back. */
export const BLOCK_LOGS: readonly { log: string; ids: readonly number[] }[] = [
  { log: 'Microsoft-Windows-CodeIntegrity/Operational', ids: [3076, 3077, 3089] },
  { log: 'Microsoft-Windows-AppLocker/EXE and DLL', ids: [8003, 8004] },
  { log: 'Microsoft-Windows-AppLocker/MSI and Script', ids: [8028, 8029] },
  { log: 'Microsoft-Windows-Windows Defender/Operational', ids: [1121, 1122, 1123, 1124] },
];

/**
 * The collector: `wevtutil qe LOG /q:XPATH /f:xml` for each log — event XML as Windows renders it, the newest `max`
 * per log since `sinceMs`. wevtutil is a native program, so this works in Constrained Language Mode, where the
 * former `Get-WinEvent | ForEach-Object { $_.ToXml() }` fails (ToXml is a method of a type that mode refuses).
 * A log that does not exist on this machine (wevtutil exit code 15007) is skipped; any other failure throws.
 */
export function blocksQuery(sinceMs?: number, max = 1000): string {
  const since = sinceMs === undefined ? '' : ` and TimeCreated[@SystemTime>=''${new Date(Math.max(0, Math.floor(sinceMs))).toISOString()}'']`;
  const lines = BLOCK_LOGS.map(({ log, ids }) => {
    const q = `*[System[(${ids.map((i) => `EventID=${i}`).join(' or ')})${since}]]`;
    return `$out = wevtutil.exe qe '${log}' '/q:${q}' /f:xml /rd:true /c:${max} 2>&1 | Out-String
if ($LASTEXITCODE -eq 0) { $out } elseif ($LASTEXITCODE -ne 15007) { throw "wevtutil ${log} failed (exit code $LASTEXITCODE): $out" }`;
  });
  return lines.join('\n');
}

export async function readWindowsBlocks(ps: PowerShell, opts: { sinceMs?: number; max?: number } = {}): Promise<{ blocks: WindowsBlock[]; problems: EventProblem[] }> {
  const r = await ps.run(blocksQuery(opts.sinceMs, opts.max), 'read App Control, AppLocker and Defender block events');
  if (r.code !== 0) return { blocks: [], problems: [{ where: 'wevtutil', message: r.stderr.trim() || `exit code ${r.code}` }] };
  if (!/<Event\b/.test(r.stdout) && !r.stdout.trim().startsWith('[')) return { blocks: [], problems: [] };
  return parseWindowsBlocks(r.stdout, 'wevtutil');
}
