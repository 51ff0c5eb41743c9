// Windows events as Windows renders them — the XML of `Get-WinEvent … | ForEach-Object { $_.ToXml() }` or
// `wevtutil qe /f:xml`, and the objects of `Get-WinEvent … | ConvertTo-Json` — reduced to named fields.
// Field layouts: docs/windows.md ("Reading blocks back") with the Microsoft pages they come from.

export interface RawWinEvent {
  provider: string;
  eventId: number;
  /** ms since the epoch; NaN when unknown. */
  time: number;
  recordId?: number;
  computer?: string;
  /** System/Execution/@ProcessID. */
  pid?: number;
  activityId?: string;
  /** EventData/Data by Name, or UserData leaf elements by element name. */
  data: Record<string, string>;
  where: string;
}

export interface EventProblem { where: string; message: string }

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-f]+|#\d+);/gi, (_, e: string) => {
    const l = e.toLowerCase();
    if (l === 'lt') return '<'; if (l === 'gt') return '>'; if (l === 'amp') return '&'; if (l === 'quot') return '"'; if (l === 'apos') return "'";
    return String.fromCodePoint(l.startsWith('#x') ? parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
  });
}

function attr(xml: string, element: string, name: string): string | undefined {
  const m = new RegExp(`<${element}\\b[^>]*\\b${name}=(["'])(.*?)\\1`, 's').exec(xml);
  return m ? unescapeXml(m[2]!) : undefined;
}

function text(xml: string, element: string): string | undefined {
  const m = new RegExp(`<${element}\\b[^>]*>([^<]*)</${element}>`, 's').exec(xml);
  return m ? unescapeXml(m[1]!.trim()) : undefined;
}

/** Every <Event> element in the text (one event, a `<Events>` list, or wevtutil's concatenation). */
export function parseEventXml(xml: string, source: string): { events: RawWinEvent[]; problems: EventProblem[] } {
  const events: RawWinEvent[] = [];
  const problems: EventProblem[] = [];
  const re = /<Event\b[\s\S]*?<\/Event>/g;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(xml))) {
    n++;
    const ev = m[0];
    const where = `${source}#${n}`;
    const provider = attr(ev, 'Provider', 'Name');
    const id = Number(text(ev, 'EventID'));
    if (!provider || !Number.isInteger(id)) { problems.push({ where, message: 'Event without System/Provider/@Name or System/EventID' }); continue; }
    const data: Record<string, string> = {};
    for (const d of ev.matchAll(/<Data\s+Name=(["'])(.*?)\1\s*(?:\/>|>([\s\S]*?)<\/Data>)/g)) data[unescapeXml(d[2]!)] = unescapeXml((d[3] ?? '').trim());
    const user = /<UserData>([\s\S]*?)<\/UserData>/.exec(ev);
    if (user) for (const l of user[1]!.matchAll(/<([A-Za-z_][\w.-]*)(?:\s[^>]*)?>([^<]*)<\/\1>/g)) if (!(l[1]! in data)) data[l[1]!] = unescapeXml(l[2]!.trim());
    const e: RawWinEvent = { provider, eventId: id, time: Date.parse(attr(ev, 'TimeCreated', 'SystemTime') ?? ''), data, where };
    const rec = Number(text(ev, 'EventRecordID')); if (Number.isFinite(rec)) e.recordId = rec;
    const computer = text(ev, 'Computer'); if (computer) e.computer = computer;
    const pid = Number(attr(ev, 'Execution', 'ProcessID')); if (Number.isFinite(pid)) e.pid = pid;
    const act = attr(ev, 'Correlation', 'ActivityID'); if (act) e.activityId = act.replace(/[{}]/g, '').toLowerCase();
    events.push(e);
  }
  if (n === 0) problems.push({ where: source, message: 'no <Event> element found' });
  return { events, problems };
}

/**
 * Positional layouts of `Properties` for `ConvertTo-Json` output, which carries values without names. Taken from
 * the providers' manifests (event templates) as documented in docs/windows.md; a record whose property count does
 * not match is reported, never guessed.
 */
const CI_3076 = ['FileNameLength', 'File Name', 'ProcessNameLength', 'Process Name', 'Requested Signing Level', 'Validated Signing Level', 'Status',
  'SHA1 Hash Size', 'SHA1 Hash', 'SHA256 Hash Size', 'SHA256 Hash', 'SHA1 Flat Hash Size', 'SHA1 Flat Hash', 'SHA256 Flat Hash Size', 'SHA256 Flat Hash',
  'USN', 'SI Signing Scenario', 'PolicyNameLength', 'PolicyName', 'PolicyIDLength', 'PolicyID', 'PolicyHashSize', 'PolicyHash',
  'OriginalFileNameLength', 'OriginalFileName', 'InternalNameLength', 'InternalName', 'FileDescriptionLength', 'FileDescription',
  'ProductNameLength', 'ProductName', 'FileVersion', 'PolicyGUID', 'UserWriteable', 'PackageFamilyNameLength', 'PackageFamilyName'];
const CI_3089 = ['TotalSignatureCount', 'Signature', 'HashSize', 'Hash', 'SignatureType', 'ValidatedSigningLevel', 'VerificationError', 'Flags',
  'PolicyBits', 'NotValidBefore', 'NotValidAfter', 'PublisherNameLength', 'PublisherName', 'IssuerNameLength', 'IssuerName'];
const APPLOCKER_EXE = ['PolicyNameLength', 'PolicyName', 'RuleId', 'RuleNameLength', 'RuleName', 'RuleSddlLength', 'RuleSddl', 'TargetUser',
  'TargetProcessId', 'FilePathLength', 'FilePath', 'FileHashLength', 'FileHash', 'FqbnLength', 'Fqbn', 'TargetLogonId', 'FullFilePathLength', 'FullFilePath'];
const APPLOCKER_SCRIPT = ['FilePathLength', 'FilePath', 'Sha1Hash', 'Sha256Hash', 'Result', 'USN', 'Sha1CatalogHash', 'Sha256CatalogHash', 'UserWriteable'];
const DEFENDER_ASR = ['Product Name', 'Product Version', 'Unused', 'ID', 'Detection Time', 'User', 'Path', 'Process Name', 'Security intelligence Version',
  'Engine Version', 'RuleType', 'Target Commandline', 'Parent Commandline', 'Involved File', 'Inhertiance Flags'];
const DEFENDER_CFA = ['Product Name', 'Product Version', 'Detection Time', 'User', 'Path', 'Process Name', 'Security intelligence Version', 'Engine Version'];

export const POSITIONAL: Readonly<Record<string, readonly string[]>> = {
  'Microsoft-Windows-CodeIntegrity:3076': CI_3076, 'Microsoft-Windows-CodeIntegrity:3077': CI_3076, 'Microsoft-Windows-CodeIntegrity:3089': CI_3089,
  'Microsoft-Windows-AppLocker:8003': APPLOCKER_EXE, 'Microsoft-Windows-AppLocker:8004': APPLOCKER_EXE,
  'Microsoft-Windows-AppLocker:8028': APPLOCKER_SCRIPT, 'Microsoft-Windows-AppLocker:8029': APPLOCKER_SCRIPT,
  'Microsoft-Windows-Windows Defender:1121': DEFENDER_ASR, 'Microsoft-Windows-Windows Defender:1122': DEFENDER_ASR,
  'Microsoft-Windows-Windows Defender:1123': DEFENDER_CFA, 'Microsoft-Windows-Windows Defender:1124': DEFENDER_CFA,
};

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v) && v.every((b) => typeof b === 'number')) return Buffer.from(v as number[]).toString('hex').toUpperCase();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `TimeCreated` as PowerShell 5.1 writes it (`/Date(ms)/`) or as PowerShell 7 does (ISO text). */
function jsonTime(v: unknown): number {
  if (typeof v === 'string') { const m = /Date\((-?\d+)/.exec(v); return m ? Number(m[1]) : Date.parse(v); }
  if (v && typeof v === 'object' && 'DateTime' in v) return Date.parse(String((v as { DateTime: unknown }).DateTime));
  return NaN;
}

/** The objects of `Get-WinEvent … | ConvertTo-Json` (one object or an array). A `Xml` property, when present, wins. */
export function parseEventJson(text: string, source: string): { events: RawWinEvent[]; problems: EventProblem[] } {
  const events: RawWinEvent[] = [];
  const problems: EventProblem[] = [];
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch (e) { return { events, problems: [{ where: source, message: `not JSON: ${(e as Error).message}` }] }; }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((o, i) => {
    const where = `${source}[${i}]`;
    if (typeof o === 'string') { const r = parseEventXml(o, where); events.push(...r.events); problems.push(...r.problems); return; }
    const r = o as Record<string, unknown>;
    if (typeof r.Xml === 'string') { const x = parseEventXml(r.Xml, where); events.push(...x.events); problems.push(...x.problems); return; }
    const provider = typeof r.ProviderName === 'string' ? r.ProviderName : undefined;
    const id = Number(r.Id);
    if (!provider || !Number.isInteger(id)) { problems.push({ where, message: 'object without ProviderName and Id' }); return; }
    const props = Array.isArray(r.Properties) ? r.Properties as { Value?: unknown }[] : [];
    const layout = POSITIONAL[`${provider}:${id}`];
    const data: Record<string, string> = {};
    if (!layout) { problems.push({ where, message: `no field layout known for ${provider} event ${id}` }); return; }
    if (props.length !== layout.length) problems.push({ where, message: `${provider} event ${id}: ${props.length} properties, layout has ${layout.length}; fields past the shorter one are left unnamed` });
    props.forEach((p, k) => { if (k < layout.length) data[layout[k]!] = valueText(p?.Value); });
    const e: RawWinEvent = { provider, eventId: id, time: jsonTime(r.TimeCreated), data, where };
    if (typeof r.RecordId === 'number') e.recordId = r.RecordId;
    if (typeof r.MachineName === 'string') e.computer = r.MachineName;
    if (typeof r.ProcessId === 'number') e.pid = r.ProcessId;
    if (typeof r.ActivityId === 'string') e.activityId = r.ActivityId.replace(/[{}]/g, '').toLowerCase();
    events.push(e);
  });
  return { events, problems };
}
