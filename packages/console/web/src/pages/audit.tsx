// The audit log (admin only): every administrative action, newest first, with who (a user, an endpoint, the console
// itself or someone not signed in), what, on what and the detail rendered as named fields in the UI language (no raw
// JSON); free-text search and CSV / JSON-lines export with the same search.
import { useEffect, useState, type FormEvent } from 'react';
import { api, withQuery, type AuditEntry, type Group } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { DetailFields, setGroupNames } from '../fields.tsx';
import { ErrorNote, Field, Page, useLoad } from '../ui.tsx';

type Two = { en: string; ja: string };

const ACTIONS: Record<string, Two> = {
  setup: { en: 'first administrator created', ja: '最初の管理者を作成' },
  login: { en: 'signed in', ja: 'ログイン' },
  'login.failed': { en: 'sign-in failed', ja: 'ログイン失敗' },
  logout: { en: 'signed out', ja: 'ログアウト' },
  'password.change': { en: 'own password changed', ja: '自分のパスワードを変更' },
  'password.change.failed': { en: 'password change refused (wrong current password)', ja: 'パスワード変更を拒否 (現在のパスワードが違う)' },
  'totp.setup': { en: 'two-factor sign-in being set up', ja: '2 要素認証を設定中' },
  'totp.enable': { en: 'two-factor sign-in switched on', ja: '2 要素認証を有効化' },
  'totp.disable': { en: 'two-factor sign-in switched off', ja: '2 要素認証を無効化' },
  'user.create': { en: 'user created', ja: 'ユーザーを作成' },
  'user.update': { en: 'user changed', ja: 'ユーザーを変更' },
  'group.create': { en: 'group created', ja: 'グループを作成' },
  'group.update': { en: 'group changed', ja: 'グループを変更' },
  'group.apply-now': { en: 'policy applied now', ja: 'ポリシーを今すぐ適用' },
  'group.enforce': { en: 'group switched to enforce', ja: 'グループを強制に切り替え' },
  'token.create': { en: 'enrollment token made', ja: '登録トークンを発行' },
  'token.revoke': { en: 'enrollment token revoked', ja: '登録トークンを失効' },
  'policy.create': { en: 'policy created', ja: 'ポリシーを作成' },
  'policy.update': { en: 'new policy version', ja: 'ポリシーの新しいバージョン' },
  'policy.epoch': { en: 'new policy epoch', ja: 'ポリシーの新しいエポック' },
  'exception.create': { en: 'exception created', ja: '例外を作成' },
  'exception.revoke': { en: 'exception revoked', ja: '例外を取り消し' },
  'agent.enroll': { en: 'endpoint enrolled', ja: '端末を登録' },
  'agent.rename': { en: 'endpoint renamed itself', ja: '端末が名前を変更' },
  'agent.rotate-key': { en: 'endpoint key rotated', ja: '端末の鍵を更新' },
  'endpoint.revoke': { en: 'endpoint revoked', ja: '端末を失効' },
  'endpoint.delete': { en: 'endpoint deleted', ja: '端末を削除' },
  'endpoint.rotate-key': { en: 'key rotation asked for', ja: '鍵の更新を依頼' },
  'events.export': { en: 'events exported', ja: 'イベントをエクスポート' },
  'audit.export': { en: 'audit log exported', ja: '監査ログをエクスポート' },
  'alerts.update': { en: 'alert settings changed', ja: '通知の設定を変更' },
  'alerts.test': { en: 'test alert sent', ja: 'テスト通知を送信' },
  'retention.run': { en: 'retention sweep run', ja: '保存期間の整理を実行' },
  'tls.next': { en: 'next TLS certificate prepared', ja: '次の TLS 証明書を準備' },
  'tls.activate': { en: 'TLS certificate switched', ja: 'TLS 証明書を切り替え' },
  'task.cancel': { en: 'task cancelled', ja: 'タスクを取り消し' },
  'incident.open': { en: 'incident opened', ja: 'インシデントを開始' },
  'incident.update': { en: 'incident changed', ja: 'インシデントを変更' },
  'incident.file': { en: 'file added to incident', ja: 'インシデントにファイルを追加' },
};

export function AuditPage() {
  const i = useI18n();
  const { t, lang, time } = i;
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState(true);
  const [error, setError] = useState<unknown>();
  const [q, setQ] = useState('');
  const [applied, setApplied] = useState('');
  const groups = useLoad(() => api<{ groups: Group[] }>('GET', '/api/groups'), []);
  const groupNames = new Map((groups.data?.groups ?? []).map((g) => [g.id, g.name]));
  setGroupNames(groupNames);
  const target = (s: string) => { const m = /^group:(.+)$/.exec(s); return m && groupNames.has(m[1]!) ? `${i.t('col.group')}: ${groupNames.get(m[1]!)}` : s; };
  const load = async (before?: number, text = applied) => {
    setError(undefined);
    try {
      const r = await api<{ entries: AuditEntry[] }>('GET', withQuery('/api/audit', { before, limit: 100, q: text }));
      setEntries((old) => before ? [...old, ...r.entries] : r.entries); setMore(r.entries.length === 100);
    } catch (e) { setError(e); }
  };
  useEffect(() => { void load(); }, []);
  const search = (e: FormEvent) => { e.preventDefault(); setApplied(q); void load(undefined, q); };
  const actor = (e: AuditEntry) => {
    const a = e.actor;
    if (!a || a.kind === 'user') return e.actor?.name ?? e.user;
    return <>{a.name} <small>({t(`aud.actor.${a.kind as "agent" | "system" | "anonymous"}`)})</small></>;
  };
  return (
    <Page title={t('nav.audit')} actions={<button type="button" onClick={() => void load()}>{t('refresh')}</button>}>
      <form className="filters" role="search" onSubmit={search}>
        <Field label={t('aud.search')}>{(p) => <input {...p} type="search" name="q" maxLength={200} value={q} onChange={(e) => setQ(e.target.value)} />}</Field>
        <div className="buttons"><button type="submit">{t('aud.filter')}</button>
          <span>{t('ev.export')}:</span>
          <a href={withQuery('/api/audit/export', { q: applied, format: 'csv', lang })} download data-testid="audit-export-csv">{t('ev.exportCsv')}</a>
          <a href={withQuery('/api/audit/export', { q: applied, format: 'json', lang })} download data-testid="audit-export-json">{t('ev.exportJson')}</a></div>
      </form>
      <ErrorNote error={error} />
      <table className="data" aria-label={t('nav.audit')}>
        <thead><tr><th scope="col">{t('col.time')}</th><th scope="col">{t('col.user')}</th><th scope="col">{t('aud.action')}</th><th scope="col">{t('aud.target')}</th><th scope="col">{t('aud.detail')}</th></tr></thead>
        <tbody>{entries.map((e) => <tr key={e.id} data-action={e.action}>
          <td>{time(e.time)}</td><td>{actor(e)}</td><td>{ACTIONS[e.action]?.[lang] ?? e.action} <small><code>{e.action}</code></small></td>
          <td>{/^group:/.test(e.target) && target(e.target) !== e.target ? target(e.target) : <code>{e.target}</code>}</td>
          <td>{e.detail && typeof e.detail === 'object' ? <DetailFields detail={e.detail as Record<string, unknown>} i={i} /> : e.detail === null || e.detail === undefined ? null : String(e.detail)}</td></tr>)}</tbody>
      </table>
      {more && entries.length ? <button type="button" onClick={() => void load(entries[entries.length - 1]!.id)}>{t('ev.older')}</button> : null}
    </Page>
  );
}
