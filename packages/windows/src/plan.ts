// compileWindowsPlan(policy): what Windows' own engines should enforce for one omamori policy — App Control rules,
// ASR rule actions, Controlled Folder Access folders and Office macro values — as plain data. The renderers
// (app-control.ts, scripts.ts, report.ts) and the agent (apply.ts) all read this one value.
import { NAME_SETS, PATH_SETS, type CompiledPolicy, type Mode } from '@omamori/policy';
import { ASR_RULES, type AsrAction, type AsrKey } from './asr.ts';
import { basePolicyGuid, supplementalPolicyGuid, versionEx } from './guid.ts';
import { blockListFor } from './block-list.ts';
import { DENIABLE, windowsPrograms } from './lolbins.ts';
import { buildMapping, type MappingEntry } from './mapping.ts';
import { appControlFilePath, cfaFolder, samplePath, toAppControlPath, type FilePathWhy } from './paths.ts';
import { filePathMatcher, normalizeWinPath } from './simulate-scope.ts';

export interface Text { en: string; ja: string }

export interface PlannedAsrRule { key: AsrKey; id: string; name: string; action: AsrAction; because: string }

export interface SupplementalPlan {
  exceptionId: string;
  policyId: string;
  /** ISO text as written in the policy. */
  expires: string;
  host?: string;
  hash?: string;
  path?: string;
  note?: string;
}

export interface OfficeValue {
  /** Office application key name under `Software\Policies\Microsoft\Office\16.0`. */
  app: string;
  /** Sub-key below the application, e.g. `Security` or `Security\Trusted Locations`. */
  sub: string;
  name: string;
  value: number;
}

/** One App Control deny rule: by OriginalFileName (with a version bound) or by folder. */
export interface DenyRule {
  id: string;
  fileName?: string;
  filePath?: string;
  /** Deny rules cover this version and every lower one (65535.65535.65535.65535: all versions). */
  maxVersion: string;
  /**
   * Microsoft's recommended block list (block-list.ts), the policy's denied children (lolbins.ts), or a folder the
   * policy calls user space inside one of its system folders that Windows would not know is one (`userSpaceInside`).
   */
  source: 'block-list' | 'guarded.deniedChildren' | 'userSpace.paths';
  note: string;
}

/** Why a policy entry got no Windows rule (rendered in the mapping report). `lockdown`: path trust does not apply. */
export interface Skipped { field: string; value: string; why: FilePathWhy | 'expired' | 'no-rule' | 'lockdown' }

/**
 * A folder the policy calls user space inside an allowed system folder, and how App Control keeps the system
 * folder's path rule from letting its code run: `runtime-check` for the known user-writable folders of `@user-space`
 * (runtime FilePath rule protection: a path rule never matches a user-writable folder), `deny` for the policy's own
 * additions (a FilePath deny rule: they may be admin-writable, so the runtime check would not exclude them).
 */
export interface UserSpaceInside { path: string; from: string; how: 'runtime-check' | 'deny' }

export interface WindowsPlan {
  policy: { name: string; version: number; mode: Mode };
  /**
   * `policy`: the policy as its mode says. `audit-step`: the audit phase offered before an enforcing policy (same
   * rules, App Control/ASR/CFA in audit, no Office values), written as apply-audit.ps1 and app-control-base-audit.xml.
   */
  step: 'policy' | 'audit-step';
  appControl: {
    policyId: string;
    versionEx: string;
    audit: boolean;
    /** File name of the base policy XML this plan deploys. */
    baseXml: string;
    /** Rule options of the base policy, in order. */
    options: string[];
    /** False in audit: with script enforcement on, MSHTA and MSXML are blocked even by an audit-mode policy. */
    scriptEnforcement: boolean;
    /**
     * Folders whose code may run (App Control FilePath form): the policy's `userSpace.systemFolders` (not in
     * lockdown) and its system-space `trust.paths`; `from` names the policy field.
     */
    allowPaths: { path: string; from: string }[];
    /** User-space folders of the policy inside `allowPaths`, and how each is kept out of them. */
    userSpaceInside: UserSpaceInside[];
    allowHashes: { sha256: string; note?: string }[];
    /** Deny rules, machine-wide. */
    denyRules: DenyRule[];
    /** The file names of `denyRules`, lower-case, sorted (for the simulator and the report). */
    denyNames: string[];
    supplementals: SupplementalPlan[];
  };
  asr: PlannedAsrRule[];
  cfa: { mode: 'enabled' | 'audit' | 'off'; folders: string[] };
  /** Office macro hardening, written under HKCU (empty in audit mode: Office has no audit mode for these). */
  office: OfficeValue[];
  skipped: Skipped[];
  mapping: MappingEntry[];
}

export interface WindowsCompileOptions {
  /** Milliseconds since the epoch; exceptions that expired by then are left out. */
  now: number;
  /** Override the ASR action the mode implies (e.g. `warn` while rolling out). */
  asrAction?: AsrAction;
  /** Compile the audit step of an enforce/lockdown policy (see WindowsPlan.step). */
  auditStep?: boolean;
}

export const BASE_XML = 'app-control-base.xml';
export const BASE_AUDIT_XML = 'app-control-base-audit.xml';

const OFFICE_BLOCK_INTERNET = ['word', 'excel', 'powerpoint', 'access', 'visio'];
const OFFICE_VBA = ['word', 'excel', 'powerpoint', 'access', 'visio', 'publisher'];

function expand(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const n of names) for (const x of n.startsWith('@') ? NAME_SETS[n.slice(1)] ?? [] : [n]) out.add(x.toLowerCase());
  return out;
}

function expandPaths(entry: string): readonly string[] {
  return entry.startsWith('@') ? PATH_SETS[entry.slice(1)] ?? [] : [entry];
}

/** The known user-writable folders (`@user-space`), lower-cased: App Control's runtime check excludes them itself. */
const KNOWN_USER_WRITABLE = new Set((PATH_SETS['user-space'] ?? []).map((p) => p.toLowerCase()));

/**
 * The policy's user-space folders that lie inside an allowed folder (their sample path matches an allow rule), each
 * kept out of it by the runtime check (known user-writable folders) or a deny rule (the policy's own additions).
 * An addition App Control cannot express is reported in `skipped`: the allow rule lets its code run.
 */
function userSpaceInsideAllowed(paths: readonly string[], allowPaths: readonly { path: string }[], skipped: Skipped[]): UserSpaceInside[] {
  const matchers = allowPaths.map((a) => filePathMatcher(a.path));
  const out: UserSpaceInside[] = [];
  paths.forEach((entry, i) => {
    for (const p of expandPaths(entry)) {
      const field = `userSpace.paths[${i}]`;
      const r = toAppControlPath(p);
      if (!r.ok && r.why === 'not-windows') continue;
      const sample = normalizeWinPath(samplePath(p));
      if (!matchers.some((m) => m(sample))) continue;
      const path = r.ok ? r.path : p;
      if (out.some((u) => u.path.toLowerCase() === path.toLowerCase())) continue;
      if (KNOWN_USER_WRITABLE.has(p.toLowerCase())) out.push({ path, from: field, how: 'runtime-check' });
      else if (r.ok) out.push({ path, from: field, how: 'deny' });
      else skipped.push({ field, value: p, why: r.why });
    }
  });
  return out;
}

function selectAsr(policy: CompiledPolicy): Map<AsrKey, string> {
  const doc = policy.doc;
  const kinds = new Set(doc.guarded.applications.map((a) => a.kind));
  const out = new Map<AsrKey, string>();
  const add = (key: AsrKey, because: string) => { if (!out.has(key)) out.set(key, because); };
  if (kinds.has('office')) {
    for (const k of ['officeChild', 'officeExecutable', 'win32Macros', 'obfuscatedScripts'] as const) add(k, 'guarded.applications[kind=office]');
  }
  if (kinds.has('mail')) { add('outlookChild', 'guarded.applications[kind=mail]'); add('mailExecutable', 'guarded.applications[kind=mail]'); }
  if (kinds.has('pdf')) add('adobeChild', 'guarded.applications[kind=pdf]');
  if (kinds.has('script-host')) { add('scriptDownloaded', 'guarded.applications[kind=script-host]'); add('obfuscatedScripts', 'guarded.applications[kind=script-host]'); }
  if (doc.guarded.applications.length > 0 && doc.guarded.deniedChildren.length > 0) add('psexecWmi', 'guarded.deniedChildren');
  if (doc.guarded.processProtection) {
    add('lsass', 'guarded.processProtection');
    if (kinds.has('office')) add('officeInjection', 'guarded.processProtection');
  }
  if (doc.persistence.denyUserSpaceCode) add('wmiPersistence', 'persistence.denyUserSpaceCode');
  add('usb', 'userSpace');
  if (policy.writeProtectSystem) add('vulnerableDrivers', 'guarded.writeProtect[@system]');
  return out;
}

export function compileWindowsPlan(policy: CompiledPolicy, opts: WindowsCompileOptions): WindowsPlan {
  const doc = policy.doc;
  const skipped: Skipped[] = [];
  const auditStep = opts.auditStep === true && doc.mode !== 'audit';
  const audit = doc.mode === 'audit' || auditStep;

  const allowPaths: { path: string; from: string }[] = [];
  const allow = (path: string, from: string) => { if (!allowPaths.some((a) => a.path.toLowerCase() === path.toLowerCase())) allowPaths.push({ path, from }); };
  // System space is what the policy says it is: its system folders become the FilePath allow rules (lockdown trusts
  // no location), and its trusted paths (which lockdown ignores too: only hash, publisher and package trust count).
  doc.userSpace.systemFolders.forEach((entry, i) => {
    for (const p of expandPaths(entry)) {
      const field = `userSpace.systemFolders[${i}]`;
      if (doc.mode === 'lockdown') { skipped.push({ field, value: p, why: 'lockdown' }); continue; }
      const r = toAppControlPath(p);
      if (!r.ok) { skipped.push({ field, value: p, why: r.why }); continue; }
      if (policy.userSpace.matches(samplePath(p), 'windows')) { skipped.push({ field, value: p, why: 'user-space' }); continue; }
      allow(r.path, field);
    }
  });
  doc.trust.paths.forEach((p, i) => {
    if (doc.mode === 'lockdown') { skipped.push({ field: `trust.paths[${i}]`, value: p, why: 'lockdown' }); return; }
    const r = appControlFilePath(p, policy);
    if (r.ok) allow(r.path, `trust.paths[${i}]`);
    else skipped.push({ field: `trust.paths[${i}]`, value: p, why: r.why });
  });
  const userSpaceInside = userSpaceInsideAllowed(doc.userSpace.paths, allowPaths, skipped);

  const denied = expand(doc.guarded.deniedChildren);
  for (const a of expand(doc.guarded.allowedChildren)) denied.delete(a);
  const denyRules: DenyRule[] = [];
  const seen = new Set<string>();
  const idOf = (s: string) => `ID_DENY_${s.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '')}`;
  for (const e of blockListFor(doc.mode)) {
    const key = (e.fileName ?? e.filePath!).toLowerCase();
    seen.add(key);
    denyRules.push({ id: idOf(e.fileName ?? `PATH_${e.filePath!.split('\\').filter((x) => x && x !== '*').slice(-1)[0]}`), ...(e.fileName ? { fileName: e.fileName } : { filePath: e.filePath! }), maxVersion: e.maxVersion, source: 'block-list', note: e.note });
  }
  for (const d of DENIABLE) {
    if (!denied.has(d.name) || !(d.from === 'enforce' || doc.mode === 'lockdown') || seen.has(d.name)) continue;
    seen.add(d.name);
    denyRules.push({ id: idOf(d.name), fileName: d.name, maxVersion: '65535.65535.65535.65535', source: 'guarded.deniedChildren', note: 'denied child of guarded applications' });
  }
  for (const u of userSpaceInside) {
    if (u.how !== 'deny') continue;
    denyRules.push({ id: idOf(`USERSPACE_${u.path.replace(/\\\*$/, '')}`), filePath: u.path, maxVersion: '65535.65535.65535.65535', source: 'userSpace.paths', note: `user space inside a system folder (${u.from})` });
  }
  const denyNames = denyRules.filter((r) => r.fileName).map((r) => r.fileName!.toLowerCase()).sort();
  const options = ['Enabled:UMCI', 'Enabled:Unsigned System Integrity Policy', 'Enabled:Update Policy No Reboot', 'Enabled:Allow Supplemental Policies',
    // A boot-critical driver the policy blocks would otherwise stop Windows from starting (Microsoft: option 10
    // puts the policy in audit mode for that boot); option 9 keeps the F8 boot menu for recovery.
    'Enabled:Boot Audit On Failure', 'Enabled:Advanced Boot Options Menu'];
  if (audit) options.push('Enabled:Audit Mode', 'Disabled:Script Enforcement');

  const supplementals: SupplementalPlan[] = [];
  doc.trust.exceptions.forEach((x, i) => {
    const expiresAt = Date.parse(x.expires);
    if (!(expiresAt > opts.now)) { skipped.push({ field: `trust.exceptions[${i}]`, value: x.id, why: 'expired' }); return; }
    const s: SupplementalPlan = { exceptionId: x.id, policyId: supplementalPolicyGuid(doc.name, x.id), expires: x.expires };
    if (x.host) s.host = x.host;
    if (x.note) s.note = x.note;
    if (x.sha256) s.hash = x.sha256.toUpperCase();
    if (x.path) {
      const r = appControlFilePath(x.path, policy);
      if (r.ok) s.path = r.path;
      else skipped.push({ field: `trust.exceptions[${i}].path`, value: x.path, why: r.why });
    }
    if (s.hash || s.path) supplementals.push(s);
    else skipped.push({ field: `trust.exceptions[${i}]`, value: x.id, why: 'no-rule' });
  });

  const action: AsrAction = auditStep ? 'audit' : opts.asrAction ?? (audit ? 'audit' : 'block');
  const asr: PlannedAsrRule[] = [...selectAsr(policy)].map(([key, because]) => {
    const r = ASR_RULES[key];
    const a = action === 'warn' && 'noWarn' in r && r.noWarn ? 'block' : action;
    return { key, id: r.id, name: r.name, action: a, because };
  }).sort((x, y) => x.id.localeCompare(y.id));

  const folders = new Set<string>();
  const writeProtect = doc.guarded.writeProtect.filter((p) => p !== '@system')
    .flatMap((p) => (p.startsWith('@') ? [...(PATH_SETS[p.slice(1)] ?? [])] : [p]));
  for (const p of writeProtect) {
    const f = cfaFolder(p);
    if (f && !/^%windir%/i.test(f)) folders.add(f);
  }
  const cfa = { mode: folders.size === 0 ? 'off' as const : audit ? 'audit' as const : 'enabled' as const, folders: [...folders].sort() };

  const office: OfficeValue[] = [];
  if (!audit && doc.guarded.applications.some((a) => a.kind === 'office')) {
    for (const app of OFFICE_BLOCK_INTERNET) office.push({ app, sub: 'Security', name: 'blockcontentexecutionfrominternet', value: 1 });
    for (const app of OFFICE_VBA) office.push({ app, sub: 'Security', name: 'VBAWarnings', value: doc.mode === 'lockdown' ? 4 : 3 });
    for (const app of OFFICE_BLOCK_INTERNET) office.push({ app, sub: 'Security\\Trusted Locations', name: 'AllLocationsDisabled', value: 1 });
  }

  const plan: WindowsPlan = {
    policy: { name: doc.name, version: doc.version, mode: doc.mode },
    step: auditStep ? 'audit-step' : 'policy',
    appControl: {
      policyId: basePolicyGuid(doc.name), versionEx: versionEx(doc.version, !audit), audit,
      baseXml: auditStep ? BASE_AUDIT_XML : BASE_XML, options, scriptEnforcement: !audit,
      allowPaths, userSpaceInside, allowHashes: doc.trust.hashes.map((h) => (h.note ? { sha256: h.sha256.toUpperCase(), note: h.note } : { sha256: h.sha256.toUpperCase() })),
      denyRules, denyNames, supplementals,
    },
    asr, cfa, office, skipped, mapping: [],
  };
  plan.mapping = buildMapping(policy, plan, windowsPrograms(denied));
  return plan;
}
