// Package-manager trust (dpkg): a file is package-owned when a package lists it AND its content still matches the
// MD5 digest dpkg recorded (/var/lib/dpkg/info/*.md5sums). The index is read lazily on first use; digests of
// files are cached by (dev, ino, ctime, mtime), so an unchanged file is hashed once.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, fstatSync, realpathSync, statSync } from 'node:fs';

export interface PackageDb {
  /** Whether `path` (a resolved path) is listed by a package and unmodified. */
  isPackageOwned(path: string): boolean;
  /** Whether the path is listed at all (no hashing). */
  isListed(path: string): boolean;
  readonly size: number;
}

/** Directories that Debian's merged /usr turns into symlinks: /bin/x is really /usr/bin/x. */
function aliases(path: string): string[] {
  const m = /^\/(bin|sbin|lib|lib32|lib64|libx32)\//.exec(path);
  return m ? [path, '/usr' + path] : [path];
}

export function md5File(path: string): { digest: string; key: string } | undefined {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return undefined; }
  try {
    const st = fstatSync(fd, { bigint: true });
    const h = createHash('md5');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
    return { digest: h.digest('hex'), key: `${st.dev}:${st.ino}:${st.ctimeNs}:${st.mtimeNs}` };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export function createDpkgDb(infoDir = '/var/lib/dpkg/info'): PackageDb {
  let index: Map<string, string> | undefined;
  const digests = new Map<string, boolean>();

  function load(): Map<string, string> {
    if (index) return index;
    index = new Map();
    let names: string[] = [];
    try { names = readdirSync(infoDir); } catch { return index; }
    for (const n of names) {
      if (!n.endsWith('.md5sums')) continue;
      let text: string;
      try { text = readFileSync(`${infoDir}/${n}`, 'utf8'); } catch { continue; }
      for (const line of text.split('\n')) {
        // "<32 hex>  <path without leading slash>"
        if (line.length < 35) continue;
        const md5 = line.slice(0, 32);
        const path = '/' + line.slice(34);
        for (const p of aliases(path)) index.set(p, md5);
      }
    }
    return index;
  }

  return {
    isListed: (path) => load().has(path),
    isPackageOwned(path) {
      const want = load().get(path);
      if (want === undefined) return false;
      let st;
      try { st = statSync(path, { bigint: true }); } catch { return false; }
      const key = `${st.dev}:${st.ino}:${st.ctimeNs}:${st.mtimeNs}:${path}`;
      const cached = digests.get(key);
      if (cached !== undefined) return cached;
      const ok = md5File(path)?.digest === want;
      if (digests.size > 16384) digests.clear();
      digests.set(key, ok);
      return ok;
    },
    get size() { return load().size; },
  };
}

/** Resolves a path through symlinks when it can; the path itself otherwise. */
export function resolvePath(path: string): string {
  try { return realpathSync(path); } catch { return path; }
}
