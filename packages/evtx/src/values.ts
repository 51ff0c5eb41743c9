// Decoding of the typed values of EVTX binary XML (substitution values and value-text tokens) into text.
// Text follows the conventions of Windows' own rendering (and evtxexport): hex integers as 0x%08x/0x%016x,
// GUIDs in braces upper-case, SIDs as S-1-…, times as ISO 8601 UTC with 100 ns digits.
import type { ByteSink } from './sink.ts';

/** Value type codes of the format (an array of a type has 0x80 set). */
export const VALUE_TYPE = {
  Null: 0x00, String: 0x01, AnsiString: 0x02, Int8: 0x03, UInt8: 0x04, Int16: 0x05, UInt16: 0x06,
  Int32: 0x07, UInt32: 0x08, Int64: 0x09, UInt64: 0x0a, Real32: 0x0b, Real64: 0x0c, Bool: 0x0d,
  Binary: 0x0e, Guid: 0x0f, SizeT: 0x10, FileTime: 0x11, SysTime: 0x12, Sid: 0x13, HexInt32: 0x14,
  HexInt64: 0x15, EvtHandle: 0x20, BinXml: 0x21, EvtXml: 0x23, ArrayFlag: 0x80,
} as const;

const FIXED_SIZE: Record<number, number> = {
  0x03: 1, 0x04: 1, 0x05: 2, 0x06: 2, 0x07: 4, 0x08: 4, 0x09: 8, 0x0a: 8, 0x0b: 4, 0x0c: 8, 0x0d: 4,
  0x0f: 16, 0x11: 8, 0x12: 16, 0x14: 4, 0x15: 8,
};

/** Whether `type` is a type this reader knows (BinXml handled by the caller). */
export function isKnownValueType(type: number): boolean {
  const base = type & 0x7f;
  if (type & 0x80) return base === 0x01 || base === 0x02 || base === 0x10 || base === 0x13 || FIXED_SIZE[base] !== undefined;
  return base <= 0x15 || base === 0x20 || base === 0x21 || base === 0x23;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

export function hexUpper(buf: Uint8Array, pos: number, end: number): string {
  let s = '';
  for (let i = pos; i < end; i++) s += HEX[buf[i]!]!;
  return s;
}

/** UTF-16LE text up to the first NUL (strings in EVTX are usually NUL-terminated). */
export function utf16(buf: Buffer, pos: number, end: number): string {
  // Decoding first and cutting at the first U+0000 is the same as scanning the code units, and much faster.
  const s = buf.toString('utf16le', pos, end - ((end - pos) & 1));
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

function ansi(buf: Buffer, pos: number, end: number): string {
  let e = pos;
  while (e < end && buf[e] !== 0) e++;
  return buf.toString('latin1', pos, e);
}

function u64Dec(lo: number, hi: number): string {
  if (hi < 0x200000) return String(hi * 4294967296 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

function i64Dec(lo: number, hi: number): string {
  if (hi & 0x80000000) {
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    return (v - (1n << 64n)).toString();
  }
  return u64Dec(lo, hi);
}

const HEXL = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(v: number): string {
  return '0x' + HEXL[(v >>> 24) & 0xff]! + HEXL[(v >>> 16) & 0xff]! + HEXL[(v >>> 8) & 0xff]! + HEXL[v & 0xff]!;
}

/** A little-endian 64-bit value at `p` as 0x%016x. */
function hex64At(buf: Buffer, p: number): string {
  return '0x' + HEXL[buf[p + 7]!]! + HEXL[buf[p + 6]!]! + HEXL[buf[p + 5]!]! + HEXL[buf[p + 4]!]!
    + HEXL[buf[p + 3]!]! + HEXL[buf[p + 2]!]! + HEXL[buf[p + 1]!]! + HEXL[buf[p]!]!;
}

const FILETIME_EPOCH_DIFF_S = 11644473600;

function pad2(n: number): string { return n < 100 ? PAD2[n]! : String(n); }

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/** Civil date of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's days_from_civil inverse). */
function civil(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${PAD2[m]}-${PAD2[d]}`;
}

// Times of neighbouring records share their date and usually their minute: both are kept from the last call.
let lastMinute = NaN;
let lastPrefix = '';
let lastPrefixBytes = new Uint8Array(0);

/** Seconds since 1970 of a FILETIME, its 100 ns fraction; sets lastPrefix (`YYYY-MM-DDTHH:MM:`) to its minute. */
function fileTimeParts(lo: number, hi: number, out: { frac: number; seconds: number }): number {
  const frac = ((hi % 10000000) * 4967296 + lo) % 10000000;
  const seconds = Math.round((hi * 4294967296 + (lo - frac)) / 10000000) - FILETIME_EPOCH_DIFF_S;
  const minute = Math.floor(seconds / 60);
  if (minute !== lastMinute) {
    const days = Math.floor(seconds / 86400);
    const sod = seconds - days * 86400;
    lastPrefix = `${civil(days)}T${PAD2[Math.floor(sod / 3600)]}:${PAD2[Math.floor((sod % 3600) / 60)]}:`;
    lastPrefixBytes = Buffer.from(lastPrefix, 'latin1');
    lastMinute = minute;
  }
  out.frac = frac;
  out.seconds = seconds - minute * 60;
  return minute;
}

const parts = { frac: 0, seconds: 0 };

/** FILETIME (100 ns ticks since 1601) as ISO 8601 UTC with 7 fraction digits. */
export function fileTimeToIso(lo: number, hi: number): string {
  fileTimeParts(lo, hi, parts);
  const frac = parts.frac;
  const f = frac >= 1000000 ? String(frac) : String(frac).padStart(7, '0');
  return lastPrefix + PAD2[parts.seconds]! + '.' + f + 'Z';
}

/** `fileTimeToIso(lo, hi)` written into a byte sink. */
export function writeFileTime(sink: ByteSink, lo: number, hi: number): void {
  fileTimeParts(lo, hi, parts);
  sink.raw(lastPrefixBytes);
  sink.digits(parts.seconds, 2);
  sink.byte(0x2e);
  sink.digits(parts.frac, 7);
  sink.byte(0x5a);
}

/** FILETIME as milliseconds since the Unix epoch (may be fractional-free rounding of 100 ns ticks). */
export function fileTimeToMs(lo: number, hi: number): number {
  return Math.floor((hi * 4294967296 + lo) / 10000) - FILETIME_EPOCH_DIFF_S * 1000;
}

function sysTime(buf: Buffer, p: number): string {
  const y = buf.readUInt16LE(p), mo = buf.readUInt16LE(p + 2), d = buf.readUInt16LE(p + 6);
  const h = buf.readUInt16LE(p + 8), mi = buf.readUInt16LE(p + 10), s = buf.readUInt16LE(p + 12);
  const ms = buf.readUInt16LE(p + 14);
  return `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}.${String(ms).padStart(3, '0')}Z`;
}

function hex4(v: number): string {
  return HEX[(v >>> 8) & 0xff]! + HEX[v & 0xff]!;
}

export function guid(buf: Buffer, p: number): string {
  return '{' + HEX[buf[p + 3]!]! + HEX[buf[p + 2]!]! + HEX[buf[p + 1]!]! + HEX[buf[p]!]! + '-'
    + hex4(buf.readUInt16LE(p + 4)) + '-' + hex4(buf.readUInt16LE(p + 6)) + '-'
    + HEX[buf[p + 8]!]! + HEX[buf[p + 9]!]! + '-' + HEX[buf[p + 10]!]! + HEX[buf[p + 11]!]! + HEX[buf[p + 12]!]!
    + HEX[buf[p + 13]!]! + HEX[buf[p + 14]!]! + HEX[buf[p + 15]!]! + '}';
}

/** SID as S-R-A-S1-…; returns the text and the bytes used (or null when it does not fit in `end`). */
function sid(buf: Buffer, p: number, end: number): { text: string; size: number } | null {
  if (p + 8 > end) return null;
  const count = buf[p + 1]!;
  const size = 8 + 4 * count;
  if (p + size > end) return null;
  let auth = 0;
  for (let i = 2; i < 8; i++) auth = auth * 256 + buf[p + i]!;
  let s = `S-${buf[p]}-${auth}`;
  for (let i = 0; i < count; i++) s += '-' + buf.readUInt32LE(p + 8 + 4 * i);
  return { text: s, size };
}

/** One value of a non-array type occupying buf[pos, pos+size). Returns null for the null type. */
export function decodeScalar(buf: Buffer, pos: number, size: number, type: number): string | null {
  const end = pos + size;
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined && size < fixed) return size === 0 ? null : hexUpper(buf, pos, end);
  switch (type) {
    case 0x00: return null;
    case 0x01: return utf16(buf, pos, end);
    case 0x02: return ansi(buf, pos, end);
    case 0x03: return String(buf.readInt8(pos));
    case 0x04: return String(buf[pos]);
    case 0x05: return String(buf.readInt16LE(pos));
    case 0x06: return String(buf.readUInt16LE(pos));
    case 0x07: return String(buf.readInt32LE(pos));
    case 0x08: return String(buf.readUInt32LE(pos));
    case 0x09: return i64Dec(buf.readUInt32LE(pos), buf.readUInt32LE(pos + 4));
    case 0x0a: return u64Dec(buf.readUInt32LE(pos), buf.readUInt32LE(pos + 4));
    case 0x0b: return String(Math.fround(buf.readFloatLE(pos)).toPrecision(7).replace(/\.?0+$/, ''));
    case 0x0c: return String(buf.readDoubleLE(pos));
    case 0x0d: return buf.readUInt32LE(pos) !== 0 ? 'true' : 'false';
    case 0x0e: return hexUpper(buf, pos, end);
    case 0x0f: return guid(buf, pos);
    case 0x10: return size === 4 ? hex32(buf.readUInt32LE(pos))
      : size >= 8 ? hex64At(buf, pos) : hexUpper(buf, pos, end);
    case 0x11: return fileTimeToIso(buf.readUInt32LE(pos), buf.readUInt32LE(pos + 4));
    case 0x12: return sysTime(buf, pos);
    case 0x13: return sid(buf, pos, end)?.text ?? hexUpper(buf, pos, end);
    case 0x14: return hex32(buf.readUInt32LE(pos));
    case 0x15: return hex64At(buf, pos);
    case 0x23: return utf16(buf, pos, end);
    default: return hexUpper(buf, pos, end);
  }
}

/** An array value (type with 0x80 set): the items as text. */
export function decodeArray(buf: Buffer, pos: number, size: number, type: number): string[] {
  const base = type & 0x7f;
  const end = pos + size;
  const out: string[] = [];
  if (base === 0x01) {
    let s = pos;
    for (let p = pos; p + 1 < end; p += 2) {
      if ((buf[p]! | buf[p + 1]!) === 0) { out.push(buf.toString('utf16le', s, p)); s = p + 2; }
    }
    if (s + 1 < end) out.push(buf.toString('utf16le', s, end - ((end - s) & 1)));
    return out;
  }
  if (base === 0x02) {
    let s = pos;
    for (let p = pos; p < end; p++) if (buf[p] === 0) { out.push(buf.toString('latin1', s, p)); s = p + 1; }
    if (s < end) out.push(buf.toString('latin1', s, end));
    return out;
  }
  if (base === 0x13) {
    let p = pos;
    while (p < end) {
      const r = sid(buf, p, end);
      if (!r) break;
      out.push(r.text);
      p += r.size;
    }
    return out;
  }
  const step = base === 0x10 ? (size % 8 === 0 ? 8 : 4) : FIXED_SIZE[base];
  if (step === undefined) return [hexUpper(buf, pos, end)];
  for (let p = pos; p + step <= end; p += step) out.push(decodeScalar(buf, p, step, base) ?? '');
  return out;
}
