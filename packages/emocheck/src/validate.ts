// Reads a snapshot from bytes: decodes (UTF-8, UTF-8/UTF-16 with BOM, UTF-16 without BOM recognised by its zero
// bytes), parses JSON, checks format, version and every field against a small declarative schema. Expected failures
// are returned with the field path; nothing throws. Size is capped (MAX_SNAPSHOT_BYTES) and no message echoes more
// than a short excerpt of the input.
import { locateJsonError } from './json-locate.ts';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, type Snapshot } from './snapshot.ts';

export type SnapshotIssueCode = 'ENCODING' | 'JSON_SYNTAX' | 'NOT_A_SNAPSHOT' | 'UNSUPPORTED_VERSION' | 'FIELD' | 'TOO_LARGE';

/**
 * The largest snapshot read: 64 MiB. One machine's snapshot is a few MB (a busy server with thousands of processes
 * and files stays well under 20 MB); anything larger is the wrong file, and reading it whole would only exhaust memory.
 */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;
export interface SnapshotIssue {
  code: SnapshotIssueCode;
  /** Field path such as `processes[3].pid`; '' for the whole document. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}
export type SnapshotResult = { ok: true; snapshot: Snapshot } | { ok: false; issues: SnapshotIssue[] };

type Spec =
  | 'string' | 'string?' | 'boolean' | 'boolean?' | 'uint' | 'uint?' | 'hex8' | 'filetime' | 'sha256?' | 'fileId?'
  | { enum: readonly string[] } | { array: Spec } | { object: Record<string, Spec> } | { nullable: Spec };

const fileId: Spec = 'fileId?';
const listedFile: Spec = { object: { name: 'string', size: 'uint', lastWriteFiletime: 'filetime', startsWithMZ: 'boolean', fileId } };
const SCHEMA: Record<string, Spec> = {
  format: 'string',
  version: 'uint',
  collectedAt: 'string',
  collector: { object: { name: 'string', version: 'string' } },
  host: { object: { computerName: 'string', userName: 'string', isAdmin: 'boolean', is64BitOs: 'boolean', osVersion: 'string' } },
  systemVolumeSerial: 'hex8',
  paths: { object: {
    systemDrive: 'string', systemRoot: 'string', system32: 'string', systemX86: 'string', localAppData: 'string',
    appData: 'string', programData: 'string', programFiles: 'string', programFilesX86: 'string?', userProfile: 'string',
    profilesRoot: 'string', temp: 'string', public: 'string', downloads: 'string?',
  } },
  drives: { array: { object: { root: 'string', type: { enum: ['fixed', 'removable', 'network', 'cdrom', 'ram', 'unknown'] } } } },
  processes: { array: { object: { pid: 'uint', ppid: 'uint?', name: 'string', imagePath: 'string?', commandLine: 'string?', fileId } } },
  registry: { array: { object: { key: 'string', values: { array: { object: {
    name: 'string',
    type: { enum: ['REG_SZ', 'REG_EXPAND_SZ', 'REG_MULTI_SZ', 'REG_BINARY', 'REG_DWORD', 'REG_QWORD', 'REG_NONE', 'REG_OTHER'] },
    data: 'string',
  } } } } } },
  services: { array: { object: { name: 'string', displayName: 'string', imagePath: 'string?', startMode: 'string', state: 'string', serviceDll: 'string?' } } },
  tasks: { array: { object: { path: 'string', enabled: 'boolean', actions: { array: { object: { execute: 'string', arguments: 'string?', workingDirectory: 'string?' } } } } } },
  startupItems: { array: { object: { path: 'string', target: 'string?', arguments: 'string?' } } },
  systemDirectoryFiles: { array: { object: { name: 'string', size: 'uint' } } },
  scanRoots: { array: { object: {
    root: { enum: ['localAppData', 'systemX86'] }, path: 'string',
    folders: { array: { object: { name: 'string', lastWriteFiletime: 'filetime', files: { array: listedFile } } } },
  } } },
  allowlistDirNames: { array: 'string' },
  files: { array: { object: {
    path: 'string', exists: 'boolean', size: 'uint?', sha256: 'sha256?', startsWithMZ: 'boolean?', fileId, dirUserWritable: 'boolean?',
  } } },
};

/** The field names the schema requires, dotted (`processes[].pid`): used to check the PowerShell collector. */
export function schemaFieldNames(): string[] {
  const out: string[] = [];
  const walk = (spec: Spec, prefix: string): void => {
    if (typeof spec === 'string' || 'enum' in spec) return;
    if ('array' in spec) return walk(spec.array, `${prefix}[]`);
    if ('nullable' in spec) return walk(spec.nullable, prefix);
    for (const [k, v] of Object.entries(spec.object)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.push(p);
      walk(v, p);
    }
  };
  walk({ object: SCHEMA }, '');
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function check(spec: Spec, v: unknown, path: string, issues: SnapshotIssue[]): void {
  const bad = (expected: string): void => {
    issues.push({ code: 'FIELD', path, message: `expected ${expected}, got ${v === undefined ? 'nothing (field missing)' : describe(v)}` });
  };
  if (typeof spec === 'string') {
    const nullable = spec.endsWith('?');
    if (nullable && v === null) return;
    const base = nullable ? spec.slice(0, -1) : spec;
    switch (base) {
      case 'string': if (typeof v !== 'string') bad(nullable ? 'a string or null' : 'a string'); return;
      case 'boolean': if (typeof v !== 'boolean') bad(nullable ? 'true, false or null' : 'true or false'); return;
      case 'uint': if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(nullable ? 'a whole number ≥ 0 or null' : 'a whole number ≥ 0'); return;
      case 'hex8': if (typeof v !== 'string' || !/^[0-9A-Fa-f]{8}$/.test(v)) bad('8 hexadecimal digits (e.g. "0A1B2C3D")'); return;
      case 'filetime': if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v)) bad('a FILETIME as a decimal string'); return;
      case 'sha256': if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) bad('64 hexadecimal digits or null'); return;
      case 'fileId': if (typeof v !== 'string' || !/^[0-9A-Fa-f]{1,16}:[0-9A-Fa-f]{1,32}$/.test(v)) bad('"<volume serial hex>:<file index hex>" or null'); return;
    }
    return;
  }
  if ('nullable' in spec) { if (v !== null) check(spec.nullable, v, path, issues); return; }
  if ('enum' in spec) {
    if (typeof v !== 'string' || !spec.enum.includes(v)) bad(`one of ${spec.enum.map((e) => `"${e}"`).join(', ')}`);
    return;
  }
  if ('array' in spec) {
    if (!Array.isArray(v)) { bad('an array'); return; }
    v.forEach((item, i) => check(spec.array, item, `${path}[${i}]`, issues));
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) { bad('an object'); return; }
  const obj = v as Record<string, unknown>;
  for (const [k, sub] of Object.entries(spec.object)) check(sub, obj[k], path ? `${path}.${k}` : k, issues);
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/** The encoding of snapshot bytes: a BOM, or for BOM-less UTF-16 the zero byte beside each ASCII character of '{'. */
function sniff(bytes: Uint8Array): { enc: 'utf-8' | 'utf-16le' | 'utf-16be'; skip: number } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { enc: 'utf-16le', skip: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { enc: 'utf-16be', skip: 2 };
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { enc: 'utf-8', skip: 3 };
  // JSON text starts with ASCII (whitespace or '{'): UTF-16 puts a zero byte after (LE) or before (BE) it.
  if (bytes.length >= 2 && bytes[0] !== 0 && bytes[1] === 0) return { enc: 'utf-16le', skip: 0 };
  if (bytes.length >= 2 && bytes[0] === 0 && bytes[1] !== 0) return { enc: 'utf-16be', skip: 0 };
  return { enc: 'utf-8', skip: 0 };
}

class TruncatedUtf16 extends Error {}

/** Decodes bytes as the collector or an editor may have written them: UTF-8 (BOM optional) or UTF-16 LE/BE. */
export function decodeSnapshotText(bytes: Uint8Array): string {
  const { enc, skip } = sniff(bytes);
  if (enc !== 'utf-8' && (bytes.length - skip) % 2 === 1) throw new TruncatedUtf16();
  return new TextDecoder(enc, { fatal: true }).decode(bytes.subarray(skip));
}

/** A short, printable excerpt of parser text (no control characters, bounded length). */
function printable(s: string, max = 160): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export function parseSnapshot(input: Uint8Array | string): SnapshotResult {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_SNAPSHOT_BYTES) {
    return { ok: false, issues: [{ code: 'TOO_LARGE', path: '', message: tooLargeMessage(size) }] };
  }
  let text: string;
  try {
    text = typeof input === 'string' ? input.replace(/^\uFEFF/, '') : decodeSnapshotText(input);
  } catch (e) {
    if (e instanceof TruncatedUtf16) {
      return { ok: false, issues: [{ code: 'ENCODING', path: '', message: 'UTF-16 text with an odd number of bytes: the file is truncated (it ends in the middle of a character)' }] };
    }
    return { ok: false, issues: [{ code: 'ENCODING', path: '', message: 'not valid UTF-8 or UTF-16 text' }] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : locateJsonError(text);
    const where = lineColumn(text, offset);
    const truncated = offset >= text.trimEnd().length;
    return { ok: false, issues: [{
      code: 'JSON_SYNTAX', path: '', ...where,
      message: (truncated ? 'the JSON ends too early (truncated file?): ' : 'not valid JSON: ') + printable(msg.split('\n')[0] ?? ''),
    }] };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || (doc as Record<string, unknown>).format !== SNAPSHOT_FORMAT) {
    const got = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).format : undefined;
    return { ok: false, issues: [{ code: 'NOT_A_SNAPSHOT', path: 'format',
      message: `expected "format": "${SNAPSHOT_FORMAT}", got ${got === undefined ? 'nothing' : describe(got)}` }] };
  }
  const version = (doc as Record<string, unknown>).version;
  if (version === undefined) {
    return { ok: false, issues: [{ code: 'UNSUPPORTED_VERSION', path: 'version',
      message: `the snapshot has no version field ("version": ${SNAPSHOT_VERSION} expected); it was not written by omamori's collector` }] };
  }
  if (version !== SNAPSHOT_VERSION) {
    return { ok: false, issues: [{ code: 'UNSUPPORTED_VERSION', path: 'version',
      message: `snapshot format version ${describe(version)} is not supported; this omamori reads version ${SNAPSHOT_VERSION}` }] };
  }
  const issues: SnapshotIssue[] = [];
  check({ object: SCHEMA }, doc, '', issues);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, snapshot: doc as Snapshot };
}

/** The size-cap message, shared with callers that check the file size before reading it. */
export function tooLargeMessage(size: number): string {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `the file is ${mb(size)}; a snapshot is read only up to ${mb(MAX_SNAPSHOT_BYTES)} (one machine's snapshot is a few MiB): is it the right file?`;
}
