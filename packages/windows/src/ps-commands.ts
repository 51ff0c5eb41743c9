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

export const OFFICE_POLICY_ROOT = 'Software\\Policies\\Microsoft\\Office\\16.0';

export const cmd = {
  /** Adds the rule, or changes its action when it is already configured (Add-MpPreference does both). */
  addAsr: (id: string, action: AsrAction) =>
    `Add-MpPreference -AttackSurfaceReductionRules_Ids ${psQuote(id)} -AttackSurfaceReductionRules_Actions ${ASR_ACTION_NAME[action]}`,
  removeAsr: (id: string) => `Remove-MpPreference -AttackSurfaceReductionRules_Ids ${psQuote(id)}`,
  setCfa: (mode: CfaMode) => `Set-MpPreference -EnableControlledFolderAccess ${CFA_MODE_NAME[mode]}`,
  addCfaFolder: (folder: string) => `Add-MpPreference -ControlledFolderAccessProtectedFolders ${psQuote(folder)}`,
  removeCfaFolder: (folder: string) => `Remove-MpPreference -ControlledFolderAccessProtectedFolders ${psQuote(folder)}`,
  /** Sets a DWORD under a registry key (PowerShell provider path), creating the key when missing. */
  setDword: (key: string, name: string, value: number) =>
    `New-Item -Path ${psQuote(key)} -Force | Out-Null; New-ItemProperty -Path ${psQuote(key)} -Name ${psQuote(name)} -Value ${value} -PropertyType DWord -Force | Out-Null`,
  removeValue: (key: string, name: string) =>
    `Remove-ItemProperty -Path ${psQuote(key)} -Name ${psQuote(name)} -ErrorAction SilentlyContinue`,
  /** XML → binary policy ({PolicyId}.cip), Windows-only ConfigCI cmdlet. Paths are PowerShell expressions. */
  convertPolicy: (xmlExpr: string, cipExpr: string) =>
    `ConvertFrom-CIPolicy -XmlFilePath ${xmlExpr} -BinaryFilePath ${cipExpr} | Out-Null`,
  ciToolUpdate: (cipExpr: string) => `CiTool.exe --update-policy ${cipExpr} -json`,
  ciToolRemove: (policyId: string) => `CiTool.exe --remove-policy ${psQuote(policyId)} -json`,
  ciToolList: () => 'CiTool.exe --list-policies -json',
  copyToActive: (cipExpr: string, policyId: string) =>
    `Copy-Item -LiteralPath ${cipExpr} -Destination (Join-Path "${CI_ACTIVE_DIR}" ${psQuote(`${policyId}.cip`)}) -Force`,
  removeFromActive: (policyId: string) =>
    `Remove-Item -LiteralPath (Join-Path "${CI_ACTIVE_DIR}" ${psQuote(`${policyId}.cip`)}) -Force -ErrorAction SilentlyContinue`,
};

/** Registry provider path of an Office policy value for one user hive (`HKCU:` or `Registry::HKEY_USERS\SID`). */
export function officeKey(hive: string, app: string, sub: string): string {
  return `${hive}\\${OFFICE_POLICY_ROOT}\\${app}\\${sub}`;
}
