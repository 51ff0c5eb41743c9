// compile(policy): turns a validated PolicyDocument into the lookup structures the engine reads on its hot path.
// Done once per policy load; the result is immutable and swapped atomically.
import { baseName, PlatformPathSet } from './patterns.ts';
import { NAME_SETS, PATH_SETS, SYSTEM_HOOK_FILES } from './sets.ts';
import type { GuardedApplication, Mode, FailMode, PolicyDocument } from './types.ts';
import { parseIsoDate } from './validate.ts';

export interface CompiledException {
  id: string;
  path?: PlatformPathSet;
  sha256?: string;
  expires: number;
  host?: string;
}

export interface CompiledApp {
  app: GuardedApplication;
  paths?: PlatformPathSet;
  profiles?: PlatformPathSet;
}

export interface CompiledPolicy {
  readonly doc: PolicyDocument;
  /** `name@version`, carried in every decision. */
  readonly version: string;
  readonly mode: Mode;
  readonly failMode: FailMode;
  readonly userSpace: PlatformPathSet;
  /** Windows: the only system-space folders (everything else is user space). */
  readonly systemFolders: PlatformPathSet;
  readonly trustedHashes: ReadonlySet<string>;
  readonly trustPaths: PlatformPathSet;
  /** Lower-cased signer → launch setting. */
  readonly publishers: ReadonlyMap<string, 'normal' | 'guarded'>;
  readonly exceptions: readonly CompiledException[];
  /** Image name (as written, and lower-cased for Windows) → application. */
  readonly appsByName: ReadonlyMap<string, CompiledApp>;
  readonly appsByHash: ReadonlyMap<string, CompiledApp>;
  readonly appsWithPaths: readonly CompiledApp[];
  readonly appsById: ReadonlyMap<string, CompiledApp>;
  readonly deniedChildren: ReadonlySet<string>;
  readonly allowedChildren: ReadonlySet<string>;
  /** Whether `@system` stands in writeProtect: guarded processes may not write system space. */
  readonly writeProtectSystem: boolean;
  readonly writeProtect: PlatformPathSet;
  readonly autostart: PlatformPathSet;
  readonly readProtect: PlatformPathSet;
  readonly processProtection: boolean;
  readonly denyUserSpaceCode: boolean;
  readonly denySystemHooks: boolean;
  readonly trustedInstallers: PlatformPathSet;
  /** Files whose replacement is a system hook (accessibility programs). */
  readonly systemHookFiles: PlatformPathSet;
}

function expandPaths(list: readonly string[]): string[] {
  return list.flatMap((p) => (p.startsWith('@') ? [...(PATH_SETS[p.slice(1)] ?? [])] : [p]));
}

function expandNames(list: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const n of list) {
    for (const name of n.startsWith('@') ? NAME_SETS[n.slice(1)] ?? [] : [n]) { out.add(name); out.add(name.toLowerCase()); }
  }
  return out;
}

export function compile(doc: PolicyDocument): CompiledPolicy {
  const appsByName = new Map<string, CompiledApp>();
  const appsByHash = new Map<string, CompiledApp>();
  const appsWithPaths: CompiledApp[] = [];
  const appsById = new Map<string, CompiledApp>();
  for (const app of doc.guarded.applications) {
    const c: CompiledApp = { app };
    if (app.paths?.length) c.paths = new PlatformPathSet(expandPaths(app.paths));
    if (app.profiles?.length) c.profiles = new PlatformPathSet(expandPaths(app.profiles));
    for (const n of app.names ?? []) {
      const name = baseName(n, 'linux');
      if (!appsByName.has(name)) appsByName.set(name, c);
      if (!appsByName.has(name.toLowerCase())) appsByName.set(name.toLowerCase(), c);
    }
    for (const h of app.sha256 ?? []) appsByHash.set(h.toLowerCase(), c);
    if (c.paths) appsWithPaths.push(c);
    appsById.set(app.id, c);
  }
  const exceptions: CompiledException[] = doc.trust.exceptions.map((x) => {
    const e: CompiledException = { id: x.id, expires: parseIsoDate(x.expires) ?? 0 };
    if (x.path) e.path = new PlatformPathSet([x.path]);
    if (x.sha256) e.sha256 = x.sha256.toLowerCase();
    if (x.host) e.host = x.host.toLowerCase();
    return e;
  });
  const allowed = expandNames(doc.guarded.allowedChildren);
  const denied = expandNames(doc.guarded.deniedChildren);
  for (const a of allowed) denied.delete(a);
  return Object.freeze({
    doc,
    version: `${doc.name}@${doc.version}`,
    mode: doc.mode,
    failMode: doc.failMode,
    userSpace: new PlatformPathSet(expandPaths(doc.userSpace.paths)),
    systemFolders: new PlatformPathSet(expandPaths(doc.userSpace.systemFolders)),
    trustedHashes: new Set(doc.trust.hashes.map((h) => h.sha256.toLowerCase())),
    trustPaths: new PlatformPathSet(expandPaths(doc.trust.paths)),
    publishers: new Map(doc.trust.publishers.map((p) => [p.signer.toLowerCase(), p.launch ?? 'normal'])),
    exceptions,
    appsByName, appsByHash, appsWithPaths, appsById,
    deniedChildren: denied,
    allowedChildren: allowed,
    writeProtectSystem: doc.guarded.writeProtect.includes('@system'),
    writeProtect: new PlatformPathSet(expandPaths(doc.guarded.writeProtect.filter((p) => p !== '@system'))),
    autostart: new PlatformPathSet(PATH_SETS.autostart ?? []),
    readProtect: new PlatformPathSet(expandPaths(doc.guarded.readProtect)),
    processProtection: doc.guarded.processProtection,
    denyUserSpaceCode: doc.persistence.denyUserSpaceCode,
    denySystemHooks: doc.persistence.denySystemHooks,
    trustedInstallers: new PlatformPathSet(expandPaths(doc.persistence.trustedInstallers)),
    systemHookFiles: new PlatformPathSet(SYSTEM_HOOK_FILES),
  });
}
