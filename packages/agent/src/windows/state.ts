// What is in force on a Windows machine (queried through PowerShell as JSON), and its difference from a WindowsPlan:
// each difference carries the command that fixes it, so apply = run the fixes and verify = report them.
import { ASR_ACTION_VALUE, CFA_MODE_VALUE, CI_ACTIVE_DIR, CI_VERSION_DIR, cmd, OFFICE_POLICY_ROOT, psQuote, supplementalXmlName, USER_HIVE_PATTERN, type WindowsPlan } from '@omamori/windows';

/**
 * The query: one compressed JSON object on stdout. It must run in Constrained Language Mode (it does once App Control
 * enforces): cmdlets, native programs and core types only — values are read with Get-ItemProperty, not RegistryKey
 * methods. CiTool's exit code is checked (a failing CiTool would otherwise read as "no policy active").
 * CiTool's JSON gives a policy's version twice: `VersionString` (dotted) and `Version`, the four 16-bit parts packed
 * into one 64-bit number; both are passed on and parseWindowsState reads the first it can (policyVersion).
 */
export const STATE_QUERY = `$p = Get-MpPreference
$ciTool = [bool](Get-Command CiTool.exe -ErrorAction SilentlyContinue)
if ($ciTool) {
    $list = CiTool.exe --list-policies -json 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "CiTool --list-policies failed (exit code $LASTEXITCODE): $list" }
    $policies = @(($list | ConvertFrom-Json).Policies | ForEach-Object { [ordered]@{ id = [string]$_.PolicyID; version = [string]$_.VersionString; versionNumber = [string]$_.Version } })
}
else {
    $policies = @(Get-ChildItem -Path "${CI_ACTIVE_DIR}" -Filter '*.cip' -ErrorAction SilentlyContinue | ForEach-Object {
        $v = Get-Content -LiteralPath (Join-Path "${CI_VERSION_DIR}" ($_.BaseName + '.txt')) -TotalCount 1 -ErrorAction SilentlyContinue
        [ordered]@{ id = $_.BaseName; version = [string]$v }
    })
}
$office = @()
foreach ($h in @(Get-ChildItem -Path 'Registry::HKEY_USERS' | Where-Object { $_.PSChildName -match '${USER_HIVE_PATTERN}' })) {
    $root = 'Registry::HKEY_USERS\\' + $h.PSChildName + '\\${OFFICE_POLICY_ROOT}'
    foreach ($k in @(Get-ChildItem -Path $root -Recurse -ErrorAction SilentlyContinue)) {
        $values = Get-ItemProperty -LiteralPath $k.PSPath -ErrorAction SilentlyContinue
        foreach ($n in @($k.Property)) { $office += [ordered]@{ hive = $h.PSChildName; key = $k.Name.Substring($k.Name.IndexOf('${OFFICE_POLICY_ROOT.replace(/\\/g, '\\')}') + ${OFFICE_POLICY_ROOT.length + 1}); name = $n; value = $values.$n } }
    }
    $office += [ordered]@{ hive = $h.PSChildName; key = ''; name = ''; value = $null }
}
[ordered]@{ asrIds = @($p.AttackSurfaceReductionRules_Ids); asrActions = @($p.AttackSurfaceReductionRules_Actions); cfa = [int]$p.EnableControlledFolderAccess; folders = @($p.ControlledFolderAccessProtectedFolders); ciTool = $ciTool; policies = $policies; office = $office } | ConvertTo-Json -Depth 5 -Compress`;

export interface WindowsState {
  asr: Map<string, number>;
  cfa: number;
  folders: string[];
  ciTool: boolean;
  /** Active App Control policies: GUID (lower-case, no braces) → version text ('' when unknown). */
  policies: Map<string, string>;
  /** User hives (SIDs) with a loaded profile. */
  hives: string[];
  /** `SID|app\sub|name` (lower-case) → value. */
  office: Map<string, number>;
}

export function emptyState(): WindowsState {
  return { asr: new Map(), cfa: 0, folders: [], ciTool: true, policies: new Map(), hives: ['<each loaded user>'], office: new Map() };
}

const guidKey = (g: string) => g.replace(/[{}]/g, '').toLowerCase();

/**
 * A policy's VersionEx as omamori writes it (a.b.c.d) from what the state query reports: CiTool's `VersionString`, or
 * its `Version` number (the four 16-bit parts packed high to low into 64 bits), or the version file written beside
 * CiPolicies\Active. '' when none is known.
 */
export function policyVersion(version: unknown, versionNumber?: unknown): string {
  const dotted = (v: unknown) => (typeof v === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(v.trim()) ? v.trim().split('.').map((x) => String(Number(x))).join('.') : '');
  const fromString = dotted(version) || dotted(versionNumber);
  if (fromString) return fromString;
  const n = typeof versionNumber === 'number' ? String(versionNumber) : versionNumber;
  if (typeof n === 'string' && /^\d{1,20}$/.test(n.trim())) {
    const v = BigInt(n.trim());
    if (v < 1n << 64n) return [48n, 32n, 16n, 0n].map((s) => String((v >> s) & 0xffffn)).join('.');
  }
  return '';
}
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** Parses the query's JSON; throws an Error naming the field when the shape is not what the query writes. */
export function parseWindowsState(text: string): WindowsState {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (o === null || typeof o !== 'object') throw new Error('state: not a JSON object');
  const s = emptyState();
  s.hives = [];
  const ids = arr(o.asrIds), acts = arr(o.asrActions);
  ids.forEach((id, i) => { if (typeof id === 'string') s.asr.set(id.toLowerCase(), Number(acts[i])); });
  s.cfa = Number(o.cfa ?? 0);
  s.folders = arr(o.folders).filter((f): f is string => typeof f === 'string');
  s.ciTool = Boolean(o.ciTool);
  for (const p of arr(o.policies)) {
    const r = p as { id?: unknown; version?: unknown; versionNumber?: unknown };
    if (typeof r.id === 'string') s.policies.set(guidKey(r.id), policyVersion(r.version, r.versionNumber));
  }
  for (const e of arr(o.office)) {
    const r = e as { hive?: unknown; key?: unknown; name?: unknown; value?: unknown };
    if (typeof r.hive !== 'string') throw new Error('state: office[].hive is not a string');
    if (!s.hives.includes(r.hive)) s.hives.push(r.hive);
    if (typeof r.key === 'string' && r.key && typeof r.name === 'string' && typeof r.value === 'number') {
      s.office.set(`${r.hive}|${r.key}|${r.name}`.toLowerCase(), r.value);
    }
  }
  return s;
}

export interface Drift {
  area: 'app-control' | 'asr' | 'cfa' | 'office';
  what: string;
  expected: string;
  actual: string;
  /** The command(s) that put it right. */
  fix: string;
}

export interface DiffOptions {
  /** Folder on the Windows machine holding the compiled XML files. */
  workDir: string;
  now: number;
  /** This machine's host name, for host-limited exceptions. */
  host: string;
}

function installCi(workDir: string, xml: string, policyId: string, versionEx: string, ciTool: boolean): string {
  const cip = psQuote(`${workDir}\\${policyId}.cip`);
  return [cmd.convertPolicy(psQuote(`${workDir}\\${xml}`), cip), ciTool ? cmd.ciToolUpdate(cip) : cmd.copyToActive(cip, policyId, versionEx)].join('; ');
}

export function diffState(plan: WindowsPlan, state: WindowsState, opts: DiffOptions): Drift[] {
  const out: Drift[] = [];
  const ac = plan.appControl;
  const have = state.policies.get(guidKey(ac.policyId));
  if (have === undefined || (have !== '' && have !== ac.versionEx)) {
    out.push({ area: 'app-control', what: `base policy ${ac.policyId}`, expected: ac.versionEx, actual: have === undefined ? 'absent' : have, fix: installCi(opts.workDir, ac.baseXml, ac.policyId, ac.versionEx, state.ciTool) });
  }
  for (const s of ac.supplementals) {
    const wanted = Date.parse(s.expires) > opts.now && (!s.host || s.host.toLowerCase() === opts.host.toLowerCase());
    const present = state.policies.has(guidKey(s.policyId));
    if (wanted && !present) out.push({ area: 'app-control', what: `supplemental ${s.policyId} (${s.exceptionId})`, expected: 'active', actual: 'absent', fix: installCi(opts.workDir, supplementalXmlName(s.exceptionId), s.policyId, ac.versionEx, state.ciTool) });
    if (!wanted && present) out.push({ area: 'app-control', what: `supplemental ${s.policyId} (${s.exceptionId})`, expected: 'removed (expired or other host)', actual: 'active', fix: state.ciTool ? cmd.ciToolRemove(s.policyId) : cmd.removeFromActive(s.policyId) });
  }
  for (const r of plan.asr) {
    const a = state.asr.get(r.id);
    if (a !== ASR_ACTION_VALUE[r.action]) out.push({ area: 'asr', what: `${r.id} ${r.name}`, expected: String(ASR_ACTION_VALUE[r.action]), actual: a === undefined ? 'absent' : String(a), fix: cmd.addAsr(r.id, r.action) });
  }
  if (plan.cfa.mode !== 'off') {
    if (state.cfa !== CFA_MODE_VALUE[plan.cfa.mode]) out.push({ area: 'cfa', what: 'EnableControlledFolderAccess', expected: String(CFA_MODE_VALUE[plan.cfa.mode]), actual: String(state.cfa), fix: cmd.setCfa(plan.cfa.mode) });
    const have = new Set(state.folders.map((f) => f.toLowerCase()));
    for (const f of plan.cfa.folders) if (!have.has(f.toLowerCase())) out.push({ area: 'cfa', what: `protected folder ${f}`, expected: 'present', actual: 'absent', fix: cmd.addCfaFolder(f) });
  }
  for (const hive of state.hives) {
    for (const o of plan.office) {
      const v = state.office.get(`${hive}|${o.app}\\${o.sub}|${o.name}`.toLowerCase());
      if (v !== o.value) {
        const key = hive.startsWith('<') ? `Registry::HKEY_USERS\\<SID>\\${OFFICE_POLICY_ROOT}\\${o.app}\\${o.sub}` : `Registry::HKEY_USERS\\${hive}\\${OFFICE_POLICY_ROOT}\\${o.app}\\${o.sub}`;
        out.push({ area: 'office', what: `${hive} ${o.app}\\${o.sub}\\${o.name}`, expected: String(o.value), actual: v === undefined ? 'absent' : String(v), fix: cmd.setDword(key, o.name, o.value) });
      }
    }
  }
  return out;
}
