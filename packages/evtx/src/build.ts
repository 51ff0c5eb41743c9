// Record fields straight from a parsed template instance, without building the rendered element tree first: the
// hot path of the reader. It gives exactly what `buildRecord(renderRoot(nodes))` gives (record.ts, render.ts):
// every shape it does not handle itself (embedded binary XML, nested instances, repeated System elements) is
// handed to those functions for that element, so the rendering rules live in one place. A corpus test checks
// both paths agree on every record of the shared data and of fuzzed copies.
import { NODE, type SubstValue, type TAttr, type TElement, type TInstance, type TNode } from './binxml.ts';
import { extractData, extractSystem, toJson, type EvtxJson, type EvtxSystem } from './record.ts';
import { dataByPlan, systemByPlan } from './plan.ts';
import { renderElement, textOf, valueText, type EvtxElement } from './render.ts';

/** What a record's fields are built from. */
export interface RecordFields {
  system: EvtxSystem;
  data: Record<string, string>;
  userData: Record<string, EvtxJson> | undefined;
}

/** The rendered value of one attribute (render.ts renderAttrs), or undefined when Windows leaves it out. */
export function attrText(a: TAttr, values: SubstValue[] | null): string | undefined {
  const vs = a.value;
  if (vs.length === 1) {
    const only = vs[0]!;
    if (only.k === NODE.Text) return only.text;
    if (only.k === NODE.Subst) {
      const v = values ? values[only.index] : undefined;
      if (!v || v.type === 0 || (only.optional && v.text === '' && !v.items && !v.nodes)) return undefined;
      return valueText(v);
    }
  }
  let s = '';
  for (const n of vs) {
    if (n.k === NODE.Text) s += n.text;
    else if (n.k === NODE.Subst) { const v = values ? values[n.index] : undefined; if (v) s += valueText(v); }
  }
  return s;
}

/** How an element of a template renders (render.ts renderElement): left out, once, or once per array item. */
export const SHAPE = { Omitted: 0, Single: 1, Repeated: 2 } as const;

export function shapeOf(el: TElement, values: SubstValue[] | null): number {
  if (!values || el.children.length !== 1) return SHAPE.Single;
  const only = el.children[0]!;
  if (only.k !== NODE.Subst) return SHAPE.Single;
  const v = values[only.index];
  if (only.optional && (!v || v.type === 0)) return SHAPE.Omitted;
  return v?.items ? SHAPE.Repeated : SHAPE.Single;
}

/** Last value of attribute `name` as rendered (later duplicates win, as in an object), or undefined. */
function attr(el: TElement, name: string, values: SubstValue[] | null): string | undefined {
  let out: string | undefined;
  for (const a of el.attrs) {
    if (a.name !== name) continue;
    const t = attrText(a, values);
    if (t !== undefined) out = t;
  }
  return out;
}

/**
 * The text of a single-rendered element whose children are only text and plain substitutions, or null when it
 * has element children or embedded XML (the caller then renders it the general way).
 */
function leafText(el: TElement, values: SubstValue[] | null): string | null {
  const kids = el.children;
  let s = '';
  for (let i = 0; i < kids.length; i++) {
    const n = kids[i]!;
    if (n.k === NODE.Text) s += n.text;
    else if (n.k === NODE.Subst) {
      const v = values ? values[n.index] : undefined;
      if (!v) continue;
      if (v.nodes) return null;
      if (v.items) s += v.items.join(', ');
      else if (v.text !== null) s += v.text;
    } else return null;
  }
  return s;
}

/** Visits an element as rendered at list depth `depth` (its children are at depth + 1); false stops the walk. */
type Visit = (el: TElement, values: SubstValue[] | null, depth: number) => boolean | void;

/** Deeper than this the fast paths give up (render.ts stops at 64; the general path handles the rest exactly). */
const FAST_DEPTH = 32;

/**
 * The elements `nodes` render to at list depth `depth`, in order, looking through embedded binary XML values and
 * nested template instances (Windows puts EventData in a nested instance); text is skipped. False when stopped.
 */
function eachElement(nodes: TNode[], values: SubstValue[] | null, depth: number, visit: Visit): boolean {
  if (depth > FAST_DEPTH) return false;
  for (const n of nodes) {
    switch (n.k) {
      case NODE.Element: if (visit(n, values, depth) === false) return false; break;
      case NODE.Subst: {
        const v = values ? values[n.index] : undefined;
        if (v?.nodes && !eachElement(v.nodes, null, depth + 1, visit)) return false;
        break;
      }
      case NODE.Instance: if (!eachElement(n.template, n.values, depth + 1, visit)) return false; break;
    }
  }
  return true;
}

function generic(el: TElement, values: SubstValue[] | null, depth: number): EvtxElement[] {
  const tmp: Array<EvtxElement | string> = [];
  renderElement(el, values, tmp, depth);
  return tmp.filter((c): c is EvtxElement => typeof c !== 'string');
}

function num(s: string | undefined): number {
  if (s === undefined || s === '') return -1;
  const n = Number(s);
  return Number.isFinite(n) ? n : -1;
}

/** `<System>` rendered at `depth`. */
function systemOf(sys: TElement, values: SubstValue[] | null, depth: number): EvtxSystem {
  const planned = systemByPlan(sys, values);
  if (planned) return planned;
  const s: EvtxSystem = { Provider: '', EventID: -1, TimeCreated: '', EventRecordID: -1, Channel: '', Computer: '' };
  const ok = eachElement(sys.children, values, depth + 1, (c, vals) => {
    const shape = shapeOf(c, vals);
    if (shape === SHAPE.Omitted) return true;
    if (shape === SHAPE.Repeated) return false;
    switch (c.name) {
      case 'Provider': {
        s.Provider = attr(c, 'Name', vals) ?? '';
        const g = attr(c, 'Guid', vals); if (g !== undefined) s.ProviderGuid = g;
        const e = attr(c, 'EventSourceName', vals); if (e !== undefined) s.EventSourceName = e;
        break;
      }
      case 'EventID': {
        const t = leafText(c, vals); if (t === null) return false;
        s.EventID = num(t);
        const q = attr(c, 'Qualifiers', vals); if (q !== undefined && q !== '') s.Qualifiers = num(q);
        break;
      }
      case 'Version': case 'Level': case 'Task': case 'Opcode': case 'EventRecordID': {
        const t = leafText(c, vals); if (t === null) return false;
        s[c.name] = num(t);
        break;
      }
      case 'Keywords': case 'Channel': case 'Computer': {
        const t = leafText(c, vals); if (t === null) return false;
        s[c.name] = t;
        break;
      }
      case 'TimeCreated': s.TimeCreated = attr(c, 'SystemTime', vals) ?? ''; break;
      case 'Correlation': {
        const a = attr(c, 'ActivityID', vals); if (a !== undefined) s.ActivityID = a;
        const r = attr(c, 'RelatedActivityID', vals); if (r !== undefined) s.RelatedActivityID = r;
        break;
      }
      case 'Execution': {
        const p = attr(c, 'ProcessID', vals); if (p !== undefined) s.ProcessID = num(p);
        const t = attr(c, 'ThreadID', vals); if (t !== undefined) s.ThreadID = num(t);
        break;
      }
      case 'Security': { const u = attr(c, 'UserID', vals); if (u !== undefined) s.UserID = u; break; }
    }
    return true;
  });
  return ok ? s : extractSystem(generic(sys, values, depth)[0]);
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

function setKey(obj: Record<string, string>, key: string, value: string): void {
  let k = key;
  for (let i = 1; Object.prototype.hasOwnProperty.call(obj, k); i++) k = `${key}_${i}`;
  if (k === '__proto__') Object.defineProperty(obj, k, { value, enumerable: true, writable: true, configurable: true });
  else obj[k] = value;
}

/** An EventData-like block rendered at `depth`: `<Data Name=…>` by name, unnamed Data by index, others by name. */
function dataOf(block: TElement, values: SubstValue[] | null, depth: number, data: Record<string, string>): void {
  if (isEmpty(data) && dataByPlan(block, values, data)) return;
  const found: string[] = []; // (element name, Name attribute or '\0' for none, text) triples
  const put = (name: string, nameAttr: string | undefined, text: string) => { found.push(name, nameAttr ?? '\0', text); };
  const ok = eachElement(block.children, values, depth + 1, (c, vals, d) => {
    const shape = shapeOf(c, vals);
    if (shape === SHAPE.Omitted) return;
    if (shape === SHAPE.Repeated) {
      const items = vals![(c.children[0] as { index: number }).index]!.items!;
      const n = c.name === 'Data' ? attr(c, 'Name', vals) : undefined;
      for (const item of items) put(c.name, n, item);
      return;
    }
    const t = leafText(c, vals);
    if (t !== null) { put(c.name, c.name === 'Data' ? attr(c, 'Name', vals) : undefined, t); return; }
    for (const r of generic(c, vals, d)) {
      put(r.name, r.attrs.Name, r.children.some((x) => typeof x !== 'string') ? JSON.stringify(toJson(r)) : textOf(r));
    }
  });
  if (!ok) { extractData(generic(block, values, depth)[0]!, data); return; }
  let unnamed = 0;
  for (let i = 0; i < found.length; i += 3) {
    const name = found[i]!, nameAttr = found[i + 1]!, text = found[i + 2]!;
    if (name === 'Data') setKey(data, nameAttr !== '\0' && nameAttr !== '' ? nameAttr : String(unnamed++), text);
    else setKey(data, name, text);
  }
}

/** Whether the nodes are one template instance whose template starts with an element that renders once (then
 *  that element is the record's root; otherwise render.ts renderRoot finds it). */
export function hasSimpleRoot(nodes: TNode[]): boolean {
  if (nodes.length !== 1) return false;
  const inst = nodes[0]!;
  if (inst.k !== NODE.Instance) return false;
  const root = inst.template[0];
  return root !== undefined && root.k === NODE.Element && shapeOf(root, inst.values) === SHAPE.Single;
}

/**
 * Fields of a record's nodes, or undefined when the nodes do not have a simple root (`hasSimpleRoot`) or a child
 * of the root renders more than once (the caller then renders the tree and uses `buildRecord`).
 */
export function fieldsOf(nodes: TNode[]): RecordFields | undefined {
  if (!hasSimpleRoot(nodes)) return undefined;
  const inst = nodes[0] as TInstance;
  const f: RecordFields = { system: undefined as unknown as EvtxSystem, data: {}, userData: undefined };
  // Record → instance (depth 1) → root element; its children are rendered at depth 2.
  if (!rootChildren((inst.template[0] as TElement).children, inst.values, 2, f)) return undefined;
  f.system ??= extractSystem(undefined);
  return f;
}

/** eachElement over the root's children, without a closure (this is the hot path of every record). */
function rootChildren(nodes: TNode[], values: SubstValue[] | null, depth: number, f: RecordFields): boolean {
  if (depth > FAST_DEPTH) return false;
  for (const n of nodes) {
    if (n.k === NODE.Element) {
      const shape = shapeOf(n, values);
      if (shape === SHAPE.Omitted) continue;
      if (shape === SHAPE.Repeated) return false;
      if (n.name === 'System') f.system = systemOf(n, values, depth);
      else if (n.name === 'UserData') {
        const u: Record<string, EvtxJson> = {};
        for (const r of generic(n, values, depth)) for (const x of r.children) if (typeof x !== 'string') u[x.name] = toJson(x);
        f.userData = u;
      } else if (n.name !== 'RenderingInfo') dataOf(n, values, depth, f.data);
    } else if (n.k === NODE.Subst) {
      const v = values ? values[n.index] : undefined;
      if (v?.nodes && !rootChildren(v.nodes, null, depth + 1, f)) return false;
    } else if (n.k === NODE.Instance && !rootChildren(n.template, n.values, depth + 1, f)) return false;
  }
  return true;
}
