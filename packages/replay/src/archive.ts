// Streams the JSON lines of Mordor captures straight out of `.zip`, `.tar.gz`/`.tgz` or plain `.json` files: one
// read pass, nothing extracted to disk, memory bounded by one chunk plus one line. Inflating is zlib's (native);
// lines are handed over as bytes, so a reader can look at a line without decoding all of it (sources.ts).
import { createReadStream, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { createGunzip, createInflateRaw } from 'node:zlib';

/** One line as bytes `buf[start, end)` (no newline, no trailing CR), 1-based line number within its member. */
export interface LineBytesSink {
  line(entry: string, buf: Buffer, start: number, end: number, lineNo: number): void;
  /** Compressed bytes consumed so far from the file (for progress). */
  bytes?(n: number): void;
}

export interface LineSink {
  /** One text line of archive member `entry` (1-based line number within that member). */
  line(entry: string, text: string, lineNo: number): void;
  /** Compressed bytes consumed so far from the file (for progress). */
  bytes?(n: number): void;
}

/** Splits bytes into lines across chunk boundaries; blank lines are skipped, a UTF-8 BOM at the start dropped. */
class LineSplitter {
  private rest: Buffer | undefined;
  private n = 0;
  private first = true;
  constructor(private readonly entry: string, private readonly sink: LineBytesSink) {}
  push(chunk: Buffer, final: boolean): void {
    let buf = chunk;
    if (this.rest) { buf = Buffer.concat([this.rest, chunk]); this.rest = undefined; }
    let start = 0;
    if (this.first && buf.length >= 3) {
      this.first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
    }
    for (let i = buf.indexOf(10, start); i >= 0; i = buf.indexOf(10, start)) {
      this.emit(buf, start, i);
      start = i + 1;
    }
    if (start < buf.length) {
      if (final) this.emit(buf, start, buf.length);
      else this.rest = Buffer.from(buf.subarray(start));
    }
  }
  private emit(buf: Buffer, start: number, end: number): void {
    this.n++;
    let e = end;
    if (e > start && buf[e - 1] === 13) e--;
    let s = start;
    while (s < e && (buf[s] === 32 || buf[s] === 9 || buf[s] === 13)) s++;
    if (s === e) return;
    this.sink.line(this.entry, buf, start, e, this.n);
  }
}

export type ArchiveKind = 'zip' | 'tar.gz' | 'json';

export function archiveKind(path: string): ArchiveKind | undefined {
  const p = path.toLowerCase();
  if (p.endsWith('.zip')) return 'zip';
  if (p.endsWith('.tar.gz') || p.endsWith('.tgz')) return 'tar.gz';
  if (p.endsWith('.json') || p.endsWith('.jsonl') || p.endsWith('.ndjson')) return 'json';
  return undefined;
}

/** Every member ending in .json/.jsonl/.log (or any plain member) is read as JSON lines. */
function wanted(name: string): boolean {
  return !name.endsWith('/') && !/(^|\/)(__MACOSX|\._)/.test(name);
}

interface ZipEntry { name: string; method: number; compressedSize: number; headerOffset: number }

/** Entries from the central directory (ZIP64 sizes and offsets understood). Throws on a damaged directory. */
function zipEntries(path: string): ZipEntry[] {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailLen = Math.min(size, 65536 + 22);
    const tail = Buffer.alloc(tailLen);
    readSync(fd, tail, 0, tailLen, size - tailLen);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error('not a zip file (no end of central directory)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    const loc = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]), eocd);
    if (loc >= 0 && (cdOffset === 0xffffffff || count === 0xffff)) {
      const z64 = Buffer.alloc(56);
      readSync(fd, z64, 0, 56, Number(tail.readBigUInt64LE(loc + 8)));
      if (z64.readUInt32LE(0) !== 0x06064b50) throw new Error('damaged zip64 end of central directory');
      count = Number(z64.readBigUInt64LE(32));
      cdSize = Number(z64.readBigUInt64LE(40));
      cdOffset = Number(z64.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size) throw new Error('central directory beyond the end of the file');
    const cd = Buffer.alloc(cdSize);
    readSync(fd, cd, 0, cdSize, cdOffset);
    const out: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`damaged central directory entry ${i + 1}`);
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressed = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28), extraLen = cd.readUInt16LE(p + 30), commentLen = cd.readUInt16LE(p + 32);
      let headerOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extended information: the 0xffffffff fields follow in this order.
      for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {
        const id = cd.readUInt16LE(x), len = cd.readUInt16LE(x + 2);
        if (id === 1) {
          let q = x + 4;
          if (uncompressed === 0xffffffff) { uncompressed = Number(cd.readBigUInt64LE(q)); q += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = Number(cd.readBigUInt64LE(q)); q += 8; }
          if (headerOffset === 0xffffffff) { headerOffset = Number(cd.readBigUInt64LE(q)); q += 8; }
        }
        x += 4 + len;
      }
      out.push({ name, method, compressedSize, headerOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    // Where each member's data starts: after its local header, whose name and extra lengths may differ.
    const lh = Buffer.alloc(30);
    for (const e of out) {
      readSync(fd, lh, 0, 30, e.headerOffset);
      if (lh.readUInt32LE(0) !== 0x04034b50) throw new Error(`damaged local header of ${e.name}`);
      e.headerOffset += 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

async function readZip(path: string, sink: LineBytesSink): Promise<void> {
  let done = 0;
  for (const e of zipEntries(path)) {
    if (!wanted(e.name)) continue;
    if (e.method !== 0 && e.method !== 8) throw new Error(`${e.name}: compression method ${e.method} is not supported`);
    const split = new LineSplitter(e.name, sink);
    const input = createReadStream(path, { start: e.headerOffset, end: e.headerOffset + e.compressedSize - 1, highWaterMark: 1 << 20 });
    let read = 0;
    input.on('data', (c) => { read += (c as Buffer).length; sink.bytes?.(done + read); });
    let stream: NodeJS.ReadableStream = input;
    if (e.method === 8) {
      const inflate = createInflateRaw({ chunkSize: 1 << 18 });
      input.on('error', (err) => inflate.destroy(err));
      stream = input.pipe(inflate);
    }
    for await (const chunk of stream) split.push(chunk as Buffer, false);
    split.push(Buffer.alloc(0), true);
    done += e.compressedSize;
  }
}

/** A push parser of ustar/pax archives: headers of 512 bytes, data padded to 512. */
function createTarParser(sink: LineBytesSink) {
  let buf: Buffer = Buffer.alloc(0);
  let remaining = 0; // data bytes left in the current member
  let pad = 0;
  let split: LineSplitter | undefined;
  return (chunk: Buffer) => {
    let b = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (remaining > 0) {
        const take = Math.min(remaining, b.length);
        if (take === 0) break;
        remaining -= take;
        split?.push(b.subarray(0, take), remaining === 0);
        b = b.subarray(take);
        if (remaining === 0) split = undefined;
        continue;
      }
      if (pad > 0) {
        const take = Math.min(pad, b.length);
        pad -= take; b = b.subarray(take);
        if (pad > 0) break;
        continue;
      }
      if (b.length < 512) break;
      const h = b.subarray(0, 512);
      b = b.subarray(512);
      if (h.every((x) => x === 0)) continue;
      const name = cstr(h, 0, 100);
      const prefix = cstr(h, 345, 155);
      const size = parseInt(cstr(h, 124, 12).trim() || '0', 8);
      const type = String.fromCharCode(h[156] ?? 0);
      remaining = size;
      pad = (512 - (size % 512)) % 512;
      const full = prefix ? `${prefix}/${name}` : name;
      split = (type === '0' || type === '\0') && wanted(full) ? new LineSplitter(full, sink) : undefined;
      if (size === 0 && split) { split.push(Buffer.alloc(0), true); split = undefined; }
    }
    buf = b.length ? Buffer.from(b) : Buffer.alloc(0);
  };
}

function cstr(b: Uint8Array, at: number, len: number): string {
  const s = b.subarray(at, at + len);
  const end = s.indexOf(0);
  return Buffer.from(end < 0 ? s : s.subarray(0, end)).toString('utf8');
}

async function readTarGz(path: string, sink: LineBytesSink): Promise<void> {
  const parse = createTarParser(sink);
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  let total = 0;
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  input.on('data', (c) => { total += (c as Buffer).length; sink.bytes?.(total); });
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  for await (const chunk of gunzip) parse(chunk as Buffer);
}

async function readPlain(path: string, sink: LineBytesSink): Promise<void> {
  const split = new LineSplitter(path.split(/[\\/]/).pop() ?? path, sink);
  let total = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    total += (chunk as Buffer).length;
    split.push(chunk as Buffer, false);
    sink.bytes?.(total);
  }
  split.push(Buffer.alloc(0), true);
}

/** Streams every line of a Mordor capture as bytes. Rejects (with the zlib message) on a damaged archive. */
export function streamJsonLineBytes(path: string, sink: LineBytesSink): Promise<void> {
  switch (archiveKind(path)) {
    case 'zip': return readZip(path, sink);
    case 'tar.gz': return readTarGz(path, sink);
    default: return readPlain(path, sink);
  }
}

/** Streams every line of a Mordor capture as text. Rejects (with the zlib message) on a damaged archive. */
export function streamJsonLines(path: string, sink: LineSink): Promise<void> {
  const s: LineBytesSink = { line: (entry, buf, start, end, n) => sink.line(entry, buf.toString('utf8', start, end), n) };
  if (sink.bytes) s.bytes = (n) => sink.bytes!(n);
  return streamJsonLineBytes(path, s);
}
