// Timelines: one row per stop (or per mapped event with `--all-events`), what investigators load into a
// spreadsheet or a SIEM — time in a chosen zone, computer, user, rule, reason, ATT&CK technique, severity, process,
// parent, command line, recording and record — written as CSV or JSON lines; and the filters a replay's stops and
// rows pass (time window, computers, rules, lowest severity).
import { isSeverity, severityRank, techniqueName, type Severity } from './attack.ts';

export interface TimelineRow {
  /** Milliseconds since the epoch; undefined when the event has no time. */
  time: number | undefined;
  computer: string;
  user: string;
  severity: Severity;
  verdict: string;
  rule: string;
  reason: string;
  /** ATT&CK technique id ('' when the rule stops nothing). */
  technique: string;
  kind: string;
  /** Image of the subject process. */
  process: string;
  /** Image of its parent, when known. */
  parent: string;
  commandLine: string;
  /** What was acted on, when not the subject itself (library, script, file, target process, autostart target). */
  object: string;
  recording: string;
  /** Where the record is: `file#record-id` (EVTX, ` (recovered)` for slack space) or `archive:member:line`. */
  record: string;
  recovered: boolean;
  /** The stop holds only unless a real machine finds the file signed by a trusted publisher (no signature logged). */
  unlessSigned: boolean;
}

export interface ReplayFilter {
  /** Inclusive bounds, ms since the epoch. An event without a time is left out when either is set. */
  from?: number;
  to?: number;
  /** Short host names (`WS5`, as the replay names hosts), any case. */
  computers?: readonly string[];
  /** Rule ids; `launch.*` matches every rule starting with `launch.`. */
  rules?: readonly string[];
  minSeverity?: Severity;
}

/** A predicate over rows (and stops), or undefined when the filter lets everything through. */
export function createRowFilter(f: ReplayFilter | undefined): ((r: Pick<TimelineRow, 'time' | 'computer' | 'rule' | 'severity'>) => boolean) | undefined {
  if (!f) return undefined;
  const computers = f.computers?.length ? new Set(f.computers.map((c) => c.split('.')[0]!.toUpperCase())) : undefined;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const r of f.rules ?? []) { if (r.endsWith('*')) prefixes.push(r.slice(0, -1)); else exact.add(r); }
  const rules = exact.size + prefixes.length > 0;
  const min = f.minSeverity ? severityRank(f.minSeverity) : -1;
  if (f.from === undefined && f.to === undefined && !computers && !rules && min < 0) return undefined;
  return (r) => {
    if (f.from !== undefined || f.to !== undefined) {
      if (r.time === undefined || !Number.isFinite(r.time)) return false;
      if (f.from !== undefined && r.time < f.from) return false;
      if (f.to !== undefined && r.time > f.to) return false;
    }
    if (computers && !computers.has(r.computer.toUpperCase())) return false;
    if (rules && !exact.has(r.rule) && !prefixes.some((p) => r.rule.startsWith(p))) return false;
    return severityRank(r.severity) >= min;
  };
}

/** How times are shown: UTC, or an IANA zone (`Asia/Tokyo`), or the process's local zone. */
export type TimeZoneChoice = { utc: true } | { utc?: false; timeZone?: string | undefined };

/** Offset east of UTC, in minutes, of `zone` at `ms` (null zone: this process's local time). */
function offsetMinutes(zone: Intl.DateTimeFormat | null, ms: number): number {
  if (!zone) return -new Date(ms).getTimezoneOffset();
  const p: Record<string, number> = {};
  for (const x of zone.formatToParts(new Date(ms))) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60000);
}

function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
}

/**
 * A zone for `TZ`: an IANA name Intl knows, or — for the process's own TZ in another form, such as a POSIX rule —
 * the local time of this process; undefined when `timeZone` cannot be used.
 */
export function resolveZone(choice: TimeZoneChoice): { zone: Intl.DateTimeFormat | null; utc: boolean } | undefined {
  if (choice.utc) return { zone: null, utc: true };
  const tz = choice.timeZone;
  if (tz === undefined || tz === '' || tz === process.env.TZ) {
    try { if (tz) return { zone: zoneFormat(tz.replace(/^:/, '')), utc: false }; } catch { /* a POSIX TZ: the C library knows it */ }
    return { zone: null, utc: false };
  }
  try { return { zone: zoneFormat(tz.replace(/^:/, '')), utc: false }; } catch { return undefined; }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Formats ms as ISO 8601 with the zone's offset (`…+09:00`) or `Z`; '' for no time. */
export function createTimeFormatter(choice: TimeZoneChoice): (ms: number | undefined) => string {
  const z = resolveZone(choice) ?? { zone: null, utc: true };
  const cache = new Map<number, number>();
  return (ms) => {
    if (ms === undefined || !Number.isFinite(ms)) return '';
    let off = 0;
    if (!z.utc) {
      // Zone offsets change on quarter hours at most.
      const bucket = Math.floor(ms / 900000);
      let o = cache.get(bucket);
      if (o === undefined) { o = offsetMinutes(z.zone, ms); if (cache.size > 4096) cache.clear(); cache.set(bucket, o); }
      off = o;
    }
    const d = new Date(ms + off * 60000);
    const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
    if (z.utc) return base + 'Z';
    const a = Math.abs(off);
    return `${base}${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  };
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO 8601 time (`2020-09-04T12:00:00+09:00`, `…Z`, `2020-09-04 12:00`, `2020-09-04`) as ms since the epoch.
 * Without an offset it is a wall time in the chosen zone. A date alone is the start of that day, or with
 * `endOfDay` its last millisecond. Undefined when the text is not such a time.
 */
export function parseIsoTime(text: string, choice: TimeZoneChoice, endOfDay = false): number | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const dateOnly = h === undefined;
  const parts = [Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)] as const;
  if (parts[1] < 1 || parts[1] > 12 || parts[2] < 1 || parts[2] > 31 || parts[3] > 23 || parts[4] > 59 || parts[5] > 60) return undefined;
  let wall = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5], Math.floor(Number(`0.${frac ?? '0'}`) * 1000));
  if (new Date(wall).getUTCDate() !== parts[2]) return undefined; // 2021-02-30
  if (dateOnly && endOfDay) wall += 86400000 - 1;
  if (tz) {
    if (tz.toUpperCase() === 'Z') return wall;
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const off = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    if (off > 18 * 60) return undefined;
    return wall - sign * off * 60000;
  }
  const z = resolveZone(choice) ?? { zone: null, utc: true };
  if (z.utc) return wall;
  // The instant whose wall time in the zone is `wall` (twice refined across an offset change).
  let t = wall - offsetMinutes(z.zone, wall) * 60000;
  t = wall - offsetMinutes(z.zone, t) * 60000;
  return t;
}

export const TIMELINE_COLUMNS = ['time', 'computer', 'user', 'severity', 'rule', 'reason', 'technique', 'techniqueName',
  'process', 'parent', 'commandLine', 'object', 'recording', 'record', 'recovered', 'unlessSigned', 'verdict', 'kind'] as const;

/** The row as shown: time formatted, technique name in `lang`. */
export function rowValues(r: TimelineRow, time: (ms: number | undefined) => string, lang: 'ja' | 'en'): Record<(typeof TIMELINE_COLUMNS)[number], string | boolean> {
  return {
    time: time(r.time), computer: r.computer, user: r.user, severity: r.severity, rule: r.rule, reason: r.reason,
    technique: r.technique, techniqueName: techniqueName(r.technique, lang), process: r.process, parent: r.parent,
    commandLine: r.commandLine, object: r.object, recording: r.recording, record: r.record, recovered: r.recovered, unlessSigned: r.unlessSigned,
    verdict: r.verdict, kind: r.kind,
  };
}

function csvField(v: string | boolean): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string { return TIMELINE_COLUMNS.join(',') + '\r\n'; }

/** One CSV record (RFC 4180: CRLF, fields with commas, quotes or line breaks quoted). */
export function rowToCsv(r: TimelineRow, time: (ms: number | undefined) => string, lang: 'ja' | 'en'): string {
  const v = rowValues(r, time, lang);
  return TIMELINE_COLUMNS.map((c) => csvField(v[c])).join(',') + '\r\n';
}

export function rowToJsonLine(r: TimelineRow, time: (ms: number | undefined) => string, lang: 'ja' | 'en'): string {
  return JSON.stringify(rowValues(r, time, lang)) + '\n';
}

/** Sorts rows by time (stable; a row without a time goes with the row before it, as the replay orders records). */
export function sortRows(rows: TimelineRow[]): TimelineRow[] {
  let last = -Infinity;
  const keyed = rows.map((r, i) => {
    if (r.time !== undefined && Number.isFinite(r.time)) last = r.time;
    return { r, i, t: last };
  });
  keyed.sort((a, b) => a.t - b.t || a.i - b.i);
  return keyed.map((k) => k.r);
}

export { isSeverity };
