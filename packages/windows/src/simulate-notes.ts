// What the Windows simulation cannot evaluate or only approximates (ja/en), and `windowsReplayAlternative(plan)`:
// the simulator packaged as an alternative evaluator for `omamori replay --as windows`.
import type { Alternative, AltNote } from '@omamori/replay';
import { ASR_RULES } from './asr.ts';
import type { WindowsPlan } from './plan.ts';
import { createWindowsSimulator, type ApproxKey } from './simulate.ts';

type Note = { en: string; ja: string };

/** Notes a verdict points to by its `approx` key. Keys are stable: append only. */
export const APPROX_NOTES: Readonly<Record<ApproxKey, Note>> = {
  'signer-unknown': {
    en: 'No signature is known for this file (Sysmon 1 and Security 4688 carry none; only a Sysmon 7 of the same file tells it), so it counts as unsigned. A Microsoft-signed program outside Windows and Program Files would in fact run.',
    ja: 'このファイルの署名が分かりません (Sysmon 1 と Security 4688 は署名を持たず、同じファイルの Sysmon 7 があるときだけ分かる) ので署名なしとして扱います。Windows・Program Files 以外にある Microsoft 署名のプログラムは実際には実行されます。',
  },
  'original-file-name': {
    en: 'App Control denies by OriginalFileName (version resource); the replay compares the image\'s file name, so a renamed copy is missed.',
    ja: 'App Control は OriginalFileName (バージョン情報) で拒否しますが、再生ではイメージのファイル名で比べるため、名前を変えたコピーは見逃します。',
  },
  'user-writable-list': {
    en: 'The folder is one of the commonly user-writable folders inside %WINDIR% (Temp, Tasks, spool\\drivers\\color …); Windows checks the real ACLs at run time.',
    ja: '%WINDIR% 内で一般ユーザーが書き込める既知のフォルダー (Temp、Tasks、spool\\drivers\\color など) にあります。Windows は実行時に実際の ACL を調べます。',
  },
  downloaded: {
    en: '"Downloaded" means created earlier in the same recording or lying in a download/cache folder; Defender uses the Mark of the Web and its own reputation data.',
    ja: '「ダウンロードしたもの」は同じ記録で先に作られたファイル、またはダウンロード・キャッシュのフォルダーにあるものとしています。Defender は Web のマーク (MOTW) と独自の評判情報を使います。',
  },
  'mail-origin': {
    en: 'Taken as mail content when Outlook created the file earlier in the recording or it lies in Outlook\'s attachment cache (Content.Outlook).',
    ja: 'Outlook が記録中で先に作ったファイル、または Outlook の添付キャッシュ (Content.Outlook) にあるファイルをメールの内容とみなします。',
  },
  'office-created': {
    en: 'The file was written earlier in the recording by an Office application; Defender recognises executable content by its content, the replay by its extension.',
    ja: 'このファイルは記録中で先に Office アプリが書いたものです。Defender は内容で実行可能コンテンツを判定しますが、再生では拡張子で判定します。',
  },
  'executable-by-name': {
    en: 'Executable content is recognised by file extension (.exe, .dll, .scr, .cpl, .xll …); Defender looks at the content.',
    ja: '実行可能コンテンツを拡張子 (.exe・.dll・.scr・.cpl・.xll など) で判定します。Defender は内容を見ます。',
  },
  'removable-assumed': {
    en: 'Any drive letter other than C: is taken as removable; Defender checks the device type and the file\'s signature and reputation.',
    ja: 'C: 以外のドライブ文字はリムーバブルとみなします。Defender はデバイスの種類とファイルの署名・評判を調べます。',
  },
  'cfa-trust': {
    en: 'Defender decides which apps it trusts (reputation, signature); the replay trusts programs in %WINDIR% and Program Files and Microsoft-signed ones, no others.',
    ja: 'Defender が信頼するアプリは Defender が決めます (評判・署名)。再生では %WINDIR%・Program Files のプログラムと Microsoft 署名のものだけを信頼します。',
  },
  'lsass-rights': {
    en: 'A Sysmon 10 access to lsass.exe with read or write rights (PROCESS_VM_READ, VM_WRITE, CREATE_THREAD) counts as an attempt; Defender\'s own exclusions are not public (only Defender itself is excluded here).',
    ja: 'lsass.exe への読み書き権限 (PROCESS_VM_READ・VM_WRITE・CREATE_THREAD) つきの Sysmon 10 アクセスを試みとみなします。Defender 自身の除外一覧は公開されていません (ここでは Defender だけを除外)。',
  },
  'office-child': {
    en: 'Every child of Word, Excel, PowerPoint, OneNote or Access counts; Defender lets a few undocumented ones through.',
    ja: 'Word・Excel・PowerPoint・OneNote・Access の子プロセスはすべて対象とします。Defender は文書化されていない一部を許可します。',
  },
  'wmi-parent': {
    en: 'A process whose parent is WmiPrvSE.exe or PSEXESVC.exe is taken as created through WMI or PsExec.',
    ja: '親が WmiPrvSE.exe か PSEXESVC.exe のプロセスを、WMI または PsExec から作られたものとみなします。',
  },
};

/** Parts of the compiled plan the replay cannot judge from events at all. */
const NOT_EVALUATED: readonly { key: string; asr?: keyof typeof ASR_RULES; note: Note }[] = [
  { key: 'asr:5beb7efe', asr: 'obfuscatedScripts', note: { en: 'ASR "Block execution of potentially obfuscated scripts" needs the script content (AMSI): not evaluated.', ja: 'ASR「難読化されている可能性のあるスクリプトの実行をブロック」はスクリプトの内容 (AMSI) が必要なため評価しません。' } },
  { key: 'asr:92e97fa1', asr: 'win32Macros', note: { en: 'ASR "Block Win32 API calls from Office macros" needs the macro code (AMSI): not evaluated.', ja: 'ASR「Office マクロからの Win32 API 呼び出しをブロック」はマクロのコード (AMSI) が必要なため評価しません。' } },
  { key: 'asr:56a863a9', asr: 'vulnerableDrivers', note: { en: 'ASR "Block abuse of exploited vulnerable signed drivers" needs Microsoft\'s driver list and driver loads (Sysmon 6 is not mapped): not evaluated. App Control\'s kernel-mode rules are not evaluated either.', ja: 'ASR「悪用された脆弱な署名付きドライバーの悪用をブロック」は Microsoft のドライバー一覧とドライバーの読み込み (Sysmon 6 は変換しない) が必要なため評価しません。App Control のカーネル モードの規則も評価しません。' } },
  { key: 'asr:01443614', note: { en: 'ASR "Block executable files from running unless they meet a prevalence, age, or trusted list criterion" decides by Microsoft\'s cloud reputation: it cannot be evaluated offline (omamori does not enable it).', ja: 'ASR「普及率・経過期間・信頼リストの条件を満たさない実行可能ファイルの実行をブロック」は Microsoft のクラウドの評判で判定するため、オフラインでは評価できません (omamori は有効にしません)。' } },
  { key: 'office-macros', note: { en: 'Office macro settings (macros from the internet, VBAWarnings, trusted locations) act inside Office; no event says a macro was refused: not evaluated.', ja: 'Office のマクロ設定 (インターネットからのマクロ、VBAWarnings、信頼できる場所) は Office の中で働き、マクロを拒否したことを示すイベントがないため評価しません。' } },
  { key: 'powershell-clm', note: { en: 'PowerShell is not stopped by App Control: scripts the policy does not allow, and all inline code, run in Constrained Language Mode (shown as "constrained", once per process for inline code). Tools that need full language (Add-Type, reflection) fail there.', ja: 'App Control は PowerShell を止めません。許可されないスクリプトとインラインのコードは制約付き言語モードで動きます (「制限」と表示。インラインはプロセスごとに一度)。完全な言語 (Add-Type・リフレクション) が必要なツールはそこで失敗します。' } },
];

/** The notes for one plan: approximations, then what is not evaluated among the rules it enables. */
export function simulationNotes(plan: WindowsPlan): AltNote[] {
  const enabled = new Set(plan.asr.filter((r) => r.action !== 'off').map((r) => r.key));
  const out: AltNote[] = Object.entries(APPROX_NOTES).map(([key, n]) => ({ key, ...n, approx: true }));
  for (const n of NOT_EVALUATED) if (!n.asr || enabled.has(n.asr)) out.push({ key: n.key, ...n.note });
  return out;
}

/** The simulator as an alternative evaluator for `replayPaths(…, { alternative })`. */
export function windowsReplayAlternative(plan: WindowsPlan): Alternative {
  return {
    id: 'windows',
    label: {
      en: `As compiled for Windows (App Control ${plan.appControl.audit ? 'audit' : 'enforce'}, ${plan.asr.length} ASR rules, Controlled Folder Access ${plan.cfa.mode})`,
      ja: `Windows 向けに変換した場合 (App Control ${plan.appControl.audit ? '監査' : '強制'}、ASR 規則 ${plan.asr.length} 件、フォルダー アクセスの制御 ${plan.cfa.mode})`,
    },
    create: () => createWindowsSimulator(plan),
    notes: simulationNotes(plan),
  };
}
