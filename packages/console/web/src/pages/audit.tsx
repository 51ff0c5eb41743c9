// The audit log (admin only): every administrative action, newest first, with who, what, on what and the detail.
import { useEffect, useState } from 'react';
import { api, withQuery, type AuditEntry } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { ErrorNote, Page } from '../ui.tsx';

const ACTIONS: Record<string, { en: string; ja: string }> = {
  setup: { en: 'first administrator created', ja: '最初の管理者を作成' },
  'user.create': { en: 'user created', ja: 'ユーザーを作成' },
  'user.update': { en: 'user changed', ja: 'ユーザーを変更' },
  'group.create': { en: 'group created', ja: 'グループを作成' },
  'group.update': { en: 'group policy or rollout changed', ja: 'グループのポリシーまたは展開を変更' },
  'token.create': { en: 'enrollment token made', ja: '登録トークンを発行' },
  'token.revoke': { en: 'enrollment token revoked', ja: '登録トークンを失効' },
  'policy.create': { en: 'policy created', ja: 'ポリシーを作成' },
  'policy.update': { en: 'new policy version', ja: 'ポリシーの新しいバージョン' },
  'exception.create': { en: 'exception created', ja: '例外を作成' },
  'exception.revoke': { en: 'exception revoked', ja: '例外を取り消し' },
  'agent.enroll': { en: 'endpoint enrolled', ja: '端末が登録されました' },
};

export function AuditPage() {
  const { t, lang, time } = useI18n();
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState(true);
  const [error, setError] = useState<unknown>();
  const load = async (before?: number) => {
    try {
      const r = await api<{ entries: AuditEntry[] }>('GET', withQuery('/api/audit', { before, limit: 100 }));
      setEntries((old) => before ? [...old, ...r.entries] : r.entries); setMore(r.entries.length === 100);
    } catch (e) { setError(e); }
  };
  useEffect(() => { void load(); }, []);
  return (
    <Page title={t('nav.audit')} actions={<button type="button" onClick={() => void load()}>{t('refresh')}</button>}>
      <ErrorNote error={error} />
      <table className="data" aria-label={t('nav.audit')}>
        <thead><tr><th scope="col">{t('col.time')}</th><th scope="col">{t('col.user')}</th><th scope="col">{t('aud.action')}</th><th scope="col">{t('aud.target')}</th><th scope="col">{t('aud.detail')}</th></tr></thead>
        <tbody>{entries.map((e) => <tr key={e.id} data-action={e.action}>
          <td>{time(e.time)}</td><td>{e.user}</td><td><code>{e.action}</code> <small>{ACTIONS[e.action]?.[lang] ?? ''}</small></td>
          <td><code>{e.target}</code></td><td><code className="detail">{JSON.stringify(e.detail)}</code></td></tr>)}</tbody>
      </table>
      {more && entries.length ? <button type="button" onClick={() => void load(entries[entries.length - 1]!.id)}>{t('ev.older')}</button> : null}
    </Page>
  );
}
