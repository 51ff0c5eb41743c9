// createWindowsSimulator(plan): which of Windows' own engines, configured as `compileWindowsPlan` says, would stop an
// event-model event — App Control (user-mode code integrity, deny rules, script enforcement), each enabled ASR
// rule within its documented scope, Controlled Folder Access — as a value { blocked, outcome, mechanism, ruleName }.
// Offline and approximate where Windows looks at things the events lack (signatures, Mark of the Web, reputation):
// every approximated verdict names its note (simulate-notes.ts). Stateful per recording (process images, files
// created); no I/O.
import { processKey, type OmamoriEvent, type ProcessRef } from '@omamori/policy';
import type { AsrAction, AsrKey } from './asr.ts';
import type { WindowsPlan } from './plan.ts';
import {
  ADOBE_READER, DOWNLOAD_FOLDER, EXECUTABLE_EXT, JS_VBS_HOSTS, OFFICE_CHILD_PARENTS, OFFICE_INJECTORS, OFFICE_WRITERS,
  OUTLOOK, POWERSHELL, WMI_PSEXEC_PARENTS, WSH_HOSTS, baseNameLower, cfaMatcher, filePathMatcher,
  inSystemSpace, inUserWritableSystemFolder, normalizeWinPath,
} from './simulate-scope.ts';

export type WindowsMechanism = 'wdac' | 'wdac-script' | 'cfa' | `asr:${string}`;
/** block/warn stop the step; audit only logs it; constrain lets it run restricted (PowerShell CLM). */
export type WindowsOutcome = 'block' | 'warn' | 'audit' | 'constrain';

export type ApproxKey =
  | 'signer-unknown' | 'original-file-name' | 'user-writable-list' | 'downloaded' | 'mail-origin' | 'office-created'
  | 'removable-assumed' | 'cfa-trust' | 'lsass-rights' | 'office-child' | 'wmi-parent' | 'executable-by-name';

export interface WindowsVerdict {
  /** Stopped with this plan (block, or warn until the user unblocks); false for audit and constrain. */
  blocked: boolean;
  outcome: WindowsOutcome;
  mechanism: WindowsMechanism;
  ruleName: string;
  /** Other mechanisms that would stop the same event. */
  others?: string[];
  approx?: ApproxKey;
}

export interface WindowsSimulator {
  /** The verdict of the first mechanism that acts on the event (blocking ones before audit, audit before constrain). */
  evaluate(ev: OmamoriEvent): WindowsVerdict | undefined;
}

export interface WindowsSimulatorOptions {
  /** Most processes and created files remembered (oldest forgotten first). */
  maxEntries?: number;
}

const RULE_WDAC = 'App Control: not allowed by the policy (user-mode code integrity)';
const RULE_WDAC_DENY = 'App Control: deny rule by file name';
const RULE_WSH = 'App Control script enforcement: Windows Script Host refuses the script';
const RULE_CLM = 'App Control script enforcement: PowerShell runs it in Constrained Language Mode';
const RULE_CFA = 'Controlled Folder Access: write to a protected folder by an app Defender does not trust';

const MICROSOFT = /microsoft/i;
const DEFENDER = /\\(windows defender|microsoft\\windows defender\\platform)\\/i;

interface Proc { image: string; signer?: string }

function bounded<K, V>(max: number) {
  const m = new Map<K, V>();
  return {
    get: (k: K) => m.get(k),
    has: (k: K) => m.has(k),
    set(k: K, v: V) { if (m.has(k)) m.delete(k); m.set(k, v); if (m.size > max) m.delete(m.keys().next().value as K); },
  };
}

export function createWindowsSimulator(plan: WindowsPlan, options: WindowsSimulatorOptions = {}): WindowsSimulator {
  const max = options.maxEntries ?? 65536;
  const ac = plan.appControl;
  const wdacOutcome: WindowsOutcome = ac.audit ? 'audit' : 'block';
  const allowPaths = ac.allowPaths.map((a) => filePathMatcher(a.path));
  const allowHashes = new Set(ac.allowHashes.map((h) => h.sha256.toUpperCase()));
  const supplementals = ac.supplementals.map((s) => ({
    host: s.host?.toLowerCase(), hash: s.hash?.toUpperCase(), path: s.path ? filePathMatcher(s.path) : undefined,
  }));
  const denyNames = new Set(ac.denyNames.map((n) => n.toLowerCase()));
  const denyPaths = ac.denyRules.filter((d) => d.filePath).map((d) => filePathMatcher(d.filePath!));
  const denied = (path: string): boolean => denyNames.has(baseNameLower(path)) || denyPaths.some((m) => m(normalizeWinPath(path)));
  const asr = new Map<AsrKey, { id: string; name: string; action: AsrAction }>();
  for (const r of plan.asr) if (r.action !== 'off') asr.set(r.key, { id: r.id, name: r.name, action: r.action });
  const cfaFolders = plan.cfa.mode === 'off' ? [] : plan.cfa.folders.map(cfaMatcher);
  const cfaOutcome: WindowsOutcome = plan.cfa.mode === 'audit' ? 'audit' : 'block';

  const procs = bounded<string, Proc>(max);
  /** Normalised path → base name of the process that created it in this recording. */
  const created = bounded<string, string>(max);
  const constrained = bounded<string, true>(max);
  /** Process key → normalised image of its parent, from process starts. */
  const parents = bounded<string, string>(max);

  type Cand = WindowsVerdict;
  const mk = (outcome: WindowsOutcome, mechanism: WindowsMechanism, ruleName: string, approx?: ApproxKey): Cand => {
    const c: Cand = { blocked: outcome === 'block' || outcome === 'warn', outcome, mechanism, ruleName };
    if (approx) c.approx = approx;
    return c;
  };
  const asrCand = (key: AsrKey, approx?: ApproxKey): Cand | undefined => {
    const r = asr.get(key);
    return r ? mk(r.action === 'audit' ? 'audit' : r.action === 'warn' ? 'warn' : 'block', `asr:${r.id}`, r.name, approx) : undefined;
  };

  function procOf(ref: ProcessRef & { image?: string }): Proc | undefined {
    const known = procs.get(processKey(ref));
    if (known) return known;
    return ref.image ? { image: ref.image } : undefined;
  }

  /** Whether App Control lets this file run or load; `approx` when that rests on a missing signature. */
  function wdacAllows(path: string, signer: string | undefined, sha256: string | undefined, host: string | undefined): { ok: boolean; approx?: ApproxKey } {
    if (signer && MICROSOFT.test(signer)) return { ok: true };
    const norm = normalizeWinPath(path);
    const hash = sha256?.toUpperCase();
    if (hash && allowHashes.has(hash)) return { ok: true };
    for (const s of supplementals) {
      if (s.host !== undefined && s.host !== host?.toLowerCase()) continue;
      if ((s.hash && s.hash === hash) || (s.path && !inUserWritableSystemFolder(norm) && s.path(norm))) return { ok: true };
    }
    const userWritable = inUserWritableSystemFolder(norm);
    if (!userWritable && allowPaths.some((m) => m(norm))) return { ok: true };
    return signer === undefined ? { ok: false, approx: userWritable ? 'user-writable-list' : 'signer-unknown' } : { ok: false, ...(userWritable ? { approx: 'user-writable-list' as const } : {}) };
  }

  function wdacImage(path: string, signer: string | undefined, sha256: string | undefined, host: string | undefined, out: Cand[]): void {
    if (!/[\\/]/.test(path)) return;   // "System", "Registry": no file to judge
    const r = wdacAllows(path, signer, sha256, host);
    if (!r.ok) out.push(mk(wdacOutcome, 'wdac', RULE_WDAC, r.approx));
  }

  /** Launch or load of a file an Office app or Outlook wrote earlier in the recording. */
  function droppedContent(norm: string, out: Cand[]): void {
    const creator = created.get(norm);
    if (creator && OFFICE_WRITERS.has(creator)) { const c = asrCand('officeExecutable', 'office-created'); if (c) out.push(c); }
    if ((creator && OUTLOOK.has(creator)) || /\\content\.outlook\\/i.test(norm)) { const c = asrCand('mailExecutable', 'mail-origin'); if (c) out.push(c); }
  }

  function cfaWrite(subject: Proc | undefined, path: string, out: Cand[]): void {
    if (cfaFolders.length === 0 || !subject) return;
    const norm = normalizeWinPath(path);
    if (!cfaFolders.some((m) => m(norm))) return;
    if ((subject.signer && MICROSOFT.test(subject.signer)) || inSystemSpace(normalizeWinPath(subject.image))) return;
    out.push(mk(cfaOutcome, 'cfa', RULE_CFA, 'cfa-trust'));
  }

  /**
   * Processes whose access to LSASS is not an OpenProcess an ASR rule filters: its parent (wininit holds the
   * creation handle), csrss (holds a handle to every process) and Defender itself.
   */
  function lsassOwner(subject: Proc | undefined, target: ProcessRef): boolean {
    if (!subject) return false;
    const norm = normalizeWinPath(subject.image);
    if (DEFENDER.test(norm)) return true;
    if (/^c:\\windows\\system32\\(csrss|wininit)\.exe$/.test(norm)) return true;
    const parent = parents.get(processKey(target));
    return parent !== undefined && parent === normalizeWinPath(subject.image);
  }

  function collect(ev: OmamoriEvent, out: Cand[]): void {
    switch (ev.kind) {
      case 'process.start': {
        const parent = ev.ancestors?.[0]?.image ?? (ev.parent ? procOf(ev.parent)?.image : undefined);
        const proc: Proc = { image: ev.proc.image };
        if (ev.proc.signer) proc.signer = ev.proc.signer;
        procs.set(processKey(ev.proc), proc);
        if (parent) parents.set(processKey(ev.proc), normalizeWinPath(parent));
        const norm = normalizeWinPath(ev.proc.image);
        if (denied(ev.proc.image)) out.push(mk(wdacOutcome, 'wdac', RULE_WDAC_DENY, 'original-file-name'));
        wdacImage(ev.proc.image, ev.proc.signer, ev.proc.sha256, ev.host, out);
        const p = baseNameLower(parent);
        const add = (c: Cand | undefined) => { if (c) out.push(c); };
        if (OFFICE_CHILD_PARENTS.has(p)) add(asrCand('officeChild', 'office-child'));
        if (OUTLOOK.has(p)) add(asrCand('outlookChild'));
        if (ADOBE_READER.has(p)) add(asrCand('adobeChild'));
        if (WMI_PSEXEC_PARENTS.has(p)) add(asrCand('psexecWmi', 'wmi-parent'));
        if (JS_VBS_HOSTS.has(p) && (created.has(norm) || DOWNLOAD_FOLDER.test(norm))) add(asrCand('scriptDownloaded', 'downloaded'));
        if (/^[d-z]:\\/.test(norm) && !(ev.proc.signer && MICROSOFT.test(ev.proc.signer))) add(asrCand('usb', 'removable-assumed'));
        droppedContent(norm, out);
        return;
      }
      case 'module.load': {
        if (denied(ev.file.path)) out.push(mk(wdacOutcome, 'wdac', RULE_WDAC_DENY, 'original-file-name'));
        wdacImage(ev.file.path, ev.file.signer, ev.file.sha256, ev.host, out);
        droppedContent(normalizeWinPath(ev.file.path), out);
        return;
      }
      case 'script.read': {
        // Audit mode turns script enforcement off (Disabled:Script Enforcement): no script is judged at all.
        if (!ac.scriptEnforcement) return;
        const inline = ev.file.path.startsWith('inline:');
        // PowerShell's own logs (4104/800) may name a process the recording never saw start: the script says who.
        const image = procOf(ev.proc)?.image;
        const host = image ? baseNameLower(image) : /^inline:powershell:|\.ps[dm]?1$/i.test(ev.file.path) ? 'powershell.exe' : '';
        if (WSH_HOSTS.has(host) && !inline) {
          if (!wdacAllows(ev.file.path, ev.file.signer, ev.file.sha256, ev.host).ok) out.push(mk(wdacOutcome, 'wdac-script', RULE_WSH, ev.file.signer ? undefined : 'signer-unknown'));
          return;
        }
        if (!POWERSHELL.has(host) || ac.audit) return;
        // Under an enforced policy, PowerShell runs scripts the policy does not allow (and all interactive or
        // inline code) in Constrained Language Mode: marked once per process for inline code.
        if (inline) {
          const k = processKey(ev.proc);
          if (constrained.has(k)) return;
          constrained.set(k, true);
          out.push(mk('constrain', 'wdac-script', RULE_CLM));
        } else if (!wdacAllows(ev.file.path, ev.file.signer, ev.file.sha256, ev.host).ok) out.push(mk('constrain', 'wdac-script', RULE_CLM, ev.file.signer ? undefined : 'signer-unknown'));
        if (!inline) { const c = asrCand('mailExecutable'); if (c && /\\content\.outlook\\/i.test(normalizeWinPath(ev.file.path))) out.push({ ...c, approx: 'mail-origin' }); }
        return;
      }
      case 'file.access': {
        const subject = procOf(ev.proc);
        const who = baseNameLower(subject?.image);
        const paths = ev.op === 'rename' && ev.target ? [ev.file.path, ev.target.path] : [ev.file.path];
        if (ev.op === 'create' || ev.op === 'write' || ev.op === 'rename') {
          const dest = paths[paths.length - 1]!;
          created.set(normalizeWinPath(dest), who);
          if (OFFICE_WRITERS.has(who) && EXECUTABLE_EXT.test(dest)) { const c = asrCand('officeExecutable', 'executable-by-name'); if (c) out.push(c); }
        }
        if (ev.op !== 'read') for (const p of paths) cfaWrite(subject, p, out);
        return;
      }
      case 'persistence.write': {
        if (ev.location === 'wmi') { const c = asrCand('wmiPersistence'); if (c) out.push(c); }
        if (ev.location === 'startup-folder') {
          const subject = procOf(ev.proc);
          created.set(normalizeWinPath(ev.target), baseNameLower(subject?.image));
          cfaWrite(subject, ev.target, out);
        }
        return;
      }
      case 'process.access': {
        const subject = procOf(ev.proc);
        const who = baseNameLower(subject?.image);
        const target = baseNameLower(ev.target.image ?? procOf(ev.target)?.image);
        const self = processKey(ev.proc) === processKey(ev.target);
        if (target === 'lsass.exe' && !self && !lsassOwner(subject, ev.target)) {
          const c = asrCand('lsass', 'lsass-rights'); if (c) out.push(c);
        }
        if (OFFICE_INJECTORS.has(who) && !self && (ev.access === 'memory-write' || ev.access === 'inject')) {
          const c = asrCand('officeInjection'); if (c) out.push(c);
        }
        return;
      }
      default:
        return;
    }
  }

  function evaluate(ev: OmamoriEvent): WindowsVerdict | undefined {
    const out: Cand[] = [];
    collect(ev, out);
    if (out.length === 0) return undefined;
    const rank = (c: Cand) => (c.blocked ? 0 : c.outcome === 'audit' ? 1 : 2);
    const sorted = out.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
    const first = { ...sorted[0]! };
    const others = [...new Set(sorted.slice(1).filter((c) => c.outcome !== 'constrain').map((c) => c.mechanism))].filter((m) => m !== first.mechanism);
    if (others.length) first.others = others;
    return first;
  }

  return { evaluate };
}
