// The agent never blocks its own program. The files of its installation that the sensor sees as code — the `omamori`
// entry script (a `#!` script), the native addons (omamori_native.node, better_sqlite3.node) and omamori-launch —
// are found and hashed (SHA-256) when the agent starts. Installed from the Debian package they are package-owned
// (dpkg lists them with their MD5) and root-owned system space, trusted as any packaged file. Otherwise (a checkout,
// an unpacked tree), or when the policy does not trust the package manager, their hashes are added to the policy's
// trusted hashes and the sensor attaches a hash only to these exact paths, only while the file is still the one
// hashed (same identity, or the same content when re-hashed): a copy elsewhere, or a file changed after start, is
// decided like any other file.
// Its JavaScript modules are code too: node is an interpreter, and a `.js` file it opens from user space is a script
// read (interpreters.ts). Hashing every module at start would cost too much, so a module under the installation's
// root is the agent's own while its inode is unchanged since the agent started (ctime before the start, less a
// margin for the filesystems' coarse clock): writing, renaming, linking or chmod-ing it after that moves its ctime.
// A module changed before the agent started is trusted as the hashed files are (they too are hashed as found).
// That is also why an agent running from user space protects nothing worth the name — whoever can write its files
// before it starts can change it. `userSpaceWhy` says so (`omamori up` prints it).
import { closeSync, fstatSync, openSync, realpathSync, type BigIntStats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compile, type CompiledPolicy } from '@omamori/policy';
import { launcherPath } from '@omamori/native';
import { digestFile } from './file-digest.ts';
import type { PackageDb } from './package-db.ts';

export interface OwnFile {
  path: string;
  sha256: string;
}

export interface OwnInstallation {
  /** The directory the program runs from: the checkout, or /usr/lib/omamori when installed. */
  readonly root: string;
  readonly files: readonly OwnFile[];
  /**
   * The SHA-256 of `path` when it is one of the installation's files and still has the content hashed at start —
   * and, given `opened` (the device and inode the kernel opened), only while the name still leads to that file.
   */
  hashOf(path: string, opened?: { dev: number; ino: bigint }): string | undefined;
  /** `path` (as the kernel opened it, with its ctime) is a JavaScript module of the installation unchanged since start. */
  isOwnModule(path: string, ctimeNs: bigint): boolean;
}

const MODULE = /\.(?:js|mjs|cjs)$/;
/** Filesystem timestamps come from the kernel's coarse clock, up to a tick behind the real time. */
const CLOCK_MARGIN_NS = 50_000_000n;

const identityKey = (st: BigIntStats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;

/** SHA-256 and identity (dev, inode, size, mtime, ctime) of a file, or undefined when it cannot be read. */
function hashFile(path: string): { sha256: string; key: string } | undefined {
  const r = digestFile(path, 'sha256');
  return r && { sha256: r.digest, key: identityKey(r.st) };
}

function identity(path: string): string | undefined {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return undefined; }
  try {
    const st = fstatSync(fd, { bigint: true });
    return identityKey(st);
  } finally {
    closeSync(fd);
  }
}

/** The code files of the running program (resolved paths), whatever its layout (checkout or /usr/lib/omamori). */
export function ownCodeFiles(): { root: string; paths: string[] } {
  const require = createRequire(import.meta.url);
  const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'));
  const root = dirname(dirname(sqliteDir));
  const launcher = launcherPath();
  const candidates = [
    join(root, 'node_modules/@omamori/cli/bin/omamori.mjs'),
    join(dirname(launcher), 'omamori_native.node'),
    launcher,
    join(sqliteDir, 'build/Release/better_sqlite3.node'),
  ];
  const paths: string[] = [];
  for (const p of candidates) {
    try { paths.push(realpathSync(p)); } catch { /* not present in this layout */ }
  }
  return { root, paths };
}

export function findOwnInstallation(startedMs = Date.now()): OwnInstallation {
  const { root, paths } = ownCodeFiles();
  const under = root.endsWith('/') ? root : `${root}/`;
  const startedNs = BigInt(Math.floor(startedMs)) * 1_000_000n - CLOCK_MARGIN_NS;
  const known = new Map<string, { sha256: string; key: string }>();
  for (const p of paths) {
    const h = hashFile(p);
    if (h) known.set(p, h);
  }
  return {
    root,
    files: [...known].map(([path, h]) => ({ path, sha256: h.sha256 })),
    hashOf(path, opened) {
      const k = known.get(path);
      if (!k) return undefined;
      const same = (key: string) => (!opened || key.startsWith(`${opened.dev}:${opened.ino}:`) ? k.sha256 : undefined);
      if (identity(path) === k.key) return same(k.key);
      const now = hashFile(path);
      if (!now || now.sha256 !== k.sha256) return undefined;
      k.key = now.key;
      return same(k.key);
    },
    isOwnModule: (path, ctimeNs) => path.startsWith(under) && MODULE.test(path) && ctimeNs < startedNs,
  };
}

/**
 * The policy with the installation's files added to its trusted hashes — those not already trusted as package-owned
 * (a file dpkg lists unchanged, when the policy trusts the package manager). The policy's name and version stay.
 */
export function trustOwnFiles(policy: CompiledPolicy, own: OwnInstallation, packages: PackageDb): CompiledPolicy {
  const doc = policy.doc;
  const add = own.files.filter((f) => !(doc.trust.packageManager && packages.isPackageOwned(f.path)));
  if (add.length === 0) return policy;
  return compile({
    ...doc,
    trust: { ...doc.trust, hashes: [...doc.trust.hashes, ...add.map((f) => ({ sha256: f.sha256, note: `omamori installation: ${f.path}` }))] },
  });
}

/**
 * Why the installation counts as user space (a user can change the agent's code), or undefined when it is system
 * space. `isUserSpace` is the sensor's view: the permission probe and the policy's user-space paths.
 */
export function userSpaceWhy(own: { root: string; files: readonly { path: string }[] },
  isUserSpace: (path: string) => string | undefined): string | undefined {
  for (const p of [own.root, ...own.files.map((f) => f.path)]) {
    const why = isUserSpace(p);
    if (why) return why;
  }
  return undefined;
}
