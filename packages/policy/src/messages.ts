// Stable problem codes of policy validation, with their Japanese and English message templates.
// Codes are stored and documented: append only, never change a code's meaning.

export type ProblemCode =
  | 'OM001' | 'OM002' | 'OM003' | 'OM004' | 'OM005' | 'OM006' | 'OM007' | 'OM008' | 'OM009'
  | 'OM101' | 'OM102' | 'OM103' | 'OM104' | 'OM105' | 'OM106' | 'OM107' | 'OM108' | 'OM109' | 'OM110';

type Template = { en: string; ja: string };

export const PROBLEM_MESSAGES: Record<ProblemCode, Template> = {
  OM001: { en: 'YAML syntax error: {detail}', ja: 'YAML の構文エラー: {detail}' },
  OM002: { en: 'must be {expected}', ja: '{expected} でなければなりません' },
  OM003: { en: "missing required field '{field}'", ja: "必須の項目 '{field}' がありません" },
  OM004: { en: "unknown field '{field}'", ja: "不明な項目 '{field}' です" },
  OM005: { en: 'must be one of: {values}', ja: '次のいずれかでなければなりません: {values}' },
  OM006: { en: 'invalid value: {detail}', ja: '値が正しくありません: {detail}' },
  OM007: { en: 'the policy file is empty', ja: 'ポリシーファイルが空です' },
  OM008: { en: 'must be at least {limit}', ja: '{limit} 以上でなければなりません' },
  OM009: { en: 'must be at most {limit}', ja: '{limit} 以下でなければなりません' },
  OM101: { en: "duplicate id '{id}' (first defined at line {line})", ja: "id '{id}' が重複しています (最初の定義は {line} 行目)" },
  OM102: { en: "unknown set '{set}' (known: {known})", ja: "不明なセット '{set}' です (使えるもの: {known})" },
  OM103: { en: 'invalid path pattern: {detail}', ja: 'パスのパターンが正しくありません: {detail}' },
  OM104: { en: "trusted path '{path}' lies in user space; path trust applies only to system space", ja: "信頼するパス '{path}' はユーザー領域にあります。パスによる信頼はシステム領域にしか使えません" },
  OM105: { en: "'{value}' is not an ISO 8601 date-time (e.g. 2026-12-31T18:00:00+09:00)", ja: "'{value}' は ISO 8601 の日時ではありません (例: 2026-12-31T18:00:00+09:00)" },
  OM106: { en: "exception '{id}' expired at {expires}; it no longer applies", ja: "例外 '{id}' は {expires} に期限切れとなり、もう適用されません" },
  OM107: { en: "exception '{id}' needs 'path' or 'sha256'", ja: "例外 '{id}' には 'path' か 'sha256' が必要です" },
  OM108: { en: "guarded application '{id}' matches nothing: give 'names', 'paths' or 'sha256'", ja: "保護対象アプリ '{id}' に一致条件がありません: 'names'、'paths'、'sha256' のいずれかを指定してください" },
  OM109: { en: "'{name}' is both denied and allowed as a child; allowed wins", ja: "'{name}' は子プロセスとして禁止と許可の両方に含まれています。許可が優先されます" },
  OM110: { en: "trusted installer '{path}' lies in user space; only programs in system space can be trusted installers", ja: "信頼するインストーラー '{path}' はユーザー領域にあります。信頼するインストーラーにできるのはシステム領域のプログラムだけです" },
};

export function formatMessage(code: ProblemCode, params: Record<string, string | number>, lang: 'ja' | 'en'): string {
  return PROBLEM_MESSAGES[code][lang].replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}
