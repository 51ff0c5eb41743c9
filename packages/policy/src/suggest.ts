// Learning from audit: the refusals an audit (or enforce) period logged, grouped by program, and the trust entry
// that would allow each — a trusted publisher, a hash, package ownership, or an admin-owned folder — as edits of
// the policy YAML. Pure: the caller gathers the facts (file hashes, folder owners) and reads and writes files.
import { parseDocument, isSeq, type Document } from 'yaml';
import { baseName, normalizePath, PlatformPathSet } from './patterns.ts';
import { PATH_SETS } from './sets.ts';
import type { Platform } from './events.ts';
import type { PolicyDocument } from './types.ts';

/** One logged refusal, from whatever store it came (agent events.db, console export, replay). */
export interface SuggestEvent {
  /** The program, library or script refused. */
  object: string;
  kind: string;
  reason: string;
  verdict?: string;
  time?: number;
  host?: string;
  /** Where it is (row id, record), for the report. */
  id?: string;
  sha256?: string;
  signer?: string;
  packageOwned?: boolean;
}

/** Facts about a file the caller looked up on this machine. */
export interface FileFacts {
  sha256?: string;
  packageOwned?: boolean;
  /** A folder the file lies in that only administrators can write (declared by the administrator). */
  adminFolder?: string;
}

export type TrustEntry =
  | { kind: 'publisher'; signer: string }
  | { kind: 'hash'; sha256: string; note: string }
  | { kind: 'package' }
  /** Windows: an admin-owned folder declared system space (`userSpace.systemFolders`). */
  | { kind: 'folder'; pattern: string };

/** Identical refusals of one program (same file, same reason). */
export interface ProgramGroup {
  object: string;
  platform: Platform;
  reason: string;
  kind: string;
  count: number;
  hosts: string[];
  first?: number;
  last?: number;
  ids: string[];
}

export interface Suggestion {
  entry: TrustEntry;
  /** The groups it would allow, most events first. */
  allows: ProgramGroup[];
  events: number;
}

export interface SuggestResult {
  suggestions: Suggestion[];
  /** Refusals no trust entry lifts (guarded-application rules), or no durable entry can (user space, no signer or hash). */
  notCovered: (ProgramGroup & { why: 'not-launch-control' | 'no-durable-identity' })[];
  events: number;
}

/** The launch-control refusals trust can lift. */
const LIFTABLE = new Set(['USER_SPACE_EXEC', 'USER_SPACE_LIBRARY', 'USER_SPACE_SCRIPT', 'LOCKDOWN_UNTRUSTED', 'PERSIST_USER_SPACE_CODE']);

export function platformOf(path: string): Platform {
  return /^[a-zA-Z]:[\\/]|^\\\\/.test(path) ? 'windows' : 'linux';
}

function keyOf(e: SuggestEvent, platform: Platform): string {
  return `${normalizePath(e.object, platform)}\u0000${e.reason}\u0000${e.kind}`;
}

/**
 * Groups identical refusals and proposes, per program, the entry that best survives updates: the publisher that
 * signed it; package ownership (when the policy does not yet trust the package manager); on Windows, an admin-owned
 * folder it lies in, declared system space (not in lockdown, where only signatures, packages and hashes count, and
 * not where the policy's user-space patterns keep it user space); else its hash. `facts` is keyed by the object path
 * as logged.
 */
export function suggestTrust(events: readonly SuggestEvent[], policy: PolicyDocument, facts: ReadonlyMap<string, FileFacts> = new Map()): SuggestResult {
  const groups = new Map<string, ProgramGroup & { signer?: string; sha256?: string; packageOwned?: boolean }>();
  for (const e of events) {
    if (e.verdict === 'allow') continue;
    const platform = platformOf(e.object);
    const k = keyOf(e, platform);
    let g = groups.get(k);
    if (!g) { g = { object: e.object, platform, reason: e.reason, kind: e.kind, count: 0, hosts: [], ids: [] }; groups.set(k, g); }
    g.count++;
    if (e.host && !g.hosts.includes(e.host)) g.hosts.push(e.host);
    if (e.time !== undefined) { g.first = Math.min(g.first ?? e.time, e.time); g.last = Math.max(g.last ?? e.time, e.time); }
    if (e.id !== undefined && g.ids.length < 5) g.ids.push(e.id);
    g.signer ??= e.signer;
    g.sha256 ??= e.sha256?.toLowerCase();
    if (e.packageOwned) g.packageOwned = true;
  }
  const userSpace = new PlatformPathSet(policy.userSpace.paths.flatMap((p) => (p.startsWith('@') ? PATH_SETS[p.slice(1)] ?? [] : [p])));
  const trustedPublishers = new Set(policy.trust.publishers.map((p) => p.signer.toLowerCase()));
  const trustedHashes = new Set(policy.trust.hashes.map((h) => h.sha256.toLowerCase()));
  const byEntry = new Map<string, Suggestion>();
  const notCovered: SuggestResult['notCovered'] = [];
  let total = 0;
  for (const g of groups.values()) {
    total += g.count;
    const { signer, sha256, packageOwned, ...group } = g;
    if (!LIFTABLE.has(g.reason)) { notCovered.push({ ...group, why: 'not-launch-control' }); continue; }
    const f = facts.get(g.object) ?? {};
    const hash = sha256 ?? f.sha256?.toLowerCase();
    let entry: TrustEntry | undefined;
    const folderFits = f.adminFolder !== undefined && g.platform === 'windows' && policy.mode !== 'lockdown'
      && g.reason !== 'LOCKDOWN_UNTRUSTED' && !userSpace.matches(normalizePath(g.object, 'windows'), 'windows');
    if (signer && !trustedPublishers.has(signer.toLowerCase())) entry = { kind: 'publisher', signer };
    else if ((packageOwned || f.packageOwned) && !policy.trust.packageManager) entry = { kind: 'package' };
    else if (folderFits) entry = { kind: 'folder', pattern: `${f.adminFolder!.replace(/[\\/]+$/, '')}\\**` };
    else if (hash && !trustedHashes.has(hash)) entry = { kind: 'hash', sha256: hash, note: g.object };
    if (!entry) { notCovered.push({ ...group, why: 'no-durable-identity' }); continue; }
    const key = JSON.stringify(entry.kind === 'hash' ? { kind: 'hash', sha256: entry.sha256 } : entry);
    let s = byEntry.get(key);
    if (!s) { s = { entry, allows: [], events: 0 }; byEntry.set(key, s); }
    s.allows.push(group);
    s.events += g.count;
  }
  const suggestions = [...byEntry.values()].sort((a, b) => b.events - a.events);
  for (const s of suggestions) s.allows.sort((a, b) => b.count - a.count);
  notCovered.sort((a, b) => b.count - a.count);
  return { suggestions, notCovered, events: total };
}

/** Whether an entry would allow a logged refusal (used for previews). */
export function entryAllows(entry: TrustEntry, e: SuggestEvent, facts?: FileFacts): boolean {
  if (!LIFTABLE.has(e.reason)) return false;
  switch (entry.kind) {
    case 'publisher': return (e.signer ?? '').toLowerCase() === entry.signer.toLowerCase();
    case 'hash': return (e.sha256 ?? facts?.sha256 ?? '').toLowerCase() === entry.sha256;
    case 'package': return Boolean(e.packageOwned ?? facts?.packageOwned);
    case 'folder': {
      const platform = platformOf(e.object);
      return new PlatformPathSet([entry.pattern]).matches(normalizePath(e.object, platform), platform);
    }
  }
}

function describeEntry(e: TrustEntry): string {
  switch (e.kind) {
    case 'publisher': return `trust.publishers: ${e.signer}`;
    case 'hash': return `trust.hashes: ${e.sha256} (${baseName(e.note, platformOf(e.note))})`;
    case 'package': return 'trust.packageManager: true';
    case 'folder': return `userSpace.systemFolders: ${e.pattern}`;
  }
}
export { describeEntry };

/**
 * The policy text with the entries added and its version raised by one. The text is edited line by line, so the
 * rest of the file (comments, layout, wrapped lists) stays as the administrator wrote it; `comment` precedes each
 * added entry so a reviewer sees where it came from. Lists written in an unusual form fall back to re-rendering
 * the document.
 */
export function applySuggestions(text: string, entries: readonly TrustEntry[], comment: string): string {
  let lines = text.split('\n');
  const vi = lines.findIndex((l) => /^version:\s*\d+\s*(#.*)?$/.test(l));
  if (vi >= 0) lines[vi] = lines[vi]!.replace(/\d+/, (v) => String(Number(v) + 1));
  const rest: TrustEntry[] = [];
  for (const e of entries) {
    const edited = e.kind === 'package' ? setTrustScalar(lines, 'packageManager', 'true')
      : e.kind === 'folder' ? addListItem(lines, 'userSpace', 'systemFolders', itemYaml(e), comment)
        : addListItem(lines, 'trust', e.kind === 'publisher' ? 'publishers' : 'hashes', itemYaml(e), comment);
    if (edited) lines = edited; else rest.push(e);
  }
  if (vi < 0 || rest.length) return viaDocument(lines.join('\n'), rest, comment, vi < 0);
  return lines.join('\n');
}

function itemYaml(e: TrustEntry): string {
  switch (e.kind) {
    case 'publisher': return `{ signer: ${JSON.stringify(e.signer)}, launch: normal }`;
    case 'hash': return `{ sha256: ${e.sha256}, note: ${JSON.stringify(e.note)} }`;
    case 'folder': return JSON.stringify(e.pattern);
    case 'package': return 'true';
  }
}

/** The lines of a top-level block (`trust:`): [first line after it, end (exclusive)], or undefined. */
function topBlock(lines: string[], section: string): [number, number] | undefined {
  const t = lines.findIndex((l) => new RegExp(`^${section}:\\s*(#.*)?$`).test(l));
  if (t < 0) return undefined;
  let end = t + 1;
  while (end < lines.length && (lines[end]!.trim() === '' || /^\s/.test(lines[end]!) || lines[end]!.startsWith('#'))) end++;
  while (end > t + 1 && lines[end - 1]!.trim() === '') end--;
  return [t + 1, end];
}

function addListItem(lines: string[], section: string, key: string, item: string, comment: string): string[] | undefined {
  const block = topBlock(lines, section);
  const out = [...lines];
  if (!block) {
    let at = out.length;
    while (at > 0 && out[at - 1]!.trim() === '') at--;
    out.splice(at, 0, `${section}:`, `  ${key}:`, `    # ${comment}`, `    - ${item}`);
    return out;
  }
  const [from, to] = block;
  const indent = /^(\s+)\S/.exec(out[from] ?? '')?.[1] ?? '  ';
  const ki = out.slice(from, to).findIndex((l) => new RegExp(`^${indent}${key}:`).test(l));
  if (ki < 0) {
    out.splice(to, 0, `${indent}${key}:`, `${indent}  # ${comment}`, `${indent}  - ${item}`);
    return out;
  }
  const at = from + ki;
  const value = out[at]!.slice(indent.length + key.length + 1).replace(/\s+#.*$/, '').trim();
  if (value === '[]') {
    out.splice(at, 1, `${indent}${key}:`, `${indent}  # ${comment}`, `${indent}  - ${item}`);
    return out;
  }
  if (/^\[.*\]$/.test(value)) {
    // A one-line flow list: the item joins it, the comment goes above.
    out.splice(at, 1, `${indent}# ${comment}`, `${indent}${key}: [${value.slice(1, -1).trim()}, ${item}]`);
    return out;
  }
  if (value !== '') return undefined; // a flow list over several lines: leave it to the document renderer
  let end = at + 1;
  let itemIndent: string | undefined;
  while (end < to) {
    const l = out[end]!;
    if (l.trim() === '' || l.trim().startsWith('#')) { end++; continue; }
    const m = /^(\s*)/.exec(l)![1]!;
    if (m.length <= indent.length && !(m.length === indent.length && l.trimStart().startsWith('- '))) break;
    if (l.trimStart().startsWith('- ')) itemIndent ??= m;
    end++;
  }
  while (end > at + 1 && out[end - 1]!.trim() === '') end--;
  const ii = itemIndent ?? `${indent}  `;
  out.splice(end, 0, `${ii}# ${comment}`, `${ii}- ${item}`);
  return out;
}

function setTrustScalar(lines: string[], key: string, value: string): string[] | undefined {
  const block = topBlock(lines, 'trust');
  if (!block) return undefined;
  const out = [...lines];
  const [from, to] = block;
  const indent = /^(\s+)\S/.exec(out[from] ?? '')?.[1] ?? '  ';
  const ki = out.slice(from, to).findIndex((l) => new RegExp(`^${indent}${key}:`).test(l));
  if (ki >= 0) out[from + ki] = `${indent}${key}: ${value}`;
  else out.splice(from, 0, `${indent}${key}: ${value}`);
  return out;
}

function viaDocument(text: string, entries: readonly TrustEntry[], comment: string, bumpVersion: boolean): string {
  const doc: Document = parseDocument(text);
  if (bumpVersion) { const v = Number(doc.get('version')); doc.set('version', Number.isInteger(v) ? v + 1 : 1); }
  const add = (path: string[], value: unknown) => {
    const seq = doc.getIn(path, true);
    const node = doc.createNode(value);
    node.commentBefore = ` ${comment}`;
    if (isSeq(seq)) seq.items.push(node);
    else doc.setIn(path, doc.createNode([value]));
  };
  for (const e of entries) {
    switch (e.kind) {
      case 'publisher': add(['trust', 'publishers'], { signer: e.signer, launch: 'normal' }); break;
      case 'hash': add(['trust', 'hashes'], { sha256: e.sha256, note: e.note }); break;
      case 'package': doc.setIn(['trust', 'packageManager'], true); break;
      case 'folder': add(['userSpace', 'systemFolders'], e.pattern); break;
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** A unified diff of two texts (whole-line, small contexts), for review before `policy check`. */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, context = 3): string {
  const x = a.split('\n');
  const y = b.split('\n');
  // Longest common subsequence table; policies are short (hundreds of lines).
  const n = x.length, m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) {
    lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: { t: ' ' | '-' | '+'; s: string; i: number; j: number }[] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { ops.push({ t: ' ', s: x[i]!, i, j }); i++; j++; }
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) { ops.push({ t: '-', s: x[i]!, i, j }); i++; }
    else { ops.push({ t: '+', s: y[j]!, i, j }); j++; }
  }
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  for (let k = 0; k < ops.length;) {
    if (ops[k]!.t === ' ') { k++; continue; }
    const start = Math.max(0, k - context);
    let end = k;
    while (end < ops.length) {
      if (ops[end]!.t !== ' ') { end++; continue; }
      let run = 0;
      while (end + run < ops.length && ops[end + run]!.t === ' ') run++;
      if (run > 2 * context || end + run >= ops.length) { end = Math.min(ops.length, end + context); break; }
      end += run;
    }
    const hunk = ops.slice(start, end);
    const a0 = hunk[0]!.i, b0 = hunk[0]!.j;
    const aLen = hunk.filter((o) => o.t !== '+').length, bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${a0 + 1},${aLen} +${b0 + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.s}`);
    k = end;
  }
  return out.join('\n') + '\n';
}
