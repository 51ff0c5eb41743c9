// Loads the compiled addon lazily (no import-time side effects) and says why when it cannot.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The raw addon surface (csrc/addon.cc). Wrapped by fanotify.ts; not exported from the package. */
export interface RawListener {
  start(onEvent: (ev: RawEvent) => void, onFail: (rec: RawFailRecord) => void): void;
  /** 0 unknown, 1 answered, 2 late (the kernel got allow), 3 late (the kernel got deny). */
  respond(id: number, allow: boolean, cache: boolean, ignoreOpens?: boolean, processData?: boolean): number;
  read(id: number, buf: Buffer, position: number): number;
  setFailSettings(failMode: 0 | 1, timeoutMs: number): void;
  addInterpreter(dev: number, ino: bigint): void;
  setFastExec(f: { enabled: boolean; names: string[]; prefixes: string[]; devs: number[]; launcher?: { dev: number; ino: bigint }; scriptExtensions?: string[] }): void;
  marks(): { dev: number; where: string; type: string; execOnly: boolean }[];
  setSubjectClass(pid: number, cls: number): boolean;
  clearSubjectClass(pid: number): boolean;
  clearCache(): void;
  stats(): Record<string, number | boolean>;
  stop(): void;
}

export interface RawEvent {
  id: number; pid: number; kind: 'exec' | 'open' | 'interp'; subjectClass: number; path: string;
  dev: number; ino: bigint; mode: number; uid: number; gid: number; size: number; nlink: number;
  ctimeNs: bigint; mtimeNs: bigint; contentRead: boolean; header: Buffer; dirs: Uint32Array | null;
  interpreterOpen: boolean;
}

export interface RawFailRecord {
  pid: number; kind: 'exec' | 'open' | 'interp'; path: string; answer: 'allow' | 'deny';
  cause: 'timeout' | 'queue-full' | 'unreadable';
}

export interface RawListenerOptions {
  paths: string[]; filesystemMark: boolean; openEvents: boolean; openFilter: 0 | 1; timeoutMs: number;
  failMode: 0 | 1; maxPending: number; cacheCapacity: number; ignoreOwnChildren: boolean; openIgnoreMarks: boolean;
  follow?: { all: boolean; beneath: string[]; skipTypes: string[]; execOnlyTypes: string[]; namespaces: boolean; source: 0 | 1 | 2 };
}

export interface Addon {
  Listener: new (opts: RawListenerOptions) => RawListener;
  landlockAbi(): number;
}

/** Whether the native side can be used here; `reason` says why not (platform, not built, load error). */
export type NativeAvailability = { available: true } | { available: false; reason: string };

const buildDir = fileURLToPath(new URL('../build/Release/', import.meta.url));
let cached: { addon: Addon } | { reason: string } | undefined;

function load(): { addon: Addon } | { reason: string } {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    cached = { reason: `fanotify and Landlock are Linux-only (platform: ${process.platform})` };
  } else if (!existsSync(buildDir + 'omamori_native.node')) {
    cached = { reason: `addon not built (${buildDir}omamori_native.node missing: run npm ci or "npm run install -w @omamori/native")` };
  } else {
    try {
      const require = createRequire(import.meta.url);
      cached = { addon: require(buildDir + 'omamori_native.node') as Addon };
    } catch (err) {
      cached = { reason: `addon failed to load: ${(err as Error).message}` };
    }
  }
  return cached;
}

export function nativeAvailable(): NativeAvailability {
  const r = load();
  return 'addon' in r ? { available: true } : { available: false, reason: r.reason };
}

/** The addon, or a thrown Error carrying the reason (callers check nativeAvailable() first). */
export function requireAddon(): Addon {
  const r = load();
  if ('reason' in r) throw new Error(`@omamori/native unavailable: ${r.reason}`);
  return r.addon;
}

/** Directory of the build outputs (the addon and the omamori-launch executable). */
export function buildDirectory(): string {
  return buildDir;
}
