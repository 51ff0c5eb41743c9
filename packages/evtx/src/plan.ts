// Field plans: a template's `<System>` and EventData-like blocks compiled once (per chunk, where templates are
// cached) into where each field comes from — static text or a substitution index — so that a record's fields are
// filled without walking the template. A plan covers the shapes Windows writes (leaf elements holding one text or
// one substitution, attributes holding one part); anything else has no plan, and a record whose values would make
// an element disappear, repeat or hold embedded XML makes the plan decline, both leaving the record to build.ts.
import { NODE, type SubstValue, type TElement, type TNode } from './binxml.ts';
import type { EvtxSystem } from './record.ts';
import { valueText } from './render.ts';

/** Where one text comes from: a substitution (`idx` ≥ 0, optional or not) or the static `text`. */
interface Src { idx: number; opt: boolean; text: string }

interface ElementPlan {
  name: string;
  /** Substitution index of an element whose only child is a substitution (its shape depends on the value), or -1. */
  shape: number;
  shapeOpt: boolean;
  /** The element's text, or undefined when it has none. */
  text: Src | undefined;
  attrs: { name: string; src: Src }[];
}

interface Plans { system?: ElementPlan[] | null; data?: DataPlan | null }

const SYSTEM_FIELDS = new Set(['Provider', 'EventID', 'Version', 'Level', 'Task', 'Opcode', 'Keywords', 'TimeCreated',
  'EventRecordID', 'Correlation', 'Execution', 'Channel', 'Computer', 'Security']);

function planOf(el: TElement): Plans {
  let p = el.plans as Plans | undefined;
  if (!p) { p = {}; el.plans = p; }
  return p;
}

/** The source of a node list that is empty, one text or one substitution; null for anything else. */
function srcOf(nodes: TNode[]): Src | undefined | null {
  if (nodes.length === 0) return undefined;
  if (nodes.length !== 1) return null;
  const n = nodes[0]!;
  if (n.k === NODE.Text) return { idx: -1, opt: false, text: n.text };
  if (n.k === NODE.Subst) return { idx: n.index, opt: n.optional, text: '' };
  return null;
}

function elementPlan(c: TElement): ElementPlan | null {
  const text = srcOf(c.children);
  if (text === null) return null;
  const attrs: ElementPlan['attrs'] = [];
  const seen = new Set<string>();
  for (const a of c.attrs) {
    const src = srcOf(a.value);
    if (src === null || src === undefined || seen.has(a.name)) return null;
    seen.add(a.name);
    attrs.push({ name: a.name, src });
  }
  const only = c.children.length === 1 && c.children[0]!.k === NODE.Subst ? c.children[0]! : undefined;
  return { name: c.name, shape: only?.k === NODE.Subst ? only.index : -1, shapeOpt: only?.k === NODE.Subst && only.optional, text, attrs };
}

/** An attribute's rendered value (render.ts renderAttrs for a one-part value), or undefined when left out. */
function attrValue(src: Src, values: SubstValue[] | null): string | undefined {
  if (src.idx < 0) return src.text;
  const v = values ? values[src.idx] : undefined;
  if (!v || v.type === 0 || (src.opt && v.text === '' && !v.items && !v.nodes)) return undefined;
  return valueText(v);
}

/** An element's text (one static text or one plain substitution); null when the value holds embedded XML. */
function textValue(src: Src | undefined, values: SubstValue[] | null): string | null {
  if (!src) return '';
  if (src.idx < 0) return src.text;
  const v = values ? values[src.idx] : undefined;
  if (!v) return '';
  if (v.nodes) return null;
  if (v.items) return v.items.join(', ');
  return v.text ?? '';
}

function num(s: string | undefined): number {
  if (s === undefined || s === '') return -1;
  const n = Number(s);
  return Number.isFinite(n) ? n : -1;
}

function attrOf(e: ElementPlan, name: string, values: SubstValue[] | null): string | undefined {
  for (const a of e.attrs) if (a.name === name) return attrValue(a.src, values);
  return undefined;
}

/** `<System>` by plan, or undefined when it has no plan or this record's values need the general path. */
export function systemByPlan(sys: TElement, values: SubstValue[] | null): EvtxSystem | undefined {
  const p = planOf(sys);
  if (p.system === undefined) {
    let plan: ElementPlan[] | null = [];
    for (const c of sys.children) {
      if (c.k === NODE.Text) continue;
      if (c.k !== NODE.Element) { plan = null; break; }
      if (!SYSTEM_FIELDS.has(c.name)) {
        // Ignored by name, but an element repeated or embedding XML is still left to the general path.
        if (c.children.length === 1 && c.children[0]!.k === NODE.Subst) { plan = null; break; }
        continue;
      }
      const e = elementPlan(c);
      if (!e) { plan = null; break; }
      plan.push(e);
    }
    p.system = plan;
  }
  const plan = p.system;
  if (!plan) return undefined;
  const s: EvtxSystem = { Provider: '', EventID: -1, TimeCreated: '', EventRecordID: -1, Channel: '', Computer: '' };
  for (const e of plan) {
    if (e.shape >= 0) {
      const v = values ? values[e.shape] : undefined;
      if (e.shapeOpt && (!v || v.type === 0)) continue;
      if (v?.items || v?.nodes) return undefined;
    }
    switch (e.name) {
      case 'Provider': {
        s.Provider = attrOf(e, 'Name', values) ?? '';
        const g = attrOf(e, 'Guid', values); if (g !== undefined) s.ProviderGuid = g;
        const x = attrOf(e, 'EventSourceName', values); if (x !== undefined) s.EventSourceName = x;
        break;
      }
      case 'EventID': {
        const t = textValue(e.text, values); if (t === null) return undefined;
        s.EventID = num(t);
        const q = attrOf(e, 'Qualifiers', values); if (q !== undefined && q !== '') s.Qualifiers = num(q);
        break;
      }
      case 'Version': case 'Level': case 'Task': case 'Opcode': case 'EventRecordID': {
        const t = textValue(e.text, values); if (t === null) return undefined;
        s[e.name] = num(t);
        break;
      }
      case 'Keywords': case 'Channel': case 'Computer': {
        const t = textValue(e.text, values); if (t === null) return undefined;
        s[e.name] = t;
        break;
      }
      case 'TimeCreated': s.TimeCreated = attrOf(e, 'SystemTime', values) ?? ''; break;
      case 'Correlation': {
        const a = attrOf(e, 'ActivityID', values); if (a !== undefined) s.ActivityID = a;
        const r = attrOf(e, 'RelatedActivityID', values); if (r !== undefined) s.RelatedActivityID = r;
        break;
      }
      case 'Execution': {
        const pid = attrOf(e, 'ProcessID', values); if (pid !== undefined) s.ProcessID = num(pid);
        const t = attrOf(e, 'ThreadID', values); if (t !== undefined) s.ThreadID = num(t);
        break;
      }
      case 'Security': { const u = attrOf(e, 'UserID', values); if (u !== undefined) s.UserID = u; break; }
    }
  }
  return s;
}

/** An EventData-like block: the final keys (duplicates suffixed as record.ts setKey does) and their sources. */
interface DataPlan { keys: string[]; srcs: Src[]; shape: Int32Array; shapeOpt: Uint8Array }

function dataPlanOf(block: TElement): DataPlan | null {
  const keys: string[] = [];
  const srcs: Src[] = [];
  const shape: number[] = [];
  const shapeOpt: number[] = [];
  const used = new Set<string>();
  let unnamed = 0;
  for (const c of block.children) {
    if (c.k === NODE.Text) continue;
    if (c.k !== NODE.Element) return null;
    const e = elementPlan(c);
    if (!e) return null;
    let key = c.name;
    if (c.name === 'Data') {
      const n = e.attrs.find((a) => a.name === 'Name');
      if (n && n.src.idx >= 0) return null;
      key = n && n.src.text !== '' ? n.src.text : String(unnamed++);
    }
    let k = key;
    for (let i = 1; used.has(k); i++) k = `${key}_${i}`;
    if (k === '__proto__') return null;
    used.add(k);
    keys.push(k);
    srcs.push(e.text ?? { idx: -1, opt: false, text: '' });
    shape.push(e.shape);
    shapeOpt.push(e.shapeOpt ? 1 : 0);
  }
  return { keys, srcs, shape: Int32Array.from(shape), shapeOpt: Uint8Array.from(shapeOpt) };
}

const texts: string[] = [];

/**
 * Fills `data` (which must be empty) from an EventData-like block by plan; false, with `data` untouched, when the
 * block has no plan or this record's values would leave out, repeat or embed an element.
 */
export function dataByPlan(block: TElement, values: SubstValue[] | null, data: Record<string, string>): boolean {
  const p = planOf(block);
  if (p.data === undefined) p.data = dataPlanOf(block);
  const plan = p.data;
  if (!plan) return false;
  const n = plan.keys.length;
  for (let i = 0; i < n; i++) {
    const si = plan.shape[i]!;
    if (si >= 0) {
      const v = values ? values[si] : undefined;
      if (plan.shapeOpt[i] === 1 && (!v || v.type === 0)) return false;
      if (v && (v.items || v.nodes)) return false;
      texts[i] = v ? v.text ?? '' : '';
    } else texts[i] = plan.srcs[i]!.text;
  }
  for (let i = 0; i < n; i++) data[plan.keys[i]!] = texts[i]!;
  return true;
}
