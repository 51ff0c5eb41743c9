// Maps Windows events (Sysmon, Security, System, PowerShell) into omamori's event model. Stateful per recording:
// it keeps which process a pid currently means on each host (for events that carry only a pid: Security 4688/4689,
// PowerShell) and the code signatures Sysmon saw for image files. Pure: no I/O. Unmapped event ids are counted.
import { isServiceAccount, normalizeWindowsPath, splitWindowsCommandLine, type FileRef, type OmamoriEvent, type PersistenceEvent, type ProcessInfo, type ProcessRef } from '@omamori/policy';
import { classifyKey, classifyRegistry, commandFileOf, expandCommand, registryCommand, registryTail } from './autostart.ts';
import { pipelineLaunches } from './powershell-records.ts';
import type { WinRecord } from './win-record.ts';

type Ref = ProcessRef & { image?: string };

export interface MapStats {
  records: number;
  /** Events produced, by kind. */
  events: Record<string, number>;
  /** Records of event ids the mapping does not use, by `channel/id`. */
  unmapped: Record<string, number>;
  /** Records of mapped ids that produced no event, by reason (`registry-not-autostart`, `duplicate-script` …). */
  skipped: Record<string, number>;
}

export interface WindowsMapper {
  /** First pass over a recording: counts the record and learns from it; true when `map` should see it. */
  observe(rec: WinRecord): boolean;
  /**
   * When to replay the record: its time, except a parent's access to a child it is creating (logged a moment
   * before the child's start), which is put just after that start, as a live sensor sees it.
   */
  orderTime(rec: WinRecord): number;
  /** Second pass, in time order: the events of one record (usually zero or one). */
  map(rec: WinRecord): OmamoriEvent[];
  readonly stats: MapStats;
}

const SYSMON = 'microsoft-windows-sysmon';
const SYSMON_IDS = new Set([1, 3, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 22, 23, 26]);
const SECURITY_IDS = new Set([4688, 4689, 4698]);

type Source = 'sysmon' | 'security' | 'system' | 'powershell' | 'other';

function sourceOf(r: WinRecord): Source {
  const p = r.provider.toLowerCase();
  const c = r.channel.toLowerCase();
  if (p === SYSMON || c === 'microsoft-windows-sysmon/operational') return 'sysmon';
  if (c === 'security' || p === 'microsoft-windows-security-auditing') return 'security';
  if (p === 'service control manager' || (c === 'system' && r.eventId === 7045)) return 'system';
  if (c === 'microsoft-windows-powershell/operational' || c === 'windows powershell' || p === 'microsoft-windows-powershell' || p === 'powershell') return 'powershell';
  return 'other';
}

function isMapped(s: Source, id: number): boolean {
  switch (s) {
    case 'sysmon': return SYSMON_IDS.has(id);
    case 'security': return SECURITY_IDS.has(id);
    case 'system': return id === 7045;
    case 'powershell': return id === 4104 || id === 800 || id === 4103;
    default: return false;
  }
}

/** Whether the mapping uses events of this provider, channel and id (what `observe` answers, without learning). */
export function isMappedEvent(provider: string, channel: string, eventId: number): boolean {
  return isMapped(sourceOf({ provider, channel, eventId } as WinRecord), eventId);
}

/** `1234` or `0x4d2` → number; NaN when absent. */
export function parsePid(s: string | undefined): number {
  if (s === undefined || s === '') return NaN;
  return /^0x/i.test(s) ? parseInt(s.slice(2), 16) : Number(s);
}

function guidOf(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const g = s.trim().toLowerCase();
  return g === '' || g === '-' || /^\{?0{8}-0{4}-0{4}-0{4}-0{12}\}?$/.test(g) ? undefined : g;
}

/** Field by any of its spellings (Sysmon changed `SourceProcessGuid` to `SourceProcessGUID` between events). */
function field(d: Record<string, string>, ...names: string[]): string | undefined {
  for (const n of names) { const v = d[n]; if (v !== undefined && v !== '' && v !== '-') return v; }
  return undefined;
}

export function sha256Of(hashes: string | undefined): string | undefined {
  if (!hashes) return undefined;
  const m = /(?:^|,)SHA256=([0-9a-fA-F]{64})/.exec(hashes);
  return m ? m[1]!.toLowerCase() : undefined;
}

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The `<Exec>` command of a scheduled task's XML, with its arguments. */
export function taskCommand(xml: string | undefined): string | undefined {
  if (!xml) return undefined;
  const cmd = /<Command>([^<]*)<\/Command>/i.exec(xml);
  if (!cmd) return undefined;
  const args = /<Arguments>([^<]*)<\/Arguments>/i.exec(xml);
  return unescapeXml(args ? `${cmd[1]!.trim()} ${args[1]!.trim()}` : cmd[1]!.trim());
}

function baseLower(p: string | undefined): string {
  if (!p) return '';
  const i = Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/'));
  return p.slice(i + 1).toLowerCase();
}

function bump(o: Record<string, number>, k: string): void { o[k] = (o[k] ?? 0) + 1; }

function registryKeyOf(key: string): string {
  const { hive, tail } = registryTail(key);
  return `${hive}|${tail}`;
}

/** `reg add KEY /v NAME /t TYPE /d DATA /f` → the value written and its data (`/ve` is the default value). */
export function regAdd(commandLine: string): { key: string; data?: string } | undefined {
  const args = splitWindowsCommandLine(commandLine).slice(1);
  if (args[0]?.toLowerCase() !== 'add' || args[1] === undefined) return undefined;
  let name: string | undefined;
  let data: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const a = args[i]!.toLowerCase();
    if (a === '/v' || a === '-v') name = args[++i];
    else if (a === '/ve' || a === '-ve') name = '(Default)';
    else if (a === '/d' || a === '-d') data = args[++i];
  }
  if (name === undefined) return undefined;
  const out: { key: string; data?: string } = { key: `${args[1].replace(/\\+$/, '')}\\${name}` };
  if (data !== undefined) out.data = data;
  return out;
}

/** Folders any user may write in: a service writing there does not make them the system's. */
const SHARED_ROOTS = new Set([
  'c:/programdata/', 'c:/windows/temp/', 'c:/windows/tasks/', 'c:/windows/tracing/', 'c:/windows/system32/tasks/',
  'c:/windows/syswow64/tasks/', 'c:/windows/system32/spool/drivers/color/', 'c:/windows/debug/wia/',
  'c:/windows/registration/crmlog/', 'c:/windows/system32/com/dmp/', 'c:/windows/system32/fxstmp/',
]);

const PROCESS_VM_WRITE = 0x20, PROCESS_CREATE_THREAD = 0x2, PROCESS_VM_READ = 0x10;

export function createWindowsMapper(): WindowsMapper {
  const stats: MapStats = { records: 0, events: {}, unmapped: {}, skipped: {} };
  /** host|pid → the process that pid means now. */
  const byPid = new Map<string, Ref>();
  /**
   * sha256 or lower-cased image path → signer seen by Sysmon image and driver loads ('' = checked: unsigned or
   * invalid). Learned in the first pass: a file's signature does not change with time.
   */
  const signers = new Map<string, string>();
  /** ProcessGuid → user, from Sysmon process starts (first pass). */
  const users = new Map<string, string>();
  /** ProcessGuid → working directory, from Sysmon process starts (first pass). */
  const cwds = new Map<string, string>();
  /**
   * Folders (normalised, with a trailing '/') under Windows, ProgramData or Program Files where the recording shows
   * service accounts creating files and nobody else: a standard user cannot replace what is there (unless the
   * folder itself was made by a user before the recording began — a stated limit). Bounded.
   */
  const systemFolders = new Set<string>();
  /** Registry values Sysmon saw set (hive|path): a `reg add` of the same is that write, not another. */
  const registryWrites = new Set<string>();
  /** host|parent pid|image name of process starts (Sysmon 1, 4688): a PowerShell launch of the same repeats it. */
  const startsByParent = new Set<string>();
  /** host|pid|image name of Sysmon process starts: a Security 4688 of the same only duplicates it. */
  const sysmonStarts = new Set<string>();
  const scripts = new Set<string>();
  /** ProcessGuid → parent guid and start time, from Sysmon process starts. */
  const starts = new Map<string, { parent: string | undefined; time: number }>();

  function observe(r: WinRecord): boolean {
    stats.records++;
    const s = sourceOf(r);
    if (!isMapped(s, r.eventId)) { bump(stats.unmapped, `${r.channel || r.provider}/${r.eventId}`); return false; }
    if (s === 'sysmon' && r.eventId === 1) {
      sysmonStarts.add(`${r.computer}|${parsePid(r.data.ProcessId)}|${baseLower(r.data.Image)}`);
      startsByParent.add(`${r.computer}|${parsePid(r.data.ParentProcessId)}|${baseLower(r.data.Image)}`);
      const g = guidOf(r.data.ProcessGuid);
      if (g) {
        starts.set(g, { parent: guidOf(r.data.ParentProcessGuid), time: r.time });
        if (r.data.User) users.set(g, r.data.User);
        if (r.data.CurrentDirectory) cwds.set(g, r.data.CurrentDirectory);
      }
    }
    if (s === 'sysmon' && r.eventId === 13 && r.data.TargetObject) registryWrites.add(registryKeyOf(r.data.TargetObject));
    if (s === 'security' && r.eventId === 4688) startsByParent.add(`${r.computer}|${parsePid(r.data.ProcessId)}|${baseLower(r.data.NewProcessName)}`);
    if (s === 'sysmon' && (r.eventId === 7 || r.eventId === 6)) {
      const signed = signatureOf(r.data);
      if (signed !== undefined) {
        const signer = signed ? field(r.data, 'Signature') ?? '' : '';
        const h = sha256Of(r.data.Hashes);
        // A valid signature seen once wins over an unsigned report of the same file.
        if (h && !(signers.get(h))) signers.set(h, signer);
        const path = r.data.ImageLoaded?.toLowerCase();
        if (path && !(signers.get(path))) signers.set(path, signer);
      }
    }
    return true;
  }

  function orderTime(r: WinRecord): number {
    if ((r.eventId !== 10 && r.eventId !== 8) || sourceOf(r) !== 'sysmon') return r.time;
    const target = guidOf(field(r.data, 'TargetProcessGuid', 'TargetProcessGUID'));
    const st = target ? starts.get(target) : undefined;
    if (!st || st.parent !== guidOf(field(r.data, 'SourceProcessGuid', 'SourceProcessGUID'))) return r.time;
    return st.time >= r.time && st.time - r.time < 2000 ? st.time + 0.5 : r.time;
  }

  /** true: validly signed; false: Sysmon says unsigned or not valid; undefined: no signature fields. */
  function signatureOf(d: Record<string, string>): boolean | undefined {
    const signed = d.Signed?.toLowerCase();
    if (signed === 'true') return !d.SignatureStatus || d.SignatureStatus.toLowerCase() === 'valid';
    return signed === 'false' ? false : undefined;
  }

  /** The signer Sysmon saw for a file (`''`: checked, unsigned), or undefined when never checked. */
  function knownSigner(image: string, sha256: string | undefined): string | undefined {
    return (sha256 ? signers.get(sha256) : undefined) ?? signers.get(image.toLowerCase());
  }

  /** Signature and user-space knowledge of a file, set on the reference the engine decides. */
  function knowledge<T extends { signer?: string; signed?: boolean; userSpace?: boolean }>(ref: T, path: string, sha256: string | undefined): T {
    const signer = knownSigner(path, sha256);
    if (signer !== undefined) {
      if (signer === '') ref.signed = false;
      else { ref.signed = true; ref.signer = signer; }
    }
    if (systemWritten(path)) ref.userSpace = false;
    return ref;
  }

  /** Records a file creation: by a service account in a system location, or by anyone else. */
  function noteWrite(writer: Ref, path: string, user: string | undefined): void {
    const norm = normalizeWindowsPath(path);
    const folder = norm.slice(0, norm.lastIndexOf('/') + 1);
    const u = user ?? (writer.guid ? users.get(writer.guid) : undefined);
    if (u !== undefined && isServiceAccount(u)) {
      if (!SHARED_ROOTS.has(folder) && /^c:\/(windows|programdata|program files[^/]*)\/./.test(folder)) {
        if (systemFolders.size >= 16384) systemFolders.clear();
        systemFolders.add(folder);
      }
      return;
    }
    // Someone else wrote here: no folder above this file counts as written by the system only.
    for (let i = norm.indexOf('/'); i >= 0; i = norm.indexOf('/', i + 1)) systemFolders.delete(norm.slice(0, i + 1));
  }

  function systemWritten(path: string): boolean {
    if (systemFolders.size === 0) return false;
    const norm = normalizeWindowsPath(path);
    for (let i = norm.lastIndexOf('/'); i > 0; i = norm.lastIndexOf('/', i - 1)) if (systemFolders.has(norm.slice(0, i + 1))) return true;
    return false;
  }

  /** The code file of an autostart command, when the recording knows something about it. */
  function commandFile(command: string): FileRef | undefined {
    const path = commandFileOf(command);
    if (path === undefined) return undefined;
    const f = knowledge<FileRef>({ path }, path, undefined);
    return f.signed !== undefined || f.userSpace !== undefined ? f : undefined;
  }

  function withCommand(ev: PersistenceEvent, command: string): PersistenceEvent {
    ev.command = command;
    const cf = commandFile(command);
    if (cf) ev.commandFile = cf;
    return ev;
  }

  function register(host: string, ref: Ref): void { byPid.set(`${host}|${ref.pid}`, ref); }

  /** The process a bare pid means now on `host`; an unseen pid becomes a placeholder so its events share a node. */
  function byPidRef(host: string, pid: number, image?: string): Ref {
    const known = byPid.get(`${host}|${pid}`);
    if (known) return known;
    const ref: Ref = image ? { pid, image } : { pid };
    register(host, ref);
    return ref;
  }

  /** A Sysmon subject or object: pid + ProcessGuid (+ image). */
  function sysRef(pid: string | undefined, guid: string | undefined, image: string | undefined): Ref {
    const ref: Ref = { pid: parsePid(pid) || 0 };
    const g = guidOf(guid);
    if (g) ref.guid = g;
    if (image) ref.image = image;
    return ref;
  }

  function base(r: WinRecord) {
    const b: { v: 1; platform: 'windows'; id: string; host: string; time?: number } = { v: 1, platform: 'windows', id: r.where, host: r.computer };
    if (!Number.isNaN(r.time)) b.time = r.time;
    return b;
  }

  function file(path: string, sha256?: string, signer?: string): FileRef {
    const f: FileRef = { path };
    if (sha256) f.sha256 = sha256;
    if (signer) f.signer = signer;
    return f;
  }

  function sysmon(r: WinRecord): OmamoriEvent | undefined {
    const d = r.data;
    const subject = () => sysRef(d.ProcessId, d.ProcessGuid, d.Image);
    switch (r.eventId) {
      case 1: {
        const image = d.Image ?? '?';
        const proc: ProcessInfo = { ...sysRef(d.ProcessId, d.ProcessGuid, undefined), image };
        if (!Number.isNaN(r.time)) proc.start = r.time;
        const sha = sha256Of(d.Hashes);
        if (sha) proc.sha256 = sha;
        knowledge(proc, image, sha);
        if (d.User) proc.user = d.User;
        if (d.CommandLine) proc.commandLine = d.CommandLine;
        if (d.CurrentDirectory) proc.cwd = d.CurrentDirectory;
        const parent = sysRef(d.ParentProcessId, d.ParentProcessGuid, undefined);
        register(r.computer, proc);
        const ev: OmamoriEvent = { ...base(r), kind: 'process.start', proc, parent };
        if (d.ParentImage) {
          const anc: ProcessInfo = { ...parent, image: d.ParentImage };
          if (d.ParentCommandLine) anc.commandLine = d.ParentCommandLine;
          ev.ancestors = [anc];
        }
        return ev;
      }
      case 5: {
        const proc = subject();
        const key = `${r.computer}|${proc.pid}`;
        if (byPid.get(key)?.guid === proc.guid) byPid.delete(key);
        return { ...base(r), kind: 'process.exit', proc };
      }
      case 3: {
        const port = Number(d.DestinationPort);
        return { ...base(r), kind: 'network.connect', proc: subject(), address: d.DestinationIp ?? d.DestinationHostname ?? '?', port: Number.isFinite(port) ? port : 0,
          protocol: d.Protocol?.toLowerCase() === 'udp' ? 'udp' : 'tcp' };
      }
      case 22:
        return { ...base(r), kind: 'network.connect', proc: subject(), address: d.QueryName ?? '?', port: 53, protocol: 'udp' };
      case 7: {
        if (!d.ImageLoaded) return skip('no-image');
        // The main image's own load repeats the process start, which launch control already decided.
        if (d.Image && d.ImageLoaded.toLowerCase() === d.Image.toLowerCase()) return skip('main-image-load');
        const sha = sha256Of(d.Hashes);
        const f = file(d.ImageLoaded, sha);
        const signed = signatureOf(d);
        if (signed === true) { f.signed = true; const signer = field(d, 'Signature'); if (signer) f.signer = signer; } else if (signed === false) f.signed = false;
        if (systemWritten(d.ImageLoaded)) f.userSpace = false;
        return { ...base(r), kind: 'module.load', proc: subject(), file: f, via: 'loader' };
      }
      case 6:
        return skip('driver-load-signature-learned');
      case 8:
      case 10: {
        const source = sysRef(field(d, 'SourceProcessId'), field(d, 'SourceProcessGuid', 'SourceProcessGUID'), d.SourceImage);
        const target = sysRef(field(d, 'TargetProcessId'), field(d, 'TargetProcessGuid', 'TargetProcessGUID'), d.TargetImage);
        if (r.eventId === 8) return { ...base(r), kind: 'process.access', proc: source, target, access: 'inject' };
        const granted = parsePid(d.GrantedAccess);
        if (Number.isNaN(granted)) return skip('no-granted-access');
        const access = granted & (PROCESS_VM_WRITE | PROCESS_CREATE_THREAD) ? 'memory-write' : granted & PROCESS_VM_READ ? 'memory-read' : undefined;
        if (!access) return skip('process-access-query-only');
        return { ...base(r), kind: 'process.access', proc: source, target, access };
      }
      case 11:
      case 15: {
        let path = d.TargetFilename;
        if (!path) return skip('no-target');
        if (r.eventId === 15) {
          if (!/:zone\.identifier$/i.test(path)) return skip('stream-not-zone-identifier');
          path = path.replace(/:zone\.identifier$/i, '');
        }
        if (r.eventId === 11) noteWrite(subject(), path, d.User);
        if (/\\start menu\\programs\\startup\\[^\\]+$/i.test(path)) {
          const ev: OmamoriEvent = { ...base(r), kind: 'persistence.write', proc: subject(), location: 'startup-folder', target: path };
          // A shortcut's target is not in the event; anything else placed there is itself the code that starts.
          if (!/\.(lnk|ini|url)$/i.test(path)) ev.command = path;
          return ev;
        }
        return { ...base(r), kind: 'file.access', proc: subject(), op: 'create', file: file(path) };
      }
      case 23:
      case 26:
        if (!d.TargetFilename) return skip('no-target');
        return { ...base(r), kind: 'file.access', proc: subject(), op: 'delete', file: file(d.TargetFilename) };
      case 12:
      case 13:
      case 14: {
        const type = (d.EventType ?? '').toLowerCase();
        if (type === 'deletekey' || type === 'deletevalue') return skip('registry-delete');
        const key = r.eventId === 14 ? field(d, 'NewName') ?? d.TargetObject : d.TargetObject;
        if (!key) return skip('no-target');
        const match = r.eventId === 13 ? classifyRegistry(key) : classifyKey(key);
        if (!match) return skip('registry-not-autostart');
        const ev: OmamoriEvent = { ...base(r), kind: 'persistence.write', proc: subject(), location: match.location, target: key };
        const command = r.eventId === 13 && match.valueIsCommand ? registryCommand(d.Details) : undefined;
        // A system hook without a command (a key created, a value emptied) changes nothing yet.
        if (!command && (match.location === 'debugger' || match.location === 'logon')) return skip('system-hook-without-command');
        return command ? withCommand(ev, expandCommand(command)) : ev;
      }
    }
    return skip('unmapped');
  }

  function security(r: WinRecord): OmamoriEvent | undefined {
    const d = r.data;
    switch (r.eventId) {
      case 4688: {
        const pid = parsePid(d.NewProcessId);
        if (Number.isNaN(pid)) return skip('no-pid');
        // Not compared by time: collectors stamp Security events with their own (sometimes local) clock.
        if (sysmonStarts.has(`${r.computer}|${pid}|${baseLower(d.NewProcessName)}`)) return skip('security-duplicates-sysmon');
        const proc: ProcessInfo = { pid, image: d.NewProcessName ?? '?' };
        if (!Number.isNaN(r.time)) proc.start = r.time;
        const user = field(d, 'TargetUserName', 'SubjectUserName');
        if (user) proc.user = field(d, 'TargetDomainName', 'SubjectDomainName') ? `${field(d, 'TargetDomainName', 'SubjectDomainName')}\\${user}` : user;
        if (d.CommandLine) proc.commandLine = d.CommandLine;
        const signer = knownSigner(proc.image, undefined);
        if (signer) proc.signer = signer;
        const ppid = parsePid(d.ProcessId);
        const ev: OmamoriEvent = { ...base(r), kind: 'process.start', proc };
        if (!Number.isNaN(ppid)) {
          const parent = byPidRef(r.computer, ppid, d.ParentProcessName);
          ev.parent = parent;
          ev.ancestors = [{ ...parent, image: parent.image ?? d.ParentProcessName ?? '?' }];
        }
        register(r.computer, proc);
        return ev;
      }
      case 4689: {
        const pid = parsePid(d.ProcessId);
        if (Number.isNaN(pid)) return skip('no-pid');
        if (byPid.get(`${r.computer}|${pid}`)?.guid !== undefined) return skip('security-duplicates-sysmon');
        const proc = byPidRef(r.computer, pid, d.ProcessName);
        byPid.delete(`${r.computer}|${pid}`);
        return { ...base(r), kind: 'process.exit', proc };
      }
      case 4698: {
        const command = taskCommand(d.TaskContent);
        const ev: PersistenceEvent = { ...base(r), kind: 'persistence.write', proc: byPidRef(r.computer, r.execPid ?? 0), location: 'scheduled-task', target: d.TaskName ?? '?' };
        return command ? withCommand(ev, expandCommand(command)) : ev;
      }
    }
    return skip('unmapped');
  }

  function system(r: WinRecord): OmamoriEvent | undefined {
    const d = r.data;
    const ev: PersistenceEvent = { ...base(r), kind: 'persistence.write', proc: byPidRef(r.computer, r.execPid ?? 0), location: 'service', target: d.ServiceName ?? '?' };
    return d.ImagePath ? withCommand(ev, expandCommand(d.ImagePath)) : ev;
  }

  function powershell(r: WinRecord): OmamoriEvent[] {
    const d = r.data;
    const pid = r.execPid ?? 0;
    if (r.eventId === 4104) {
      if (Number(d.MessageNumber ?? '1') > 1) return none('script-block-continuation');
      if (pid === 0) return none('no-process');
      const ev = scriptRead(r, byPidRef(r.computer, pid), field(d, 'Path') ?? `inline:powershell:${(d.ScriptBlockId ?? '?').toLowerCase()}`);
      return ev ? [ev] : [];
    }
    const launches = pipelineLaunches(r.eventId, d);
    if (launches.length === 0) return none(r.eventId === 800 ? 'pipeline-without-script' : 'module-log-without-launch');
    // Without the logging process's id (some collectors drop it), the PowerShell host the record names stands in.
    const proc = pid !== 0 ? byPidRef(r.computer, pid) : hostRef(d);
    if (!proc) return none('no-process');
    const out: OmamoriEvent[] = [];
    launches.forEach((l, i) => {
      const path = launchPath(l.path, proc);
      if (path === undefined) { skip('launch-relative-without-cwd'); return; }
      if (l.kind === 'script') { const ev = scriptRead(r, proc, path); if (ev) out.push(ev); return; }
      // A start that Sysmon or Security also logged is decided there (with the child's real identity).
      if (startsByParent.has(`${r.computer}|${pid}|${baseLower(path)}`)) { skip('launch-duplicates-process-start'); return; }
      const key = `start|${r.computer}|${proc.guid ?? proc.pid}|${path.toLowerCase()}`;
      if (scripts.has(key)) { skip('duplicate-launch'); return; }
      scripts.add(key);
      const child: ProcessInfo = knowledge<ProcessInfo>({ pid: 0, guid: `powershell:${r.where}:${i}`, image: path }, path, undefined);
      if (!Number.isNaN(r.time)) child.start = r.time;
      const host = proc.image ?? hostApplication(d);
      const ev: OmamoriEvent = { ...base(r), kind: 'process.start', proc: child, parent: proc };
      if (host) ev.ancestors = [{ ...proc, image: host }];
      out.push(ev);
    });
    return out;
  }

  function scriptRead(r: WinRecord, proc: Ref, path: string): OmamoriEvent | undefined {
    const key = `${r.computer}|${proc.guid ?? proc.pid}|${path.toLowerCase()}`;
    if (scripts.has(key)) return skip('duplicate-script');
    scripts.add(key);
    const f = file(path);
    if (path.startsWith('inline:')) f.userSpace = false;
    else knowledge(f, path, undefined);
    return { ...base(r), kind: 'script.read', proc, file: f };
  }

  /** A launched name as a path: absolute kept, `.\x` against the host's working folder, a bare name as `x.exe`. */
  function launchPath(name: string, proc: Ref): string | undefined {
    if (/^[a-zA-Z]:[\\/]|^\\\\/.test(name)) return name;
    if (/[\\/]/.test(name)) {
      const cwd = proc.guid ? cwds.get(proc.guid) : undefined;
      if (!cwd) return undefined;
      const parts = cwd.replace(/[\\/]+$/, '').split(/[\\/]/);
      for (const seg of name.split(/[\\/]/)) { if (seg === '..') parts.pop(); else if (seg !== '.' && seg !== '') parts.push(seg); }
      return parts.join('\\');
    }
    return /\.[a-z0-9]{1,4}$/i.test(name) ? name : `${name}.exe`;
  }

  /** A process for a PowerShell host known only by its host id and application (no process id in the record). */
  function hostRef(d: Record<string, string>): Ref | undefined {
    const text = [d.ContextInfo, d.Message, d['0'], d['1'], d['2']].filter((x) => x !== undefined).join('\n');
    const id = /Host ?ID\s*=\s*([0-9a-f-]{36})/i.exec(text)?.[1];
    const image = hostApplication(d);
    return id && image ? { pid: 0, guid: `powershell-host:${id.toLowerCase()}`, image } : undefined;
  }

  function hostApplication(d: Record<string, string>): string | undefined {
    const text = [d.ContextInfo, d.Message, d['0'], d['1'], d['2']].filter((x) => x !== undefined).join('\n');
    const m = /Host ?Application\s*=\s*("([^"]+)"|(\S+))/i.exec(text);
    return m?.[2] ?? m?.[3];
  }

  function none(reason: string): OmamoriEvent[] { skip(reason); return []; }

  function skip(reason: string): undefined { bump(stats.skipped, reason); return undefined; }

  function map(r: WinRecord): OmamoriEvent[] {
    let ev: OmamoriEvent | undefined;
    switch (sourceOf(r)) {
      case 'sysmon': ev = sysmon(r); break;
      case 'security': ev = security(r); break;
      case 'system': ev = system(r); break;
      case 'powershell': {
        const evs = powershell(r);
        for (const e of evs) bump(stats.events, e.kind);
        return evs;
      }
      default: ev = undefined;
    }
    if (!ev) return [];
    bump(stats.events, ev.kind);
    const out: OmamoriEvent[] = [ev];
    // `reg add` of an autostart value, in a log without Sysmon's own record of that write (Security-only logs).
    if (ev.kind === 'process.start' && baseLower(ev.proc.image) === 'reg.exe' && ev.proc.commandLine) {
      const write = regAdd(ev.proc.commandLine);
      if (write && !registryWrites.has(registryKeyOf(write.key))) {
        const match = classifyRegistry(write.key);
        if (match && (write.data !== undefined || match.location !== 'debugger')) {
          const pw: PersistenceEvent = { ...base(r), kind: 'persistence.write', proc: ev.proc, location: match.location, target: write.key };
          out.push(write.data !== undefined && match.valueIsCommand ? withCommand(pw, expandCommand(write.data)) : pw);
          bump(stats.events, pw.kind);
        } else bump(stats.skipped, 'reg-add-not-autostart');
      }
    }
    return out;
  }

  return { observe, orderTime, map, stats };
}
