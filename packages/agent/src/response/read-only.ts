// Reading evidence without disturbing it: files are opened O_RDONLY|O_NOATIME (the access time stays as it was;
// falls back to plain O_RDONLY where the kernel refuses NOATIME, i.e. not the owner and no CAP_FOWNER), and every
// reader hashes what it reads so the hash describes exactly the bytes kept.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

const NOATIME = (constants as Record<string, number>).O_NOATIME ?? 0;

/** Opens a file for reading without updating its access time. Throws the usual errno errors. */
export function openQuietly(path: string): number {
  if (NOATIME) {
    try {
      return openSync(path, constants.O_RDONLY | NOATIME);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    }
  }
  return openSync(path, constants.O_RDONLY);
}

export interface FileDigest { sha256: string; size: number; stat: Stats }

/**
 * Streams up to `limit` bytes of an open file (its size at open time, so a growing file does not run forever)
 * through `sink`, returning the sha256 of what was streamed.
 */
export function streamFd(fd: number, sink?: (chunk: Buffer) => void, limit?: number): { sha256: string; size: number } {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  let size = 0;
  for (;;) {
    const want = limit === undefined ? buf.length : Math.min(buf.length, limit - size);
    if (want <= 0) break;
    const n = readSync(fd, buf, 0, want, null);
    if (n === 0) break;
    const chunk = buf.subarray(0, n);
    hash.update(chunk);
    sink?.(Buffer.from(chunk));
    size += n;
  }
  return { sha256: hash.digest('hex'), size };
}

/** sha256 of a regular file, or undefined when it cannot be read (gone, a directory, no permission). */
export function hashFile(path: string): FileDigest | undefined {
  let fd: number;
  try { fd = openQuietly(path); } catch { return undefined; }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    return { ...streamFd(fd), stat };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Reads a small text file whole (autostart sources); undefined when unreadable or larger than `max`. */
export function readSmall(path: string, max = 4 << 20): { bytes: Buffer; sha256: string; stat: Stats } | undefined {
  let fd: number;
  try { fd = openQuietly(path); } catch { return undefined; }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > max) return undefined;
    const chunks: Buffer[] = [];
    const d = streamFd(fd, (c) => chunks.push(c), max);
    return { bytes: Buffer.concat(chunks), sha256: d.sha256, stat };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
