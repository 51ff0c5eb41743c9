// The EVTX reader: file header, then each 64 KiB chunk in file order (header and records CRC32 checked), then
// each record in the chunk (chunk.ts). Damage is reported as located warnings and skipped; offsets only move
// forward, so the reader always ends. A range of chunks can be read alone (parallel reading of one large file).
import { crc32 } from 'node:zlib';
import { createSharedTemplates } from './binxml.ts';
import { CHUNK_HEADER_SIZE, createChunkContext, findNextRecord, isZero, readChunkRecords, recoverRecords, type Warn } from './chunk.ts';
import type { EvtxRecord } from './record.ts';
import { openEvtxSource, type EvtxSource } from './source.ts';
import { EVTX_WARNING_CODES as W, makeWarning, type EvtxWarning } from './warnings.ts';

export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;

export interface EvtxReadOptions {
  /** Called for every warning, in file order. */
  onWarning?: (w: EvtxWarning) => void;
  /** Check CRC32 of the file header, chunk headers and record areas (default true). */
  verifyChecksums?: boolean;
  /**
   * Also yield records found in slack space after each chunk's records and in 64 KiB blocks that are no longer
   * valid chunks (evtxexport's `-m recovered`), with `recovered: true`, after the live records of their chunk.
   */
  recover?: boolean;
  /** Read only chunks [firstChunk, endChunk) (default: all). File-header warnings come with chunk 0 only. */
  firstChunk?: number;
  endChunk?: number;
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
  /** Records recovered from slack space or invalid chunks (`recover`). */
  recovered: number;
  /** Record headers found in slack space whose content no longer decodes (`recover`). */
  unrecoverable: number;
  warnings: number;
  bytes: number;
}

export function createReadStats(): EvtxReadStats {
  return { chunks: 0, emptyChunks: 0, unusedChunks: 0, skippedChunks: 0, records: 0, skippedRecords: 0, recovered: 0,
    unrecoverable: 0, warnings: 0, bytes: 0 };
}

function hex(n: number): string { return '0x' + n.toString(16); }

const CHUNK_SIG = Buffer.from('ElfChnk\0', 'latin1');

/** Records of `source` in chunk order. Never throws on bad input (only on misuse or an I/O failure at open). */
export function* readEvtxRecords(source: EvtxSource, options: EvtxReadOptions = {},
  stats: EvtxReadStats = createReadStats()): Generator<EvtxRecord, EvtxReadStats, undefined> {
  const verify = options.verifyChecksums !== false;
  const recover = options.recover === true;
  const first = Math.max(0, options.firstChunk ?? 0);
  const endChunk = options.endChunk ?? Infinity;
  const file = source.name;
  const warn: Warn = (chunk, offset, code, detail, recordId) => {
    stats.warnings++;
    options.onWarning?.(makeWarning(file, chunk, offset, code, detail, recordId));
  };
  const headerWarn: Warn = first === 0 ? warn : () => { /* reported by the range that holds chunk 0 */ };
  const read = (buf: Buffer, pos: number, len: number, chunk: number): number => {
    try { return source.read(buf, pos, len); } catch (e) {
      warn(chunk, pos, W.FILE_READ_ERROR, (e as Error).message);
      return -1;
    }
  };

  const head = Buffer.alloc(FILE_HEADER_SIZE);
  const hn = read(head, 0, FILE_HEADER_SIZE, -1);
  if (hn < 0) return stats;
  if (first === 0) stats.bytes += hn;
  if (hn < 128) { headerWarn(-1, 0, W.FILE_TOO_SMALL, `${source.size} bytes`); return stats; }
  // Chunks past the header's chunk count are still read when they hold a chunk (as evtxexport does: the file
  // header of a dirty log lags behind); past the count, a block without a signature is slack, not damage.
  let chunkLimit = Infinity;
  let headerOk = false;
  if (head.toString('latin1', 0, 8) !== 'ElfFile\0') {
    headerWarn(-1, 0, W.FILE_SIGNATURE, `bytes ${head.toString('hex', 0, 8)}`);
  } else {
    const want = head.readUInt32LE(124);
    const got = crc32(head.subarray(0, 120));
    if (verify && want !== got) headerWarn(-1, 0, W.FILE_HEADER_CRC, `stored ${hex(want)}, computed ${hex(got)}`);
    else { chunkLimit = head.readUInt16LE(42); headerOk = true; }
  }

  // Blocks without a chunk that would be slack at the end of a log: reported only once a chunk is found after
  // them (a wiped or zeroed chunk header must not hide the chunks behind it silently).
  const holes: { index: number; base: number; what: string }[] = [];
  let lastId = -1;
  const reportHoles = (next: number, nextFirstId: number) => {
    const ids = lastId >= 0 ? `, records ${lastId} before and ${nextFirstId} after it` : '';
    for (const h of holes) warn(h.index, h.base, W.CHUNK_GAP, `${h.what}; chunk ${next} after it holds a chunk header${ids}`);
    holes.length = 0;
  };
  const idAt = (b: Buffer, off: number) => b.readUInt32LE(off + 4) * 4294967296 + b.readUInt32LE(off);
  // A range that does not start the file takes the last record id from the nearest chunk before it, so that its
  // warnings read as they would in one pass over the file.
  if (first > 0) {
    const h = Buffer.alloc(40);
    for (let i = first - 1; i >= 0; i--) {
      let got = 0;
      try { got = source.read(h, FILE_HEADER_SIZE + i * CHUNK_SIZE, 40); } catch { break; }
      if (got === 40 && h.compare(CHUNK_SIG, 0, 8, 0, 8) === 0) { lastId = idAt(h, 32); break; }
    }
  }

  const slack = { slack: 0 };
  const shared = createSharedTemplates();
  let index = first;
  for (let base = FILE_HEADER_SIZE + first * CHUNK_SIZE; base < source.size && index < endChunk; index++, base += CHUNK_SIZE) {
    // A buffer per chunk, never reused: the records of a chunk decode their strings from it when read (binxml.ts).
    const buf = Buffer.allocUnsafeSlow(CHUNK_SIZE);
    const n = read(buf, base, CHUNK_SIZE, index);
    if (n <= 0) break;
    if (n < CHUNK_SIZE) buf.fill(0, n);
    stats.bytes += n;
    if (buf.compare(CHUNK_SIG, 0, 8, 0, 8) !== 0) {
      const zero = isZero(buf, 0, n);
      const records = zero ? -1 : findNextRecord(buf, 0, n);
      if (index >= chunkLimit || !headerOk || zero) {
        // Past the header's chunk count (or anywhere, when the header is damaged and already reported), a block
        // without a chunk signature is slack, not a damaged chunk — unless a chunk comes after it.
        if (zero) stats.emptyChunks++; else stats.unusedChunks++;
        if (records >= 0) {
          warn(index, base, W.CHUNK_HEADER_MISSING, `bytes ${buf.toString('hex', 0, 8)}, first record signature at block offset ${hex(records)}`);
        } else holes.push({ index, base, what: zero ? 'all zero' : `bytes ${buf.toString('hex', 0, 8)}` });
      } else {
        warn(index, base, W.CHUNK_SIGNATURE, `bytes ${buf.toString('hex', 0, 8)}`);
        stats.skippedChunks++;
      }
      if (recover && records >= 0) yield* recoverRecords(createChunkContext(buf, n), index, base, records, stats);
      continue;
    }
    if (holes.length > 0) reportHoles(index, idAt(buf, 24));
    if (n >= 40) lastId = idAt(buf, 32);
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
        if (recover) yield* recoverRecords(createChunkContext(buf, n), index, base, CHUNK_HEADER_SIZE, stats);
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
    const ctx = createChunkContext(buf, n, shared);
    yield* readChunkRecords(ctx, index, base, end, stats, warn, slack);
    if (recover) yield* recoverRecords(ctx, index, base, slack.slack, stats);
  }
  // Holes at the end of a chunk range are reported when a chunk follows in a later range.
  if (holes.length > 0 && index >= endChunk) {
    const sig = Buffer.alloc(32);
    for (let base = FILE_HEADER_SIZE + index * CHUNK_SIZE; base < source.size; index++, base += CHUNK_SIZE) {
      let got: number;
      try { got = source.read(sig, base, 32); } catch { break; }
      if (got === 32 && sig.compare(CHUNK_SIG, 0, 8, 0, 8) === 0) { reportHoles(index, idAt(sig, 24)); break; }
    }
  }
  return stats;
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

export interface EvtxCount { file: string; records: number; recovered: number; warnings: EvtxWarning[]; stats: EvtxReadStats }

/** Reads every record of `path` and returns how many decoded, with the warnings. */
export function countEvtxRecords(path: string, options: Omit<EvtxReadOptions, 'onWarning'> = {}): EvtxCount {
  const warnings: EvtxWarning[] = [];
  const stats = createReadStats();
  for (const _r of readEvtxFile(path, { ...options, onWarning: (w) => warnings.push(w) }, stats)) { /* count */ }
  return { file: path, records: stats.records, recovered: stats.recovered, warnings, stats };
}
