// Package-manager trust (dpkg): a file is package-owned when a package lists it AND its content still matches the
// MD5 digest dpkg recorded (/var/lib/dpkg/info/*.md5sums). The index (a compact hash table, not strings) is read
// lazily on first use; digests of files are cached by (dev, ino, ctime, mtime), so an unchanged file is hashed once.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { digestFile } from './file-digest.ts';

/** A file read through an open descriptor (a fanotify event's), identified by (dev, ino, ctime, mtime). */
export interface OpenedContent {
  key: string;
  /** pread into `buf` at `position`; bytes read, 0 at the end, -1 when the file can no longer be read. */
  read(buf: Buffer, position: number): number;
}

export interface PackageDb {
  /**
   * Whether `path` (a resolved path) is listed by a package and its content still matches. With `content`, the
   * content is read through it (the file the kernel opened), never by reopening the path.
   */
  isPackageOwned(path: string, content?: OpenedContent): boolean;
  /** Whether the path is listed at all (no hashing). */
  isListed(path: string): boolean;
  readonly size: number;
}

export function md5File(path: string): { digest: string; key: string } | undefined {
  const r = digestFile(path, 'md5');
  return r && { digest: r.digest, key: `${r.st.dev}:${r.st.ino}:${r.st.ctimeNs}:${r.st.mtimeNs}` };
}

/** MD5 of a file read through `content`; undefined when a read fails. */
export function md5Opened(content: OpenedContent): string | undefined {
  const h = createHash('md5');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let pos = 0; ;) {
    const n = content.read(buf, pos);
    if (n < 0) return undefined;
    if (n === 0) break;
    h.update(n === buf.length ? buf : buf.subarray(0, n));
    pos += n;
  }
  return h.digest('hex');
}

/**
 * The dpkg index as a compact open-addressing table: 64-bit hash of the path (two 32-bit halves) → the 16-byte
 * MD5 dpkg recorded. About 24 bytes per entry (~6 MB for Debian's ~100k files) instead of a Map of strings. A hash
 * collision cannot make a file trusted: ownership still needs the file's content to match the recorded digest,
 * i.e. to be the content of a packaged file.
 */
class DigestTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private md5: Uint8Array;
  private mask: number;
  count = 0;

  constructor(capacityPow2: number) {
    this.hi = new Uint32Array(capacityPow2);
    this.lo = new Uint32Array(capacityPow2);
    this.md5 = new Uint8Array(capacityPow2 * 16);
    this.mask = capacityPow2 - 1;
  }

  private grow(): void {
    const { hi, lo, md5 } = this;
    const next = new DigestTable(hi.length * 2);
    for (let i = 0; i < hi.length; i++) if (lo[i] !== 0) next.insert(hi[i]!, lo[i]!, md5, i * 16);
    Object.assign(this, { hi: next.hi, lo: next.lo, md5: next.md5, mask: next.mask });
  }

  /** `lo` is never 0 (the empty-slot mark). */
  insert(h: number, l: number, src: Uint8Array, at: number): void {
    if ((this.count + 1) * 2 > this.hi.length) this.grow();
    let i = (h ^ l) & this.mask;
    while (this.lo[i] !== 0 && (this.hi[i] !== h || this.lo[i] !== l)) i = (i + 1) & this.mask;
    if (this.lo[i] === 0) this.count++;
    this.hi[i] = h; this.lo[i] = l;
    this.md5.set(src.subarray(at, at + 16), i * 16);
  }

  find(h: number, l: number): string | undefined {
    let i = (h ^ l) & this.mask;
    while (this.lo[i] !== 0) {
      if (this.hi[i] === h && this.lo[i] === l) return Buffer.from(this.md5.buffer, this.md5.byteOffset + i * 16, 16).toString('hex');
      i = (i + 1) & this.mask;
    }
    return undefined;
  }
}

/** Two independent 32-bit FNV-1a style hashes of bytes [from, to) with `prefix` bytes hashed first. */
function hashBytes(buf: Uint8Array, from: number, to: number, prefix?: Uint8Array): [number, number] {
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
  const step = (c: number) => { a = Math.imul(a ^ c, 0x01000193); b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15); };
  if (prefix) for (let i = 0; i < prefix.length; i++) step(prefix[i]!);
  for (let i = from; i < to; i++) step(buf[i]!);
  return [a >>> 0, (b >>> 0) || 1];
}

const USR = Buffer.from('/usr');
const SLASH = Buffer.from('/');
const MERGED = /^\/(bin|sbin|lib|lib32|lib64|libx32)\//;

function hexNibble(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
}

export function createDpkgDb(infoDir = '/var/lib/dpkg/info'): PackageDb {
  let index: DigestTable | undefined;
  const digests = new Map<string, boolean>();

  function load(): DigestTable {
    if (index) return index;
    const t = new DigestTable(1 << 17);
    index = t;
    let names: string[] = [];
    try { names = readdirSync(infoDir); } catch { return t; }
    const md5 = new Uint8Array(16);
    for (const n of names) {
      if (!n.endsWith('.md5sums')) continue;
      let buf: Buffer;
      try { buf = readFileSync(`${infoDir}/${n}`); } catch { continue; }
      // Lines "<32 hex>  <path without leading slash>"; parsed in place, no per-line strings.
      let at = 0;
      while (at < buf.length) {
        let nl = buf.indexOf(10, at);
        if (nl < 0) nl = buf.length;
        if (nl - at >= 35) {
          let ok = true;
          for (let k = 0; k < 16; k++) {
            const x = hexNibble(buf[at + 2 * k]!), y = hexNibble(buf[at + 2 * k + 1]!);
            if (x < 0 || y < 0) { ok = false; break; }
            md5[k] = x * 16 + y;
          }
          if (ok) {
            const from = at + 34;
            const [h, l] = hashBytes(buf, from, nl, SLASH);
            t.insert(h, l, md5, 0);
            // Merged /usr: /bin/x is /usr/bin/x; index both spellings.
            const head = buf.toString('latin1', from, Math.min(nl, from + 8));
            if (MERGED.test('/' + head)) { const [h2, l2] = hashBytes(buf, from, nl, Buffer.concat([USR, SLASH])); t.insert(h2, l2, md5, 0); }
          }
        }
        at = nl + 1;
      }
    }
    return t;
  }

  function recorded(path: string): string | undefined {
    const b = Buffer.from(path, 'utf8');
    const [h, l] = hashBytes(b, 0, b.length);
    return load().find(h, l);
  }

  return {
    isListed: (path) => recorded(path) !== undefined,
    isPackageOwned(path, content) {
      const want = recorded(path);
      if (want === undefined) return false;
      let key: string;
      if (content) key = `${content.key}:${path}`;
      else {
        let st;
        try { st = statSync(path, { bigint: true }); } catch { return false; }
        key = `${st.dev}:${st.ino}:${st.ctimeNs}:${st.mtimeNs}:${path}`;
      }
      const cached = digests.get(key);
      if (cached !== undefined) return cached;
      const ok = (content ? md5Opened(content) : md5File(path)?.digest) === want;
      if (digests.size > 4096) digests.clear();
      digests.set(key, ok);
      return ok;
    },
    get size() { return load().count; },
  };
}

/** Resolves a path through symlinks when it can; the path itself otherwise. */
export function resolvePath(path: string): string {
  try { return realpathSync(path); } catch { return path; }
}
