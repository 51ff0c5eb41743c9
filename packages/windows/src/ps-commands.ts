// The PowerShell commands omamori runs on Windows, built in one place so the generated apply/revert scripts and the
// agent (apply.ts) issue exactly the same commands. Every argument is a single-quoted PowerShell literal.
import type { AsrAction } from './asr.ts';

/** A PowerShell single-quoted string literal (no expansion; `'` doubled). */
export function psQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Set-MpPreference/Add-MpPreference action names for ASR. */
export const ASR_ACTION_NAME: Readonly<Record<AsrAction, string>> = { block: 'Enabled', audit: 'AuditMode', warn: 'Warn', off: 'Disabled' };

export type CfaMode = 'enabled' | 'audit' | 'off';
export const CFA_MODE_NAME: Readonly<Record<CfaMode, string>> = { enabled: 'Enabled', audit: 'AuditMode', off: 'Disabled' };
/** The numbers Get-MpPreference reports for EnableControlledFolderAccess. */
export const CFA_MODE_VALUE: Readonly<Record<CfaMode, number>> = { off: 0, enabled: 1, audit: 2 };

/** Where App Control policies are dropped when CiTool is not available (multiple-policy format, 1903+). */
export const CI_ACTIVE_DIR = '$env:windir\\System32\\CodeIntegrity\\CiPolicies\\Active';
/**
 * Without CiTool Windows does not say which version of a policy is in CiPolicies\Active: the agent writes the
 * VersionEx it copied beside (never into) that folder, `<PolicyID>.txt`, and the state query reads it back. A policy
 * copied by apply.ps1 has no such file: its version reads as unknown and is taken as current.
 */
export const CI_VERSION_DIR = '$env:ProgramData\\omamori\\ci-versions';

export const OFFICE_POLICY_ROOT = 'Software\\Policies\\Microsoft\\Office\\16.0';

/**
 * The HKEY_USERS hives that belong to people: local and Active Directory accounts (S-1-5-21-…) and Microsoft Entra ID
 * accounts (S-1-12-1-…). Not .DEFAULT, the service hives (S-1-5-18/19/20) or the `…_Classes` hives.
 */
export const USER_HIVE_PATTERN = '^S-1-(5-21|12-1)-[0-9-]+$';

/** Throws with CiTool's output when it failed: CiTool is a native program, so $ErrorActionPreference never sees it. */
const ciToolChecked = (verb: string, args: string) =>
  `$ciOut = CiTool.exe ${verb} ${args} 2>&1 | Out-String; if ($LASTEXITCODE -ne 0) { throw "CiTool ${verb} failed (exit code $LASTEXITCODE): $ciOut" }`;

export const cmd = {
  /** Adds the rule, or changes its action when it is already configured (Add-MpPreference does both). */
  addAsr: (id: string, action: AsrAction) =>
    `Add-MpPreference -AttackSurfaceReductionRules_Ids ${psQuote(id)} -AttackSurfaceReductionRules_Actions ${ASR_ACTION_NAME[action]}`,
  removeAsr: (id: string) => `Remove-MpPreference -AttackSurfaceReductionRules_Ids ${psQuote(id)}`,
  setCfa: (mode: CfaMode) => `Set-MpPreference -EnableControlledFolderAccess ${CFA_MODE_NAME[mode]}`,
  addCfaFolder: (folder: string) => `Add-MpPreference -ControlledFolderAccessProtectedFolders ${psQuote(folder)}`,
  removeCfaFolder: (folder: string) => `Remove-MpPreference -ControlledFolderAccessProtectedFolders ${psQuote(folder)}`,
  /**
   * Sets a DWORD under a registry key (PowerShell provider path), creating the key only when it is missing:
   * New-Item -Force on an existing key deletes it with all its values and subkeys (the registry provider's NewItem
   * removes the key first; test/powershell/registry-model.ts).
   */
  setDword: (key: string, name: string, value: number) =>
    `if (-not (Test-Path -LiteralPath ${psQuote(key)})) { New-Item -Path ${psQuote(key)} -Force | Out-Null }; New-ItemProperty -LiteralPath ${psQuote(key)} -Name ${psQuote(name)} -Value ${value} -PropertyType DWord -Force | Out-Null`,
  removeValue: (key: string, name: string) =>
    `Remove-ItemProperty -LiteralPath ${psQuote(key)} -Name ${psQuote(name)} -ErrorAction SilentlyContinue`,
  /** XML → binary policy ({PolicyId}.cip), Windows-only ConfigCI cmdlet. Paths are PowerShell expressions. */
  convertPolicy: (xmlExpr: string, cipExpr: string) =>
    `ConvertFrom-CIPolicy -XmlFilePath ${xmlExpr} -BinaryFilePath ${cipExpr} | Out-Null`,
  /** Deploys a .cip with CiTool and throws when CiTool reports a failure. */
  ciToolUpdate: (cipExpr: string) => ciToolChecked('--update-policy', `${cipExpr} -json`),
  ciToolRemove: (policyId: string) => ciToolChecked('--remove-policy', `${psQuote(policyId)} -json`),
  ciToolList: () => 'CiTool.exe --list-policies -json',
  /** Copies a .cip into CiPolicies\Active (active after a restart) and records its VersionEx in CI_VERSION_DIR. */
  copyToActive: (cipExpr: string, policyId: string, versionEx: string) =>
    `Copy-Item -LiteralPath ${cipExpr} -Destination (Join-Path "${CI_ACTIVE_DIR}" ${psQuote(`${policyId}.cip`)}) -Force; `
    + `New-Item -ItemType Directory -Path "${CI_VERSION_DIR}" -Force | Out-Null; `
    + `Set-Content -LiteralPath (Join-Path "${CI_VERSION_DIR}" ${psQuote(`${policyId}.txt`)}) -Value ${psQuote(versionEx)}`,
  /** Removes a .cip from CiPolicies\Active (gone after a restart). A version file left behind is read only while a
   * .cip of that PolicyID is there, and rewritten by the next copy. */
  removeFromActive: (policyId: string) =>
    `Remove-Item -LiteralPath (Join-Path "${CI_ACTIVE_DIR}" ${psQuote(`${policyId}.cip`)}) -Force -ErrorAction SilentlyContinue`,
};

/**
 * The text to pipe into `powershell.exe -NoProfile -NonInteractive -Command -` so that `script` runs as one script.
 * PowerShell reads `-Command -` like an interactive prompt, statement by statement: a multi-line statement only ends at
 * an empty line, `else` on its own line is an error, and $ErrorActionPreference = 'Stop' does not stop the rest
 * (PowerShell/PowerShell issues #3223, #2068, #21808). So the script goes inside one script block, invoked with `args`,
 * without empty lines (an empty line would end the block early) and followed by the empty line that runs it.
 * The process exit code is then that of the block: 1 when it threw. Unlike -EncodedCommand this has no 32,767
 * character limit, and unlike -File it is not subject to the execution policy.
 */
export function stdinProgram(script: string, args = ''): string {
  const body = script.split(/\r?\n/).filter((l) => l.trim() !== '').join('\n');
  return `$ProgressPreference = 'SilentlyContinue'\n& {\n${body}\n}${args ? ` ${args}` : ''}\n\n`;
}

/** Registry provider path of an Office policy value for one user hive (`HKCU:` or `Registry::HKEY_USERS\SID`). */
export function officeKey(hive: string, app: string, sub: string): string {
  return `${hive}\\${OFFICE_POLICY_ROOT}\\${app}\\${sub}`;
}
