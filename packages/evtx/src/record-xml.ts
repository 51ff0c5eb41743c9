// The XML text of a record straight from its parsed template instance: what `renderXml(renderRoot(nodes))` gives
// (render.ts rules, xml.ts layout), without building the element tree. Static parts of template elements (the
// open tag with constant attributes) are made once per template; only text that can hold markup characters
// (strings) is escaped. Elements whose attributes need object semantics (duplicate names, names that are array
// indexes) are rendered the general way. The text goes into a byte sink (sink.ts), escaped on the way.
// fast-path.test.ts checks it against the tree path on the whole corpus and on fuzzed copies.
import { NODE, type SubstValue, type TAttr, type TElement, type TNode } from './binxml.ts';
import { shapeOf, SHAPE } from './build.ts';
import { MAX_RENDER_DEPTH, renderElement, renderRoot, valueText, type EvtxElement } from './render.ts';
import { VALUE_TYPE, writeFileTime } from './values.ts';
import { ByteSink, HEX_LOWER, HEX_UPPER } from './sink.ts';
import { ATTR_SPECIAL, esc, renderXml, write } from './xml.ts';

/** Values of these types are decoded by the reader into text without markup characters (numbers, GUIDs, …). */
function plainType(type: number): boolean {
  const base = type & 0x7f;
  return base !== VALUE_TYPE.String && base !== VALUE_TYPE.AnsiString && base !== VALUE_TYPE.EvtXml
    && base !== VALUE_TYPE.BinXml;
}

/**
 * Per template element: the open tag (`<Name a="v"`, without indent) when every attribute is constant, else null;
 * whether the attributes are odd; the close tag; and the indented open tag (or its `<Name` start when attributes
 * vary) of the last indent it was written at.
 */
interface XmlStatic {
  open: string | null; odd: boolean; close: Uint8Array; indent: number; line: Uint8Array | null; lineGt: Uint8Array | null;
  /** With constant attributes and one substitution as the only child: its index, else -1. */
  leaf: number;
  /** Children all such leaves (EventData of Data elements): their value indexes, else null; see `blockXml`. */
  block: Int32Array | null;
  /** The static bytes between the block's values at `blockIndent`: `>` and the first open tag, …, the close tag. */
  blockIndent: number;
  segs: Uint8Array[] | null;
}

const enc = new TextEncoder();

function staticOf(el: TElement): XmlStatic {
  let x = el.xml as XmlStatic | undefined;
  if (x) return x;
  const attrs = el.attrs;
  let odd = false;
  let open: string | null = '<' + el.name;
  // Duplicate names: compared pairwise for the usual few attributes, by a set past that.
  const seen = attrs.length > 8 ? new Set<string>() : null;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    const c = a.name.charCodeAt(0);
    if ((c >= 48 && c <= 57) || a.name === '__proto__') odd = true;
    if (seen) { if (seen.has(a.name)) odd = true; seen.add(a.name); } else for (let j = 0; j < i; j++) if (attrs[j]!.name === a.name) odd = true;
    const only = a.value.length === 1 ? a.value[0]! : undefined;
    if (only?.k === NODE.Text && open !== null) open += ' ' + a.name + '="' + esc(only.text, ATTR_SPECIAL) + '"';
    else open = null;
  }
  const only = el.children.length === 1 ? el.children[0]! : undefined;
  const leaf = open !== null && !odd && only?.k === NODE.Subst ? only.index : -1;
  let block: Int32Array | null = null;
  if (el.children.length > 0 && el.children.every((c) => c.k === NODE.Element && staticOf(c).leaf >= 0)) {
    block = Int32Array.from(el.children, (c) => staticOf(c as TElement).leaf);
  }
  x = { open, odd, close: encodeOnce('</' + el.name + '>\n'), indent: -1, line: null, lineGt: null, leaf, block, blockIndent: -1, segs: null };
  el.xml = x;
  return x;
}

/** Whether an undecoded value's text is empty (a string with no code unit before the first U+0000). */
function rawEmpty(v: SubstValue): boolean {
  return v.type === VALUE_TYPE.String && (v.end - v.pos < 2 || (v.buf![v.pos]! | v.buf![v.pos + 1]!) === 0);
}

const HEX_PREFIX = new Uint8Array([0x30, 0x78]); // 0x

/**
 * An undecoded value (SubstValue.raw) written from the chunk bytes as its text (values.ts decodeScalar) would be,
 * escaped when it is a string (the other types cannot hold markup).
 */
function writeRaw(v: SubstValue, attr: boolean, sink: ByteSink): void {
  const b = v.buf!, p = v.pos;
  switch (v.type) {
    case VALUE_TYPE.String: sink.escUtf16(b, p, v.end, attr); return;
    case VALUE_TYPE.UInt8: sink.dec(b[p]!); return;
    case VALUE_TYPE.UInt16: sink.dec(b[p]! | (b[p + 1]! << 8)); return;
    case VALUE_TYPE.UInt32: sink.dec(b.readUInt32LE(p)); return;
    case VALUE_TYPE.UInt64: {
      const hi = b.readUInt32LE(p + 4);
      if (hi < 0x200000) sink.dec(hi * 4294967296 + b.readUInt32LE(p)); else sink.str(v.text!);
      return;
    }
    case VALUE_TYPE.HexInt32: sink.raw(HEX_PREFIX); sink.hexLe(b, p, 4, HEX_LOWER); return;
    case VALUE_TYPE.HexInt64: sink.raw(HEX_PREFIX); sink.hexLe(b, p, 8, HEX_LOWER); return;
    case VALUE_TYPE.Guid:
      sink.byte(0x7b); sink.hexLe(b, p, 4, HEX_UPPER); sink.byte(0x2d); sink.hexLe(b, p + 4, 2, HEX_UPPER); sink.byte(0x2d);
      sink.hexLe(b, p + 6, 2, HEX_UPPER); sink.byte(0x2d); sink.hexBe(b, p + 8, 2, HEX_UPPER); sink.byte(0x2d);
      sink.hexBe(b, p + 10, 6, HEX_UPPER); sink.byte(0x7d);
      return;
    case VALUE_TYPE.FileTime: writeFileTime(sink, b.readUInt32LE(p), b.readUInt32LE(p + 4)); return;
    default: sink.str(v.text!);
  }
}

const QUOTE = new Uint8Array([0x22]);

/** Writes an attribute as ` name="value"` (render.ts renderAttrs semantics); nothing when Windows leaves it out. */
function attrXml(a: TAttr, values: SubstValue[] | null, sink: ByteSink): void {
  const vs = a.value;
  if (vs.length === 1) {
    const only = vs[0]!;
    if (only.k === NODE.Text) { sink.raw(a.xml ??= encodeOnce(' ' + a.name + '="')); sink.esc(only.text, true); sink.raw(QUOTE); return; }
    if (only.k === NODE.Subst) {
      const v = values ? values[only.index] : undefined;
      if (!v || v.type === 0) return;
      if (v.raw) {
        if (only.optional && rawEmpty(v)) return;
        sink.raw(a.xml ??= encodeOnce(' ' + a.name + '="'));
        writeRaw(v, true, sink);
        sink.raw(QUOTE);
        return;
      }
      if (only.optional && v.text === '' && !v.items && !v.nodes) return;
      const t = valueText(v);
      sink.raw(a.xml ??= encodeOnce(' ' + a.name + '="'));
      if (plainType(v.type)) sink.str(t); else sink.esc(t, true);
      sink.raw(QUOTE);
      return;
    }
  }
  let s = '';
  for (const n of vs) {
    if (n.k === NODE.Text) s += n.text;
    else if (n.k === NODE.Subst) { const v = values ? values[n.index] : undefined; if (v) s += valueText(v); }
  }
  sink.raw(a.xml ??= encodeOnce(' ' + a.name + '="'));
  sink.esc(s, true);
  sink.raw(QUOTE);
}

/**
 * The children of the element being written: the pending text run (raw; `plain` when no part of it needs
 * escaping) and whether an element child was written (then the open tag is closed and text goes on own lines).
 */
interface Body { text: string; plain: boolean; elements: boolean }

function addText(b: Body, raw: string, plain: boolean): void {
  if (raw === '') return;
  b.text += raw;
  if (!plain) b.plain = false;
}

function flushText(b: Body, indent: number, sink: ByteSink): void {
  if (b.text === '') return;
  sink.spaces(indent);
  if (b.plain) sink.str(b.text); else sink.esc(b.text, false);
  sink.str('\n');
  b.text = '';
  b.plain = true;
}

/** render.ts renderNodes over `nodes` at list depth `depth`, the children of an element indented by `indent`. */
function walk(nodes: TNode[], values: SubstValue[] | null, depth: number, indent: number, b: Body, sink: ByteSink): void {
  if (depth > MAX_RENDER_DEPTH) return;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    switch (n.k) {
      case NODE.Element: {
        const st = staticOf(n);
        if (st.leaf >= 0 && values && depth + 1 <= MAX_RENDER_DEPTH) {
          const v = values[st.leaf];
          if (v && v.raw && !rawEmpty(v)) {
            if (!b.elements) { sink.raw(GT_NL); b.elements = true; }
            flushText(b, indent, sink);
            rawLeaf(st, v, indent, sink);
            break;
          }
        }
        const shape = shapeOf(n, values);
        if (shape === SHAPE.Omitted) break;
        if (shape === SHAPE.Repeated && values![(n.children[0] as { index: number }).index]!.items!.length === 0) break;
        if (!b.elements) { sink.raw(GT_NL); b.elements = true; }
        flushText(b, indent, sink);
        shapedXml(n, shape, values, indent, depth, sink);
        break;
      }
      case NODE.Text: addText(b, n.text, false); break;
      case NODE.Subst: {
        const v = values ? values[n.index] : undefined;
        if (!v) break;
        if (v.nodes) walk(v.nodes, null, depth + 1, indent, b, sink);
        else if (v.items) addText(b, v.items.join(', '), plainType(v.type));
        else if (v.text !== null) addText(b, v.text, plainType(v.type));
        break;
      }
      case NODE.Instance: walk(n.template, n.values, depth + 1, indent, b, sink); break;
    }
  }
}

const INDENTS: string[] = [];
function indentOf(n: number): string { return (INDENTS[n] ??= ' '.repeat(n)); }

/** Encoded static lines, shared by the templates of every chunk (each chunk parses its own copy of a template). */
const encoded = new Map<string, Uint8Array>();

function encodeOnce(s: string): Uint8Array {
  let u = encoded.get(s);
  if (!u) {
    if (encoded.size > 8192) encoded.clear();
    u = enc.encode(s);
    encoded.set(s, u);
  }
  return u;
}

/** The indented open tag of an element with constant attributes at `indent`, without and with its `>`. */
function staticLine(st: XmlStatic, indent: number): void {
  const line = indentOf(indent) + st.open!;
  st.line = encodeOnce(line);
  st.lineGt = encodeOnce(line + '>');
  st.indent = indent;
}

/** The commonest element of all (`leaf`, its value still in the chunk's bytes and not empty), in one step. */
function rawLeaf(st: XmlStatic, v: SubstValue, indent: number, sink: ByteSink): void {
  if (st.indent !== indent) staticLine(st, indent);
  sink.raw(st.lineGt!);
  writeRaw(v, false, sink);
  sink.raw(st.close);
}

/**
 * The children of an element whose children are all `leaf` elements (EventData of `<Data Name="…">` elements),
 * when every value is still in the chunk's bytes and not empty: the static bytes between the values are joined
 * once per indent, so the element is its values and as many copies. False (nothing written) otherwise.
 */
function blockXml(el: TElement, st: XmlStatic, values: SubstValue[], indent: number, sink: ByteSink): boolean {
  const idx = st.block!;
  for (let i = 0; i < idx.length; i++) {
    const v = values[idx[i]!];
    if (!v || !v.raw || rawEmpty(v)) return false;
  }
  if (st.blockIndent !== indent) {
    const kids = el.children as TElement[];
    const inner = indentOf(indent + 2);
    const segs: Uint8Array[] = [];
    let prev = '>\n';
    for (const k of kids) {
      segs.push(enc.encode(prev + inner + staticOf(k).open! + '>'));
      prev = '</' + k.name + '>\n';
    }
    segs.push(enc.encode(prev + indentOf(indent) + '</' + el.name + '>\n'));
    st.segs = segs;
    st.blockIndent = indent;
  }
  const segs = st.segs!;
  sink.raw(segs[0]!);
  for (let i = 0; i < idx.length; i++) {
    writeRaw(values[idx[i]!]!, false, sink);
    sink.raw(segs[i + 1]!);
  }
  return true;
}

/** The indented open tag without its end (`>` or `/>`). */
function openTag(el: TElement, st: XmlStatic, values: SubstValue[] | null, indent: number, sink: ByteSink): void {
  if (st.open !== null) {
    if (st.indent !== indent) staticLine(st, indent);
    sink.raw(st.line!);
    return;
  }
  if (st.indent !== indent) { st.line = encodeOnce(indentOf(indent) + '<' + el.name); st.indent = indent; }
  sink.raw(st.line!);
  for (const a of el.attrs) attrXml(a, values, sink);
}

const SELF_CLOSE = new Uint8Array([0x2f, 0x3e, 0x0a]); // />\n
const GT = new Uint8Array([0x3e]);
const GT_NL = new Uint8Array([0x3e, 0x0a]);

/** Writes every element `el` renders to (none, one, or one per array item), each line ending in a newline. */
function elementXml(el: TElement, values: SubstValue[] | null, indent: number, depth: number, sink: ByteSink): void {
  const shape = shapeOf(el, values);
  if (shape !== SHAPE.Omitted) shapedXml(el, shape, values, indent, depth, sink);
}

function shapedXml(el: TElement, shape: number, values: SubstValue[] | null, indent: number, depth: number, sink: ByteSink): void {
  const st = staticOf(el);
  if (st.odd) {
    const tmp: Array<EvtxElement | string> = [];
    renderElement(el, values, tmp, depth);
    for (const r of tmp) {
      if (typeof r === 'string') continue;
      const out: string[] = [];
      write(r, indentOf(indent), out);
      sink.str(out.join('\n') + '\n');
    }
    return;
  }
  if (shape === SHAPE.Repeated) {
    const v = values![(el.children[0] as { index: number }).index]!;
    for (const item of v.items!) {
      openTag(el, st, values, indent, sink);
      if (item === '') sink.raw(SELF_CLOSE);
      else { sink.raw(GT); sink.esc(item, false); sink.raw(st.close); }
    }
    return;
  }
  const kids = el.children;
  if (st.leaf >= 0 && values && depth + 1 <= MAX_RENDER_DEPTH) {
    const v = values[st.leaf];
    if (v && v.raw && !rawEmpty(v)) { rawLeaf(st, v, indent, sink); return; }
  }
  openTag(el, st, values, indent, sink);
  if (st.block !== null && values && depth + 2 <= MAX_RENDER_DEPTH && blockXml(el, st, values, indent, sink)) return;
  // Leaves — no content, one text, one plain value — are most elements: written without the general walk.
  if (kids.length <= 1 && depth + 1 <= MAX_RENDER_DEPTH) {
    const only = kids[0];
    let t: string | null = null;
    let plain = false;
    if (only === undefined) t = '';
    else if (only.k === NODE.Text) t = only.text;
    else if (only.k === NODE.Subst) {
      const v = values ? values[only.index] : undefined;
      if (!v) t = '';
      else if (v.raw) {
        // A value still in the chunk's bytes: written from them, never made a string.
        if (rawEmpty(v)) { sink.raw(SELF_CLOSE); return; }
        sink.raw(GT);
        writeRaw(v, false, sink);
        sink.raw(st.close);
        return;
      } else if (!v.nodes && !v.items) { t = v.text ?? ''; plain = plainType(v.type); }
    }
    if (t !== null) {
      if (t === '') { sink.raw(SELF_CLOSE); return; }
      sink.raw(GT);
      if (plain) sink.str(t); else sink.esc(t, false);
      sink.raw(st.close);
      return;
    }
  }
  const b: Body = { text: '', plain: true, elements: false };
  walk(el.children, values, depth + 1, indent + 2, b, sink);
  if (b.elements) {
    flushText(b, indent + 2, sink);
    sink.spaces(indent);
    sink.raw(st.close);
  } else if (b.text !== '') {
    sink.raw(GT);
    if (b.plain) sink.str(b.text); else sink.esc(b.text, false);
    sink.raw(st.close);
  } else sink.raw(SELF_CLOSE);
}

/** Writes the XML of a record's parsed nodes (no declaration), ending in a newline; nothing without an element. */
export function writeNodesXml(nodes: TNode[], sink: ByteSink): void {
  const inst = nodes.length === 1 ? nodes[0]! : undefined;
  const root = inst?.k === NODE.Instance ? inst.template[0] : undefined;
  if (inst?.k === NODE.Instance && root?.k === NODE.Element && shapeOf(root, inst.values) === SHAPE.Single) {
    elementXml(root, inst.values, 0, 1, sink);
    return;
  }
  const r = renderRoot(nodes);
  if (r) sink.str(renderXml(r));
}

const shared = new ByteSink();

/** XML text of a record's parsed nodes (no XML declaration), ending in a newline; '' when there is no element. */
export function nodesToXml(nodes: TNode[]): string {
  shared.reset();
  writeNodesXml(nodes, shared);
  return shared.toString();
}
