// compileWindowsPlan(policy): what Windows' own engines should enforce for one omamori policy — App Control rules,
// ASR rule actions, Controlled Folder Access folders and Office macro values — as plain data. The renderers
// (app-control.ts, scripts.ts, report.ts) and the agent (apply.ts) all read this one value.
import { NAME_SETS, PATH_SETS, type CompiledPolicy, type Mode } from '@omamori/policy';
import { ASR_RULES, type AsrAction, type AsrKey } from './asr.ts';
import { basePolicyGuid, supplementalPolicyGuid, versionEx } from './guid.ts';
import { blockListFor } from './block-list.ts';
import { DENIABLE, windowsPrograms } from './lolbins.ts';
import { buildMapping, type MappingEntry } from './mapping.ts';
import { appControlFilePath, cfaFolder } from './paths.ts';

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
  /** Microsoft's recommended block list (block-list.ts), or the policy's denied children (lolbins.ts). */
  source: 'block-list' | 'guarded.deniedChildren';
  note: string;
}

/** Why a policy entry got no Windows rule (rendered in the mapping report). */
export interface Skipped { field: string; value: string; why: 'user-space' | 'not-windows' | 'not-system-folder' | 'expired' | 'no-rule' }

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
    /** System-space folders whose code may run (App Control FilePath form). */
    allowPaths: { path: string; from: string }[];
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

/** System-space folders allowed to run code in enforce and audit mode (never in lockdown). */
const SYSTEM_SPACE = ['%WINDIR%\\*', '%OSDRIVE%\\Program Files\\*', '%OSDRIVE%\\Program Files (x86)\\*'];

const OFFICE_BLOCK_INTERNET = ['word', 'excel', 'powerpoint', 'access', 'visio'];
const OFFICE_VBA = ['word', 'excel', 'powerpoint', 'access', 'visio', 'publisher'];

function expand(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const n of names) for (const x of n.startsWith('@') ? NAME_SETS[n.slice(1)] ?? [] : [n]) out.add(x.toLowerCase());
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

  const allowPaths: { path: string; from: string }[] = doc.mode === 'lockdown' ? [] : SYSTEM_SPACE.map((path) => ({ path, from: 'userSpace' }));
  doc.trust.paths.forEach((p, i) => {
    const r = appControlFilePath(p, policy);
    if (r.ok) { if (!allowPaths.some((a) => a.path.toLowerCase() === r.path.toLowerCase())) allowPaths.push({ path: r.path, from: `trust.paths[${i}]` }); }
    else skipped.push({ field: `trust.paths[${i}]`, value: p, why: r.why });
  });

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
      allowPaths, allowHashes: doc.trust.hashes.map((h) => (h.note ? { sha256: h.sha256.toUpperCase(), note: h.note } : { sha256: h.sha256.toUpperCase() })),
      denyRules, denyNames, supplementals,
    },
    asr, cfa, office, skipped, mapping: [],
  };
  plan.mapping = buildMapping(policy, plan, windowsPrograms(denied));
  return plan;
}
