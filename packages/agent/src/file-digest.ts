// One file digest for the agent: the file is opened once, its identity (fstat) and content read through that one
// descriptor, so the digest belongs to the identity returned with it. Used by package ownership (MD5, dpkg's
// md5sums), the agent's own installation (SHA-256) and the facts of logged events (SHA-256, size-capped, cached).
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';

export interface DigestOptions {
  /** Only regular files up to this many bytes are read (default: any size, any kind readable). */
  max?: number;
  /** A digest already known for this identity: returned without reading the content. */
  cached?: (st: BigIntStats) => string | undefined;
}

/** Digest (hex) and identity of a file, or undefined when it cannot be opened or read, or is outside `max`. */
export function digestFile(path: string, algorithm: 'md5' | 'sha256', o: DigestOptions = {}): { digest: string; st: BigIntStats } | undefined {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return undefined; }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (o.max !== undefined && (!st.isFile() || st.size > BigInt(o.max))) return undefined;
    const known = o.cached?.(st);
    if (known !== undefined) return { digest: known, st };
    const h = createHash(algorithm);
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(4096, Number(st.size))));
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(n === buf.length ? buf : buf.subarray(0, n));
    return { digest: h.digest('hex'), st };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
