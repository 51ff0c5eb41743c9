// Microsoft's recommended block list for App Control: Microsoft-signed programs and libraries that can run other code
// and so bypass an allow-list policy. omamori's base policy trusts Microsoft's signatures everywhere, so these must be
// denied explicitly. One maintained table; the compiled XML is checked against every entry (test/block-list.test.ts).
//
// Source: Microsoft Learn, "Applications that can bypass App Control and how to block them"
// (learn.microsoft.com/windows/security/application-security/application-control/app-control-for-business/design/
// applications-that-can-bypass-appcontrol; MicrosoftDocs/windows-itpro-docs, …/design/applications-that-can-bypass-appcontrol.md,
// ms.date 06/14/2023): the bulleted list and the FileName deny rules of its policy XML, with their version bounds.
// Not carried over: the hash rules (HVCIScan builds and old System.Management.Automation.dll builds — omamori denies
// the PowerShell 2 engine by its folder instead), and msxml3/msxml6/jscript9, which the page blocks only on Windows
// releases before 1903.

export const BLOCK_LIST_SOURCE = {
  title: 'Applications that can bypass App Control and how to block them (Microsoft recommended block rules)',
  url: 'https://learn.microsoft.com/windows/security/application-security/application-control/app-control-for-business/design/applications-that-can-bypass-appcontrol',
  date: '2023-06-14',
} as const;

export interface BlockListEntry {
  /** OriginalFileName as the page's deny rule writes it (App Control matches it case-insensitively). */
  fileName?: string;
  /** A folder deny rule (App Control FilePath form) instead of a file name. */
  filePath?: string;
  /**
   * Deny rule version bound, as the page gives it: with only MinimumFileVersion a deny rule covers that version and
   * every lower one; 65535.65535.65535.65535 means every version.
   */
  maxVersion: string;
  /** Shipped with a default Windows 10/11 installation (System32, SysWOW64 or the .NET Framework 4 folder). */
  onDefaultInstall: boolean;
  /** Denied from enforce mode on, or only in lockdown (common enough in offices that enforce keeps it). */
  from: 'enforce' | 'lockdown';
  /** Why it is dangerous, or why it waits for lockdown. */
  note: string;
}

const ALL = '65535.65535.65535.65535';

export const BLOCK_LIST: readonly BlockListEntry[] = [
  { fileName: 'AddInProcess.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: '.NET add-in host: loads arbitrary assemblies' },
  { fileName: 'AddInProcess32.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: '.NET add-in host (32-bit)' },
  { fileName: 'AddInUtil.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: '.NET add-in utility: runs code from a pipeline folder' },
  { fileName: 'aspnet_compiler.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'ASP.NET compiler: compiles and runs code' },
  { fileName: 'bash.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'WSL launcher: Linux code is outside App Control' },
  { fileName: 'BGINFO.Exe', maxVersion: '4.21.0.0', onDefaultInstall: false, from: 'enforce', note: 'BGInfo before 4.22 runs VBScript' },
  { fileName: 'CDB.Exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'debugger: runs shellcode' },
  { fileName: 'cscript.exe', maxVersion: '5.812.10240.0', onDefaultInstall: true, from: 'lockdown', note: 'Windows Script Host (console); logon scripts still use it, so denied in lockdown only (scripts are judged by script enforcement anyway)' },
  { fileName: 'csi.Exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'C# interactive' },
  { fileName: 'DBGHOST.Exe', maxVersion: '2.3.0.0', onDefaultInstall: false, from: 'enforce', note: 'debugger host' },
  { fileName: 'DBGSVC.Exe', maxVersion: '2.3.0.0', onDefaultInstall: false, from: 'enforce', note: 'debugger service' },
  { fileName: 'dbgsrv.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'debugger server' },
  { fileName: 'dnx.Exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: '.NET execution environment' },
  { fileName: 'dotnet.exe', maxVersion: ALL, onDefaultInstall: false, from: 'lockdown', note: '.NET host: runs any assembly; line-of-business apps started as "dotnet app.dll" need it, so lockdown only' },
  { fileName: 'fsi.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'F# interactive' },
  { fileName: 'fsiAnyCpu.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'F# interactive' },
  { fileName: 'infdefaultinstall.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'runs INF files (registers and runs code)' },
  { fileName: 'InstallUtil.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: '.NET installer utility: runs code in an assembly' },
  { fileName: 'kd.Exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'kernel debugger' },
  { fileName: 'kill.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'debugging tools' },
  { fileName: 'lxrun.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'legacy WSL' },
  { fileName: 'LxssManager.dll', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'WSL service' },
  { fileName: 'Microsoft.Management.Services.IntuneWindowsAgent.exe', maxVersion: '1.46.204.0', onDefaultInstall: false, from: 'enforce', note: 'old Intune management extension (up to 1.46.204.0) runs unsigned scripts' },
  { fileName: 'mfc40.dll', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'old MFC library abusable to run code' },
  { fileName: 'Microsoft.Build.dll', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'MSBuild engine (inline tasks run C#)' },
  { fileName: 'Microsoft.Build.Framework.dll', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'MSBuild engine' },
  { fileName: 'Microsoft.Workflow.Compiler.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'workflow compiler: compiles and runs C#' },
  { fileName: 'MSBuild.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'MSBuild: inline tasks run C# (Microsoft: allow only on build machines)' },
  { fileName: 'MSBuild.dll', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'MSBuild engine' },
  { fileName: 'mshta.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'HTML application host: runs script in HTA files' },
  { fileName: 'ntkd.Exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'kernel debugger' },
  { fileName: 'ntsd.Exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'debugger' },
  { fileName: 'powershellcustomhost.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'PowerShell host outside script enforcement' },
  { fileName: 'rcsi.Exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'Roslyn C# interactive' },
  { fileName: 'runscripthelper.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'runs PowerShell outside script enforcement' },
  { fileName: 'texttransform.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'T4 text templating: runs C#' },
  { fileName: 'visualuiaverifynative.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'UI Automation verify: loads arbitrary code' },
  { fileName: 'davsvc.dll', maxVersion: ALL, onDefaultInstall: true, from: 'lockdown', note: 'WebDAV client (page: "BlockWebDAV WebClnt"); SharePoint "Open in Explorer" and mapped WebDAV drives use it, so lockdown only' },
  { fileName: 'wfc.exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'workflow command-line compiler' },
  { fileName: 'windbg.Exe', maxVersion: ALL, onDefaultInstall: false, from: 'enforce', note: 'debugger' },
  { fileName: 'wmic.exe', maxVersion: ALL, onDefaultInstall: true, from: 'lockdown', note: 'WMI command line runs XSL scripts; administrators\' scripts still call it, so lockdown only' },
  { fileName: 'wscript.exe', maxVersion: '5.812.10240.0', onDefaultInstall: true, from: 'lockdown', note: 'Windows Script Host; logon scripts still use it, so lockdown only (scripts are judged by script enforcement anyway)' },
  { fileName: 'wsl.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'WSL launcher' },
  { fileName: 'wslconfig.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'WSL configuration' },
  { fileName: 'wslhost.exe', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'WSL host' },
  // The page revokes old System.Management.Automation.dll builds by hash. The PowerShell 2 engine (the optional
  // "Windows PowerShell 2.0" feature, `powershell -Version 2`) has no script enforcement or Constrained Language Mode;
  // its assembly (version 1.0.0.0) lives only in the .NET 2 global assembly cache, which a folder rule denies whole.
  { filePath: '%WINDIR%\\assembly\\GAC_MSIL\\System.Management.Automation\\*', maxVersion: ALL, onDefaultInstall: true, from: 'enforce', note: 'PowerShell 2 engine: no script enforcement, no Constrained Language Mode (the 5.1 engine lives in %WINDIR%\\Microsoft.NET\\assembly)' },
];

/** The entries a policy mode denies. Audit mode reports what enforce would deny. */
export function blockListFor(mode: 'audit' | 'enforce' | 'lockdown'): BlockListEntry[] {
  return BLOCK_LIST.filter((e) => e.from === 'enforce' || mode === 'lockdown');
}
