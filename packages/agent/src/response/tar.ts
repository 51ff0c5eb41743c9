// A minimal ustar container for evidence bundles: a streaming writer (regular files only, names ≤ 100 bytes, sizes
// past 8 GiB in GNU base-256) and a strict reader that reports every structural fault instead of skipping it
// (bad header checksum, non-zero padding, missing end blocks, trailing bytes), so a flipped byte anywhere is seen.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export const BLOCK = 512;
const OCTAL_MAX = 8 ** 11;

export interface TarEntryHeader { name: string; size: number; mode: number; mtime: number }

function putString(buf: Buffer, off: number, len: number, s: string): void {
  const b = Buffer.from(s, 'utf8');
  if (b.length > len) throw new Error(`tar field too long: ${s}`);
  b.copy(buf, off);
}

function putOctal(buf: Buffer, off: number, len: number, n: number): void {
  if (len === 12 && n >= OCTAL_MAX) {
    // GNU base-256: high bit set, big-endian in the remaining bytes.
    buf[off] = 0x80;
    let v = BigInt(n);
    for (let i = off + len - 1; i > off; i--) { buf[i] = Number(v & 0xffn); v >>= 8n; }
    return;
  }
  putString(buf, off, len, n.toString(8).padStart(len - 1, '0') + '\0');
}

export function encodeHeader(h: TarEntryHeader): Buffer {
  const name = Buffer.from(h.name, 'utf8');
  if (name.length === 0 || name.length > 100) throw new Error(`tar entry name must be 1..100 bytes: ${h.name}`);
  const buf = Buffer.alloc(BLOCK);
  name.copy(buf, 0);
  putOctal(buf, 100, 8, h.mode & 0o7777);
  putOctal(buf, 108, 8, 0);
  putOctal(buf, 116, 8, 0);
  putOctal(buf, 124, 12, h.size);
  putOctal(buf, 136, 12, Math.max(0, Math.floor(h.mtime)));
  buf.fill(0x20, 148, 156);   // checksum is computed with its own field as spaces
  buf[156] = 0x30;            // '0': regular file
  putString(buf, 257, 6, 'ustar\0');
  putString(buf, 263, 2, '00');
  let sum = 0;
  for (const b of buf) sum += b;
  putString(buf, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return buf;
}

/** Writes entries to a file descriptor; the caller owns the fd. */
export class TarWriter {
  private offset = 0;
  constructor(private readonly fd: number) {}

  private write(b: Buffer): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done);
    this.offset += b.length;
  }

  /** Adds one entry whose whole content is in memory. */
  addBuffer(name: string, data: Buffer, mode = 0o600, mtime = Date.now() / 1000): void {
    this.write(encodeHeader({ name, size: data.length, mode, mtime }));
    this.write(data);
    this.pad(data.length);
  }

  /**
   * Adds an entry of `size` bytes produced by `fill(chunkWriter)` (streamed: large files never sit in memory).
   * `fill` must emit exactly `size` bytes; the writer checks it.
   */
  addStream(name: string, size: number, fill: (emit: (chunk: Buffer) => void) => void, mode = 0o600, mtime = Date.now() / 1000): void {
    this.write(encodeHeader({ name, size, mode, mtime }));
    let written = 0;
    fill((chunk) => { written += chunk.length; if (written > size) throw new Error(`tar entry ${name} overran ${size} bytes`); this.write(chunk); });
    if (written !== size) throw new Error(`tar entry ${name}: wrote ${written} of ${size} bytes`);
    this.pad(size);
  }

  private pad(size: number): void {
    const rem = size % BLOCK;
    if (rem) this.write(Buffer.alloc(BLOCK - rem));
  }

  /** Two zero blocks end the archive. */
  finish(): void { this.write(Buffer.alloc(2 * BLOCK)); }
}

export interface TarEntry extends TarEntryHeader { /** Byte offset of the content in the archive. */ dataOffset: number }
export interface TarFault { offset: number; entry?: string; message: string }

function readOctal(buf: Buffer, off: number, len: number): number | undefined {
  if (buf[off]! & 0x80) {
    let v = 0n;
    for (let i = off + 1; i < off + len; i++) v = (v << 8n) | BigInt(buf[i]!);
    return Number(v);
  }
  const s = buf.toString('latin1', off, off + len).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : undefined;
}

function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** Reads `len` bytes at `pos` (short at EOF). */
export function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, b, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? b : b.subarray(0, got);
}

/** Lists the entries of an archive file, with every structural fault found. Content is not read here. */
export function listTar(path: string): { entries: TarEntry[]; faults: TarFault[] } {
  const fd = openSync(path, 'r');
  try {
    const total = fstatSync(fd).size;
    const entries: TarEntry[] = [];
    const faults: TarFault[] = [];
    let pos = 0;
    for (;;) {
      if (pos + BLOCK > total) { faults.push({ offset: pos, message: 'archive ends without its two zero end blocks' }); break; }
      const h = readAt(fd, pos, BLOCK);
      if (isZero(h)) {
        const second = readAt(fd, pos + BLOCK, BLOCK);
        if (second.length < BLOCK || !isZero(second)) faults.push({ offset: pos + BLOCK, message: 'second end block missing or not zero' });
        const after = pos + 2 * BLOCK;
        if (after < total) {
          // Anything past the end blocks must be zero (some tools pad to a record size); we write none.
          const rest = readAt(fd, after, Math.min(total - after, 1 << 20));
          if (!isZero(rest) || total - after > (1 << 20)) faults.push({ offset: after, message: `${total - after} unexpected byte(s) after the end of the archive` });
        }
        break;
      }
      const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const stored = readOctal(h, 148, 8);
      const copy = Buffer.from(h);
      copy.fill(0x20, 148, 156);
      let sum = 0;
      for (const b of copy) sum += b;
      if (stored !== sum) faults.push({ offset: pos, entry: name, message: `header checksum mismatch (stored ${stored ?? 'unreadable'}, computed ${sum})` });
      const size = readOctal(h, 124, 12);
      if (size === undefined) { faults.push({ offset: pos + 124, entry: name, message: 'size field unreadable' }); break; }
      if (h[156] !== 0x30 && h[156] !== 0) faults.push({ offset: pos + 156, entry: name, message: `unexpected entry type '${String.fromCharCode(h[156]!)}'` });
      const dataOffset = pos + BLOCK;
      if (dataOffset + size > total) { faults.push({ offset: dataOffset, entry: name, message: `content runs past the end of the file (${size} bytes declared)` }); break; }
      entries.push({ name, size, mode: readOctal(h, 100, 8) ?? 0, mtime: readOctal(h, 136, 12) ?? 0, dataOffset });
      const rem = size % BLOCK;
      if (rem) {
        const padding = readAt(fd, dataOffset + size, BLOCK - rem);
        if (!isZero(padding)) faults.push({ offset: dataOffset + size, entry: name, message: 'padding after the content is not zero' });
      }
      pos = dataOffset + size + (rem ? BLOCK - rem : 0);
    }
    return { entries, faults };
  } finally {
    closeSync(fd);
  }
}

/** Streams the content of one entry through `sink` in chunks. */
export function readEntry(path: string, e: TarEntry, sink: (chunk: Buffer) => void, chunk = 1 << 20): void {
  const fd = openSync(path, 'r');
  try {
    for (let done = 0; done < e.size;) {
      const b = readAt(fd, e.dataOffset + done, Math.min(chunk, e.size - done));
      if (b.length === 0) break;
      sink(b);
      done += b.length;
    }
  } finally {
    closeSync(fd);
  }
}
