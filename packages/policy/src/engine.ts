// The decision engine: `createEngine(compiled)` then `decide(event)` on a pure hot path. It keeps the process
// lineage (who started whom, and which guarded application each process belongs to) and answers every event with a
// Decision value. No I/O, no clock (time comes from the event or the options), bounded memory.
import type { CompiledApp, CompiledPolicy } from './compile.ts';
import { REASONS, type Decision, type LineageEntry, type ReasonCode, type Verdict } from './decision.ts';
import { COMMAND_LINE_HOSTS, namedCode } from './command-line.ts';
import {
  SYSTEM_HOOK_LOCATIONS, type FileRef, type OmamoriEvent, type PersistenceEvent, type Platform, type ProcessInfo, type ProcessRef,
  type ProcessStartEvent,
} from './events.ts';
import { baseName, hasShortNameSegment, normalizeWindowsPath } from './patterns.ts';
import { ProcessTable, type ProcessNode } from './process-table.ts';
import { isComOrWmiActivation, isServiceAccount, SERVICES_EXE } from './windows-ancestry.ts';

export interface EngineOptions {
  /** Milliseconds since the epoch used for exception expiry when an event carries no time. */
  now?: number;
  /** This endpoint's host name, for host-limited exceptions when events carry none. */
  host?: string;
  /** Most processes remembered; the oldest are forgotten beyond it. */
  maxProcesses?: number;
  /** Deepest lineage kept per process (nearest ancestors win). */
  maxLineage?: number;
  /**
   * Whether a refused process start is remembered as if it had run (default true: replay asks "what else would be
   * stopped if this were allowed?"). An enforcing agent sets false: the exec failed, the process keeps its old image.
   */
  keepRefusedStarts?: boolean;
}

export interface Engine {
  decide(event: OmamoriEvent): Decision;
  /** Replaces the policy atomically; lineage and guarded status of running processes are kept. */
  swapPolicy(policy: CompiledPolicy): void;
  readonly policy: CompiledPolicy;
  lookup(ref: ProcessRef): ProcessNode | undefined;
  readonly processCount: number;
}

const RULE = {
  userSpaceExec: 'launch.user-space',
  userSpaceLibrary: 'launch.user-space-library',
  userSpaceScript: 'launch.user-space-script',
  lockdown: 'launch.lockdown',
  children: 'guarded.children',
  write: 'guarded.write',
  read: 'guarded.read',
  persistence: 'guarded.persistence',
  process: 'guarded.process',
  containment: 'guarded.containment',
  persistUserSpace: 'persistence.user-space-code',
  systemHook: 'persistence.system-hook',
  remote: 'launch.remote-code',
  trustHash: 'trust.hash',
  trustPackage: 'trust.package',
  trustPath: 'trust.path',
  trustPublisher: 'trust.publisher',
  systemSpace: 'launch.system-space',
  notProtected: 'default',
} as const;

// Paths in a command: quoted; unquoted up to a program or module extension (services hold unquoted paths with
// spaces, `C:\Program Files\x\y.exe -k`), without running into the next path; else up to a space or comma.
const WIN_PATH_IN_COMMAND = new RegExp([
  '"([a-zA-Z]:\\\\[^"]+)"',
  '([a-zA-Z]:\\\\(?:(?![a-zA-Z]:\\\\)[^"\\r\\n])*?\\.(?:exe|dll|sys|com|bat|cmd|scr|cpl|ocx|ps1|vbs|vbe|js|jse|wsf|hta|msi))(?=[\\s,"]|$)',
  '([a-zA-Z]:\\\\[^\\s,"]+)',
  '"(\\\\\\\\[^"]+)"',
  '(\\\\\\\\[^\\s,"]+)',
].join('|'), 'gi');
const LINUX_PATH_IN_COMMAND = /(?:^|[\s='"])(\/[^\s'";|&]+|~\/[^\s'";|&]+)/g;

const KERNEL: ProcessNode = {
  pid: 0, start: undefined, guid: undefined, image: 'kernel', guarded: undefined, app: undefined, service: false, lineage: [],
};

type Trust = { reason: ReasonCode; rule: string } | undefined;

/** `python3.11` → `python3`, `python`; `ruby3.1` → `ruby3`, `ruby`: the name without its trailing version. */
function versionlessNames(name: string): string[] {
  const minor = name.replace(/(\.\d+)+$/, '');
  const bare = name.replace(/[\d.]+$/, '');
  return [minor, bare].filter((n) => n !== '' && n !== name);
}

export function createEngine(initial: CompiledPolicy, options: EngineOptions = {}): Engine {
  let p = initial;
  const maxProcesses = options.maxProcesses ?? 65536;
  const maxLineage = options.maxLineage ?? 16;
  const keepRefusedStarts = options.keepRefusedStarts ?? true;
  const now = options.now ?? 0;
  const defaultHost = options.host?.toLowerCase();
  const procs = new ProcessTable(maxProcesses);
  // Windows paths repeat (images, DLLs): their normalised form is kept in a small bounded map, which costs one hash
  // of the incoming string instead of two new strings per event.
  const windowsPaths = new Map<string, string>();
  function normalizePath(path: string, platform: Platform): string {
    if (platform !== 'windows') return path;
    let n = windowsPaths.get(path);
    if (n === undefined) {
      n = normalizeWindowsPath(path);
      if (windowsPaths.size >= 4096) windowsPaths.clear();
      windowsPaths.set(path, n);
    }
    return n;
  }
  /** Mount points of removable/network media seen at run time: user space. Normalised, with a trailing '/'. */
  const mediaPrefixes: string[] = [];

  function verdictFor(block: boolean): Verdict {
    return block ? (p.mode === 'audit' ? 'audit-deny' : 'deny') : 'allow';
  }

  // Every decision has the same shape (absent guarded/object are undefined, dropped by JSON) to keep the hot path
  // monomorphic.
  function decision(block: boolean, reason: ReasonCode, rule: string, node: ProcessNode, cacheable: boolean,
    object?: string, unlessSigned = false): Decision {
    return {
      verdict: verdictFor(block), reason, rule, policyVersion: p.version, lineage: node.lineage, cacheable,
      guarded: node.guarded, object, unlessSigned,
    };
  }

  /** Whether a trusted publisher's signature on this file would change a refusal the event gave no signature for. */
  function signatureUnknown(f: { signer?: string; signed?: boolean }): boolean {
    return f.signer === undefined && f.signed === undefined && p.publishers.size > 0;
  }

  function remember(node: ProcessNode): ProcessNode {
    procs.set(node);
    return node;
  }

  function makeNode(info: ProcessRef & { image?: string }, parent: ProcessNode | undefined, guarded: string | undefined,
    app?: string, service = false): ProcessNode {
    const image = info.image ?? '?';
    const entry: LineageEntry = guarded === undefined ? { pid: info.pid, image } : { pid: info.pid, image, guarded };
    let lineage: LineageEntry[];
    if (parent) {
      const pl = parent.lineage;
      const from = pl.length >= maxLineage ? pl.length - maxLineage + 1 : 0;
      lineage = pl.slice(from);
      lineage.push(entry);
    } else lineage = [entry];
    return { pid: info.pid, start: info.start, guid: info.guid, image, guarded, app, service, lineage };
  }

  /** The node for a subject we may not have seen start (agent started late, log begins mid-stream). */
  function subject(ref: ProcessRef & { image?: string }, platform: Platform, ancestors?: ProcessInfo[]): ProcessNode {
    const known = procs.get(ref);
    if (known) return known;
    let parent: ProcessNode | undefined;
    if (ancestors && ancestors.length) {
      // Build root-first from the nearest-first ancestor list.
      for (let i = ancestors.length - 1; i >= 0; i--) {
        const a = ancestors[i]!;
        const existing = procs.get(a);
        const app = existing ? undefined : matchApp(a, platform)?.app.id;
        parent = existing ?? remember(makeNode(a, parent, parent?.guarded ?? app, app));
      }
    }
    const app = ref.image !== undefined ? matchApp({ image: ref.image }, platform)?.app.id : undefined;
    return remember(makeNode(ref, parent, parent?.guarded ?? app, app));
  }

  function matchApp(info: { image: string; sha256?: string }, platform: Platform, strongOnly = false,
    normImage?: string): CompiledApp | undefined {
    if (info.sha256) { const h = p.appsByHash.get(info.sha256.toLowerCase()); if (h) return h; }
    if (p.appsWithPaths.length) {
      const norm = normImage ?? normalizePath(info.image, platform);
      for (const c of p.appsWithPaths) if (c.paths!.matches(norm, platform)) return c;
    }
    return strongOnly ? undefined : p.appsByName.get(normImage !== undefined ? baseName(normImage, 'linux') : baseName(info.image, platform));
  }

  /**
   * Whether a path (already normalised for its platform) is in user space, unless the sensor said so. Windows: the
   * user-space patterns, removable media, other drives and network paths, 8.3 names under %WINDIR% (they may hide a
   * writable folder), and everything outside the policy's system folders; names that are not paths are not.
   */
  function isUserSpace(norm: string, given: boolean | undefined, platform: Platform): boolean {
    if (given !== undefined) return given;
    for (let i = 0; i < mediaPrefixes.length; i++) if (norm.startsWith(mediaPrefixes[i]!)) return true;
    if (p.userSpace.matches(norm, platform)) return true;
    if (platform !== 'windows') return false;
    if (norm.length > 2 && norm[1] === ':' && norm[2] === '/') {
      if (norm[0] !== 'c') return true;
      if (!p.systemFolders.matches(norm, platform)) return true;
      return norm.startsWith('c:/windows/') && hasShortNameSegment(norm);
    }
    return norm.startsWith('//');
  }

  function exceptionFor(norm: string, sha256: string | undefined, platform: Platform, ev: OmamoriEvent) {
    if (p.exceptions.length === 0) return undefined;
    const t = ev.time ?? now;
    const host = ev.host?.toLowerCase() ?? defaultHost;
    for (const x of p.exceptions) {
      if (t >= x.expires) continue;
      if (x.host !== undefined && x.host !== host) continue;
      if (x.sha256 !== undefined) { if (sha256?.toLowerCase() !== x.sha256) continue; }
      if (x.path !== undefined && !x.path.matches(norm, platform)) continue;
      return x;
    }
    return undefined;
  }

  /** Trust of a file by hash, publisher or package ownership (the kinds that count even in lockdown). */
  function strongTrust(f: { sha256?: string; signer?: string; packageOwned?: boolean }): Trust {
    if (f.sha256 && p.trustedHashes.has(f.sha256.toLowerCase())) return { reason: REASONS.ALLOW_TRUSTED_HASH, rule: RULE.trustHash };
    if (f.signer && p.publishers.has(f.signer.toLowerCase())) return { reason: REASONS.ALLOW_TRUSTED_PUBLISHER, rule: RULE.trustPublisher };
    if (f.packageOwned && p.doc.trust.packageManager) return { reason: REASONS.ALLOW_TRUSTED_PACKAGE, rule: RULE.trustPackage };
    return undefined;
  }

  /** Launch control of a library or script file loaded by `node`. */
  function launchControl(f: FileRef, platform: Platform, node: ProcessNode, ev: OmamoriEvent,
    userSpaceReason: ReasonCode, userSpaceRule: string, object?: string, cacheable = true): Decision {
    const norm = normalizePath(f.path, platform);
    const x = exceptionFor(norm, f.sha256, platform, ev);
    if (x) return decision(false, REASONS.ALLOW_EXCEPTION, `exception:${x.id}`, node, false, object);
    const trust = strongTrust(f);
    if (trust) return decision(false, trust.reason, trust.rule, node, cacheable, object);
    if (isUserSpace(norm, f.userSpace, platform)) return decision(true, userSpaceReason, userSpaceRule, node, cacheable, object, signatureUnknown(f));
    if (p.mode === 'lockdown') return decision(true, REASONS.LOCKDOWN_UNTRUSTED, RULE.lockdown, node, cacheable, object, signatureUnknown(f));
    if (p.trustPaths.matches(norm, platform)) return decision(false, REASONS.ALLOW_TRUSTED_PATH, RULE.trustPath, node, cacheable, object);
    return decision(false, REASONS.ALLOW_SYSTEM_SPACE, RULE.systemSpace, node, cacheable, object);
  }

  /** A program allowed to write system hooks: unguarded, its image in system space and on the installer list. */
  function trustedInstaller(node: ProcessNode, platform: Platform): boolean {
    if (node.guarded !== undefined || node.image === '?') return false;
    const norm = normalizePath(node.image, platform);
    return p.trustedInstallers.matches(norm, platform) && !isUserSpace(norm, undefined, platform);
  }

  /**
   * Whether the path lies in the profile of the application this process itself is. Descendants do not inherit
   * it: a shell started by the mail client may not read the mail store.
   */
  function ownProfile(node: ProcessNode, norm: string, platform: Platform): boolean {
    const app = node.app === undefined ? undefined : p.appsById.get(node.app);
    return app?.profiles !== undefined && app.profiles.matches(norm, platform);
  }

  /**
   * The untrusted user-space code an autostart entry would start, if any: every path in the command, except the
   * resolved code file when it is trusted (exception, hash, publisher) or known to lie in system space.
   */
  function userSpaceCodeOf(ev: PersistenceEvent): { file: FileRef } | undefined {
    const platform = ev.platform;
    const cf = ev.commandFile;
    const cfNorm = cf ? normalizePath(cf.path, platform) : undefined;
    const cfTrusted = cf !== undefined && cfNorm !== undefined
      && (exceptionFor(cfNorm, cf.sha256, platform, ev) !== undefined || strongTrust(cf) !== undefined);
    if (ev.commandUserSpace !== undefined) return ev.commandUserSpace && !cfTrusted ? { file: cf ?? { path: ev.command ?? ev.target } } : undefined;
    // The code file is judged as a whole (its path may hold spaces the command does not quote); the rest of the
    // command is scanned for other paths.
    let rest = ev.command;
    if (cf && rest !== undefined) {
      const i = rest.toLowerCase().indexOf(cf.path.toLowerCase());
      if (i >= 0) rest = rest.slice(0, i) + ' ' + rest.slice(i + cf.path.length);
    }
    const paths = rest !== undefined ? pathsIn(rest, platform) : [];
    if (cf) paths.push(cf.path);
    for (const path of paths) {
      const norm = normalizePath(path, platform);
      if (norm === cfNorm) {
        if (cfTrusted) continue;
        if (isUserSpace(norm, cf!.userSpace, platform)) return { file: cf! };
        continue;
      }
      if (isUserSpace(norm, undefined, platform)) return { file: { path } };
    }
    return undefined;
  }

  function pathsIn(command: string, platform: Platform): string[] {
    const re = platform === 'windows' ? WIN_PATH_IN_COMMAND : LINUX_PATH_IN_COMMAND;
    re.lastIndex = 0;
    const out: string[] = [];
    for (let m = re.exec(command); m; m = re.exec(command)) {
      const path = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5];
      if (path) out.push(path);
    }
    return out;
  }

  /** The node of a starting process (remembered at once, so its own later events find it). */
  function startNode(ev: ProcessStartEvent, prev: ProcessNode | undefined): ProcessNode {
    const platform = ev.platform;
    const anc = ev.ancestors;
    const parentRef = ev.parent ?? anc?.[0];
    const parent = parentRef === undefined ? undefined
      : procs.get(parentRef) ?? (anc?.length ? subject(anc[0]!, platform, anc.slice(1)) : undefined);
    const info = ev.proc;
    const norm = normalizePath(info.image, platform);
    const app = matchApp(info, platform, false, norm);
    const publisherLaunch = info.signer ? p.publishers.get(info.signer.toLowerCase()) : undefined;
    const service = platform === 'windows' && parent !== undefined && parent.guarded === undefined
      && (parent.service || normalizePath(parent.image, platform) === SERVICES_EXE)
      && !isComOrWmiActivation(baseName(norm, 'linux'), info.commandLine);
    // A script host that a service starts under a service account (provisioning, remote management, Windows' own
    // scheduled scripts) is not guarded by its name alone; started by a guarded process it always is.
    // (Or under any account when what it runs is a script in system space: Windows' own scheduled scripts.)
    const serviceScriptHost = service && app?.app.kind === 'script-host' && !strongMatch(app, info, platform, norm)
      && (isServiceAccount(info.user) || runsSystemScript(info, norm));
    // Guarded status is never lifted: not by a new child, not by an exec in place.
    const guarded = prev?.guarded ?? parent?.guarded ?? (serviceScriptHost ? undefined : app?.app.id) ?? info.guardedAs
      ?? (publisherLaunch === 'guarded' ? 'publisher' : undefined);
    return remember(makeNode(info, parent, guarded, app?.app.id, service));
  }

  /** Whether a Windows script host's command line names a script, and only scripts in system space. */
  function runsSystemScript(info: ProcessInfo, norm: string): boolean {
    const codes = namedCode(baseName(norm, 'linux'), info.commandLine, info.cwd);
    return codes.length > 0 && codes.every((c) => c.kind === 'script' && !c.remote
      && !isUserSpace(normalizePath(c.path, 'windows'), undefined, 'windows'));
  }

  /** A guarded application matched by path or hash (not by its name alone). */
  function strongMatch(app: CompiledApp, info: ProcessInfo, platform: Platform, norm: string): boolean {
    return app !== p.appsByName.get(baseName(norm, 'linux')) || matchApp(info, platform, true, norm) !== undefined;
  }

  function deniedChild(name: string): boolean {
    if (p.deniedChildren.has(name)) return true;
    if (!/\d$/.test(name)) return false;
    for (const n of versionlessNames(name)) if (p.deniedChildren.has(n)) return !p.allowedChildren.has(name);
    return false;
  }

  function decideStart(ev: ProcessStartEvent, node: ProcessNode, prev: ProcessNode | undefined): Decision {
    const d = decideImage(ev, node, prev);
    if (d.verdict !== 'allow' || ev.platform !== 'windows') return d;
    // Windows: what the command line names as code (a script, a proxied module) is launch-controlled too.
    const name = baseName(ev.proc.image, 'windows');
    if (!COMMAND_LINE_HOSTS.has(name)) return d;
    // Only user-space and remote code is judged here: a named file in system space is judged when it is actually
    // loaded or read (that event carries its signature, which lockdown needs).
    for (const code of namedCode(name, ev.proc.commandLine, ev.proc.cwd)) {
      if (code.remote) return decision(true, REASONS.REMOTE_CODE, RULE.remote, node, false, code.path);
      const norm = normalizePath(code.path, 'windows');
      if (!isUserSpace(norm, undefined, 'windows')) continue;
      const x = exceptionFor(norm, undefined, 'windows', ev);
      if (x) continue;
      return code.kind === 'script'
        ? decision(true, REASONS.USER_SPACE_SCRIPT, RULE.userSpaceScript, node, false, code.path, p.publishers.size > 0)
        : decision(true, REASONS.USER_SPACE_LIBRARY, RULE.userSpaceLibrary, node, false, code.path, p.publishers.size > 0);
    }
    return d.cacheable ? { ...d, cacheable: false } : d;
  }

  /** The decision on the image itself (before anything its command line names). */
  function decideImage(ev: ProcessStartEvent, node: ProcessNode, prev: ProcessNode | undefined): Decision {
    const platform = ev.platform;
    const info = ev.proc;
    const norm = normalizePath(info.image, platform);
    const name = baseName(norm, 'linux'); // norm is already lower-cased on Windows
    const app = node.app === undefined ? undefined : p.appsById.get(node.app);
    // Guarded by an ancestor (or by this very process before it exec'd): the child-launch rules apply.
    const startedGuarded = node.lineage.length > 1 ? node.lineage[node.lineage.length - 2]!.guarded !== undefined : false;
    // `python3.11`, `ruby3.1`, `php8.2` are what the kernel opens for `python3`, `ruby`, `php`: also match the name
    // without its version suffix.
    if ((startedGuarded || prev?.guarded !== undefined) && deniedChild(name)) {
      return decision(true, REASONS.GUARDED_CHILD_DENIED, RULE.children, node, true, info.image);
    }
    // A guarded application must start inside the containment (its parent's, or the launcher's).
    if (app !== undefined && !startedGuarded && prev?.guarded === undefined && info.contained === false) {
      return decision(true, REASONS.GUARDED_NOT_CONTAINED, RULE.containment, node, false, info.image);
    }
    const x = exceptionFor(norm, info.sha256, platform, ev);
    if (x) return decision(false, REASONS.ALLOW_EXCEPTION, `exception:${x.id}`, node, false, info.image);
    // Starting a guarded application depends on how it was started (containment): never cached.
    const trust = strongTrust(info);
    if (trust) return decision(false, trust.reason, trust.rule, node, app === undefined, info.image);
    const userSpace = isUserSpace(norm, info.userSpace, platform);
    // A guarded application matched by path or hash starts guarded even from user space; by name alone it does not.
    const strongApp = app !== undefined && strongMatch(app, info, platform, norm);
    if (userSpace) {
      if (strongApp) return decision(false, REASONS.ALLOW_GUARDED_APP, `guarded.app:${app!.app.id}`, node, false, info.image);
      return decision(true, REASONS.USER_SPACE_EXEC, RULE.userSpaceExec, node, true, info.image, signatureUnknown(info));
    }
    if (p.mode === 'lockdown') return decision(true, REASONS.LOCKDOWN_UNTRUSTED, RULE.lockdown, node, true, info.image, signatureUnknown(info));
    if (app) return decision(false, REASONS.ALLOW_GUARDED_APP, `guarded.app:${app.app.id}`, node, false, info.image);
    if (p.trustPaths.matches(norm, platform)) return decision(false, REASONS.ALLOW_TRUSTED_PATH, RULE.trustPath, node, true, info.image);
    return decision(false, REASONS.ALLOW_SYSTEM_SPACE, RULE.systemSpace, node, true, info.image);
  }

  function decide(ev: OmamoriEvent): Decision {
    const platform = ev.platform;
    switch (ev.kind) {
      case 'process.start': {
        // On Linux a start with the key of a known process of another image is an exec in place (pid and start time
        // stay); Windows has no exec in place, and a repeated report of the same start is not one either.
        const known = ev.platform === 'linux' ? procs.get(ev.proc) : undefined;
        const prev = known !== undefined && known.image !== ev.proc.image ? known : undefined;
        const node = startNode(ev, prev);
        const d = decideStart(ev, node, prev);
        if (d.verdict === 'deny' && !keepRefusedStarts) {
          if (known) procs.set(known); else procs.delete(ev.proc);
        }
        return d;
      }
      case 'process.exit': {
        const node = procs.get(ev.proc) ?? makeNode(ev.proc, undefined, undefined);
        procs.delete(ev.proc);
        return decision(false, REASONS.ALLOW_NOT_PROTECTED, RULE.notProtected, node, false);
      }
      case 'module.load':
        return launchControl(ev.file, platform, subject(ev.proc, platform), ev, REASONS.USER_SPACE_LIBRARY, RULE.userSpaceLibrary, ev.file.path);
      case 'script.read':
        return launchControl(ev.file, platform, subject(ev.proc, platform), ev, REASONS.USER_SPACE_SCRIPT, RULE.userSpaceScript, ev.file.path);
      case 'file.access': {
        const node = subject(ev.proc, platform);
        if (ev.op !== 'read' && ev.op !== 'delete' && p.denySystemHooks && !p.systemHookFiles.windows.empty && platform === 'windows') {
          const hook = systemHookFile(ev.target ? [ev.file, ev.target] : [ev.file], platform);
          if (hook !== undefined && !trustedInstaller(node, platform)) {
            return decision(true, REASONS.PERSIST_SYSTEM_HOOK, RULE.systemHook, node, false, hook);
          }
        }
        if (node.guarded === undefined) return decision(false, REASONS.ALLOW_NOT_PROTECTED, RULE.notProtected, node, false, ev.file.path);
        if (ev.op === 'read') {
          const norm = normalizePath(ev.file.path, platform);
          if (p.readProtect.matches(norm, platform) && !ownProfile(node, norm, platform)) {
            return decision(true, REASONS.GUARDED_READ_PRIVATE, RULE.read, node, false, ev.file.path);
          }
          return decision(false, REASONS.ALLOW_NOT_PROTECTED, RULE.notProtected, node, false, ev.file.path);
        }
        for (const f of ev.target ? [ev.file, ev.target] : [ev.file]) {
          const norm = normalizePath(f.path, platform);
          if (ownProfile(node, norm, platform)) continue;
          if (p.autostart.matches(norm, platform)) return decision(true, REASONS.GUARDED_PERSISTENCE, RULE.persistence, node, false, f.path);
          if (p.writeProtect.matches(norm, platform)
            || (p.writeProtectSystem && !isUserSpace(norm, f.userSpace, platform))) {
            return decision(true, REASONS.GUARDED_WRITE_PROTECTED, RULE.write, node, false, f.path);
          }
        }
        return decision(false, REASONS.ALLOW_NOT_PROTECTED, RULE.notProtected, node, false, ev.file.path);
      }
      case 'persistence.write': {
        const node = subject(ev.proc, platform);
        if (node.guarded !== undefined) return decision(true, REASONS.GUARDED_PERSISTENCE, RULE.persistence, node, false, ev.target);
        if (p.denySystemHooks && SYSTEM_HOOK_LOCATIONS.has(ev.location) && !trustedInstaller(node, platform)) {
          return decision(true, REASONS.PERSIST_SYSTEM_HOOK, RULE.systemHook, node, false, ev.target);
        }
        if (p.denyUserSpaceCode) {
          const code = userSpaceCodeOf(ev);
          if (code) return decision(true, REASONS.PERSIST_USER_SPACE_CODE, RULE.persistUserSpace, node, false, ev.target, signatureUnknown(code.file));
        }
        return decision(false, REASONS.ALLOW_NOT_PROTECTED, RULE.notProtected, node, false, ev.target);
      }
      case 'process.access': {
        const node = subject(ev.proc, platform);
        const target = procs.get(ev.target);
        const object = target?.image ?? ev.target.image ?? `pid ${ev.target.pid}`;
        if (p.processProtection && node.guarded !== undefined && target?.guarded !== node.guarded) {
          return decision(true, REASONS.GUARDED_PROCESS_ACCESS, RULE.process, node, false, object);
        }
        return decision(false, REASONS.ALLOW_NOT_PROTECTED, RULE.notProtected, node, false, object);
      }
      case 'network.connect':
        return decision(false, REASONS.ALLOW_NOT_PROTECTED, RULE.notProtected, subject(ev.proc, platform), false, `${ev.address}:${ev.port}`);
      case 'media.mount': {
        if (ev.removable || ev.network) {
          const norm = normalizePath(ev.mountPoint, ev.platform).replace(/\/?$/, '/');
          if (!mediaPrefixes.includes(norm)) mediaPrefixes.push(norm);
        }
        const node = KERNEL;
        return decision(false, REASONS.ALLOW_NOT_PROTECTED, RULE.notProtected, node, false, ev.mountPoint);
      }
    }
  }

  /** The first of these files whose replacement is a system hook, if any. */
  function systemHookFile(files: FileRef[], platform: Platform): string | undefined {
    for (const f of files) if (p.systemHookFiles.matches(normalizePath(f.path, platform), platform)) return f.path;
    return undefined;
  }

  return {
    decide,
    swapPolicy(next) { p = next; },
    get policy() { return p; },
    lookup(ref) { return procs.get(ref); },
    get processCount() { return procs.size; },
  };
}
