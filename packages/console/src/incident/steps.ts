// The incident checklist: JPCERT/CC's advice to an organisation infected by Emotet (shared/specs/emocheck), as steps
// with stable keys (stored; only ever appended), what each asks in ja/en, and how the console helps: an agent task on
// the incident's endpoint, a sweep of every endpoint, an upload, a letter, or a manual tick. Pure data.
import type { AgentTaskKind } from '@omamori/policy';

export type Lang = 'ja' | 'en';
export type StepKey = 'isolate' | 'preserve' | 'check' | 'credentials' | 'sweep' | 'traffic' | 'secondary' | 'partners';
export type StepHelp = { kind: 'task'; task: AgentTaskKind } | { kind: 'sweep' } | { kind: 'manual' } | { kind: 'upload' } | { kind: 'letter' };

export interface StepDef { key: StepKey; help: StepHelp; title: Record<Lang, string>; what: Record<Lang, string> }

export const STEPS: readonly StepDef[] = [
  { key: 'isolate', help: { kind: 'task', task: 'isolate' },
    title: { en: 'Isolate the endpoint', ja: '端末をネットワークから隔離する' },
    what: { en: 'Cut the endpoint off every network peer except this console, so the malware cannot spread or talk to its servers. The agent applies it and reports.',
      ja: 'マルウェアの拡散や外部との通信を止めるため、この端末をコンソール以外の通信相手から切り離します。エージェントが適用して報告します。' } },
  { key: 'preserve', help: { kind: 'task', task: 'collect' },
    title: { en: 'Preserve evidence', ja: '証拠を保全する' },
    what: { en: 'Before anything is removed, the agent writes an evidence bundle (process tree, autostart entries, event log) on the endpoint and reports its manifest and SHA-256 here.',
      ja: '駆除の前に、エージェントが端末上に証拠アーカイブ (プロセスツリー、自動起動項目、イベントログ) を作り、マニフェストと SHA-256 をここに報告します。' } },
  { key: 'check', help: { kind: 'task', task: 'check' },
    title: { en: 'Run the check and remove what it finds', ja: 'チェックを実行し、見つかったものを駆除する' },
    what: { en: 'Windows: the Emotet check (EmoCheck methods and 2022–2023 loaders). Linux: every autostart entry that starts code from user space. Remove each finding, then mark the step done (a clean result completes it).',
      ja: 'Windows: Emotet チェック (EmoCheck の手法と 2022〜2023 年のローダー)。Linux: ユーザー領域のコードを起動する自動起動項目すべて。見つかったものを駆除してから完了にします (問題なしなら自動で完了)。' } },
  { key: 'credentials', help: { kind: 'manual' },
    title: { en: 'Reset credentials from a clean device', ja: '安全な別の端末から認証情報を変更する' },
    what: { en: 'Assume every credential the endpoint held is stolen. Change them from a different, clean device — never from the infected one.',
      ja: 'この端末にあった認証情報はすべて盗まれたものとして扱います。感染端末ではなく、安全な別の端末から変更してください。' } },
  { key: 'sweep', help: { kind: 'sweep' },
    title: { en: 'Check every endpoint', ja: 'すべての端末を調べる' },
    what: { en: 'Emotet spreads inside the network. The console runs the check on every enrolled endpoint and lists the result of each.',
      ja: 'Emotet は社内ネットワークで広がります。コンソールが登録済みの全端末でチェックを実行し、端末ごとの結果を表示します。' } },
  { key: 'traffic', help: { kind: 'manual' },
    title: { en: 'Watch network traffic', ja: '通信ログを監視する' },
    what: { en: 'Review firewall, proxy and DNS logs for connections to Emotet servers and unusual SMTP traffic from your network, and keep watching for some weeks.',
      ja: 'ファイアウォール・プロキシ・DNS のログで、Emotet のサーバーへの接続や社内からの不審な SMTP 通信を確認し、数週間は監視を続けます。' } },
  { key: 'secondary', help: { kind: 'upload' },
    title: { en: 'Look for secondary malware', ja: '二次感染のマルウェアを調べる' },
    what: { en: 'Emotet drops other malware (ransomware, banking trojans, Cobalt Strike). Export the endpoint\'s Windows event logs, run `omamori replay --as windows <logs> --format json --out report.json` and attach the report here.',
      ja: 'Emotet は他のマルウェア (ランサムウェア、バンキング型トロイの木馬、Cobalt Strike) を送り込みます。端末の Windows イベントログを書き出し、`omamori replay --as windows <ログ> --format json --out report.json` の結果をここに添付してください。' } },
  { key: 'partners', help: { kind: 'letter' },
    title: { en: 'Warn partners and customers', ja: '取引先・顧客に注意を呼びかける' },
    what: { en: 'Stolen address books and mails are used to send spoofed mail in your name, even after the cleanup. Send the letter below to partners and customers.',
      ja: '盗まれたアドレス帳やメールを使い、駆除後もあなたの組織を装ったメールが送られます。下の文面で取引先・顧客に知らせてください。' } },
];

export const STEP_KEYS: readonly StepKey[] = STEPS.map((s) => s.key);
export const stepDef = (key: string): StepDef | undefined => STEPS.find((s) => s.key === key);

/** Credentials to assume stolen (JPCERT/CC: mail, browser-saved and network credentials), each to reset elsewhere. */
export const STOLEN_CREDENTIALS: readonly Record<Lang, string>[] = [
  { en: 'Mail account passwords (the mail client\'s saved accounts: POP/IMAP/SMTP, webmail)', ja: 'メールアカウントのパスワード (メールソフトに保存したアカウント: POP/IMAP/SMTP、Web メール)' },
  { en: 'Passwords saved in web browsers (every site in the browser\'s password manager)', ja: 'Web ブラウザーに保存したパスワード (ブラウザーのパスワード管理にあるすべてのサイト)' },
  { en: 'Windows sign-in and domain (Active Directory) credentials of every user of the endpoint', ja: 'その端末を使った全ユーザーの Windows ログオン・ドメイン (Active Directory) の認証情報' },
  { en: 'VPN and remote-access credentials', ja: 'VPN・リモートアクセスの認証情報' },
  { en: 'Network share, NAS and server credentials saved on the endpoint', ja: '端末に保存したファイル共有・NAS・サーバーの認証情報' },
  { en: 'Cloud, business-application and online-banking accounts used on the endpoint', ja: '端末で使ったクラウドサービス・業務アプリ・インターネットバンキングのアカウント' },
];
