// The EVTX reader: file header, then each 64 KiB chunk in file order (header and records CRC32 checked), then
// each record in the chunk. Damage is reported as located warnings and skipped; offsets only move forward,
// so the reader always ends.
import { crc32 } from 'node:zlib';
import { BinXmlError, createChunkContext, parseRecordXml, type ChunkContext } from './binxml.ts';
import { DecodedRecord, type EvtxRecord } from './record.ts';
import { hasSimpleRoot } from './build.ts';
import { renderRoot, type EvtxElement } from './render.ts';
import { openEvtxSource, type EvtxSource } from './source.ts';
import { fileTimeToIso, fileTimeToMs } from './values.ts';
import { EVTX_WARNING_CODES as W, makeWarning, type EvtxWarning, type EvtxWarningCode } from './warnings.ts';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
const CHUNK_HEADER_SIZE = 512;
const RECORD_MAGIC = 0x00002a2a;
const RECORD_SIG = Buffer.from([0x2a, 0x2a, 0, 0]);

export interface EvtxReadOptions {
  /** Called for every warning, in file order. */
  onWarning?: (w: EvtxWarning) => void;
  /** Check CRC32 of the file header, chunk headers and record areas (default true). */
  verifyChecksums?: boolean;
}

/** Counters of one read; filled in as the iterator advances. */
export interface EvtxReadStats {
  /** Chunks that held the chunk signature. */
  chunks: number;
  /** 64 KiB blocks that were all zero (unused, normal in preallocated files). */
  emptyChunks: number;
  /** 64 KiB blocks past the file header's chunk count without a chunk signature (slack: not damage). */
  unusedChunks: number;
  /** Chunks skipped as damaged. */
  skippedChunks: number;
  records: number;
  /** Records (or damaged spans in a chunk) skipped. */
  skippedRecords: number;
  warnings: number;
  bytes: number;
}

export function createReadStats(): EvtxReadStats {
  return { chunks: 0, emptyChunks: 0, unusedChunks: 0, skippedChunks: 0, records: 0, skippedRecords: 0, warnings: 0, bytes: 0 };
}

function hex(n: number): string { return '0x' + n.toString(16); }

/** Records of `source` in chunk order. Never throws on bad input (only on misuse or an I/O failure at open). */
export function* readEvtxRecords(source: EvtxSource, options: EvtxReadOptions = {},
  stats: EvtxReadStats = createReadStats()): Generator<EvtxRecord, EvtxReadStats, undefined> {
  const verify = options.verifyChecksums !== false;
  const file = source.name;
  const warn = (chunk: number, offset: number, code: EvtxWarningCode, detail: string, recordId?: number) => {
    stats.warnings++;
    options.onWarning?.(makeWarning(file, chunk, offset, code, detail, recordId));
  };
  const read = (buf: Buffer, pos: number, len: number, chunk: number): number => {
    try { return source.read(buf, pos, len); } catch (e) {
      warn(chunk, pos, W.FILE_READ_ERROR, (e as Error).message);
      return -1;
    }
  };

  const head = Buffer.alloc(FILE_HEADER_SIZE);
  const hn = read(head, 0, FILE_HEADER_SIZE, -1);
  if (hn < 0) return stats;
  stats.bytes += hn;
  if (hn < 128) { warn(-1, 0, W.FILE_TOO_SMALL, `${source.size} bytes`); return stats; }
  // Chunks past the header's chunk count are still read when they hold a chunk (as evtxexport does: the file
  // header of a dirty log lags behind); past the count, a block without a signature is slack, not damage.
  let chunkLimit = Infinity;
  let headerOk = false;
  if (head.toString('latin1', 0, 8) !== 'ElfFile\0') {
    warn(-1, 0, W.FILE_SIGNATURE, `bytes ${head.toString('hex', 0, 8)}`);
  } else {
    const want = head.readUInt32LE(124);
    const got = crc32(head.subarray(0, 120));
    if (verify && want !== got) warn(-1, 0, W.FILE_HEADER_CRC, `stored ${hex(want)}, computed ${hex(got)}`);
    else { chunkLimit = head.readUInt16LE(42); headerOk = true; }
  }

  const buf = Buffer.alloc(CHUNK_SIZE);
  for (let index = 0, base = FILE_HEADER_SIZE; base < source.size; index++, base += CHUNK_SIZE) {
    const n = read(buf, base, CHUNK_SIZE, index);
    if (n <= 0) break;
    stats.bytes += n;
    if (buf.toString('latin1', 0, 8) !== 'ElfChnk\0') {
      // Past the header's chunk count (or anywhere, when the header is damaged and already reported), a block
      // without a chunk signature is slack, not a damaged chunk.
      if (index >= chunkLimit || !headerOk) { stats.unusedChunks++; continue; }
      if (isZero(buf, n)) { stats.emptyChunks++; continue; }
      warn(index, base, W.CHUNK_SIGNATURE, `bytes ${buf.toString('hex', 0, 8)}`);
      stats.skippedChunks++;
      continue;
    }
    stats.chunks++;
    if (n < CHUNK_HEADER_SIZE) {
      warn(index, base, W.CHUNK_TRUNCATED, `${n} of ${CHUNK_SIZE} bytes, header incomplete`);
      stats.skippedChunks++;
      continue;
    }
    if (verify) {
      const want = buf.readUInt32LE(124);
      const got = crc32(buf.subarray(128, 512), crc32(buf.subarray(0, 120)));
      if (want !== got) {
        warn(index, base, W.CHUNK_HEADER_CRC, `stored ${hex(want)}, computed ${hex(got)}`);
        stats.skippedChunks++;
        continue;
      }
    }
    let end = buf.readUInt32LE(48);
    if (end < CHUNK_HEADER_SIZE || end > CHUNK_SIZE) {
      warn(index, base, W.CHUNK_FREE_SPACE, `free space offset ${hex(end)}`);
      end = n;
    } else if (verify) {
      if (end <= n) {
        const want = buf.readUInt32LE(52);
        const got = crc32(buf.subarray(CHUNK_HEADER_SIZE, end));
        if (want !== got) warn(index, base, W.CHUNK_DATA_CRC, `stored ${hex(want)}, computed ${hex(got)}`);
      }
    }
    if (n < CHUNK_SIZE) {
      warn(index, base, W.CHUNK_TRUNCATED, `${n} of ${CHUNK_SIZE} bytes; records before the cut are read`);
      end = Math.min(end, n);
    }
    yield* readChunkRecords(createChunkContext(buf, n), index, base, end, stats, warn);
  }
  return stats;
}

function isZero(buf: Buffer, n: number): boolean {
  for (let i = 0; i < n; i += 64) if (buf[i] !== 0) return false;
  for (let i = 0; i < n; i++) if (buf[i] !== 0) return false;
  return true;
}

type Warn = (chunk: number, offset: number, code: EvtxWarningCode, detail: string, recordId?: number) => void;

/** Next offset after `from` holding a plausible record header (signature and matching size copy), or -1. */
function findNextRecord(buf: Buffer, from: number, end: number): number {
  let p = from;
  while (p + 24 <= end) {
    const q = buf.indexOf(RECORD_SIG, p);
    if (q < 0 || q + 24 > end) return -1;
    const size = buf.readUInt32LE(q + 4);
    if (size >= 28 && q + size <= end && buf.readUInt32LE(q + size - 4) === size) return q;
    p = q + 1;
  }
  return -1;
}

function* readChunkRecords(ctx: ChunkContext, index: number, base: number, end: number, stats: EvtxReadStats,
  warn: Warn): Generator<EvtxRecord, void, undefined> {
  const buf = ctx.buf;
  let p = CHUNK_HEADER_SIZE;
  while (p + 24 <= end) {
    if (buf.readUInt32LE(p) !== RECORD_MAGIC) {
      const next = findNextRecord(buf, p + 1, end);
      // Zero fill after the last record is normal slack, not damage.
      if (next < 0 && isZero(buf.subarray(p, end), end - p)) return;
      warn(index, base + p, W.RECORD_SIGNATURE, `bytes ${buf.toString('hex', p, p + 4)}`);
      stats.skippedRecords++;
      if (next < 0) return;
      p = next;
      continue;
    }
    const size = buf.readUInt32LE(p + 4);
    const recordId = buf.readUInt32LE(p + 12) * 4294967296 + buf.readUInt32LE(p + 8);
    if (size < 28 || p + size > end || buf.readUInt32LE(p + size - 4) !== size) {
      warn(index, base + p, W.RECORD_SIZE, `size ${size}, ${end - p} bytes left in chunk`
        + (size >= 28 && p + size <= end ? `, trailing copy ${buf.readUInt32LE(p + size - 4)}` : ''), recordId);
      stats.skippedRecords++;
      const next = findNextRecord(buf, p + 1, end);
      if (next < 0) return;
      p = next;
      continue;
    }
    let record: EvtxRecord | undefined;
    try {
      ctx.unknownTypes.length = 0;
      const nodes = parseRecordXml(ctx, p + 24, p + size - 4);
      let root: EvtxElement | undefined;
      if (!hasSimpleRoot(nodes)) {
        root = renderRoot(nodes);
        if (!root) throw new BinXmlError('no root element', p + 24);
      }
      const lo = buf.readUInt32LE(p + 16), hi = buf.readUInt32LE(p + 20);
      record = new DecodedRecord(nodes, root, recordId, fileTimeToIso(lo, hi), fileTimeToMs(lo, hi), index, base + p);
      if (ctx.unknownTypes.length > 0) {
        warn(index, base + p, W.RECORD_UNKNOWN_VALUE_TYPE, [...new Set(ctx.unknownTypes)].map(hex).join(', '), recordId);
      }
    } catch (e) {
      if (!(e instanceof BinXmlError) && !(e instanceof RangeError)) throw e;
      warn(index, base + p, W.RECORD_BINXML, e.message, recordId);
      stats.skippedRecords++;
    }
    p += size;
    if (record) { stats.records++; yield record; }
  }
}

/** Opens `path`, yields its records and closes it when the iteration ends (also on `break`). */
export function* readEvtxFile(path: string, options: EvtxReadOptions = {},
  stats: EvtxReadStats = createReadStats()): Generator<EvtxRecord, EvtxReadStats, undefined> {
  let source: EvtxSource;
  try { source = openEvtxSource(path); } catch (e) {
    stats.warnings++;
    options.onWarning?.(makeWarning(path, -1, 0, W.FILE_READ_ERROR, (e as Error).message));
    return stats;
  }
  try { return yield* readEvtxRecords(source, options, stats); } finally { source.close(); }
}

export interface EvtxCount { file: string; records: number; warnings: EvtxWarning[]; stats: EvtxReadStats }

/** Reads every record of `path` and returns how many decoded, with the warnings. */
export function countEvtxRecords(path: string, options: Omit<EvtxReadOptions, 'onWarning'> = {}): EvtxCount {
  const warnings: EvtxWarning[] = [];
  const stats = createReadStats();
  for (const _r of readEvtxFile(path, { ...options, onWarning: (w) => warnings.push(w) }, stats)) { /* count */ }
  return { file: path, records: stats.records, warnings, stats };
}
