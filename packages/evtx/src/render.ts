// Rendering of parsed binary XML (templates + substitution values) into a plain element tree, the form every
// consumer (EvtxRecord fields, XML output) reads. Follows Windows' rules: an attribute whose value is an absent
// optional substitution is left out; an element holding only an array substitution repeats once per item.
import { NODE, type SubstValue, type TElement, type TNode } from './binxml.ts';

/** A rendered XML element. Attributes keep document order; children are elements and text runs. */
export interface EvtxElement {
  name: string;
  attrs: Record<string, string>;
  children: Array<EvtxElement | string>;
}

function pushText(out: Array<EvtxElement | string>, text: string): void {
  if (text === '') return;
  const last = out.length - 1;
  if (last >= 0 && typeof out[last] === 'string') out[last] = (out[last] as string) + text;
  else out.push(text);
}

function setAttr(attrs: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(attrs, name, { value, enumerable: true, writable: true, configurable: true });
  else attrs[name] = value;
}

export function valueText(v: SubstValue): string {
  if (v.items) return v.items.join(', ');
  if (v.nodes) {
    const tmp: Array<EvtxElement | string> = [];
    renderNodes(v.nodes, null, tmp, 0);
    return tmp.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
  }
  return v.text ?? '';
}

/** Concatenated text content of an element (direct text children only, like a Data value). */
export function textOf(el: EvtxElement): string {
  const c = el.children;
  if (c.length === 1 && typeof c[0] === 'string') return c[0];
  let s = '';
  for (const x of c) if (typeof x === 'string') s += x;
  return s;
}

export const MAX_RENDER_DEPTH = 64;

export function renderElement(el: TElement, values: SubstValue[] | null, out: Array<EvtxElement | string>, depth: number): void {
  // An element whose only content is an array substitution repeats per item; one whose only content is an
  // optional substitution with no value is left out.
  if (values && el.children.length === 1) {
    const only = el.children[0]!;
    if (only.k === NODE.Subst) {
      const v = values[only.index];
      if (only.optional && (!v || v.type === 0)) return;
      if (v?.items) {
        for (const item of v.items) {
          const r: EvtxElement = { name: el.name, attrs: renderAttrs(el, values), children: item === '' ? [] : [item] };
          out.push(r);
        }
        return;
      }
    }
  }
  const r: EvtxElement = { name: el.name, attrs: renderAttrs(el, values), children: [] };
  renderNodes(el.children, values, r.children, depth + 1);
  out.push(r);
}

function renderAttrs(el: TElement, values: SubstValue[] | null): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) {
    if (a.value.length === 1) {
      const only = a.value[0]!;
      if (only.k === NODE.Text) { setAttr(attrs, a.name, only.text); continue; }
      if (only.k === NODE.Subst) {
        const v = values ? values[only.index] : undefined;
        if (!v || v.type === 0 || (only.optional && v.text === '' && !v.items && !v.nodes)) continue;
        setAttr(attrs, a.name, valueText(v));
        continue;
      }
    }
    let s = '';
    for (const n of a.value) {
      if (n.k === NODE.Text) s += n.text;
      else if (n.k === NODE.Subst) { const v = values ? values[n.index] : undefined; if (v) s += valueText(v); }
    }
    setAttr(attrs, a.name, s);
  }
  return attrs;
}

export function renderNodes(nodes: TNode[], values: SubstValue[] | null, out: Array<EvtxElement | string>, depth: number): void {
  if (depth > MAX_RENDER_DEPTH) return;
  for (const n of nodes) {
    switch (n.k) {
      case NODE.Element: renderElement(n, values, out, depth); break;
      case NODE.Text: pushText(out, n.text); break;
      case NODE.Subst: {
        const v = values ? values[n.index] : undefined;
        if (!v) break;
        if (v.nodes) renderNodes(v.nodes, null, out, depth + 1);
        else if (v.items) pushText(out, v.items.join(', '));
        else if (v.text !== null) pushText(out, v.text);
        break;
      }
      case NODE.Instance: renderNodes(n.template, n.values, out, depth + 1); break;
    }
  }
}

/** Renders a record's nodes; returns the first (root) element, or undefined if there is none. */
export function renderRoot(nodes: TNode[]): EvtxElement | undefined {
  const out: Array<EvtxElement | string> = [];
  renderNodes(nodes, null, out, 0);
  for (const c of out) if (typeof c !== 'string') return c;
  return undefined;
}
