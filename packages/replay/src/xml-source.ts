// Windows event XML as a replay source: `wevtutil qe LOG /f:xml` (one <Event> after another, no root element),
// Event Viewer "Save as XML" (an <Events> wrapper, often with <RenderingInfo>), `evtxexport -f xml` (events among
// other text). Read in chunks (UTF-8, or UTF-16 with its byte-order mark); each <Event>…</Event> is parsed alone, so
// one damaged event is reported by line and skipped. Pure over the text apart from reading the file.
import { openSync, readSync, closeSync } from 'node:fs';
import { TextDecoder } from 'node:util';
import { hostName, parseWinTime, type WinRecord } from './win-record.ts';

/** One element of the small XML subset event records use. */
export interface XmlElement { name: string; attrs: Record<string, string>; children: (XmlElement | string)[] }

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

/** Local name of a possibly prefixed name (`ev:Event` → `Event`). */
const local = (n: string) => n.slice(n.indexOf(':') + 1);

/** Parses one element's text; throws an Error saying what is wrong and where (offset) for malformed input. */
export function parseXmlElement(text: string): XmlElement {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => { throw new Error(`${what} at offset ${i}`); };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) { if (text.slice(i).trim() && stack.length) fail('text after the last element'); break; }
    if (lt > i && stack.length) { const t = decodeEntities(text.slice(i, lt)); if (t.trim()) stack[stack.length - 1]!.children.push(t); }
    i = lt;
    if (text.startsWith('<!--', i)) { const e = text.indexOf('-->', i); if (e < 0) fail('unterminated comment'); i = e + 3; continue; }
    if (text.startsWith('<![CDATA[', i)) {
      const e = text.indexOf(']]>', i); if (e < 0) fail('unterminated CDATA');
      if (stack.length) stack[stack.length - 1]!.children.push(text.slice(i + 9, e));
      i = e + 3; continue;
    }
    if (text.startsWith('<?', i) || text.startsWith('<!', i)) { const e = text.indexOf('>', i); if (e < 0) fail('unterminated declaration'); i = e + 1; continue; }
    if (text[i + 1] === '/') {
      const e = text.indexOf('>', i); if (e < 0) fail('unterminated end tag');
      const name = text.slice(i + 2, e).trim();
      const open = stack.pop();
      if (!open || open.name !== local(name)) fail(`end tag </${name}> does not close <${open?.name ?? '?'}>`);
      i = e + 1;
      if (stack.length === 0) { root = open; break; }
      continue;
    }
    const m = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(i, i + 256));
    if (!m) fail('not a tag');
    const el: XmlElement = { name: local(m![1]!), attrs: {}, children: [] };
    i += m![0].length;
    for (;;) {
      while (i < n && /\s/.test(text[i]!)) i++;
      if (text[i] === '/' && text[i + 1] === '>') { i += 2; if (stack.length) stack[stack.length - 1]!.children.push(el); else root = el; break; }
      if (text[i] === '>') { i++; if (stack.length) stack[stack.length - 1]!.children.push(el); stack.push(el); break; }
      const a = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(text.slice(i, i + 65536));
      if (!a) fail(`bad attribute in <${el.name}>`);
      el.attrs[local(a![1]!)] = decodeEntities(a![3] ?? a![4] ?? '');
      i += a![0].length;
    }
    if (root && stack.length === 0) break;
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) fail('no element');
  return root!;
}

function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}

function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** One parsed <Event> → WinRecord (the same reduction as an EVTX record). */
export function recordFromEventXml(ev: XmlElement, where: string): WinRecord {
  if (ev.name !== 'Event') throw new Error(`<${ev.name}> is not an <Event>`);
  const sys = child(ev, 'System');
  if (!sys) throw new Error('<Event> has no <System>');
  const eventId = Number(textOf(child(sys, 'EventID')).trim());
  if (!Number.isFinite(eventId)) throw new Error('<EventID> is not a number');
  const data: Record<string, string> = {};
  const eventData = child(ev, 'EventData');
  let idx = 0;
  for (const c of eventData?.children ?? []) {
    if (typeof c === 'string' || c.name !== 'Data') continue;
    const name = c.attrs.Name;
    data[name ?? String(idx)] = textOf(c);
    if (name === undefined) idx++;
  }
  // UserData: one wrapper element whose children are the fields (flattened one level, as for EVTX records).
  for (const w of child(ev, 'UserData')?.children ?? []) {
    if (typeof w === 'string') continue;
    for (const f of w.children) if (typeof f !== 'string' && !(f.name in data)) data[f.name] = textOf(f);
  }
  const message = textOf(child(child(ev, 'RenderingInfo'), 'Message'));
  if (message && data.Message === undefined) data.Message = message;
  const utc = data.UtcTime !== undefined ? parseWinTime(data.UtcTime) : NaN;
  const rid = textOf(child(sys, 'EventRecordID')).trim();
  const rec: WinRecord = {
    provider: child(sys, 'Provider')?.attrs.Name ?? child(sys, 'Provider')?.attrs.EventSourceName ?? '',
    channel: textOf(child(sys, 'Channel')).trim(),
    eventId,
    computer: hostName(textOf(child(sys, 'Computer')).trim()),
    time: Number.isNaN(utc) ? parseWinTime(child(sys, 'TimeCreated')?.attrs.SystemTime) : utc,
    data,
    where: rid ? `${where}#${rid}` : where,
  };
  const pid = Number(child(sys, 'Execution')?.attrs.ProcessID);
  if (Number.isFinite(pid) && pid > 0) rec.execPid = pid;
  return rec;
}

export interface XmlCallbacks {
  record(r: WinRecord): void;
  issue(i: { where: string; message: string }): void;
  progress?(bytes: number): void;
}

/** Whether a file's first bytes look like event XML (after a BOM and blanks). */
export function looksLikeEventXml(head: Uint8Array): boolean {
  const text = decoderFor(head).decode(head.subarray(bomLength(head)));
  return /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(\w+:)?(Events?)\b/.test(text);
}

function bomLength(b: Uint8Array): number {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 3;
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) return 2;
  return 0;
}

function decoderFor(b: Uint8Array): TextDecoder {
  if (b[0] === 0xff && b[1] === 0xfe) return new TextDecoder('utf-16le');
  if (b[0] === 0xfe && b[1] === 0xff) return new TextDecoder('utf-16be');
  // UTF-16 without a BOM: every other byte of ASCII text is zero.
  if (b.length > 3 && b[0] === 0x3c && b[1] === 0 && b[3] === 0) return new TextDecoder('utf-16le');
  return new TextDecoder('utf-8');
}

const START = /<(?:\w+:)?Event[\s>]/g;
const END = /<\/(?:\w+:)?Event\s*>/g;

/**
 * Reads every <Event> of an XML file in order. `name` names the file in `where` (`name#EventRecordID`, or
 * `name:line` without one). Never throws on bad input: damaged events go to `issue` with their line.
 */
export function readEventXmlFile(path: string, name: string, cb: XmlCallbacks): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let decoder: TextDecoder | undefined;
    let buf = '';
    let line = 1; // line number of buf[0]
    let offset = 0;
    let events = 0;
    for (;;) {
      const got = readSync(fd, chunk, 0, chunk.length, offset);
      let bytes = chunk.subarray(0, got);
      if (decoder === undefined) {
        decoder = decoderFor(bytes);
        bytes = bytes.subarray(bomLength(bytes));
      }
      offset += got;
      buf += decoder.decode(bytes, { stream: got > 0 });
      for (;;) {
        START.lastIndex = 0;
        const s = START.exec(buf);
        if (!s) break;
        END.lastIndex = s.index;
        const e = END.exec(buf);
        if (!e) break;
        const startLine = line + count(buf, '\n', 0, s.index);
        const text = buf.slice(s.index, e.index + e[0].length);
        const where = `${name}:${startLine}`;
        try {
          cb.record(recordFromEventXml(parseXmlElement(text), name));
          events++;
        } catch (err) {
          cb.issue({ where, message: `damaged event: ${(err as Error).message}` });
        }
        line = startLine + count(text, '\n', 0, text.length);
        buf = buf.slice(e.index + e[0].length);
      }
      // Keep only what can still start an event (bounded by the largest event).
      const keep = buf.search(/<(?:\w+:)?Event[\s>]/);
      if (keep < 0) {
        const tail = buf.lastIndexOf('<');
        const cut = tail < 0 ? buf.length : tail;
        line += count(buf, '\n', 0, cut);
        buf = buf.slice(cut);
      } else if (keep > 0) { line += count(buf, '\n', 0, keep); buf = buf.slice(keep); }
      cb.progress?.(offset);
      if (got === 0) break;
    }
    if (/<(?:\w+:)?Event[\s>]/.test(buf)) cb.issue({ where: `${name}:${line}`, message: 'truncated event at the end of the file' });
    if (events === 0) cb.issue({ where: name, message: 'no <Event> element found' });
  } finally {
    closeSync(fd);
  }
}

function count(s: string, ch: string, from: number, to: number): number {
  let c = 0;
  for (let i = s.indexOf(ch, from); i >= 0 && i < to; i = s.indexOf(ch, i + 1)) c++;
  return c;
}
