// Byte sources for the reader: positional reads from a file descriptor (files of any size, never loaded whole)
// or from bytes already in memory. The only module of this package that touches the file system.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface EvtxSource {
  /** Name used in warnings (the path for files). */
  readonly name: string;
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buf` at 0; returns the number read (short only at the end). */
  read(buf: Buffer, position: number, length: number): number;
  close(): void;
}

/** Opens a file for positional reads. Throws the usual fs error if it cannot be opened. */
export function openEvtxSource(path: string): EvtxSource {
  const fd = openSync(path, 'r');
  let size: number;
  try { size = fstatSync(fd).size; } catch (e) { closeSync(fd); throw e; }
  let open = true;
  return {
    name: path,
    size,
    read(buf, position, length) {
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return got;
    },
    close() { if (open) { open = false; closeSync(fd); } },
  };
}

/** A source over bytes in memory (tests, data from elsewhere). */
export function evtxSourceFromBytes(name: string, bytes: Uint8Array): EvtxSource {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    name,
    size: data.length,
    read(buf, position, length) {
      if (position >= data.length) return 0;
      return data.copy(buf, 0, position, Math.min(data.length, position + length));
    },
    close() { /* nothing to release */ },
  };
}
