// API error codes with their ja/en messages, and how an error reaches the client. Codes are stable strings: append
// only. 5xx details never reach the client (they go to the log, without secrets).
import type { FastifyReply, FastifyRequest } from 'fastify';

type Lang = 'ja' | 'en';

export const API_ERRORS = {
  UNAUTHENTICATED: { status: 401, en: 'sign in first', ja: 'ログインしてください' },
  BAD_CREDENTIALS: { status: 401, en: 'wrong user name or password', ja: 'ユーザー名またはパスワードが違います' },
  FORBIDDEN: { status: 403, en: "your role '{role}' may not do this (needs {need})", ja: "ロール '{role}' ではこの操作はできません ({need} 以上が必要)" },
  CSRF: { status: 403, en: 'missing or wrong CSRF token (send the x-csrf-token header)', ja: 'CSRF トークンがないか違います (x-csrf-token ヘッダーを送ってください)' },
  RATE_LIMITED: { status: 429, en: 'too many attempts; try again in {seconds} s', ja: '試行が多すぎます。{seconds} 秒後に再試行してください' },
  VALIDATION: { status: 400, en: '{where}: {detail}', ja: '{where}: {detail}' },
  BAD_JSON: { status: 400, en: 'the body is not valid JSON: {detail}', ja: '本文が正しい JSON ではありません: {detail}' },
  TOO_LARGE: { status: 413, en: 'the body is larger than {limit} bytes', ja: '本文が {limit} バイトを超えています' },
  NOT_FOUND: { status: 404, en: '{what} not found', ja: '{what} が見つかりません' },
  CONFLICT: { status: 409, en: '{detail}', ja: '{detail}' },
  SETUP_DONE: { status: 409, en: 'the console is already set up', ja: 'コンソールはすでにセットアップ済みです' },
  SETUP_TOKEN: { status: 401, en: 'wrong or used setup token', ja: 'セットアップトークンが違うか使用済みです' },
  TOKEN_INVALID: { status: 401, en: 'enrollment token is unknown, used up or expired', ja: '登録トークンが不明、使用済み、または期限切れです' },
  AGENT_AUTH: { status: 401, en: 'agent signature rejected: {detail}', ja: 'エージェントの署名を受け付けません: {detail}' },
  POLICY_INVALID: { status: 422, en: 'the policy has {count} problem(s)', ja: 'ポリシーに {count} 件の問題があります' },
  NO_POLICY: { status: 409, en: 'no policy can be built for this endpoint: {detail}', ja: 'この端末のポリシーを作れません: {detail}' },
  UNSUPPORTED: { status: 415, en: 'send application/json', ja: 'application/json で送ってください' },
  INTERNAL: { status: 500, en: 'internal error (see the console log)', ja: '内部エラー (コンソールのログを参照)' },
  // Appended with issue 13.
  AGENT_REVOKED: { status: 403, en: 'this endpoint was revoked in the console; enroll it again to reconnect', ja: 'この端末はコンソールで失効されています。再接続するには登録し直してください' },
  LAST_ADMIN: { status: 409, en: 'this is the last active administrator: make another administrator first', ja: '最後の有効な管理者です。先に別の管理者を作成してください' },
  TOTP_REQUIRED: { status: 401, en: 'enter the 6-digit code of your authenticator app', ja: '認証アプリの 6 桁のコードを入力してください' },
  TOTP_INVALID: { status: 401, en: 'wrong or already used two-factor code', ja: '2 段階認証のコードが違うか、すでに使われています' },
  EXACT_MATCH: { status: 409, en: 'the path {path} contains pattern characters ({chars}) and the event has no SHA-256: an exception could not match that file alone', ja: 'パス {path} にはパターン文字 ({chars}) が含まれ、イベントに SHA-256 がないため、そのファイルだけに一致する例外を作れません' },
  QUOTA: { status: 429, en: 'upload quota of {limit} events per hour used up; try again in {seconds} s', ja: '1 時間あたり {limit} 件の送信上限に達しました。{seconds} 秒後に再試行してください' },
  OUT_OF_SCOPE: { status: 403, en: 'your account is limited to other groups', ja: 'このアカウントは他のグループに限定されています' },
  WRONG_PASSWORD: { status: 403, en: 'the current password is wrong', ja: '現在のパスワードが違います' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export function langOf(req: FastifyRequest): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (q === 'ja' || q === 'en') return q;
  return /^ja\b/i.test(String(req.headers['accept-language'] ?? '')) ? 'ja' : 'en';
}

export function message(code: ApiErrorCode, params: Record<string, string | number>, lang: Lang): string {
  return API_ERRORS[code][lang].replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
}

/** An expected failure thrown from a handler; the error handler renders it. */
export class ApiFailure extends Error {
  constructor(readonly code: ApiErrorCode, readonly params: Record<string, string | number> = {},
    readonly extra: { field?: string; problems?: unknown[]; reason?: string } = {}) { super(code); }
}

export function sendFailure(req: FastifyRequest, reply: FastifyReply, f: ApiFailure): FastifyReply {
  const lang = langOf(req);
  if (typeof f.params.seconds === 'number') reply.header('retry-after', String(f.params.seconds));
  return reply.code(API_ERRORS[f.code].status).send({ error: { code: f.code, message: message(f.code, f.params, lang), ...f.extra } });
}
