// The XML text of a record straight from its parsed template instance: what `renderXml(renderRoot(nodes))` gives
// (render.ts rules, xml.ts layout), without building the element tree. Static parts of template elements (the
// open tag with constant attributes) are made once per template; only text that can hold markup characters
// (strings) is escaped. Elements whose attributes need object semantics (duplicate names, names that are array
// indexes) are rendered the general way. fast-path.test.ts checks it against the tree path on the whole corpus.
import { NODE, type SubstValue, type TAttr, type TElement, type TNode } from './binxml.ts';
import { shapeOf, SHAPE } from './build.ts';
import { MAX_RENDER_DEPTH, renderElement, renderRoot, valueText, type EvtxElement } from './render.ts';
import { VALUE_TYPE } from './values.ts';
import { ATTR_SPECIAL, esc, renderXml, write } from './xml.ts';

/** Values of these types are decoded by the reader into text without markup characters (numbers, GUIDs, …). */
function plainType(type: number): boolean {
  const base = type & 0x7f;
  return base !== VALUE_TYPE.String && base !== VALUE_TYPE.AnsiString && base !== VALUE_TYPE.EvtXml
    && base !== VALUE_TYPE.BinXml;
}

/** Per template element: the open tag without indent when every attribute is constant, else null; odd attrs. */
interface XmlStatic { open: string | null; odd: boolean; close: string }

function staticOf(el: TElement): XmlStatic {
  let x = el.xml as XmlStatic | undefined;
  if (x) return x;
  const seen = new Set<string>();
  let odd = false;
  let open: string | null = '<' + el.name;
  for (const a of el.attrs) {
    if (seen.has(a.name) || a.name === '__proto__' || /^\d/.test(a.name)) odd = true;
    seen.add(a.name);
    const only = a.value.length === 1 ? a.value[0]! : undefined;
    if (only?.k === NODE.Text && open !== null) open += ' ' + a.name + '="' + esc(only.text, ATTR_SPECIAL) + '"';
    else open = null;
  }
  x = { open, odd, close: '</' + el.name + '>\n' };
  el.xml = x;
  return x;
}

/** An attribute as ` name="value"` (render.ts renderAttrs semantics), or '' when Windows leaves it out. */
function attrXml(a: TAttr, values: SubstValue[] | null): string {
  const vs = a.value;
  if (vs.length === 1) {
    const only = vs[0]!;
    if (only.k === NODE.Text) return ' ' + a.name + '="' + esc(only.text, ATTR_SPECIAL) + '"';
    if (only.k === NODE.Subst) {
      const v = values ? values[only.index] : undefined;
      if (!v || v.type === 0 || (only.optional && v.text === '' && !v.items && !v.nodes)) return '';
      const t = valueText(v);
      return ' ' + a.name + '="' + (plainType(v.type) ? t : esc(t, ATTR_SPECIAL)) + '"';
    }
  }
  let s = '';
  for (const n of vs) {
    if (n.k === NODE.Text) s += n.text;
    else if (n.k === NODE.Subst) { const v = values ? values[n.index] : undefined; if (v) s += valueText(v); }
  }
  return ' ' + a.name + '="' + esc(s, ATTR_SPECIAL) + '"';
}

/**
 * The children of one element as rendered: `text` is the escaped pending text run (`has`: it is not empty before
 * escaping, which drops control characters), `lines` the finished lines, `elements` whether an element was seen.
 */
interface Body { text: string; has: boolean; lines: string; elements: boolean }

function addText(b: Body, raw: string, plain: boolean): void {
  if (raw === '') return;
  b.text += plain ? raw : esc(raw);
  b.has = true;
}

function addElement(b: Body, indent: string, xml: string): void {
  if (xml === '') return;
  if (b.has) { b.lines += indent + b.text + '\n'; b.text = ''; b.has = false; }
  b.lines += xml;
  b.elements = true;
}

/** render.ts renderNodes over `nodes` at list depth `depth`, into `b`; `indent` is the children's indent. */
function walk(nodes: TNode[], values: SubstValue[] | null, depth: number, indent: string, b: Body): void {
  if (depth > MAX_RENDER_DEPTH) return;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    switch (n.k) {
      case NODE.Element: addElement(b, indent, elementXml(n, values, indent, depth)); break;
      case NODE.Text: addText(b, n.text, false); break;
      case NODE.Subst: {
        const v = values ? values[n.index] : undefined;
        if (!v) break;
        if (v.nodes) walk(v.nodes, null, depth + 1, indent, b);
        else if (v.items) addText(b, v.items.join(', '), plainType(v.type));
        else if (v.text !== null) addText(b, v.text, plainType(v.type));
        break;
      }
      case NODE.Instance: walk(n.template, n.values, depth + 1, indent, b); break;
    }
  }
}

/** The lines of every element `el` renders to (none, one, or one per array item), each ending in a newline. */
function elementXml(el: TElement, values: SubstValue[] | null, indent: string, depth: number): string {
  const shape = shapeOf(el, values);
  if (shape === SHAPE.Omitted) return '';
  const st = staticOf(el);
  if (st.odd) {
    const tmp: Array<EvtxElement | string> = [];
    renderElement(el, values, tmp, depth);
    let s = '';
    for (const r of tmp) {
      if (typeof r === 'string') continue;
      const out: string[] = [];
      write(r, indent, out);
      s += out.join('\n') + '\n';
    }
    return s;
  }
  let open: string;
  if (st.open !== null) open = indent + st.open;
  else {
    open = indent + '<' + el.name;
    for (const a of el.attrs) open += attrXml(a, values);
  }
  if (shape === SHAPE.Repeated) {
    const v = values![(el.children[0] as { index: number }).index]!;
    let s = '';
    for (const item of v.items!) s += item === '' ? open + '/>\n' : open + '>' + esc(item) + st.close;
    return s;
  }
  const b: Body = { text: '', has: false, lines: '', elements: false };
  walk(el.children, values, depth + 1, indent + '  ', b);
  if (b.elements) {
    if (b.has) b.lines += indent + '  ' + b.text + '\n';
    return open + '>\n' + b.lines + indent + st.close;
  }
  return b.has ? open + '>' + b.text + st.close : open + '/>\n';
}

/** XML text of a record's parsed nodes (no XML declaration), ending in a newline; '' when there is no element. */
export function nodesToXml(nodes: TNode[]): string {
  const inst = nodes.length === 1 ? nodes[0]! : undefined;
  const root = inst?.k === NODE.Instance ? inst.template[0] : undefined;
  if (inst?.k === NODE.Instance && root?.k === NODE.Element && shapeOf(root, inst.values) === SHAPE.Single) {
    return elementXml(root, inst.values, '', 1);
  }
  const r = renderRoot(nodes);
  return r ? renderXml(r) : '';
}
