// What a stop means for an investigator: the MITRE ATT&CK technique it interrupts and how severe it is, by policy
// rule — the one table of it (rule ids are the engine's, engine.ts RULE). A rule names its usual technique; a few
// refine it by what was started, loaded or written (PowerShell is T1059.001, a scheduled task T1053.005, …).
// Technique names and severity labels are given in English and Japanese; ids and severities are stable values.
import type { OmamoriEvent } from '@omamori/policy';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** Lowest first: a severity's index is its rank. */
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export const SEVERITY_LABEL: Readonly<Record<Severity, { en: string; ja: string }>> = {
  info: { en: 'info', ja: '情報' },
  low: { en: 'low', ja: '低' },
  medium: { en: 'medium', ja: '中' },
  high: { en: 'high', ja: '高' },
  critical: { en: 'critical', ja: '重大' },
};

export function severityRank(s: Severity): number { return SEVERITIES.indexOf(s); }

export function isSeverity(s: string): s is Severity { return (SEVERITIES as readonly string[]).includes(s); }

/** ATT&CK (Enterprise) techniques the rules point to. */
export const TECHNIQUES: Readonly<Record<string, { en: string; ja: string }>> = {
  'T1003.001': { en: 'OS Credential Dumping: LSASS Memory', ja: 'OS 資格情報のダンプ: LSASS メモリ' },
  T1053: { en: 'Scheduled Task/Job', ja: 'スケジュールされたタスク/ジョブ' },
  'T1053.005': { en: 'Scheduled Task/Job: Scheduled Task', ja: 'スケジュールされたタスク/ジョブ: スケジュールされたタスク' },
  T1055: { en: 'Process Injection', ja: 'プロセスインジェクション' },
  T1059: { en: 'Command and Scripting Interpreter', ja: 'コマンド・スクリプトインタープリター' },
  'T1059.001': { en: 'Command and Scripting Interpreter: PowerShell', ja: 'コマンド・スクリプトインタープリター: PowerShell' },
  'T1059.003': { en: 'Command and Scripting Interpreter: Windows Command Shell', ja: 'コマンド・スクリプトインタープリター: Windows コマンドシェル' },
  'T1059.005': { en: 'Command and Scripting Interpreter: Visual Basic', ja: 'コマンド・スクリプトインタープリター: Visual Basic' },
  'T1059.007': { en: 'Command and Scripting Interpreter: JavaScript', ja: 'コマンド・スクリプトインタープリター: JavaScript' },
  T1105: { en: 'Ingress Tool Transfer', ja: '攻撃ツールの持ち込み' },
  'T1114.001': { en: 'Email Collection: Local Email Collection', ja: 'メールの収集: ローカルのメール' },
  T1197: { en: 'BITS Jobs', ja: 'BITS ジョブ' },
  T1204: { en: 'User Execution', ja: 'ユーザーによる実行' },
  'T1204.002': { en: 'User Execution: Malicious File', ja: 'ユーザーによる実行: 悪意のあるファイル' },
  'T1218.005': { en: 'System Binary Proxy Execution: Mshta', ja: 'システムバイナリのプロキシ実行: Mshta' },
  'T1218.010': { en: 'System Binary Proxy Execution: Regsvr32', ja: 'システムバイナリのプロキシ実行: Regsvr32' },
  'T1218.011': { en: 'System Binary Proxy Execution: Rundll32', ja: 'システムバイナリのプロキシ実行: Rundll32' },
  'T1543.003': { en: 'Create or Modify System Process: Windows Service', ja: 'システムプロセスの作成・変更: Windows サービス' },
  T1547: { en: 'Boot or Logon Autostart Execution', ja: 'ブート・ログオン時の自動起動' },
  'T1547.001': { en: 'Boot or Logon Autostart Execution: Registry Run Keys / Startup Folder', ja: 'ブート・ログオン時の自動起動: Run キー / スタートアップフォルダー' },
  'T1546.003': { en: 'Event Triggered Execution: WMI Event Subscription', ja: 'イベントを契機とした実行: WMI イベントサブスクリプション' },
  T1555: { en: 'Credentials from Password Stores', ja: 'パスワードストアからの資格情報' },
  'T1555.003': { en: 'Credentials from Password Stores: Credentials from Web Browsers', ja: 'パスワードストアからの資格情報: Web ブラウザー' },
  'T1574.002': { en: 'Hijack Execution Flow: DLL Side-Loading', ja: '実行フローの乗っ取り: DLL サイドローディング' },
};

/** What a stop is about, as far as the table looks at it. */
export interface StopFacts {
  rule: string;
  kind: OmamoriEvent['kind'];
  /** Image of the subject process (for a process start: the program started). */
  image: string;
  /** What was acted on: library, script, file, target process, autostart command. */
  object?: string | undefined;
  /** Autostart location of a persistence write. */
  location?: string | undefined;
}

interface RuleEntry {
  severity: Severity;
  technique: string;
  /** First match wins; `by` reads a name from the facts (lower-case basename or extension). */
  refine?: { by: 'image' | 'object' | 'objectExt' | 'location'; match: RegExp; technique: string; severity?: Severity }[];
  /** What the rule stops, in a few words. */
  about: { en: string; ja: string };
}

const INTERPRETERS: RuleEntry['refine'] = [
  { by: 'image', match: /^(powershell|pwsh|powershell_ise)\.exe$/, technique: 'T1059.001' },
  { by: 'image', match: /^cmd\.exe$/, technique: 'T1059.003' },
  { by: 'image', match: /^[wc]script\.exe$/, technique: 'T1059.005' },
  { by: 'image', match: /^mshta\.exe$/, technique: 'T1218.005' },
  { by: 'image', match: /^rundll32\.exe$/, technique: 'T1218.011' },
  { by: 'image', match: /^regsvr32\.exe$/, technique: 'T1218.010' },
  { by: 'image', match: /^(schtasks|at)\.exe$/, technique: 'T1053.005' },
  { by: 'image', match: /^bitsadmin\.exe$/, technique: 'T1197' },
  { by: 'image', match: /^certutil\.exe$/, technique: 'T1105' },
];

const AUTOSTART: RuleEntry['refine'] = [
  { by: 'location', match: /^scheduled-task$/, technique: 'T1053.005' },
  { by: 'location', match: /^service$/, technique: 'T1543.003' },
  { by: 'location', match: /^(registry-run|startup-folder)$/, technique: 'T1547.001' },
  { by: 'location', match: /^wmi$/, technique: 'T1546.003' },
];

/** Rule → technique and severity. Rules not listed (allowing ones, exceptions) are `info` without a technique. */
export const RULE_ATTACK: Readonly<Record<string, RuleEntry>> = {
  'guarded.children': {
    severity: 'critical', technique: 'T1059', refine: INTERPRETERS,
    about: { en: 'a guarded application (mail, browser, Office) starts a shell, script host or other program', ja: '保護下のアプリケーション (メール・ブラウザー・Office) がシェルやスクリプトホストなどを起動' },
  },
  'guarded.persistence': {
    severity: 'critical', technique: 'T1547', refine: AUTOSTART,
    about: { en: 'a guarded application creates an autostart entry', ja: '保護下のアプリケーションが自動起動を登録' },
  },
  'guarded.process': {
    severity: 'critical', technique: 'T1055', refine: [{ by: 'object', match: /^lsass\.exe$/, technique: 'T1003.001' }],
    about: { en: 'a guarded application writes into or reads another process', ja: '保護下のアプリケーションが他のプロセスのメモリに触れる' },
  },
  'guarded.read': {
    severity: 'high', technique: 'T1555',
    refine: [
      { by: 'objectExt', match: /^(pst|ost|eml|dbx|msf)$/, technique: 'T1114.001' },
      { by: 'object', match: /^(login data|logins\.json|key[34]\.db|cookies)$/, technique: 'T1555.003' },
    ],
    about: { en: 'a guarded application reads private data (keys, credentials, mail)', ja: '保護下のアプリケーションが秘密のデータ (鍵・資格情報・メール) を読む' },
  },
  'guarded.write': {
    severity: 'high', technique: 'T1105',
    about: { en: 'a guarded application writes system space or an autostart location', ja: '保護下のアプリケーションがシステム領域や自動起動の場所に書き込む' },
  },
  'guarded.containment': {
    severity: 'medium', technique: 'T1204',
    about: { en: 'a guarded application runs outside containment', ja: '保護対象アプリケーションが封じ込めの外で動く' },
  },
  'persistence.user-space-code': {
    severity: 'high', technique: 'T1547', refine: AUTOSTART,
    about: { en: 'an autostart entry would start code from user space', ja: '自動起動がユーザー領域のコードを起動する' },
  },
  'launch.user-space': {
    severity: 'high', technique: 'T1204.002',
    about: { en: 'a program from user space (Downloads, Temp, AppData, …) starts', ja: 'ユーザー領域 (ダウンロード・Temp・AppData など) のプログラムが起動' },
  },
  'launch.user-space-library': {
    severity: 'high', technique: 'T1574.002',
    refine: [
      { by: 'image', match: /^rundll32\.exe$/, technique: 'T1218.011' },
      { by: 'image', match: /^regsvr32\.exe$/, technique: 'T1218.010' },
    ],
    about: { en: 'a library from user space is loaded', ja: 'ユーザー領域のライブラリが読み込まれる' },
  },
  'launch.user-space-script': {
    severity: 'high', technique: 'T1059',
    refine: [
      { by: 'objectExt', match: /^(ps1|psm1|psd1)$/, technique: 'T1059.001' },
      { by: 'object', match: /^inline:powershell:/, technique: 'T1059.001' },
      { by: 'objectExt', match: /^(vbs|vbe)$/, technique: 'T1059.005' },
      { by: 'objectExt', match: /^(js|jse)$/, technique: 'T1059.007' },
      { by: 'objectExt', match: /^(bat|cmd)$/, technique: 'T1059.003' },
      { by: 'objectExt', match: /^hta$/, technique: 'T1218.005' },
    ],
    about: { en: 'a script from user space is run', ja: 'ユーザー領域のスクリプトが実行される' },
  },
  'launch.lockdown': {
    severity: 'medium', technique: 'T1204',
    about: { en: 'lockdown: code that is not explicitly trusted starts', ja: 'ロックダウン: 明示的に信頼されていないコードが起動' },
  },
};

function base(p: string | undefined): string {
  if (!p) return '';
  const i = Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/'));
  return p.slice(i + 1).toLowerCase();
}

export interface Classification { technique: string; severity: Severity }

/** Technique and severity of a decision by `facts.rule` ('' and info for rules that do not stop anything). */
export function classifyStop(facts: StopFacts): Classification {
  const e = RULE_ATTACK[facts.rule];
  if (!e) return { technique: '', severity: 'info' };
  for (const r of e.refine ?? []) {
    const v = r.by === 'image' ? base(facts.image) : r.by === 'object' ? (facts.object?.startsWith('inline:') ? facts.object.toLowerCase() : base(facts.object))
      : r.by === 'objectExt' ? (/\.([^.\\/]+)$/.exec(facts.object ?? '')?.[1] ?? '').toLowerCase() : (facts.location ?? '');
    if (r.match.test(v)) return { technique: r.technique, severity: r.severity ?? e.severity };
  }
  return { technique: e.technique, severity: e.severity };
}

/** The technique's name in `lang` ('' for none; the id itself when the table does not know it). */
export function techniqueName(id: string, lang: 'ja' | 'en'): string {
  return id === '' ? '' : TECHNIQUES[id]?.[lang] ?? id;
}
