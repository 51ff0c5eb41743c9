// Texts of the incident pages in English and Japanese (kept apart from messages.ts so the incident pages change no
// shared dictionary). `ja` is typed by `en`'s keys: a missing translation is a compile error.
import { useI18n } from './i18n.ts';

export const en = {
  title: 'Incidents', intro: 'After an infection: one case per endpoint with the JPCERT/CC steps. Open one from an endpoint or an event.',
  none: 'No incident yet.', open: 'Open incident', openOn: 'Open an incident on {host}', openFromEvent: 'Open an incident from event #{id}',
  endpoint: 'Endpoint', event: 'Event', titleField: 'Title (optional)', create: 'Open the incident', progress: '{done} of {all} steps done',
  status: 'Status', statusOpen: 'open', statusClosed: 'closed', opened: 'Opened', by: 'by {who}', steps: 'Response steps',
  'st.todo': 'to do', 'st.waiting': 'waiting for the agent', 'st.attention': 'needs attention', 'st.done': 'done', 'st.failed': 'failed',
  asked: 'asked by {who} at {time}', doneBy: 'done by {who} at {time}', markDone: 'Mark done', reopen: 'Reopen step', note: 'Note',
  'act.isolate': 'Isolate now', 'act.collect': 'Collect evidence', 'act.check': 'Run the check', 'act.sweep': 'Check every endpoint',
  'act.release-isolation': 'Lift isolation', queued: 'Asked; the agent picks it up with its next heartbeat.',
  tasks: 'Agent tasks', task: 'Task', result: 'Result', findings: 'Findings', clean: 'clean', evidence: 'Bundle on the endpoint: {path}',
  sha: 'SHA-256 {sha}', manifest: 'manifest SHA-256 {sha}', sweep: 'Every endpoint', sweepNone: 'Not run yet.',
  creds: 'Assume these are stolen; change them from a different, clean device:',
  upload: 'Attach a replay report (JSON)', uploadHint: 'Output of omamori replay --format json', attached: 'Attached reports', attach: 'Attach',
  org: 'Your organisation (for the letter and the report)', orgName: 'Organisation name', contact: 'Contact (mail, telephone)',
  incidentDate: 'Incident date', watchFor: 'Also watch for (one per line)', saveOrg: 'Save details',
  letter: 'Partner letter', letterLang: 'Letter language', makeLetter: 'Produce the letter', subject: 'Subject', body: 'Text', copy: 'Copy', copied: 'Copied.',
  report: 'Report', exportMd: 'Markdown', exportHtml: 'HTML', reportLang: 'Report language', download: 'Download report',
  close: 'Close the incident', reopenCase: 'Reopen the incident', timeline: 'Timeline', readOnly: 'You can read this case; operators and admins act on it.',
} as const;

export type IncidentKey = keyof typeof en;

export const ja: Record<IncidentKey, string> = {
  title: 'インシデント', intro: '感染後の対応: 端末ごとに 1 件、JPCERT/CC の手順をチェックリストにします。端末またはイベントから開始します。',
  none: 'インシデントはまだありません。', open: 'インシデントを開始', openOn: '{host} のインシデントを開始', openFromEvent: 'イベント #{id} からインシデントを開始',
  endpoint: '端末', event: 'イベント', titleField: '件名 (任意)', create: 'インシデントを開始する', progress: '{all} 手順中 {done} 完了',
  status: '状態', statusOpen: '対応中', statusClosed: '終了', opened: '開始', by: '{who}', steps: '対応手順',
  'st.todo': '未実施', 'st.waiting': 'エージェントの応答待ち', 'st.attention': '要対応', 'st.done': '完了', 'st.failed': '失敗',
  asked: '{who} が {time} に依頼', doneBy: '{who} が {time} に完了', markDone: '完了にする', reopen: '未完了に戻す', note: 'メモ',
  'act.isolate': '今すぐ隔離', 'act.collect': '証拠を収集', 'act.check': 'チェックを実行', 'act.sweep': '全端末をチェック',
  'act.release-isolation': '隔離を解除', queued: '依頼しました。エージェントが次の死活通知で受け取ります。',
  tasks: 'エージェントへの依頼', task: '依頼', result: '結果', findings: '検出', clean: '問題なし', evidence: '端末上のアーカイブ: {path}',
  sha: 'SHA-256 {sha}', manifest: 'マニフェスト SHA-256 {sha}', sweep: '全端末', sweepNone: 'まだ実行していません。',
  creds: '次の情報は盗まれたものとして、安全な別の端末から変更してください:',
  upload: 'リプレイ結果 (JSON) を添付', uploadHint: 'omamori replay --format json の出力', attached: '添付した結果', attach: '添付',
  org: '組織の情報 (連絡文と報告書に使います)', orgName: '組織名', contact: '連絡先 (メール・電話)',
  incidentDate: '発生日', watchFor: 'その他の注意点 (1 行に 1 つ)', saveOrg: '保存',
  letter: '取引先への連絡文', letterLang: '連絡文の言語', makeLetter: '連絡文を作成', subject: '件名', body: '本文', copy: 'コピー', copied: 'コピーしました。',
  report: '報告書', exportMd: 'Markdown', exportHtml: 'HTML', reportLang: '報告書の言語', download: '報告書をダウンロード',
  close: 'インシデントを終了', reopenCase: 'インシデントを再開', timeline: '経過', readOnly: '閲覧のみです。操作はオペレーターと管理者が行います。',
};

export function useIncidentText(): (key: IncidentKey, params?: Record<string, string | number>) => string {
  const { lang } = useI18n();
  const dict = lang === 'ja' ? ja : en;
  return (key, params = {}) => dict[key].replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}
