// WinRecord: one Windows event reduced to what the mapping reads, whichever form it came in (an EVTX record, or a
// Mordor JSON line in nxlog's flat form, winlogbeat 6 `event_data` or winlogbeat 7 `winlog.event_data`).
import type { EvtxRecord } from '@omamori/evtx';

export interface WinRecord {
  /** Provider (SourceName) as logged, e.g. `Microsoft-Windows-Sysmon`. */
  provider: string;
  channel: string;
  eventId: number;
  /** Host the event was logged on (not the collector). */
  computer: string;
  /** Milliseconds since the epoch (the event's own UtcTime when it has one, else the log time); NaN if unknown. */
  time: number;
  /** Process id of the logging process (System/Execution/@ProcessID), when known. */
  execPid?: number;
  /** EventData / UserData fields by name, as text. */
  data: Record<string, string>;
  /** `file:record-id` or `file:line`, for reports. */
  where: string;
}

/** Sysmon `UtcTime` ("2019-05-18 20:37:10.356") or ISO text → ms since the epoch (NaN when unreadable). */
export function parseWinTime(s: string | undefined): number {
  if (!s) return NaN;
  let t = s.trim();
  if (/^\d{4}-\d\d-\d\d \d/.test(t)) t = t.replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? '' : 'Z');
  // Trim 100 ns digits that Date.parse may not accept.
  t = t.replace(/(\.\d{3})\d+/, '$1');
  return Date.parse(t);
}

/** Short upper-case host name: `WORKSTATION5.theshire.local` and `workstation5` are one machine. */
export function hostName(s: string): string {
  return s.split('.')[0]!.toUpperCase();
}

export function fromEvtxRecord(r: EvtxRecord, file: string): WinRecord {
  const s = r.system;
  let data = r.data;
  if (r.userData) {
    // UserData (e.g. some PowerShell and Security events) flattened one level into text fields.
    data = { ...data };
    for (const v of Object.values(r.userData)) {
      if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) if (typeof x === 'string' && !(k in data)) data[k] = x;
      }
    }
  }
  const utc = data.UtcTime !== undefined ? parseWinTime(data.UtcTime) : NaN;
  const rec: WinRecord = {
    provider: s.Provider, channel: s.Channel, eventId: s.EventID, computer: hostName(s.Computer),
    time: Number.isNaN(utc) ? r.timestampMs : utc, data, where: `${file}#${r.recordId}`,
  };
  if (s.ProcessID !== undefined && s.ProcessID >= 0) rec.execPid = s.ProcessID;
  return rec;
}

const FLAT_META = new Set([
  'Message', 'SourceName', 'ProviderGuid', 'Channel', 'EventID', 'Hostname', 'host', 'port', 'tags', '@version',
  '@timestamp', 'EventTime', 'EventReceivedTime', 'SourceModuleName', 'SourceModuleType', 'Severity',
  'SeverityValue', 'Keywords', 'RecordNumber', 'ExecutionProcessID', 'ThreadID', 'EventType', 'Opcode',
  'OpcodeValue', 'Task', 'Category', 'Version', 'Level', 'type', 'TimeCreated',
]);

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

function toData(o: unknown, skip?: Set<string>): Record<string, string> {
  const data: Record<string, string> = {};
  if (o === null || typeof o !== 'object') return data;
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (skip?.has(k)) continue;
    const t = text(v);
    if (t !== undefined) data[k] = t;
  }
  return data;
}

type Json = Record<string, unknown>;

/**
 * One parsed Mordor JSON object → WinRecord, or undefined when it has no event id (not an event).
 * Forms: winlogbeat 7 (`winlog`), winlogbeat 6 (`event_id`, `event_data`), nxlog flat (`EventID` beside the data).
 */
export function fromMordorObject(o: Json, where: string): WinRecord | undefined {
  let provider: string | undefined, channel: string | undefined, computer: string | undefined;
  let eventId: number, execPid: number | undefined, logTime: string | undefined;
  let data: Record<string, string>;
  const wl = o.winlog as Json | undefined;
  if (wl && typeof wl === 'object') {
    eventId = Number(wl.event_id);
    provider = text(wl.provider_name); channel = text(wl.channel); computer = text(wl.computer_name);
    execPid = Number((wl.process as Json | undefined)?.pid);
    data = { ...toData(wl.event_data), ...toData(wl.user_data) };
    logTime = text(o['@timestamp']);
  } else if (o.event_id !== undefined) {
    eventId = Number(o.event_id);
    provider = text(o.source_name); channel = text(o.log_name); computer = text(o.computer_name);
    execPid = Number(o.process_id);
    data = { ...toData(o.event_data), ...toData(o.user_data) };
    logTime = text(o['@timestamp']);
  } else if (o.EventID !== undefined) {
    eventId = Number(o.EventID);
    provider = text(o.SourceName); channel = text(o.Channel); computer = text(o.Hostname);
    execPid = Number(o.ExecutionProcessID);
    data = toData(o, FLAT_META);
    logTime = text(o['@timestamp']) ?? text(o.TimeCreated);
  } else return undefined;
  if (!Number.isFinite(eventId)) return undefined;
  const utc = parseWinTime(data.UtcTime);
  const rec: WinRecord = {
    provider: provider ?? '', channel: channel ?? '', eventId, computer: hostName(computer ?? ''),
    time: Number.isNaN(utc) ? parseWinTime(logTime) : utc, data, where,
  };
  if (execPid !== undefined && Number.isFinite(execPid) && execPid > 0) rec.execPid = execPid;
  if (typeof o.Message === 'string' && eventId === 800 && data.HostApplication === undefined) data.Message = o.Message;
  if (typeof o.message === 'string' && eventId === 800 && data.HostApplication === undefined) data.Message = o.message;
  return rec;
}
