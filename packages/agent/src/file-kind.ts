// What a file is, from its first bytes: an ELF program (has an interpreter or is ET_EXEC), an ELF shared object,
// a `#!` script (with its interpreter), or something else. Used to map opens to module.load or script.read.
import { closeSync, openSync, readSync } from 'node:fs';

export type FileKind =
  | { kind: 'elf-program'; interpreter?: string }
  | { kind: 'elf-library' }
  | { kind: 'script'; interpreter: string; arg?: string }
  | { kind: 'other' };

const PT_INTERP = 3;

export function classifyHeader(buf: Buffer): FileKind {
  if (buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46) {
    if (buf.length < 52) return { kind: 'elf-library' };
    const is64 = buf[4] === 2;
    const le = buf[5] !== 2;
    const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const type = u16(16);
    if (type === 2) return { kind: 'elf-program' };
    if (type !== 3) return { kind: 'other' };
    const phoff = is64 ? Number(le ? buf.readBigUInt64LE(32) : buf.readBigUInt64BE(32)) : u32(28);
    const phentsize = u16(is64 ? 54 : 42);
    const phnum = u16(is64 ? 56 : 44);
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      if (o + 4 > buf.length) break;
      if (u32(o) !== PT_INTERP) continue;
      const off = is64 ? Number(le ? buf.readBigUInt64LE(o + 8) : buf.readBigUInt64BE(o + 8)) : u32(o + 4);
      const size = is64 ? Number(le ? buf.readBigUInt64LE(o + 32) : buf.readBigUInt64BE(o + 32)) : u32(o + 16);
      if (off + size > buf.length || size < 2) return { kind: 'elf-program' };
      return { kind: 'elf-program', interpreter: buf.subarray(off, off + size - 1).toString('latin1') };
    }
    return { kind: 'elf-library' };
  }
  if (buf.length >= 3 && buf[0] === 0x23 && buf[1] === 0x21) {
    const nl = buf.indexOf(0x0a);
    const line = buf.subarray(2, nl < 0 ? buf.length : nl).toString('latin1').trim();
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
    if (m) return m[2] ? { kind: 'script', interpreter: m[1]!, arg: m[2].trim() } : { kind: 'script', interpreter: m[1]! };
  }
  return { kind: 'other' };
}

/** Reads the first 4 KiB of `path`; `other` when it cannot be read. */
export function classifyFile(path: string): FileKind {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return { kind: 'other' }; }
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return classifyHeader(buf.subarray(0, n));
  } catch {
    return { kind: 'other' };
  } finally {
    closeSync(fd);
  }
}
