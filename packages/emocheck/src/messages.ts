// Every text the Emotet report shows, in Japanese and English: finding titles, why each finding matters, labels,
// and JPCERT/CC's advice to an infected organisation (spec README, "What JPCERT/CC tells…").
import type { FindingCode } from './findings.ts';

export type Lang = 'ja' | 'en';
type Text = Record<Lang, string>;

export const FINDING_TEXT: Record<FindingCode, { title: Text; why: Text }> = {
  V1_PROCESS: {
    title: { en: 'V1: process named after the volume serial', ja: 'V1: ボリュームシリアルから作られた名前のプロセス' },
    why: { en: 'The 2019–2020 Emotet loader names itself from two words chosen by the system drive\'s volume serial; a process with exactly that name is running.',
      ja: '2019〜2020年の Emotet はシステムドライブのボリュームシリアルから選んだ2語で自分の名前を作ります。その名前のプロセスが動いています。' },
  },
  V2_PROCESS: {
    title: { en: 'V2: process named by the encoded Explorer value', ja: 'V2: Explorer キーの暗号化された値が示す名前のプロセス' },
    why: { en: 'Since February 2020 Emotet keeps its file name XOR-encoded in a registry value named after the volume serial; a process with the decoded name is running.',
      ja: '2020年2月以降の Emotet は、ボリュームシリアル名のレジストリ値に自分のファイル名を XOR で隠して保存します。復号した名前のプロセスが動いています。' },
  },
  V2_REGISTRY: {
    title: { en: 'V2: encoded Explorer value present', ja: 'V2: Explorer キーに暗号化された値があります' },
    why: { en: 'A binary value named after the volume serial exists, as Emotet writes it; no process of the decoded name runs now. Look for a file of that name.',
      ja: 'Emotet が書くのと同じボリュームシリアル名のバイナリ値があります。復号した名前のプロセスは今は動いていません。その名前のファイルを探してください。' },
  },
  V3_PROCESS: {
    title: { en: 'V3: process running a copy named after System32 programs', ja: 'V3: System32 の名前を借りたファイルのプロセス' },
    why: { en: 'Emotet (2020) hides as <folder>\\<name>.exe, both names borrowed from System32, in %LOCALAPPDATA% or the system folder; the running process is backed by that file.',
      ja: '2020年の Emotet は System32 の名前を借りた <フォルダー>\\<名前>.exe として %LOCALAPPDATA% やシステムフォルダーに隠れます。動いているプロセスはそのファイルです。' },
  },
  V3_PERSISTED: {
    title: { en: 'V3: Emotet file with its Run value (not running)', ja: 'V3: 自動起動付きの Emotet ファイル (停止中)' },
    why: { en: 'The file follows Emotet\'s 2020 naming and an HKCU Run value named like it starts it at every logon; it is not running now but will start again.',
      ja: '2020年の Emotet の命名に合うファイルが、同名の HKCU Run 値でログオンのたびに起動されます。今は動いていませんが次のログオンで起動します。' },
  },
  V3_FILE: {
    title: { en: 'V3: file named like Emotet 2020', ja: 'V3: 2020年の Emotet と同じ命名のファイル' },
    why: { en: 'A program whose folder and file names are both borrowed from System32 and which differs from the System32 copy; nothing starts it now.',
      ja: 'フォルダー名もファイル名も System32 から借りた、System32 の本物とは異なるプログラムです。今は何も起動していません。' },
  },
  V4_PROCESS: {
    title: { en: 'V4: rundll32 running a DLL from a random-named folder', ja: 'V4: ランダム名フォルダーの DLL を rundll32 が実行中' },
    why: { en: 'Emotet (December 2020) is a DLL with a disguised extension in a random letter folder, run by rundll32 with an export name; such a process is running.',
      ja: '2020年12月以降の Emotet は、ランダムな英字フォルダーに置かれ拡張子を偽装した DLL で、rundll32 から実行されます。そのプロセスが動いています。' },
  },
  V4_PERSISTED: {
    title: { en: 'V4: Emotet DLL with its autostart (not running)', ja: 'V4: 自動起動付きの Emotet DLL (停止中)' },
    why: { en: 'The DLL matches Emotet\'s December 2020 layout and a Run value or service starts it through rundll32; it is not running now but will start again.',
      ja: '2020年12月の Emotet の配置に合う DLL が、Run 値またはサービスから rundll32 経由で起動されます。今は動いていませんが再び起動します。' },
  },
  V4_FILE: {
    title: { en: 'V4: DLL laid out like Emotet (Dec 2020)', ja: 'V4: 2020年12月の Emotet と同じ配置の DLL' },
    why: { en: 'An executable file with a disguised three-letter extension in a random letter folder; nothing starts it now.',
      ja: 'ランダムな英字フォルダーにある、3文字の偽装拡張子を持つ実行ファイルです。今は何も起動していません。' },
  },
  V5_PROCESS: {
    title: { en: 'V5: process running a back-dated program', ja: 'V5: 日時を改ざんしたプログラムのプロセス' },
    why: { en: 'Emotet sets its file\'s time exactly 7 days before its folder\'s to look old; a running process names that file.',
      ja: 'Emotet は古く見せるためファイルの更新日時をフォルダーのちょうど7日前に設定します。そのファイルを指すプロセスが動いています。' },
  },
  V5_FILE: {
    title: { en: 'V5: program back-dated by exactly 7 days', ja: 'V5: ちょうど7日前に日時を戻されたプログラム' },
    why: { en: 'The program\'s last-write time is exactly 7 days before its folder\'s, Emotet\'s timestomping habit; nothing runs it now.',
      ja: 'プログラムの更新日時がフォルダーのちょうど7日前で、Emotet の日時改ざんの癖と一致します。今は実行されていません。' },
  },
  LOADER2022_AUTOSTART: {
    title: { en: '2022–2023: regsvr32/rundll32 autostart of a DLL in a random folder', ja: '2022〜2023年型: ランダム名フォルダーの DLL を regsvr32/rundll32 で自動起動' },
    why: { en: 'Emotet since 2022 (64-bit loader, 2023 OneNote/oversized documents) drops a DLL (often renamed .ocx) in a random folder under %LOCALAPPDATA% or ProgramData and starts it at logon through regsvr32 or rundll32.',
      ja: '2022年以降の Emotet (64ビット版、2023年の OneNote・巨大文書) は %LOCALAPPDATA% や ProgramData のランダム名フォルダーに DLL (.ocx などに改名) を置き、regsvr32 や rundll32 でログオン時に起動します。' },
  },
  LOADER2022_PROCESS: {
    title: { en: '2022–2023: regsvr32/rundll32 running a DLL from a random folder', ja: '2022〜2023年型: ランダム名フォルダーの DLL を regsvr32/rundll32 が実行中' },
    why: { en: 'A regsvr32 or rundll32 process runs a DLL with a machine-made name in a machine-made folder under %LOCALAPPDATA%, %APPDATA% or ProgramData through its registration entry point (DllRegisterServer) — the 2022–2023 Emotet loader — even though no autostart entry names it (yet, or any more).',
      ja: 'regsvr32 または rundll32 のプロセスが、%LOCALAPPDATA%・%APPDATA%・ProgramData の機械的な名前のフォルダーにある機械的な名前の DLL を登録用の入口 (DllRegisterServer) で実行しています。自動起動の設定はありませんが (まだ、またはもう)、2022〜2023年の Emotet の特徴です。' },
  },
  LOADER_DLL_REVIEW: {
    title: { en: 'regsvr32/rundll32 loading a DLL from AppData or ProgramData', ja: 'AppData や ProgramData の DLL を regsvr32/rundll32 が読み込み' },
    why: { en: 'Emotet and other loaders start their DLL this way, but so do some vendors\' tools (printer, mouse, VPN and PDF software). This one lacks the 2022–2023 loader\'s own traits (a machine-made folder and file name and a registration entry point), so it is not counted as infected: check the file and its publisher.',
      ja: 'Emotet などはこの方法で DLL を起動しますが、プリンター・マウス・VPN・PDF などのメーカー製ツールも同じ方法を使います。これは 2022〜2023年型の特徴 (機械的なフォルダー名とファイル名、登録用の入口) を満たさないため感染とはしません。ファイルと発行元を確認してください。' },
  },
  USERSPACE_AUTOSTART: {
    title: { en: 'Autostart from user space', ja: 'ユーザー領域からの自動起動' },
    why: { en: 'This entry starts code from a place ordinary users (and malware running as them) can write; Emotet and what it drops persist this way. Legitimate per-user apps do too: check the file.',
      ja: '一般ユーザー (とその権限で動くマルウェア) が書き込める場所のコードを起動する項目です。Emotet とその後のマルウェアはこの方法で居座ります。正規のユーザー単位アプリもあるので、ファイルを確認してください。' },
  },
};

export const PLACE_TEXT: Record<string, Text> = {
  appdata: { en: 'AppData', ja: 'AppData' }, temp: { en: 'a Temp folder', ja: 'Temp フォルダー' },
  downloads: { en: 'Downloads', ja: 'ダウンロード' }, public: { en: 'the Public profile', ja: 'パブリックプロファイル' },
  profile: { en: 'a user profile', ja: 'ユーザープロファイル' },
  'programdata-writable': { en: 'a user-writable ProgramData folder', ja: 'ユーザーが書き込める ProgramData フォルダー' },
  removable: { en: 'a removable drive', ja: 'リムーバブルドライブ' }, network: { en: 'a network path', ja: 'ネットワーク上のパス' },
};

export const LABELS = {
  title: { en: 'omamori emocheck — Emotet infection check', ja: 'omamori emocheck — Emotet 感染チェック' },
  version: { en: 'Version', ja: 'バージョン' },
  scanTime: { en: 'Scan time', ja: 'スキャン日時' },
  host: { en: 'Host', ja: 'ホスト名' },
  user: { en: 'User', ja: 'ユーザー' },
  admin: { en: 'administrator', ja: '管理者' },
  source: { en: 'Source', ja: '調査対象' },
  live: { en: 'this machine (live)', ja: 'この端末 (ライブ)' },
  snapshot: { en: 'snapshot', ja: 'スナップショット' },
  collected: { en: 'collected', ja: '収集' },
  result: { en: 'Result', ja: '結果' },
  detected: { en: 'Detected Emotet process', ja: 'Emotet のプロセスが見つかりました' },
  detectedDormant: { en: 'Detected Emotet (installed, not running now)', ja: 'Emotet が見つかりました (仕込まれていますが現在は停止中)' },
  notDetected: { en: 'Emotet was not detected', ja: 'Emotet は検知されませんでした' },
  infectedHead: { en: 'Emotet found', ja: 'Emotet の検知' },
  reviewHead: { en: 'Worth a look (not proof of infection)', ja: '確認をお勧めする項目 (感染の証拠ではありません)' },
  processName: { en: 'Process name', ja: 'プロセス名' },
  pid: { en: 'Process ID', ja: 'プロセス ID' },
  imagePath: { en: 'Image path', ja: 'イメージパス' },
  commandLine: { en: 'Command line', ja: 'コマンドライン' },
  registryKey: { en: 'Registry key', ja: 'レジストリキー' },
  autostart: { en: 'Started by', ja: '起動元' },
  autostartCommand: { en: 'Autostart command', ja: '起動コマンド' },
  file: { en: 'File', ja: 'ファイル' },
  sha256: { en: 'SHA-256', ja: 'SHA-256' },
  notCollected: { en: '(not collected)', ja: '(未収集)' },
  evidence: { en: 'Evidence', ja: '根拠' },
  why: { en: 'Why it matters', ja: '重要な理由' },
  checked: { en: 'Checked', ja: '確認した内容' },
  v1Name: { en: 'V1 name for this volume serial', ja: 'このボリュームシリアルの V1 名' },
  v2Names: { en: 'V2 names in the registry', ja: 'レジストリ内の V2 名' },
  none: { en: 'none', ja: 'なし' },
  yes: { en: 'yes', ja: 'はい' },
  no: { en: 'no', ja: 'いいえ' },
  limits: { en: 'Limitations', ja: '制限事項' },
  notAdmin: { en: 'Not run as administrator: other users\' processes and services may be hidden; run again as administrator.',
    ja: '管理者として実行されていません。他ユーザーのプロセスやサービスが見えない可能性があります。管理者として再実行してください。' },
  unreadable: { en: 'processes whose image path or command line could not be read', ja: '件のプロセスでイメージパスかコマンドラインを読めませんでした' },
  constrained: { en: 'Collected in Constrained Language Mode (App Control enforces on this machine): file identities and shortcut targets were not read; running programs are matched by path and shortcuts by the .lnk file itself.',
    ja: '制約付き言語モードで収集しました (この端末では App Control が強制中): ファイル ID とショートカットのリンク先は読めません。実行中のプログラムはパスで、ショートカットは .lnk ファイル自体で照合します。' },
  advice: { en: 'What to do now (JPCERT/CC guidance)', ja: '今すぐ行うこと (JPCERT/CC の案内)' },
  reviewAdvice: { en: 'Check each item above: is it software you installed? Compare the SHA-256 with a known-good copy or a reputation service.',
    ja: '上の各項目がインストールした覚えのあるソフトか確認してください。SHA-256 を正規のファイルや評価サービスと照合してください。' },
} satisfies Record<string, Text>;

export const ADVICE: Text[] = [
  { en: 'Identify this device and disconnect it from the network (unplug the cable, turn Wi-Fi off).', ja: 'この端末を特定し、ネットワークから切り離してください (LAN ケーブルを抜く、Wi-Fi を切る)。' },
  { en: 'Preserve evidence: keep this report and do not wipe the disk before it has been examined.', ja: '証拠を保全してください。このレポートを保存し、調査前にディスクを消去しないでください。' },
  { en: 'Remove the reported files and autostart entries (or have your IT team do it) and check again.', ja: '報告されたファイルと自動起動の設定を削除し (または社内の担当者に依頼し)、再度チェックしてください。' },
  { en: 'From a clean device, change the passwords of mail accounts and of everything saved in the browser or used on the network: assume they were stolen.', ja: '別の安全な端末から、メールアカウント、ブラウザーに保存したもの、ネットワークで使う認証情報のパスワードを変更してください。盗まれた前提で対応します。' },
  { en: 'Check every device on the same network, and watch the network traffic logs.', ja: '同じネットワークの全端末を調べ、通信ログを監視してください。' },
  { en: 'Look for secondary malware (ransomware, banking trojans, Cobalt Strike).', ja: '二次感染 (ランサムウェア、バンキング型トロイの木馬、Cobalt Strike) がないか調べてください。' },
  { en: 'Warn partners and customers that spoofed mail in your name may arrive, even after the cleanup.', ja: '駆除後も、あなたの組織を装ったなりすましメールが届くおそれがあることを取引先や顧客に知らせてください。' },
];
