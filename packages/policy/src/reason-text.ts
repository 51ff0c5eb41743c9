// Plain-words explanations (ja/en) of the stable reason codes in decision.ts, shared by the agent's log, the CLI, the
// console UI and reports. A text may be improved; a code's meaning never changes. Imported alone by the web UI
// (`@omamori/policy/reason-text`), so this module imports nothing but types.
import type { ReasonCode } from './decision.ts';

export const REASON_TEXT: Readonly<Record<ReasonCode, Readonly<Record<'ja' | 'en', string>>>> = {
  ALLOW_DEFAULT: { en: 'allowed: nothing in the policy objects', ja: '許可: ポリシーに該当する制限はありません' },
  ALLOW_SYSTEM_SPACE: { en: 'allowed: the program is in system space (only root can change it)', ja: '許可: システム領域のプログラムです (root だけが変更できます)' },
  ALLOW_TRUSTED_HASH: { en: 'allowed: its SHA-256 is trusted by the policy', ja: '許可: SHA-256 がポリシーで信頼されています' },
  ALLOW_TRUSTED_PACKAGE: { en: 'allowed: the file belongs to an installed package', ja: '許可: インストール済みパッケージのファイルです' },
  ALLOW_TRUSTED_PATH: { en: 'allowed: its path is trusted by the policy', ja: '許可: パスがポリシーで信頼されています' },
  ALLOW_TRUSTED_PUBLISHER: { en: 'allowed: signed by a trusted publisher', ja: '許可: 信頼された発行元の署名があります' },
  ALLOW_EXCEPTION: { en: 'allowed by a time-limited exception', ja: '期限付きの例外により許可' },
  ALLOW_GUARDED_APP: { en: 'allowed: a guarded application may do this', ja: '許可: 保護下のアプリケーションに許された操作です' },
  ALLOW_NOT_PROTECTED: { en: 'allowed: this place is not protected', ja: '許可: 保護対象外の場所です' },
  USER_SPACE_EXEC: { en: 'a program in user space (writable by a normal user, removable or network media) is not trusted', ja: 'ユーザー領域 (一般ユーザーが書き込める場所・リムーバブル・ネットワーク) のプログラムは信頼されていません' },
  USER_SPACE_LIBRARY: { en: 'a shared library in user space is not trusted', ja: 'ユーザー領域の共有ライブラリは信頼されていません' },
  USER_SPACE_SCRIPT: { en: 'a script in user space is not trusted', ja: 'ユーザー領域のスクリプトは信頼されていません' },
  LOCKDOWN_UNTRUSTED: { en: 'lockdown: only package-owned, signed or hash-trusted code runs', ja: 'ロックダウン: パッケージ管理・署名・ハッシュで信頼されたものだけ実行できます' },
  GUARDED_CHILD_DENIED: { en: 'a guarded application may not start this program', ja: '保護下のアプリケーションはこのプログラムを起動できません' },
  GUARDED_WRITE_PROTECTED: { en: 'a guarded application may not write here', ja: '保護下のアプリケーションはここに書き込めません' },
  GUARDED_READ_PRIVATE: { en: 'a guarded application may not read private data', ja: '保護下のアプリケーションは秘密のデータを読めません' },
  GUARDED_PERSISTENCE: { en: 'a guarded application may not create autostart entries', ja: '保護下のアプリケーションは自動起動を登録できません' },
  GUARDED_PROCESS_ACCESS: { en: 'a guarded application may not touch other processes', ja: '保護下のアプリケーションは他のプロセスに触れられません' },
  PERSIST_USER_SPACE_CODE: { en: 'an autostart entry would start code from user space', ja: '自動起動がユーザー領域のコードを起動しようとしました' },
  FAIL_OPEN_TIMEOUT: { en: 'the decision came late: allowed by the fail mode', ja: '判定が遅れたため、フェイルモードにより許可' },
  FAIL_CLOSED_TIMEOUT: { en: 'the decision came late: denied by the fail mode', ja: '判定が遅れたため、フェイルモードにより拒否' },
  GUARDED_NOT_CONTAINED: { en: 'a guarded application was started outside containment (use omamori run)', ja: '保護対象アプリケーションが封じ込めの外で起動されました (omamori run を使ってください)' },
  REMOTE_CODE: { en: 'a script host or loader was told to run code straight from the network: never trusted', ja: 'スクリプトホストやローダーにネットワーク上のコードを直接実行させようとしました (常に信頼されません)' },
  PERSIST_SYSTEM_HOOK: { en: 'only trusted installers may change what Windows itself starts (debugger, accessibility program, logon entry)', ja: 'Windows 自身が起動するもの (デバッガー・ユーザー補助プログラム・ログオン項目) を変更できるのは信頼されたインストーラーだけです' },
  FAIL_OPEN_QUEUE_FULL: { en: 'too many decisions were waiting: allowed by the fail mode', ja: '判定待ちが多すぎたため、フェイルモードにより許可' },
  FAIL_CLOSED_QUEUE_FULL: { en: 'too many decisions were waiting: denied by the fail mode', ja: '判定待ちが多すぎたため、フェイルモードにより拒否' },
  FAIL_OPEN_UNREADABLE: { en: 'the file as opened could not be examined: allowed by the fail mode', ja: '開かれたファイルを確認できなかったため、フェイルモードにより許可' },
  FAIL_CLOSED_UNREADABLE: { en: 'the file as opened could not be examined: denied by the fail mode', ja: '開かれたファイルを確認できなかったため、フェイルモードにより拒否' },
};

/** The explanation of a reason code; codes this version does not know are shown as they are. */
export function reasonText(code: string, lang: 'ja' | 'en'): string {
  return (REASON_TEXT as Record<string, Record<'ja' | 'en', string>>)[code]?.[lang] ?? code;
}
