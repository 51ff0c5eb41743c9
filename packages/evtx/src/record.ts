// EvtxRecord: the fields consumers read (System by name, EventData/UserData by name), taken from the rendered
// element tree of one event record.
import type { TNode } from './binxml.ts';
import { fieldsOf } from './build.ts';
import { renderRoot, textOf, type EvtxElement } from './render.ts';
import { fileTimeToIso, fileTimeToMs } from './values.ts';

/** The `<System>` block. Numbers are parsed from the rendered text; an absent or unreadable number is -1. */
export interface EvtxSystem {
  Provider: string;
  ProviderGuid?: string;
  EventSourceName?: string;
  EventID: number;
  Qualifiers?: number;
  Version?: number;
  Level?: number;
  Task?: number;
  Opcode?: number;
  /** Hex text, e.g. `0x8020000000000000`. */
  Keywords?: string;
  /** ISO 8601 UTC with 100 ns digits, e.g. `2017-12-26T13:10:29.1368792Z`. */
  TimeCreated: string;
  EventRecordID: number;
  ActivityID?: string;
  RelatedActivityID?: string;
  ProcessID?: number;
  ThreadID?: number;
  Channel: string;
  Computer: string;
  /** SID text, e.g. `S-1-5-18`. */
  UserID?: string;
}

/** A JSON view of an XML element: text for a leaf, else an object of children (repeats become arrays). */
export type EvtxJson = string | { [name: string]: EvtxJson | EvtxJson[] };

export interface EvtxRecord {
  /** Record identifier from the record header. */
  recordId: number;
  /** Written time from the record header, ISO 8601 UTC (100 ns digits). */
  timestamp: string;
  /** Written time as milliseconds since the Unix epoch. */
  timestampMs: number;
  /** Index of the 64 KiB chunk in the file (0-based). */
  chunk: number;
  /** Absolute file offset of the record. */
  offset: number;
  system: EvtxSystem;
  /** `<EventData>` (also ProcessingErrorData/DebugData): `<Data Name="X">` by name, unnamed Data by index
   *  ("0", "1", …), other children (e.g. `<Binary>`) by element name. Values are the rendered text. */
  data: Record<string, string>;
  /** `<UserData>`: its child element by name, as JSON. */
  userData?: Record<string, EvtxJson>;
  /** The whole rendered event (`<Event>`), for fields not listed above; built when first read. */
  readonly root: EvtxElement;
  /** Found by `--recover` in slack space or in a block that is no longer a valid chunk, not a live record. */
  recovered?: boolean;
}

function num(s: string | undefined): number {
  if (s === undefined || s === '') return -1;
  const n = Number(s);
  return Number.isFinite(n) ? n : -1;
}

function setKey(obj: Record<string, string>, key: string, value: string): void {
  let k = key;
  for (let i = 1; Object.prototype.hasOwnProperty.call(obj, k); i++) k = `${key}_${i}`;
  if (k === '__proto__') Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true });
  else obj[k] = value;
}

export function extractSystem(sys: EvtxElement | undefined): EvtxSystem {
  const s: EvtxSystem = { Provider: '', EventID: -1, TimeCreated: '', EventRecordID: -1, Channel: '', Computer: '' };
  if (!sys) return s;
  for (const c of sys.children) {
    if (typeof c === 'string') continue;
    const a = c.attrs;
    switch (c.name) {
      case 'Provider':
        s.Provider = a.Name ?? '';
        if (a.Guid !== undefined) s.ProviderGuid = a.Guid;
        if (a.EventSourceName !== undefined) s.EventSourceName = a.EventSourceName;
        break;
      case 'EventID':
        s.EventID = num(textOf(c));
        if (a.Qualifiers !== undefined && a.Qualifiers !== '') s.Qualifiers = num(a.Qualifiers);
        break;
      case 'Version': s.Version = num(textOf(c)); break;
      case 'Level': s.Level = num(textOf(c)); break;
      case 'Task': s.Task = num(textOf(c)); break;
      case 'Opcode': s.Opcode = num(textOf(c)); break;
      case 'Keywords': s.Keywords = textOf(c); break;
      case 'TimeCreated': s.TimeCreated = a.SystemTime ?? ''; break;
      case 'EventRecordID': s.EventRecordID = num(textOf(c)); break;
      case 'Correlation':
        if (a.ActivityID !== undefined) s.ActivityID = a.ActivityID;
        if (a.RelatedActivityID !== undefined) s.RelatedActivityID = a.RelatedActivityID;
        break;
      case 'Execution':
        if (a.ProcessID !== undefined) s.ProcessID = num(a.ProcessID);
        if (a.ThreadID !== undefined) s.ThreadID = num(a.ThreadID);
        break;
      case 'Channel': s.Channel = textOf(c); break;
      case 'Computer': s.Computer = textOf(c); break;
      case 'Security': if (a.UserID !== undefined) s.UserID = a.UserID; break;
    }
  }
  return s;
}

export function extractData(el: EvtxElement, data: Record<string, string>): void {
  let unnamed = 0;
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (c.name === 'Data') {
      const name = c.attrs.Name;
      setKey(data, name !== undefined && name !== '' ? name : String(unnamed++), textOf(c));
    } else {
      setKey(data, c.name, c.children.some((x) => typeof x !== 'string') ? JSON.stringify(toJson(c)) : textOf(c));
    }
  }
}

/** JSON view of an element; attributes appear under `#attributes`, mixed text under `#text`. */
export function toJson(el: EvtxElement): EvtxJson {
  const attrNames = Object.keys(el.attrs).filter((k) => k !== 'xmlns');
  const kids = el.children.filter((c): c is EvtxElement => typeof c !== 'string');
  if (kids.length === 0 && attrNames.length === 0) return textOf(el);
  const o: { [name: string]: EvtxJson | EvtxJson[] } = {};
  if (attrNames.length > 0) {
    const at: { [name: string]: EvtxJson } = {};
    for (const k of attrNames) at[k] = el.attrs[k]!;
    o['#attributes'] = at;
  }
  for (const k of kids) {
    const v = toJson(k);
    const prev = o[k.name];
    if (prev === undefined) o[k.name] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else o[k.name] = [prev, v];
  }
  const text = textOf(el);
  if (text.trim() !== '') o['#text'] = text;
  return o;
}

/** Builds the consumer view of a rendered `<Event>`. */
export function buildRecord(root: EvtxElement, recordId: number, timestamp: string, timestampMs: number,
  chunk: number, offset: number): EvtxRecord {
  let sys: EvtxElement | undefined;
  const data: Record<string, string> = {};
  let userData: Record<string, EvtxJson> | undefined;
  for (const c of root.children) {
    if (typeof c === 'string') continue;
    if (c.name === 'System') sys = c;
    else if (c.name === 'UserData') {
      userData = {};
      for (const u of c.children) if (typeof u !== 'string') userData[u.name] = toJson(u);
    } else if (c.name !== 'RenderingInfo') extractData(c, data);
  }
  const rec: EvtxRecord = { recordId, timestamp, timestampMs, chunk, offset, system: extractSystem(sys), data, root };
  if (userData) rec.userData = userData;
  return rec;
}

/** A record decoded by the reader: `system`, `data`, `userData` and the timestamp text made when first read (a dump
 *  to XML or a count never needs them), the element tree likewise. */
export class DecodedRecord implements EvtxRecord {
  recovered?: boolean;
  #root: EvtxElement | undefined;
  #fields: { system: EvtxSystem; data: Record<string, string>; userData?: Record<string, EvtxJson> | undefined } | undefined;
  readonly #nodes: TNode[];
  /** The written time (FILETIME words), made text when first read. */
  readonly #lo: number;
  readonly #hi: number;
  #timestamp: string | undefined;
  constructor(nodes: TNode[], root: EvtxElement | undefined, readonly recordId: number, timeLo: number, timeHi: number,
    readonly chunk: number, readonly offset: number) {
    this.#nodes = nodes;
    this.#root = root;
    this.#lo = timeLo;
    this.#hi = timeHi;
  }
  get timestamp(): string { return (this.#timestamp ??= fileTimeToIso(this.#lo, this.#hi)); }
  get timestampMs(): number { return fileTimeToMs(this.#lo, this.#hi); }
  #build() {
    const f = this.#root ? undefined : fieldsOf(this.#nodes);
    if (f) return (this.#fields = f);
    const b = buildRecord(this.root, this.recordId, this.timestamp, this.timestampMs, this.chunk, this.offset);
    return (this.#fields = { system: b.system, data: b.data, userData: b.userData });
  }
  get system(): EvtxSystem { return (this.#fields ?? this.#build()).system; }
  get data(): Record<string, string> { return (this.#fields ?? this.#build()).data; }
  get userData(): Record<string, EvtxJson> | undefined { return (this.#fields ?? this.#build()).userData; }
  get root(): EvtxElement { return (this.#root ??= renderRoot(this.#nodes)!); }
  /** The parsed binary XML the record was built from (for the XML writer). */
  get nodes(): TNode[] { return this.#nodes; }
}
