// The one policy loader: YAML text in, a validated PolicyDocument or every problem at once out, each problem with
// code, field path, line and column. The CLI, the console API and the agent all load policies through here.
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { formatMessage, type ProblemCode } from './messages.ts';
import { checkPattern, PlatformPathSet, samplePath } from './patterns.ts';
import { policySchema } from './schema.ts';
import { isKnownSet, NAME_SETS, PATH_SETS } from './sets.ts';
import type { PolicyDocument } from './types.ts';

export type FieldPath = (string | number)[];

export interface Problem {
  severity: 'error' | 'warning';
  code: ProblemCode;
  params: Record<string, string | number>;
  path: FieldPath;
  line: number;
  column: number;
}

export interface LoadResult {
  /** Present when there is no error (warnings allowed). */
  policy?: PolicyDocument;
  problems: Problem[];
}

export interface LoadOptions {
  /** Milliseconds since the epoch, to warn about expired exceptions; omitted → no expiry warnings. */
  now?: number;
}

let validator: ReturnType<Ajv['compile']> | undefined;
function schemaValidator(): ReturnType<Ajv['compile']> {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(policySchema);
  return validator;
}

/** `file:line:column code message` — the format of every reported problem. */
export function formatProblem(file: string, p: Problem, lang: 'ja' | 'en'): string {
  const sev = p.severity === 'warning' ? (lang === 'ja' ? '警告 ' : 'warning ') : '';
  const field = p.path.length ? ` (${p.path.join('.')})` : '';
  return `${file}:${p.line}:${p.column} ${p.code} ${sev}${formatMessage(p.code, p.params, lang)}${field}`;
}

class Locator {
  constructor(private readonly doc: Document, private readonly lc: LineCounter) {}
  /** Line/column of the node at `path`, of its key when `key` is set, or of the nearest existing ancestor. */
  at(path: FieldPath, key?: string): { line: number; column: number } {
    let node: unknown = this.doc.getIn(path, true);
    let p = path;
    while ((node === undefined || node === null) && p.length > 0) { p = p.slice(0, -1); node = this.doc.getIn(p, true); }
    if (p.length === 0 && (node === undefined || node === null)) node = this.doc.contents;
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key);
      const kn = pair?.key as YamlNode | undefined;
      if (kn?.range) return this.pos(kn.range[0]);
    }
    const range = (node as YamlNode | undefined)?.range;
    return this.pos(range ? range[0] : 0);
  }
  pos(offset: number): { line: number; column: number } {
    const { line, col } = this.lc.linePos(offset);
    return { line, column: col };
  }
}

function pointerToPath(pointer: string): FieldPath {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => {
    const u = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(u) ? Number(u) : u;
  });
}

function schemaProblem(e: ErrorObject, loc: Locator): Problem {
  const path = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  const mk = (code: ProblemCode, p: Record<string, string | number>, at = loc.at(path), fp = path): Problem =>
    ({ severity: 'error', code, params: p, path: fp, ...at });
  switch (e.keyword) {
    case 'required': {
      const field = String(params.missingProperty);
      return mk('OM003', { field });
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      return mk('OM004', { field }, loc.at(path, field), [...path, field]);
    }
    case 'type': return mk('OM002', { expected: String(params.type) });
    case 'enum': return mk('OM005', { values: (params.allowedValues as unknown[]).join(', ') });
    case 'const': return mk('OM005', { values: String(params.allowedValue) });
    case 'minimum': return mk('OM008', { limit: Number(params.limit) });
    case 'maximum': return mk('OM009', { limit: Number(params.limit) });
    case 'minLength': return mk('OM006', { detail: 'must not be empty' });
    case 'pattern': {
      const pat = String(params.pattern);
      const detail = pat.includes('{64}') ? 'not a SHA-256 (64 hexadecimal digits)'
        : `does not match ${pat}`;
      return mk('OM006', { detail });
    }
    default: return mk('OM006', { detail: e.message ?? e.keyword });
  }
}

/** Fills every optional part with its default, so the engine and `policy show` see the full effective policy. */
function withDefaults(raw: Record<string, unknown>): PolicyDocument {
  const r = raw as Partial<PolicyDocument> & Record<string, unknown>;
  const us = (r.userSpace ?? {}) as Partial<PolicyDocument['userSpace']>;
  const tr = (r.trust ?? {}) as Partial<PolicyDocument['trust']>;
  const g = (r.guarded ?? {}) as Partial<PolicyDocument['guarded']>;
  const ps = (r.persistence ?? {}) as Partial<PolicyDocument['persistence']>;
  const doc: PolicyDocument = {
    omamori: 1,
    name: r.name!,
    version: r.version!,
    mode: r.mode!,
    failMode: r.failMode ?? 'open',
    decisionTimeoutMs: r.decisionTimeoutMs ?? 250,
    userSpace: { probe: us.probe ?? true, paths: us.paths ?? ['@user-space'], systemFolders: us.systemFolders ?? [...DEFAULT_SYSTEM_FOLDERS] },
    trust: {
      packageManager: tr.packageManager ?? true,
      hashes: tr.hashes ?? [], paths: tr.paths ?? [], publishers: tr.publishers ?? [], exceptions: tr.exceptions ?? [],
    },
    guarded: {
      applications: g.applications ?? [],
      deniedChildren: g.deniedChildren ?? ['@shells', '@script-hosts', '@lolbins', '@downloaders'],
      allowedChildren: g.allowedChildren ?? [],
      writeProtect: g.writeProtect ?? ['@system', '@autostart'],
      writable: g.writable ?? [],
      readProtect: g.readProtect ?? ['@private'],
      processProtection: g.processProtection ?? true,
    },
    persistence: {
      denyUserSpaceCode: ps.denyUserSpaceCode ?? true,
      denySystemHooks: ps.denySystemHooks ?? true,
      trustedInstallers: ps.trustedInstallers ?? [...DEFAULT_TRUSTED_INSTALLERS],
    },
  };
  if (r.description !== undefined) doc.description = r.description;
  return doc;
}

type SetKind = 'names' | 'paths' | 'paths+system';

/** Windows system space by default: Windows and the Program Files folders (AppGuard's view, and WDAC's). */
export const DEFAULT_SYSTEM_FOLDERS: readonly string[] = ['%WINDIR%/**', '%PROGRAMFILES%/**', '%PROGRAMFILES(X86)%/**'];

/** Programs that install Windows itself and MSI packages (servicing stack, Windows Installer service). */
export const DEFAULT_TRUSTED_INSTALLERS: readonly string[] = [
  '%WINDIR%/servicing/TrustedInstaller.exe', '%WINDIR%/WinSxS/**/TiWorker.exe',
  '%WINDIR%/System32/msiexec.exe', '%WINDIR%/SysWOW64/msiexec.exe',
];

function semanticProblems(doc: PolicyDocument, loc: Locator, opts: LoadOptions): Problem[] {
  const out: Problem[] = [];
  const add = (severity: Problem['severity'], code: ProblemCode, params: Problem['params'], path: FieldPath) =>
    out.push({ severity, code, params, path, ...loc.at(path) });

  const checkList = (list: readonly string[], base: FieldPath, kind: SetKind) => {
    list.forEach((item, i) => {
      const path = [...base, i];
      if (item.startsWith('@')) {
        const name = item.slice(1);
        const ok = kind === 'names' ? name in NAME_SETS : name in PATH_SETS || (kind === 'paths+system' && name === 'system');
        if (!ok || !isKnownSet(item)) {
          const known = kind === 'names' ? Object.keys(NAME_SETS) : [...Object.keys(PATH_SETS), ...(kind === 'paths+system' ? ['system'] : [])];
          add('error', 'OM102', { set: item, known: known.map((k) => '@' + k).join(', ') }, path);
        }
        return;
      }
      if (kind !== 'names') {
        const bad = checkPattern(item);
        if (bad) add('error', 'OM103', { detail: `${item}: ${bad}` }, path);
      }
    });
  };

  checkList(doc.userSpace.paths, ['userSpace', 'paths'], 'paths');
  checkList(doc.userSpace.systemFolders, ['userSpace', 'systemFolders'], 'paths');
  checkList(doc.persistence.trustedInstallers, ['persistence', 'trustedInstallers'], 'paths');
  checkList(doc.trust.paths, ['trust', 'paths'], 'paths');
  checkList(doc.guarded.deniedChildren, ['guarded', 'deniedChildren'], 'names');
  checkList(doc.guarded.allowedChildren, ['guarded', 'allowedChildren'], 'names');
  checkList(doc.guarded.writeProtect, ['guarded', 'writeProtect'], 'paths+system');
  checkList(doc.guarded.writable, ['guarded', 'writable'], 'paths');
  checkList(doc.guarded.readProtect, ['guarded', 'readProtect'], 'paths');

  // Path trust only in system space: test a sample path of the pattern against the user-space patterns and, on
  // Windows, the system folders (everything outside them is user space).
  const userSpace = new PlatformPathSet(doc.userSpace.paths.flatMap((p) => p.startsWith('@') ? PATH_SETS[p.slice(1)] ?? [] : [p]));
  const systemFolders = new PlatformPathSet(doc.userSpace.systemFolders.filter((p) => !p.startsWith('@') && !checkPattern(p)));
  const inUserSpace = (p: string): boolean => {
    const sample = samplePath(p);
    if (userSpace.matches(sample.path, sample.platform)) return true;
    return sample.platform === 'windows' && !systemFolders.matches(sample.path, 'windows');
  };
  doc.trust.paths.forEach((p, i) => {
    if (p.startsWith('@') || checkPattern(p)) return;
    if (inUserSpace(p)) add('error', 'OM104', { path: p }, ['trust', 'paths', i]);
  });
  doc.persistence.trustedInstallers.forEach((p, i) => {
    if (p.startsWith('@') || checkPattern(p)) return;
    if (inUserSpace(p)) add('error', 'OM110', { path: p }, ['persistence', 'trustedInstallers', i]);
  });

  const seenApps = new Map<string, number>();
  doc.guarded.applications.forEach((a, i) => {
    const here = loc.at(['guarded', 'applications', i, 'id']).line;
    const first = seenApps.get(a.id);
    if (first !== undefined) add('error', 'OM101', { id: a.id, line: first }, ['guarded', 'applications', i, 'id']);
    else seenApps.set(a.id, here);
    if (!a.names?.length && !a.paths?.length && !a.sha256?.length) add('error', 'OM108', { id: a.id }, ['guarded', 'applications', i]);
    if (a.paths) checkList(a.paths, ['guarded', 'applications', i, 'paths'], 'paths');
    if (a.profiles) checkList(a.profiles, ['guarded', 'applications', i, 'profiles'], 'paths');
  });

  const seenEx = new Map<string, number>();
  doc.trust.exceptions.forEach((x, i) => {
    const here = loc.at(['trust', 'exceptions', i, 'id']).line;
    const first = seenEx.get(x.id);
    if (first !== undefined) add('error', 'OM101', { id: x.id, line: first }, ['trust', 'exceptions', i, 'id']);
    else seenEx.set(x.id, here);
    if (!x.path && !x.sha256) add('error', 'OM107', { id: x.id }, ['trust', 'exceptions', i]);
    if (x.path) { const bad = checkPattern(x.path); if (bad) add('error', 'OM103', { detail: `${x.path}: ${bad}` }, ['trust', 'exceptions', i, 'path']); }
    const t = parseIsoDate(x.expires);
    if (t === undefined) add('error', 'OM105', { value: x.expires }, ['trust', 'exceptions', i, 'expires']);
    else if (opts.now !== undefined && t <= opts.now) add('warning', 'OM106', { id: x.id, expires: x.expires }, ['trust', 'exceptions', i, 'expires']);
  });

  const allowed = new Set(doc.guarded.allowedChildren);
  doc.guarded.deniedChildren.forEach((n, i) => {
    if (!n.startsWith('@') && allowed.has(n)) add('warning', 'OM109', { name: n }, ['guarded', 'deniedChildren', i]);
  });
  return out;
}

/** Parses an ISO 8601 date-time (date alone means midnight UTC); undefined when it is not one. */
export function parseIsoDate(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

export function loadPolicy(text: string, opts: LoadOptions = {}): LoadResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const loc = new Locator(doc, lc);
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((e) => ({
        severity: 'error' as const, code: 'OM001' as const,
        params: { detail: e.message.split('\n')[0]! }, path: [], ...loc.pos(e.pos[0]),
      })),
    };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    return { problems: [{ severity: 'error', code: 'OM007', params: {}, path: [], line: 1, column: 1 }] };
  }
  const validate = schemaValidator();
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => schemaProblem(e, loc));
    // Semantic checks still run on the parts that have the right shape, so one pass finds everything.
    if (isMap(doc.contents) && typeof raw === 'object' && !Array.isArray(raw)) {
      try { problems.push(...semanticProblems(withDefaults(raw as Record<string, unknown>), loc, opts)); } catch { /* shape too broken */ }
    }
    return { problems: sortProblems(dedupe(problems)) };
  }
  const policy = withDefaults(raw as Record<string, unknown>);
  const problems = sortProblems(semanticProblems(policy, loc, opts));
  return problems.some((p) => p.severity === 'error') ? { problems } : { policy, problems };
}

function dedupe(ps: Problem[]): Problem[] {
  const seen = new Set<string>();
  return ps.filter((p) => { const k = `${p.line}:${p.column}:${p.code}:${JSON.stringify(p.params)}`; if (seen.has(k)) return false; seen.add(k); return true; });
}

function sortProblems(ps: Problem[]): Problem[] {
  return ps.sort((a, b) => a.line - b.line || a.column - b.column);
}

