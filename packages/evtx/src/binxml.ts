// Binary XML of EVTX records: token parser for template definitions (cached per chunk by offset) and record
// streams (template instances with typed substitution values). Offsets are chunk-relative; the parser reads
// only inside the given bounds and throws BinXmlError on anything malformed (the reader turns it into a warning).
import { decodeArray, decodeScalar, isKnownValueType, VALUE_TYPE } from './values.ts';

/** A name as shown in a message: printable, at most 40 characters (names in damaged data can be garbage). */
function shown(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/g, '?');
  return clean.length > 40 ? clean.slice(0, 40) + '…' : clean;
}

export class BinXmlError extends Error {
  constructor(message: string, readonly offset: number) { super(message); }
}

/** Template-tree node kinds. */
export const NODE = { Element: 0, Text: 1, Subst: 2, Instance: 3 } as const;

export interface TElement {
  k: 0; name: string; attrs: TAttr[]; children: TNode[];
  /** Static parts for the XML writer (record-xml.ts), made when first needed. */
  xml?: object;
  /** Compiled field plans of this template element (plan.ts), made when first needed. */
  plans?: object;
}
export interface TAttr {
  name: string; value: TNode[];
  /** ` name="` encoded, for the XML writer (record-xml.ts), made when first needed. */
  xml?: Uint8Array;
}
export interface TText { k: 1; text: string }
export interface TSubst { k: 2; index: number; type: number; optional: boolean }
export interface TInstance { k: 3; template: TNode[]; values: SubstValue[] }
export type TNode = TElement | TText | TSubst | TInstance;

/**
 * One substitution value: text (null for the null type), items for arrays, nodes for embedded binary XML.
 * Strings and the common fixed-size types (`LAZY_SIZE`) are decoded when their text is first read: a dump to XML
 * writes them straight from the chunk bytes (`raw`, record-xml.ts) and a count never decodes them. The chunk bytes
 * are the reader's own copy of the chunk (a buffer per chunk, never reused), so a record read later decodes right.
 */
export class SubstValue {
  #text: string | null | undefined;
  constructor(readonly type: number, text: string | null | undefined, readonly items: string[] | undefined,
    readonly nodes: TNode[] | undefined, readonly buf: Buffer | null, readonly pos: number, readonly end: number) {
    this.#text = text;
  }
  get text(): string | null {
    const t = this.#text;
    return t !== undefined ? t : (this.#text = decodeScalar(this.buf!, this.pos, this.end - this.pos, this.type));
  }
  /** Whether the text is still undecoded in buf[pos, end) (then `text` decodes it). */
  get raw(): boolean { return this.#text === undefined; }
}

/** Per-chunk state: the chunk bytes and the caches that are valid only inside it. */
export interface ChunkContext {
  buf: Buffer;
  /** Bytes of `buf` that hold chunk data (less than 65536 for a truncated last chunk). */
  size: number;
  names: Map<number, string>;
  templates: Map<number, TNode[] | null>;
  /** Value types met that the reader does not know (reported once per record by the caller). */
  unknownTypes: number[];
  /** Templates parsed in earlier chunks of the same read, reused where the bytes say they are the same. */
  shared: SharedTemplates | null;
  /** Name fields met while a template is being parsed (for `shared`), else null. */
  nameFields: NameFields | null;
}

export function createChunkContext(buf: Buffer, size: number, shared: SharedTemplates | null = null): ChunkContext {
  return { buf, size, names: new Map(), templates: new Map(), unknownTypes: [], shared, nameFields: null };
}

/**
 * Templates of one read (one pass over a file or chunk range), for reuse in later chunks: each chunk holds its own
 * copy of a template, at its own offset, so the parsed nodes of an earlier copy are reused when the new copy's
 * bytes are the same but for where its names are (each name field points at a name that reads the same). Keyed
 * by the template's first identifier word and size. Made per read, never kept across reads.
 */
export type SharedTemplates = Map<number, SharedTemplate[]>;

interface SharedTemplate {
  size: number;
  depth: number;
  /** The template's data bytes (after its 24-byte header). */
  bytes: Buffer;
  /**
   * Name fields: offset in `bytes` (ascending), where the name is (offset from the data start), whether the name
   * was inline there, the name read, and whether it lies outside the data (then it is read and compared).
   */
  at: number[];
  rel: number[];
  inline: boolean[];
  names: string[];
  outside: boolean[];
  nodes: TNode[];
}

interface NameFields { at: number[]; off: number[]; inline: boolean[]; names: string[]; nested: boolean }

/** At most this many templates kept per read (a read of damaged data must not grow without bound). */
const MAX_SHARED = 4096;

export function createSharedTemplates(): SharedTemplates { return new Map(); }

function sharedKey(buf: Buffer, off: number, size: number): number {
  return (buf.readUInt32LE(off + 4) ^ Math.imul(size, 0x9e3779b1)) >>> 0;
}

/** Whether template data at `start` (chunk offset) is `t` again: same bytes between name fields, same names. */
function sameTemplate(ctx: ChunkContext, t: SharedTemplate, start: number): boolean {
  const buf = ctx.buf;
  let prev = 0;
  for (let i = 0; i < t.at.length; i++) {
    const f = t.at[i]!;
    if (buf.compare(t.bytes, prev, f, start + prev, start + f) !== 0) return false;
    const nameOff = buf.readUInt32LE(start + f);
    const inline = nameOff === start + f + 4;
    if (inline !== t.inline[i]) return false;
    // A name inside the data at the same place is the same name (its bytes are compared); others are read.
    if (t.outside[i]) { if (readName(ctx, nameOff, start + f + 4).name !== t.names[i]) return false; } else if (nameOff - start !== t.rel[i]) return false;
    prev = f + 4;
  }
  return buf.compare(t.bytes, prev, t.size, start + prev, start + t.size) === 0;
}

const MAX_DEPTH = 48;

function need(pos: number, n: number, end: number): void {
  if (pos + n > end) throw new BinXmlError(`data ends early (need ${n} bytes at chunk offset 0x${pos.toString(16)})`, pos);
}

/** Reads the name at chunk offset `off`; returns the name and, when it is stored inline at `pos`, its size. */
function readName(ctx: ChunkContext, off: number, pos: number): { name: string; inline: number } {
  const buf = ctx.buf;
  let name = ctx.names.get(off);
  let len: number;
  if (name === undefined) {
    need(off, 8, ctx.size);
    len = buf.readUInt16LE(off + 6);
    need(off + 8, len * 2, ctx.size);
    name = buf.toString('utf16le', off + 8, off + 8 + len * 2);
    ctx.names.set(off, name);
  } else {
    len = name.length;
  }
  const rec = ctx.nameFields;
  if (rec) { rec.at.push(pos - 4); rec.off.push(off); rec.inline.push(off === pos); rec.names.push(name); }
  return { name, inline: off === pos ? 8 + len * 2 + 2 : 0 };
}

interface Cursor { pos: number }

/** Reads a sequence of sibling nodes until EndElement / EOF / end; the closing token is not consumed. */
function parseNodes(ctx: ChunkContext, cur: Cursor, end: number, depth: number, out: TNode[], depId: boolean): void {
  const buf = ctx.buf;
  if (depth > MAX_DEPTH) throw new BinXmlError('binary XML nested too deeply', cur.pos);
  while (cur.pos < end) {
    const tok = buf[cur.pos]!;
    // Only 0x40 ("more follows" / "has attributes") may be set above the token nibble.
    if ((tok & 0xb0) !== 0) throw new BinXmlError(`unknown token 0x${tok.toString(16).padStart(2, '0')} at chunk offset 0x${cur.pos.toString(16)}`, cur.pos);
    switch (tok & 0x0f) {
      case 0x00: case 0x04: return;
      case 0x01: out.push(parseElement(ctx, cur, end, depth + 1, depId)); break;
      case 0x05: case 0x07: case 0x08: case 0x09: case 0x0d: case 0x0e: {
        const n = parseValueToken(ctx, cur, end);
        if (n) out.push(n);
        break;
      }
      case 0x0a: { // processing instruction target: a name; ignored in output
        need(cur.pos, 5, end);
        const r = readName(ctx, buf.readUInt32LE(cur.pos + 1), cur.pos + 5);
        cur.pos += 5 + r.inline;
        break;
      }
      case 0x0b: { // processing instruction data
        need(cur.pos, 3, end);
        cur.pos += 3 + 2 * buf.readUInt16LE(cur.pos + 1);
        break;
      }
      case 0x0c: out.push(parseInstance(ctx, cur, end, depth + 1)); break;
      case 0x0f: need(cur.pos, 4, end); cur.pos += 4; break;
      default:
        throw new BinXmlError(`unknown token 0x${tok.toString(16).padStart(2, '0')} at chunk offset 0x${cur.pos.toString(16)}`, cur.pos);
    }
  }
}

/** A value-like token (text, CDATA, char/entity reference, substitution); null when it renders to nothing. */
function parseValueToken(ctx: ChunkContext, cur: Cursor, end: number): TNode | null {
  const buf = ctx.buf;
  const p = cur.pos;
  const tok = buf[p]! & 0x0f;
  if (tok === 0x05) {
    need(p, 2, end);
    const type = buf[p + 1]!;
    if (type === VALUE_TYPE.String || type === VALUE_TYPE.AnsiString) {
      need(p + 2, 2, end);
      const n = buf.readUInt16LE(p + 2);
      const bytes = type === VALUE_TYPE.String ? n * 2 : n;
      need(p + 4, bytes, end);
      cur.pos = p + 4 + bytes;
      const text = type === VALUE_TYPE.String ? buf.toString('utf16le', p + 4, p + 4 + bytes) : buf.toString('latin1', p + 4, p + 4 + bytes);
      return { k: 1, text };
    }
    // Other fixed-size types in a value token are not emitted by Windows, but are well defined.
    const sizes: Record<number, number> = { 3: 1, 4: 1, 5: 2, 6: 2, 7: 4, 8: 4, 9: 8, 10: 8, 11: 4, 12: 8, 13: 4, 15: 16, 17: 8, 18: 16, 20: 4, 21: 8 };
    const size = sizes[type];
    if (size === undefined) throw new BinXmlError(`value token of unsupported type 0x${type.toString(16)} at chunk offset 0x${p.toString(16)}`, p);
    need(p + 2, size, end);
    cur.pos = p + 2 + size;
    return { k: 1, text: decodeScalar(buf, p + 2, size, type) ?? '' };
  }
  if (tok === 0x07) { // CDATA
    need(p, 3, end);
    const n = buf.readUInt16LE(p + 1) * 2;
    need(p + 3, n, end);
    cur.pos = p + 3 + n;
    return { k: 1, text: buf.toString('utf16le', p + 3, p + 3 + n) };
  }
  if (tok === 0x08) {
    need(p, 3, end);
    cur.pos = p + 3;
    return { k: 1, text: String.fromCharCode(buf.readUInt16LE(p + 1)) };
  }
  if (tok === 0x09) {
    need(p, 5, end);
    const r = readName(ctx, buf.readUInt32LE(p + 1), p + 5);
    cur.pos = p + 5 + r.inline;
    const known: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    return { k: 1, text: known[r.name] ?? `&${r.name};` };
  }
  // 0x0d normal / 0x0e optional substitution
  need(p, 4, end);
  cur.pos = p + 4;
  return { k: 2, index: buf.readUInt16LE(p + 1), type: buf[p + 3]!, optional: tok === 0x0e };
}

function parseElement(ctx: ChunkContext, cur: Cursor, end: number, depth: number, depId: boolean): TElement {
  const buf = ctx.buf;
  const start = cur.pos;
  const tok = buf[start]!;
  let p = start + 1 + (depId ? 2 : 0);
  need(p, 8, end);
  p += 4; // element data size: the end token tells where the element ends
  const nameOff = buf.readUInt32LE(p);
  p += 4;
  const nm = readName(ctx, nameOff, p);
  p += nm.inline;
  if (tok & 0x40) { need(p, 4, end); p += 4; }
  const el: TElement = { k: 0, name: nm.name, attrs: [], children: [] };
  cur.pos = p;
  // attributes
  while (cur.pos < end && (buf[cur.pos]! & 0x0f) === 0x06) {
    need(cur.pos, 5, end);
    const an = readName(ctx, buf.readUInt32LE(cur.pos + 1), cur.pos + 5);
    cur.pos += 5 + an.inline;
    const value: TNode[] = [];
    while (cur.pos < end) {
      const t = buf[cur.pos]! & 0x0f;
      if (t !== 0x05 && t !== 0x08 && t !== 0x09 && t !== 0x0d && t !== 0x0e && t !== 0x07) break;
      const v = parseValueToken(ctx, cur, end);
      if (v) value.push(v);
    }
    el.attrs.push({ name: an.name, value });
  }
  need(cur.pos, 1, end);
  const close = buf[cur.pos]!;
  if (close === 0x03) { cur.pos++; return el; }
  if (close !== 0x02) {
    throw new BinXmlError(`element <${shown(el.name)}> not closed properly (token 0x${close.toString(16)} at chunk offset 0x${cur.pos.toString(16)})`, cur.pos);
  }
  cur.pos++;
  parseNodes(ctx, cur, end, depth, el.children, depId);
  need(cur.pos, 1, end);
  if (buf[cur.pos] !== 0x04) throw new BinXmlError(`element <${shown(el.name)}> has no end tag (chunk offset 0x${cur.pos.toString(16)})`, cur.pos);
  cur.pos++;
  return el;
}

/** The template definition at chunk offset `off`, parsed once per chunk. */
function getTemplate(ctx: ChunkContext, off: number, depth: number): TNode[] {
  const cached = ctx.templates.get(off);
  if (cached) return cached;
  if (cached === null) throw new BinXmlError(`template at chunk offset 0x${off.toString(16)} refers to itself or is damaged`, off);
  ctx.templates.set(off, null);
  need(off, 24, ctx.size);
  const dataSize = ctx.buf.readUInt32LE(off + 20);
  const end = off + 24 + dataSize;
  need(off + 24, dataSize, ctx.size);
  const start = off + 24;
  const shared = ctx.shared;
  const key = shared ? sharedKey(ctx.buf, off, dataSize) : 0;
  const known = shared?.get(key);
  if (known) {
    const outer = ctx.nameFields;
    ctx.nameFields = null;
    try {
      for (const t of known) {
        let same = false;
        if (t.size === dataSize && t.depth === depth) {
          try { same = sameTemplate(ctx, t, start); } catch (e) { if (!(e instanceof BinXmlError) && !(e instanceof RangeError)) throw e; }
        }
        if (same) { ctx.templates.set(off, t.nodes); return t.nodes; }
      }
    } finally { ctx.nameFields = outer; }
  }
  const nodes: TNode[] = [];
  const cur = { pos: start };
  const outer = ctx.nameFields;
  const fields: NameFields | null = shared ? { at: [], off: [], inline: [], names: [], nested: false } : null;
  ctx.nameFields = fields;
  try { parseNodes(ctx, cur, end, depth, nodes, true); } finally { ctx.nameFields = outer; }
  ctx.templates.set(off, nodes);
  if (shared && fields && !fields.nested && cur.pos <= end && shared.size < MAX_SHARED) {
    // Name fields as offsets in the data; kept only when inside it and in order (then the comparison covers all).
    const at = fields.at.map((a) => a - start);
    let ok = true;
    for (let i = 0; i < at.length; i++) if (at[i]! < (i > 0 ? at[i - 1]! + 4 : 0) || at[i]! + 4 > dataSize) ok = false;
    if (ok) {
      const rel = fields.off.map((o) => o - start);
      // Inside: the name's header and characters are within the data (the name is read from those bytes).
      const outside = rel.map((r, i) => r < 0 || r + 8 + 2 * fields.names[i]!.length > dataSize);
      const t: SharedTemplate = { size: dataSize, depth, bytes: Buffer.from(ctx.buf.subarray(start, end)), at, rel,
        inline: fields.inline, names: fields.names, outside, nodes };
      if (known) known.push(t); else shared.set(key, [t]);
    }
  }
  return nodes;
}

function parseInstance(ctx: ChunkContext, cur: Cursor, end: number, depth: number): TInstance {
  const buf = ctx.buf;
  // A template holding an instance depends on other templates: it is not shared (see getTemplate).
  if (ctx.nameFields) ctx.nameFields.nested = true;
  let p = cur.pos;
  need(p, 10, end);
  const defOff = buf.readUInt32LE(p + 6);
  p += 10;
  if (defOff === p) { // definition stored inline: skip it
    need(p, 24, end);
    p += 24 + buf.readUInt32LE(p + 20);
    need(p, 0, end);
  }
  const template = getTemplate(ctx, defOff, depth);
  need(p, 4, end);
  const count = buf.readUInt32LE(p);
  p += 4;
  need(p, count * 4, end);
  const descPos = p;
  p += count * 4;
  const values: SubstValue[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const d = descPos + i * 4;
    const size = buf[d]! | (buf[d + 1]! << 8);
    const type = buf[d + 2]!;
    need(p, size, end);
    values[i] = decodeValue(ctx, p, size, type, depth);
    p += size;
  }
  cur.pos = p;
  return { k: 3, template, values };
}

/** Fixed-size types decoded when read, by their size (other sizes decode at once, as values.ts decodeScalar). */
const LAZY_SIZE = new Uint8Array(256);
for (const [type, size] of [[0x04, 1], [0x06, 2], [0x08, 4], [0x0a, 8], [0x0f, 16], [0x11, 8], [0x14, 4], [0x15, 8]] as const) LAZY_SIZE[type] = size;

/** Every value of the null type is this one (its text is null whatever its size). */
const NULL_VALUE = new SubstValue(VALUE_TYPE.Null, null, undefined, undefined, null, 0, 0);

function decodeValue(ctx: ChunkContext, pos: number, size: number, type: number, depth: number): SubstValue {
  if (type === VALUE_TYPE.BinXml) {
    const nodes: TNode[] = [];
    if (size > 0) parseNodes(ctx, { pos }, pos + size, depth + 1, nodes, false);
    return new SubstValue(type, null, undefined, nodes, null, 0, 0);
  }
  if (type === VALUE_TYPE.String || (size !== 0 && LAZY_SIZE[type] === size)) return new SubstValue(type, undefined, undefined, undefined, ctx.buf, pos, pos + size);
  if (type === VALUE_TYPE.Null) return NULL_VALUE;
  if (type & 0x80) return new SubstValue(type, null, decodeArray(ctx.buf, pos, size, type), undefined, null, 0, 0);
  if (!isKnownValueType(type)) ctx.unknownTypes.push(type);
  return new SubstValue(type, decodeScalar(ctx.buf, pos, size, type), undefined, undefined, null, 0, 0);
}

/** Parses a record's binary XML stream [pos, end) into nodes (normally one template instance). */
export function parseRecordXml(ctx: ChunkContext, pos: number, end: number): TNode[] {
  const nodes: TNode[] = [];
  const cur = { pos };
  parseNodes(ctx, cur, end, 0, nodes, false);
  return nodes;
}
