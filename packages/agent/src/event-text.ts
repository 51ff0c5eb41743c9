// Renders a stored decision as one line of text in Japanese or English: what was stopped, why, and the lineage
// (`thunderbird → soffice → sh → /home/alice/.cache/x`). Formatting only; the store and the CLI choose where it goes.
import { basename } from 'node:path';
import type { ReasonCode } from '@omamori/policy';
import type { StoredEvent } from './event-store.ts';

type Lang = 'ja' | 'en';

const REASON_TEXT: Partial<Record<ReasonCode, Record<Lang, string>>> = {
  USER_SPACE_EXEC: { en: 'program in user space is not trusted', ja: 'ユーザー領域のプログラムは信頼されていません' },
  USER_SPACE_LIBRARY: { en: 'shared library in user space is not trusted', ja: 'ユーザー領域の共有ライブラリは信頼されていません' },
  USER_SPACE_SCRIPT: { en: 'script in user space is not trusted', ja: 'ユーザー領域のスクリプトは信頼されていません' },
  LOCKDOWN_UNTRUSTED: { en: 'lockdown: only package-owned, signed or hash-trusted code runs', ja: 'ロックダウン: パッケージ管理・署名・ハッシュで信頼されたものだけ実行できます' },
  GUARDED_CHILD_DENIED: { en: 'a guarded application may not start this program', ja: '保護下のアプリケーションはこのプログラムを起動できません' },
  GUARDED_WRITE_PROTECTED: { en: 'a guarded application may not write here', ja: '保護下のアプリケーションはここに書き込めません' },
  GUARDED_READ_PRIVATE: { en: 'a guarded application may not read private data', ja: '保護下のアプリケーションは秘密のデータを読めません' },
  GUARDED_PERSISTENCE: { en: 'a guarded application may not create autostart entries', ja: '保護下のアプリケーションは自動起動を登録できません' },
  GUARDED_PROCESS_ACCESS: { en: 'a guarded application may not touch other processes', ja: '保護下のアプリケーションは他のプロセスに触れられません' },
  PERSIST_USER_SPACE_CODE: { en: 'autostart entry would start code from user space', ja: '自動起動がユーザー領域のコードを起動します' },
  GUARDED_NOT_CONTAINED: { en: 'guarded application started outside containment (use omamori run)', ja: '保護対象アプリケーションが封じ込めの外で起動されました (omamori run を使ってください)' },
  FAIL_OPEN_TIMEOUT: { en: 'decision late: allowed by fail mode', ja: '判定遅延: フェイルモードにより許可' },
  FAIL_CLOSED_TIMEOUT: { en: 'decision late: denied by fail mode', ja: '判定遅延: フェイルモードにより拒否' },
};

const KIND_TEXT: Record<string, Record<Lang, string>> = {
  'process.start': { en: 'start of', ja: '起動' },
  'module.load': { en: 'load of library', ja: 'ライブラリ読み込み' },
  'script.read': { en: 'script', ja: 'スクリプト' },
};

export function reasonText(reason: string, lang: Lang): string {
  return REASON_TEXT[reason as ReasonCode]?.[lang] ?? reason;
}

/** `thunderbird → soffice → sh → /home/alice/.cache/x`: names of the ancestors, full path of the last step. */
export function lineageText(e: Pick<StoredEvent, 'lineage' | 'object' | 'kind'>): string {
  const names = e.lineage.map((l) => basename(l.image));
  const last = e.lineage[e.lineage.length - 1];
  if (e.kind === 'process.start') {
    if (names.length) names[names.length - 1] = e.object;
    else names.push(e.object);
  } else {
    if (last && names.length) names[names.length - 1] = basename(last.image);
    names.push(e.object);
  }
  return names.join(' → ');
}

function stamp(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function describeEvent(e: StoredEvent, lang: Lang): string {
  const blocked = e.verdict === 'deny';
  const verdict = lang === 'ja' ? (blocked ? '阻止' : '監査 (阻止相当)') : (blocked ? 'STOPPED' : 'would stop (audit)');
  const what = `${KIND_TEXT[e.kind]?.[lang] ?? e.kind} ${e.object}`;
  const guarded = e.guarded ? (lang === 'ja' ? ` [保護下: ${e.guarded}]` : ` [guarded: ${e.guarded}]`) : '';
  const via = typeof e.detail?.via === 'string' && e.detail.via !== 'script' ? ` (${e.detail.via})` : '';
  return `${stamp(e.time)} ${verdict}: ${what}${via} — ${reasonText(e.reason, lang)} (${e.reason}, ${e.rule}, ${e.policyVersion})${guarded}\n    ${lineageText(e)}`;
}
