// The records of one 64 KiB chunk: the allocated ones (from the header to the free-space offset, and on past it
// while the records go on in sequence up to the header's last-record offset or identifier — a lowered free-space
// offset with a matching CRC must not hide them), then, when recovering, the records left in slack space.
// Offsets only move forward, so every loop ends.
import { BinXmlError, createChunkContext, parseRecordXml, type ChunkContext } from './binxml.ts';
import { hasSimpleRoot } from './build.ts';
import { DecodedRecord, type EvtxRecord } from './record.ts';
import { renderRoot, type EvtxElement } from './render.ts';
import { EVTX_WARNING_CODES as W, type EvtxWarningCode } from './warnings.ts';

export const CHUNK_HEADER_SIZE = 512;
const RECORD_MAGIC = 0x00002a2a;
const RECORD_SIG = Buffer.from([0x2a, 0x2a, 0, 0]);

export type Warn = (chunk: number, offset: number, code: EvtxWarningCode, detail: string, recordId?: number) => void;

/** Counters the chunk reader adds to (a subset of EvtxReadStats). */
export interface ChunkStats { records: number; skippedRecords: number; recovered: number }

function hex(n: number): string { return '0x' + n.toString(16); }

const ZERO = Buffer.alloc(65536);

export function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i += 4096) if (buf[i] !== 0) return false;
  for (let p = from; p < to; p += ZERO.length) {
    const n = Math.min(ZERO.length, to - p);
    if (ZERO.compare(buf, p, p + n, 0, n) !== 0) return false;
  }
  return true;
}

/** A plausible record header at `q`: signature, size within `end` and the trailing size copy. */
function recordAt(buf: Buffer, q: number, end: number): number {
  if (q + 28 > end || buf.readUInt32LE(q) !== RECORD_MAGIC) return 0;
  const size = buf.readUInt32LE(q + 4);
  return size >= 28 && q + size <= end && buf.readUInt32LE(q + size - 4) === size ? size : 0;
}

/** Next offset at or after `from` holding a plausible record header, or -1; with `align4`, only 4-byte aligned. */
export function findNextRecord(buf: Buffer, from: number, end: number, align4 = false): number {
  let p = from;
  while (p + 24 <= end) {
    const q = buf.indexOf(RECORD_SIG, p);
    if (q < 0 || q + 24 > end) return -1;
    if ((!align4 || (q & 3) === 0) && recordAt(buf, q, end) > 0) return q;
    p = q + 1;
  }
  return -1;
}

function recordIdAt(buf: Buffer, p: number): number {
  return buf.readUInt32LE(p + 12) * 4294967296 + buf.readUInt32LE(p + 8);
}

/** Decodes the record at chunk offset `p` (header already checked); throws BinXmlError/RangeError when damaged. */
function decode(ctx: ChunkContext, p: number, size: number, index: number, base: number, warn: Warn | undefined): EvtxRecord {
  const buf = ctx.buf;
  const recordId = recordIdAt(buf, p);
  ctx.unknownTypes.length = 0;
  const nodes = parseRecordXml(ctx, p + 24, p + size - 4);
  let root: EvtxElement | undefined;
  if (!hasSimpleRoot(nodes)) {
    root = renderRoot(nodes);
    if (!root) throw new BinXmlError('no root element', p + 24);
  }
  const lo = buf.readUInt32LE(p + 16), hi = buf.readUInt32LE(p + 20);
  const record = new DecodedRecord(nodes, root, recordId, lo, hi, index, base + p);
  if (warn && ctx.unknownTypes.length > 0) {
    warn(index, base + p, W.RECORD_UNKNOWN_VALUE_TYPE, [...new Set(ctx.unknownTypes)].map(hex).join(', '), recordId);
  }
  return record;
}

/**
 * The allocated records of a chunk whose header was checked: [512, end) in order, damaged ones reported and
 * skipped, then the records that continue past `end` in sequence (reported once). Returns where the allocated
 * records stop (the start of slack space) through `out.slack`.
 */
export function* readChunkRecords(ctx: ChunkContext, index: number, base: number, end: number, stats: ChunkStats,
  warn: Warn, out: { slack: number }): Generator<EvtxRecord, void, undefined> {
  const buf = ctx.buf;
  const n = ctx.size;
  const lastOffset = buf.readUInt32LE(44);
  const lastId = buf.readUInt32LE(36) * 4294967296 + buf.readUInt32LE(32);
  let prevId = buf.readUInt32LE(28) * 4294967296 + buf.readUInt32LE(24) - 1;
  let p = CHUNK_HEADER_SIZE;
  out.slack = p;
  /** The record at `p`, or undefined (warned and counted as skipped) when its BinXML cannot be decoded. */
  const decodeOrWarn = (at: number, size: number, recordId: number): EvtxRecord | undefined => {
    try { return decode(ctx, at, size, index, base, warn); } catch (e) {
      if (!(e instanceof BinXmlError) && !(e instanceof RangeError)) throw e;
      warn(index, base + at, W.RECORD_BINXML, e.message, recordId);
      stats.skippedRecords++;
      return undefined;
    }
  };
  while (p + 24 <= end) {
    if (buf.readUInt32LE(p) !== RECORD_MAGIC) {
      const next = findNextRecord(buf, p + 1, end);
      // Zero fill after the last record is normal slack, not damage.
      if (next < 0 && isZero(buf, p, end)) break;
      warn(index, base + p, W.RECORD_SIGNATURE, `bytes ${buf.toString('hex', p, p + 4)}`);
      stats.skippedRecords++;
      if (next < 0) { out.slack = end; return; }
      p = next;
      continue;
    }
    const size = buf.readUInt32LE(p + 4);
    const recordId = recordIdAt(buf, p);
    if (size < 28 || p + size > end || buf.readUInt32LE(p + size - 4) !== size) {
      warn(index, base + p, W.RECORD_SIZE, `size ${size}, ${end - p} bytes left in chunk`
        + (size >= 28 && p + size <= end ? `, trailing copy ${buf.readUInt32LE(p + size - 4)}` : ''), recordId);
      stats.skippedRecords++;
      const next = findNextRecord(buf, p + 1, end);
      if (next < 0) { out.slack = end; return; }
      p = next;
      continue;
    }
    const record = decodeOrWarn(p, size, recordId);
    prevId = recordId;
    p += size;
    if (record) { stats.records++; yield record; }
  }
  // Records past the free-space offset that carry on the sequence (the header's own last-record offset or
  // identifier says they are allocated): a lowered free-space offset with a recomputed CRC must not hide them.
  let told = false;
  while (p >= end) {
    const size = recordAt(buf, p, n);
    if (size === 0) break;
    const recordId = recordIdAt(buf, p);
    if (!(p <= lastOffset || (recordId === prevId + 1 && recordId <= lastId))) break;
    if (!told) {
      warn(index, base + p, W.CHUNK_RECORDS_PAST_FREE_SPACE, `free space offset ${hex(end)}, last record offset ${hex(lastOffset)}, last record ${lastId}`, recordId);
      told = true;
    }
    const record = decodeOrWarn(p, size, recordId);
    prevId = recordId;
    p += size;
    if (record) { stats.records++; yield record; }
  }
  out.slack = Math.max(p, CHUNK_HEADER_SIZE);
}

/**
 * Records left in slack space [from, n) of a chunk-sized block (after the allocated records, or the whole block
 * of a chunk that is no longer valid), as evtxexport's `-m recovered` finds them: a 4-byte aligned record header
 * whose binary XML starts with a fragment header. Each one that decodes into a plausible event is yielded with
 * `recovered` set; the rest are counted in `unrecoverable`, not reported (slack is expected to hold remains).
 */
export function* recoverRecords(ctx: ChunkContext, index: number, base: number, from: number,
  stats: ChunkStats & { unrecoverable: number }): Generator<EvtxRecord, void, undefined> {
  const buf = ctx.buf;
  const n = ctx.size;
  let p = from + ((4 - (from & 3)) & 3);
  while (p + 28 <= n) {
    const q = findNextRecord(buf, p, n, true);
    if (q < 0) return;
    const size = recordAt(buf, q, n);
    const x = q + 24;
    const fragment = buf[x] === 0x0f && buf[x + 1] === 0x01 && buf[x + 2] === 0x01 && buf[x + 3] === 0x00;
    if (!fragment && !(buf[x] === 0x0a && size >= 24 + 4 + 5)) { p = q + 4; continue; }
    let record: EvtxRecord | undefined;
    try { record = decode(ctx, q, size, index, base, undefined); } catch (e) {
      if (!(e instanceof BinXmlError) && !(e instanceof RangeError)) throw e;
    }
    if (record && !plausible(record.root)) record = undefined;
    // As libevtx: a record that passed the header checks is stepped over whole, decoded or not.
    p = q + size;
    if (record) {
      record.recovered = true;
      stats.recovered++;
      yield record;
    } else stats.unrecoverable++;
  }
}

const XML_NAME = /^[A-Za-z_][\w.:-]*$/;

/**
 * Whether a record decoded from slack is an event and not remains: its template often sits in space the live
 * records have since overwritten, and then decodes into element names of random text.
 */
function plausible(root: EvtxElement): boolean {
  if (root.name !== 'Event') return false;
  let sane = true;
  let provider = false;
  const walk = (el: EvtxElement, depth: number) => {
    if (!sane || depth > 16) return;
    if (!XML_NAME.test(el.name)) { sane = false; return; }
    for (const k in el.attrs) if (!XML_NAME.test(k)) { sane = false; return; }
    if (el.name === 'Provider' && (el.attrs.Name ?? '') !== '') provider = true;
    for (const c of el.children) if (typeof c !== 'string') walk(c, depth + 1);
  };
  walk(root, 0);
  return sane && provider;
}

export { createChunkContext };
