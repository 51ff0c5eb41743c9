// XML text of a rendered event, laid out like evtxexport/Event Viewer: two-space indent, one element per line,
// text content inline, `<Tag/>` for empty elements.
import type { EvtxElement } from './render.ts';

export const ATTR_SPECIAL = /[&<>"\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const TEXT_SPECIAL = /[&<>\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

export function esc(s: string, re: RegExp = TEXT_SPECIAL): string {
  re.lastIndex = 0;
  return re.test(s) ? s.replace(re, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      default: return ''; // control characters cannot appear in XML 1.0, not even as references
    }
  }) : s;
}

export function write(el: EvtxElement, indent: string, out: string[]): void {
  let open = `${indent}<${el.name}`;
  for (const k in el.attrs) open += ` ${k}="${esc(el.attrs[k]!, ATTR_SPECIAL)}"`;
  if (el.children.length === 0) { out.push(`${open}/>`); return; }
  const hasElements = el.children.some((c) => typeof c !== 'string');
  if (!hasElements) { out.push(`${open}>${esc(el.children.join(''))}</${el.name}>`); return; }
  out.push(`${open}>`);
  for (const c of el.children) {
    if (typeof c === 'string') out.push(indent + '  ' + esc(c));
    else write(c, indent + '  ', out);
  }
  out.push(`${indent}</${el.name}>`);
}

/** XML text of an element tree (no XML declaration), ending in a newline. */
export function renderXml(root: EvtxElement): string {
  const out: string[] = [];
  write(root, '', out);
  return out.join('\n') + '\n';
}

