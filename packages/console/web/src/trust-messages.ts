// Texts of the trust and enforce-preview pages (issue 12), in English and Japanese; kept apart from messages.ts so
// these pages can change without touching the rest of the UI. `ja` is typed by `en`: a missing text is an error.
import type { Lang } from './i18n.ts';

const en = {
  'trust.title': 'Trust for the group',
  'trust.intro': 'Allow what this event refused for every endpoint of its group, by one of the entries below. The preview counts the refusals already logged in the group that the entry would have allowed.',
  'trust.event': 'Event', 'trust.object': 'Refused', 'trust.group': 'Group', 'trust.endpoint': 'Endpoint',
  'trust.choose': 'Trust by',
  'trust.hash': 'this program (SHA-256 {sha})',
  'trust.publisher': 'its publisher: {signer}',
  'trust.folder': 'its folder, which only administrators can write: {pattern}',
  'trust.folderWarn': 'Only if users cannot write or replace anything in that folder: it becomes system space for the group.',
  'trust.preview': 'would have allowed {events} of {logged} logged refusals in {group} ({programs} programs, {endpoints} endpoints)',
  'trust.why.no-hash': 'the event carries no SHA-256', 'trust.why.no-signer': 'the event carries no signer',
  'trust.why.not-windows': 'folder trust applies to Windows folders only (Linux decides user space by permissions)',
  'trust.why.lockdown': 'in lockdown only signatures, packages and hashes count',
  'trust.why.user-space-pattern': "the folder lies in user space by the policy's patterns (a user profile, Temp, ProgramData …)",
  'trust.why.not-launch-control': 'a guarded-application rule refused it: trust does not change that',
  'trust.apply': 'Trust for group {group}',
  'trust.done': 'Added to {ref}, version {version}; it allows {events} logged events. Endpoints get it with their next policy.',
  'trust.viewPolicy': 'Open the policy', 'trust.back': 'Back to the events',
  'trust.open': 'Trust this program for its group…',
  'enf.title': 'Switch {group} to enforce', 'enf.open': 'Preview enforce…',
  'enf.intro': 'In audit rollout the endpoints only log what the policy would block. This is what enforce would have blocked, from the group\'s audit log.',
  'enf.days': 'Period', 'enf.d7': 'last 7 days', 'enf.d30': 'last 30 days', 'enf.d90': 'last 90 days',
  'enf.summary': 'Enforce would have blocked {events} events: {programs} programs on {endpoints} of {total} endpoints.',
  'enf.none': 'Nothing in this period would have been blocked.',
  'enf.trusted': '{n} logged would-blocks are allowed by what the policy trusts now, and are not counted.',
  'enf.truncated': 'Only the latest {limit} events were counted.',
  'enf.auditPolicy': 'The group\'s policy is itself in audit mode: enforce rollout will still block nothing.',
  'enf.already': 'This group already enforces.',
  'enf.program': 'Program or object', 'enf.reason': 'Why', 'enf.count': 'Events', 'enf.endpoints': 'Endpoints', 'enf.last': 'Last',
  'enf.more': '… and {n} more programs.',
  'enf.confirm': 'I have reviewed what enforce will block in this group',
  'enf.switch': 'Switch to enforce', 'enf.done': '{group} now enforces; endpoints get the change with their next policy.',
  'enf.back': 'Back to the groups',
} as const;

export type TrustKey = keyof typeof en;

const ja: Record<TrustKey, string> = {
  'trust.title': 'グループで信頼する',
  'trust.intro': 'このイベントで拒否されたものを、グループのすべての端末で許可します。下のいずれかの方法を選んでください。プレビューは、グループですでに記録された拒否のうち、その方法で許可されたはずの件数です。',
  'trust.event': 'イベント', 'trust.object': '拒否されたもの', 'trust.group': 'グループ', 'trust.endpoint': '端末',
  'trust.choose': '信頼の方法',
  'trust.hash': 'このプログラム (SHA-256 {sha})',
  'trust.publisher': '発行元: {signer}',
  'trust.folder': '管理者だけが書き込めるフォルダー: {pattern}',
  'trust.folderWarn': 'ユーザーがそのフォルダーの中身を書き込み・置き換えできない場合に限ります。グループではシステム領域として扱われます。',
  'trust.preview': '{group} で記録された拒否 {logged} 件のうち {events} 件を許可していました (プログラム {programs} 個、端末 {endpoints} 台)',
  'trust.why.no-hash': 'イベントに SHA-256 がありません', 'trust.why.no-signer': 'イベントに署名者がありません',
  'trust.why.not-windows': 'フォルダーによる信頼は Windows のフォルダーだけです (Linux はアクセス権でユーザー領域を判定します)',
  'trust.why.lockdown': 'ロックダウンでは署名・パッケージ・ハッシュだけが有効です',
  'trust.why.user-space-pattern': 'ポリシーのパターンでユーザー領域にあるフォルダーです (ユーザープロファイル・Temp・ProgramData など)',
  'trust.why.not-launch-control': '保護下アプリケーションの規則による拒否で、信頼では変わりません',
  'trust.apply': 'グループ {group} で信頼する',
  'trust.done': '{ref} の版 {version} に追加しました。記録済みの {events} 件を許可します。端末には次のポリシーで届きます。',
  'trust.viewPolicy': 'ポリシーを開く', 'trust.back': 'イベントに戻る',
  'trust.open': 'このプログラムをグループで信頼する…',
  'enf.title': '{group} を強制に切り替える', 'enf.open': '強制のプレビュー…',
  'enf.intro': '監査ロールアウトでは、端末はポリシーが止めるものを記録するだけです。強制にした場合に止めていたものを、グループの監査記録から示します。',
  'enf.days': '期間', 'enf.d7': '過去 7 日', 'enf.d30': '過去 30 日', 'enf.d90': '過去 90 日',
  'enf.summary': '強制にしていれば {events} 件を止めていました: プログラム {programs} 個、端末 {total} 台中 {endpoints} 台。',
  'enf.none': 'この期間に止めていたものはありません。',
  'enf.trusted': '記録された {n} 件は、現在のポリシーで信頼されているため数えていません。',
  'enf.truncated': '最新の {limit} 件だけを数えました。',
  'enf.auditPolicy': 'グループのポリシー自体が監査モードです。強制ロールアウトにしても何も止めません。',
  'enf.already': 'このグループはすでに強制です。',
  'enf.program': 'プログラム・対象', 'enf.reason': '理由', 'enf.count': '件数', 'enf.endpoints': '端末', 'enf.last': '最終',
  'enf.more': '… ほか {n} 個のプログラム。',
  'enf.confirm': 'このグループで強制が止めるものを確認しました',
  'enf.switch': '強制に切り替える', 'enf.done': '{group} は強制になりました。端末には次のポリシーで届きます。',
  'enf.back': 'グループに戻る',
};

export function tt(lang: Lang, key: TrustKey, params: Record<string, string | number> = {}): string {
  return (lang === 'ja' ? ja : en)[key].replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}
