// Mapping-report entries for code a command line names (scripts run by a script host, modules a proxy loader
// loads, code fetched from the network: USER_SPACE_SCRIPT / USER_SPACE_LIBRARY / REMOTE_CODE at the start) and for
// system hooks (PERSIST_SYSTEM_HOOK: `persistence.denySystemHooks`, `persistence.trustedInstallers`), each with the
// nearest Windows mechanism, or a plain statement that Windows has none.
import type { CompiledPolicy } from '@omamori/policy';
import type { AsrKey } from './asr.ts';
import type { AddEntry } from './mapping-space.ts';
import type { WindowsPlan } from './plan.ts';

function asrOf(plan: WindowsPlan, ...keys: AsrKey[]): string[] {
  return plan.asr.filter((r) => keys.includes(r.key) && r.action !== 'off').map((r) => `ASR ${r.id} (${r.name}) = ${r.action}`);
}

export function addNamedCodeEntries(plan: WindowsPlan, add: AddEntry): void {
  const se = plan.appControl.scriptEnforcement;
  const denied = (n: string) => plan.appControl.denyNames.includes(n);
  const list = (names: string[]) => names.join(', ') || '—';
  const auditEn = se ? '' : ' In this plan script enforcement is off (audit), so no script is judged: Windows Script Host runs every script and PowerShell runs in full language.';
  const auditJa = se ? '' : 'この計画ではスクリプトの強制がオフ (監査) のため、スクリプトは判定されません: Windows Script Host はすべてのスクリプトを実行し、PowerShell は完全言語モードで動きます。';

  const scriptAsr = asrOf(plan, 'scriptDownloaded', 'mailExecutable', 'obfuscatedScripts');
  add('(launch) scripts named on a script host\'s command line (USER_SPACE_SCRIPT at the start)', 'partial',
    [...se ? ['App Control script enforcement'] : [], ...denied('mshta.exe') ? ['App Control Deny mshta.exe'] : [], ...scriptAsr],
    `Windows Script Host (wscript, cscript) asks App Control about the script it runs and refuses one the policy does not allow (not Microsoft-signed, not in an allowed folder, no trusted hash; AppLocker "MSI and Script" 8029). mshta${denied('mshta.exe') ? ' is denied by name, and' : ''} runs no code at all while a policy with script enforcement is active (Microsoft). PowerShell (-File, -Command "& x.ps1", pwsh's first argument) is not stopped: a script the policy does not allow runs in Constrained Language Mode. Not controlled by App Control (Microsoft: "doesn't directly control code run via cmd.exe, including .bat/.cmd", nor scripts of hosts that are not enlightened): cmd /c x.bat, python x.py, hh x.chm — what they start is judged, the script itself is not. Files omamori also judges as scripts that are not code to App Control: INF files run through rundll32 (advpack LaunchINFSection, setupapi InstallHinfSection), odbcconf response files (-f), and local scriptlets (regsvr32 /i:x.sct scrobj.dll, which runs them inside the Microsoft-signed scrobj.dll) — only what they load or start is judged. wmic /format:x.xsl: MSXML runs no script in it while script enforcement is active (Microsoft)${denied('wmic.exe') ? '; wmic is denied by name too' : ''}. ASR adds: JS/VBS launching downloaded executables, scripts from mail, obfuscated scripts (AMSI), where the policy selects them.${auditEn}`,
    `Windows Script Host (wscript・cscript) は実行するスクリプトを App Control に問い合わせ、ポリシーが許可しないもの (Microsoft 署名でない、許可フォルダーにない、信頼ハッシュがない) を拒否します (AppLocker「MSI and Script」8029)。mshta は${denied('mshta.exe') ? '名前で拒否され、さらに' : ''}スクリプトの強制が有効なポリシーがある間はコードを一切実行しません (Microsoft)。PowerShell (-File、-Command "& x.ps1"、pwsh の最初の引数) は止まりません: ポリシーが許可しないスクリプトは制約付き言語モードで動きます。App Control が制御しないもの (Microsoft:「cmd.exe で実行するコード (.bat/.cmd を含む) を直接は制御しない」、対応していないスクリプト ホストも同様): cmd /c x.bat、python x.py、hh x.chm — それらが起動するものは判定されますが、スクリプト自体は判定されません。omamori がスクリプトとして判定するが App Control にとってコードではないもの: rundll32 で実行する INF ファイル (advpack LaunchINFSection、setupapi InstallHinfSection)、odbcconf の応答ファイル (-f)、ローカルのスクリプトレット (regsvr32 /i:x.sct scrobj.dll。Microsoft 署名の scrobj.dll の中で動く) — それらが読み込む・起動するものだけが判定されます。wmic /format:x.xsl: スクリプトの強制が有効な間、MSXML はその中のスクリプトを実行しません (Microsoft)${denied('wmic.exe') ? '。wmic は名前でも拒否します' : ''}。ASR による追加: ダウンロードした実行ファイルを JS/VBS が起動すること、メール由来のスクリプト、難読化されたスクリプト (AMSI)。ポリシーが選ぶ場合。${auditJa}`);

  const loaders = ['installutil.exe', 'regasm.exe', 'regsvcs.exe', 'cmstp.exe', 'odbcconf.exe', 'mavinject.exe', 'msbuild.exe'];
  const deniedLoaders = loaders.filter(denied);
  // cmstp x.inf is the one module-kind name that is not code to App Control: only a deny rule on cmstp.exe stops it.
  const cmstp = denied('cmstp.exe');
  add('(launch) modules a proxy loader\'s command line names (USER_SPACE_LIBRARY at the start)', cmstp ? 'enforced' : 'partial',
    ['App Control UMCI', ...deniedLoaders.length ? ['App Control Deny (OriginalFileName)'] : []],
    `rundll32 DLL,Entry, regsvr32 DLL, control x.cpl, msiexec /y|/z DLL, odbcconf REGSVR, mavinject, Register-CimProvider, and the assemblies InstallUtil/RegAsm/RegSvcs load: each is a module load App Control judges like any DLL — an unsigned module outside the allowed folders with no trusted hash is not loaded (Code Integrity 3077), so the loader fails and the module's code never runs. Windows judges the load, not the command line: the loader itself starts, omamori refuses it at the start. Denied outright by name in this plan: ${list(deniedLoaders)}. cmstp x.inf: an INF file is not code to App Control; ${cmstp ? 'cmstp.exe is denied by name in this plan, so it does not start.' : 'cmstp.exe is not denied in this plan, so it runs the INF, and only what the INF loads or starts is judged.'}`,
    `rundll32 DLL,Entry、regsvr32 DLL、control x.cpl、msiexec /y|/z DLL、odbcconf REGSVR、mavinject、Register-CimProvider、InstallUtil・RegAsm・RegSvcs が読み込むアセンブリ: いずれも App Control がほかの DLL と同じく判定するモジュールの読み込みです — 許可フォルダー外の署名なしで信頼ハッシュのないモジュールは読み込まれず (コード整合性 3077)、ローダーは失敗し、モジュールのコードは実行されません。Windows が判定するのは読み込みでありコマンド ラインではないため、ローダー自体は起動します (omamori は起動時に拒否します)。この計画で名前により拒否するもの: ${list(deniedLoaders)}。cmstp x.inf: INF ファイルは App Control にとってコードではありません。${cmstp ? 'この計画では cmstp.exe を名前で拒否するため、起動しません。' : 'この計画では cmstp.exe を拒否しないため INF は実行され、INF が読み込む・起動するものだけが判定されます。'}`);

  add('(launch) code fetched from the network (REMOTE_CODE)', 'partial',
    [...denied('mshta.exe') ? ['App Control Deny mshta.exe'] : [], ...se ? ['App Control script enforcement (MSHTA)'] : []],
    `mshta https://…: ${denied('mshta.exe') ? 'mshta.exe is denied by name, and ' : ''}MSHTA runs no code while script enforcement is active. Not refused: regsvr32 /i:https://… scrobj.dll ("Squiblydoo") and script: monikers given to rundll32 or a script host — regsvr32, rundll32 and scrobj.dll are Microsoft-signed and run, App Control does not judge a scriptlet fetched from the network, and no ASR rule names it. App Control's built-in COM object allowlist limits which objects script may create in the hosts Microsoft names (PowerShell, WSH, IE, VBA, MSI); whether it applies inside scrobj.dll under regsvr32 is not documented. omamori refuses remote code always.`,
    `mshta https://…: ${denied('mshta.exe') ? 'mshta.exe は名前で拒否し、さらに' : ''}スクリプトの強制が有効な間 MSHTA はコードを実行しません。拒否されないもの: regsvr32 /i:https://… scrobj.dll (「Squiblydoo」) と、rundll32 やスクリプト ホストに渡す script: モニカー — regsvr32・rundll32・scrobj.dll は Microsoft 署名で実行でき、App Control はネットワークから取得したスクリプトレットを判定せず、これを対象とする ASR 規則もありません。App Control の組み込みの COM オブジェクト許可一覧は、Microsoft が挙げるホスト (PowerShell・WSH・IE・VBA・MSI) でスクリプトが作れるオブジェクトを制限しますが、regsvr32 の scrobj.dll の中で効くかは文書化されていません。omamori はリモートのコードを常に拒否します。`);
}

export function addHookEntries(policy: CompiledPolicy, add: AddEntry): void {
  const doc = policy.doc;
  if (!doc.persistence.denySystemHooks) {
    add('persistence.denySystemHooks false', 'not-applicable', [], 'The policy does not refuse system hooks.', 'ポリシーはシステム フックを拒否しません。');
  } else {
    const why = 'No Windows engine refuses it. App Control decides which code may load; it cannot refuse a registry or file write. Controlled Folder Access does not cover the registry, and for files it stops only applications Defender does not trust — the usual writers here (reg, cmd, PowerShell, copy) are Microsoft-signed, which it trusts. No ASR rule covers this hook.';
    const whyJa = 'これを拒否する Windows の仕組みはありません。App Control が決めるのは読み込んでよいコードであり、レジストリやファイルへの書き込みは拒否できません。フォルダー アクセスの制御はレジストリを対象とせず、ファイルについても Defender が信頼しないアプリだけを止めます — ここで使われる書き込み手段 (reg・cmd・PowerShell・copy) は Defender が信頼する Microsoft 署名のプログラムです。このフックを対象とする ASR 規則もありません。';
    add('persistence.denySystemHooks: Image File Execution Options Debugger/VerifierDlls, SilentProcessExit MonitorProcess (PERSIST_SYSTEM_HOOK, location debugger)', 'not-enforced', [],
      `The entry is written. ${why} Left on Windows: App Control refuses a user-space program the debugger entry starts, when it starts; a Microsoft-signed program or one in an allowed folder (cmd.exe as sethc.exe's debugger, the classic logon-screen backdoor) runs.`,
      `エントリは書き込まれます。${whyJa} Windows に残るもの: デバッガー エントリが起動するユーザー領域のプログラムは、起動時に App Control が拒否します。Microsoft 署名か許可フォルダーのプログラム (sethc.exe のデバッガーに cmd.exe、ログオン画面の典型的なバックドア) は実行されます。`);
    add('persistence.denySystemHooks: Winlogon Userinit/Shell/Taskman/Notify, UserInitMprLogonScript (PERSIST_SYSTEM_HOOK, location logon)', 'not-enforced', [],
      `The entry is written. ${why} Left on Windows: at logon App Control refuses a user-space program it names and Windows Script Host refuses a script the policy does not allow; a batch file (cmd.exe is not controlled) or a system program runs.`,
      `エントリは書き込まれます。${whyJa} Windows に残るもの: ログオン時に、そこに書かれたユーザー領域のプログラムは App Control が、ポリシーが許可しないスクリプトは Windows Script Host が拒否します。バッチ ファイル (cmd.exe は制御されない) やシステムのプログラムは実行されます。`);
    add('persistence.denySystemHooks: replacing accessibility programs sethc, utilman, osk, magnify, narrator, displayswitch, atbroker (PERSIST_SYSTEM_HOOK, location accessibility)', 'not-enforced', [],
      `The replacement is written. ${why} The new file lies in System32, an allowed folder: App Control lets it run whatever it is, and a copy of cmd.exe is Microsoft-signed anyway. What stands in the way is NTFS: System32 files belong to TrustedInstaller, so only an administrator who first takes ownership can replace them.`,
      `置き換えは書き込まれます。${whyJa} 新しいファイルは許可フォルダーの System32 にあるため、App Control は中身にかかわらず実行を許し、cmd.exe のコピーならそもそも Microsoft 署名です。妨げになるのは NTFS だけです: System32 のファイルの所有者は TrustedInstaller で、所有権を取得した管理者でなければ置き換えられません。`);
  }
  add(`persistence.trustedInstallers ${doc.persistence.trustedInstallers.join(', ')}`, 'not-applicable', [],
    'Nothing on Windows refuses system hooks, so there is no exemption to give installers. (App Control\'s Managed Installer is another idea — trusting the files an installer writes — and omamori does not enable it.)',
    'Windows にはシステム フックを拒否する仕組みがないため、インストーラーに与える例外もありません。(App Control の Managed Installer は別の考え方 — インストーラーが書いたファイルを信頼する — で、omamori は有効にしません。)');
}
