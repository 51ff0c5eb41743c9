// Microsoft Defender attack surface reduction (ASR) rules omamori uses, with the Emotet step each one cuts.
// GUIDs from Microsoft's ASR rules reference (learn.microsoft.com/defender-endpoint/attack-surface-reduction-rules-reference,
// summarised in peers.md §4.1). The GUIDs are Microsoft's identifiers: never change one; add rules at the end.

export type AsrAction = 'block' | 'audit' | 'warn' | 'off';

/** The numbers Defender stores for each action (Set-MpPreference, the Policy CSP, the registry). */
export const ASR_ACTION_VALUE: Readonly<Record<AsrAction, number>> = { off: 0, block: 1, audit: 2, warn: 6 };

export interface AsrRule {
  id: string;
  name: string;
  /** What it stops in the Emotet chain (peers.md §4.2), for the mapping report. */
  emotet: { en: string; ja: string };
  /** Warn mode is not supported by this rule (Defender documents this for the LSASS rule). */
  noWarn?: boolean;
}

export const ASR_RULES = {
  vulnerableDrivers: { id: '56a863a9-875e-4185-98a7-b882c64b5ce5', name: 'Block abuse of exploited vulnerable signed drivers',
    emotet: { en: 'loading a vulnerable driver to reach the kernel', ja: '脆弱なドライバーを読み込んでカーネルに達すること' } },
  adobeChild: { id: '7674ba52-37eb-4a4f-a9a1-f0f9a1619a2c', name: 'Block Adobe Reader from creating child processes',
    emotet: { en: 'a PDF starting a shell or downloader', ja: 'PDF からシェルやダウンローダーを起動すること' } },
  officeChild: { id: 'd4f940ab-401b-4efc-aadc-ad5f3c50688a', name: 'Block all Office applications from creating child processes',
    emotet: { en: 'the macro starting cmd/PowerShell', ja: 'マクロが cmd/PowerShell を起動すること' } },
  lsass: { id: '9e6c4e1f-7d60-472f-ba1a-a39ef669e4b2', name: 'Block credential stealing from the Windows local security authority subsystem',
    emotet: { en: 'credential theft from LSASS', ja: 'LSASS からの認証情報の窃取' }, noWarn: true },
  mailExecutable: { id: 'be9ba2d9-53ea-4cdc-84e5-9b1eeee46550', name: 'Block executable content from email client and webmail',
    emotet: { en: 'an attached or mailed executable dropped and run', ja: 'メール添付の実行ファイルを保存して実行すること' } },
  obfuscatedScripts: { id: '5beb7efe-fd9a-4556-801d-275e5ffc04cc', name: 'Block execution of potentially obfuscated scripts',
    emotet: { en: 'obfuscated macro/PowerShell stages (via AMSI)', ja: '難読化されたマクロ・PowerShell の段 (AMSI 経由)' } },
  scriptDownloaded: { id: 'd3e037e1-3eb8-44c8-a917-57927947596d', name: 'Block JavaScript or VBScript from launching downloaded executable content',
    emotet: { en: 'a script host launching the downloaded payload', ja: 'スクリプトホストがダウンロードしたペイロードを起動すること' } },
  officeExecutable: { id: '3b576869-a4ec-4529-8536-b80a7769e899', name: 'Block Office applications from creating executable content',
    emotet: { en: 'Office writing the payload DLL/EXE to disk', ja: 'Office がペイロード (DLL/EXE) をディスクに書くこと' } },
  officeInjection: { id: '75668c1f-73b5-4cf0-bb93-3ecf5cb7cc84', name: 'Block Office applications from injecting code into other processes',
    emotet: { en: 'Office injecting into other processes', ja: 'Office から他プロセスへのコード注入' } },
  outlookChild: { id: '26190899-1602-49e8-8b27-eb1d0a1ce869', name: 'Block Office communication application from creating child processes',
    emotet: { en: 'Outlook starting a child process', ja: 'Outlook が子プロセスを起動すること' } },
  wmiPersistence: { id: 'e6db77e5-3df2-4cf1-b95a-636979351e5b', name: 'Block persistence through WMI event subscription',
    emotet: { en: 'persistence through a WMI event subscription', ja: 'WMI イベント サブスクリプションによる永続化' } },
  psexecWmi: { id: 'd1e49aac-8f56-4280-b9ba-993a6d77406c', name: 'Block process creations originating from PSExec and WMI commands',
    emotet: { en: 'Win32_Process.Create breaking the parent chain; PsExec spreading', ja: 'Win32_Process.Create による親子関係の切断、PsExec による拡散' } },
  usb: { id: 'b2b3f03d-6a65-4f7b-a9c7-1c7ef74a9ba4', name: 'Block untrusted and unsigned processes that run from USB',
    emotet: { en: 'unsigned programs started from removable media', ja: 'リムーバブル メディアからの署名なしプログラムの起動' } },
  win32Macros: { id: '92e97fa1-2edf-4476-bdd6-9dd0b4dddc7b', name: 'Block Win32 API calls from Office macros',
    emotet: { en: 'the macro calling Win32 APIs directly', ja: 'マクロによる Win32 API の直接呼び出し' } },
} as const satisfies Record<string, AsrRule>;

export type AsrKey = keyof typeof ASR_RULES;

export function asrRuleById(id: string): AsrRule | undefined {
  const low = id.replace(/[{}]/g, '').toLowerCase();
  return Object.values(ASR_RULES).find((r) => r.id === low);
}
