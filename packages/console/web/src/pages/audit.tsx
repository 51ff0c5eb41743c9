// The audit log (admin only): every administrative action, newest first, with who (a user, an endpoint, the console
// itself or someone not signed in), what, on what and the detail rendered as named fields in the UI language (no raw
// JSON); free-text search and CSV / JSON-lines export with the same search.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, withQuery, type AuditEntry, type Group } from '../api.ts';
import { useI18n, type I18n } from '../i18n.ts';
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

const FIELDS: Record<string, Two> = {
  ip: { en: 'address', ja: 'アドレス' }, username: { en: 'user name', ja: 'ユーザー名' }, name: { en: 'name', ja: '名前' },
  role: { en: 'role', ja: 'ロール' }, disabled: { en: 'disabled', ja: '無効' }, policyRef: { en: 'policy', ja: 'ポリシー' },
  rollout: { en: 'rollout', ja: '展開' }, before: { en: 'before', ja: '変更前' }, after: { en: 'after', ja: '変更後' },
  hostname: { en: 'host name', ja: 'ホスト名' }, group: { en: 'group', ja: 'グループ' }, uses: { en: 'uses', ja: '使用回数' },
  expiresAt: { en: 'expires', ja: '期限' }, format: { en: 'format', ja: '形式' }, why: { en: 'why', ja: '理由' },
  twoFactor: { en: 'two-factor', ja: '2 要素認証' }, retentionDays: { en: 'keep events (days)', ja: '保存日数' },
  uploadPerHour: { en: 'uploads per hour', ja: '1 時間の送信上限' }, version: { en: 'version', ja: 'バージョン' },
  comment: { en: 'comment', ja: 'メモ' }, path: { en: 'path', ja: 'パス' }, sha256: { en: 'SHA-256', ja: 'SHA-256' },
  hours: { en: 'hours', ja: '時間' }, note: { en: 'note', ja: 'メモ' }, endpoint: { en: 'endpoint', ja: '端末' },
  from: { en: 'from', ja: '変更前' }, to: { en: 'to', ja: '変更後' }, fingerprint: { en: 'fingerprint', ja: 'フィンガープリント' },
  channels: { en: 'channels', ja: '送信先' }, results: { en: 'results', ja: '結果' }, onBlock: { en: 'on blocks', ja: '阻止時' },
  onIncident: { en: 'on incidents', ja: 'インシデント時' }, perMinute: { en: 'per minute', ja: '1 分あたり' },
  events: { en: 'events', ja: 'イベント' }, quarantined: { en: 'refused events', ja: '受付拒否イベント' }, q: { en: 'search', ja: '検索' },
  action: { en: 'action', ja: '操作' }, filters: { en: 'filters', ja: '絞り込み' }, incident: { en: 'incident', ja: 'インシデント' },
  passwordChanged: { en: 'password changed', ja: 'パスワード変更' }, groups: { en: 'groups', ja: 'グループ' },
  totpReset: { en: 'two-factor reset', ja: '2 要素認証のリセット' }, platform: { en: 'platform', ja: 'プラットフォーム' },
  agentVersion: { en: 'agent version', ja: 'エージェントのバージョン' }, eventId: { en: 'event', ja: 'イベント' }, match: { en: 'match by', ja: '照合方法' },
};

const VALUES: Record<string, Two> = {
  audit: { en: 'audit', ja: '監査' }, enforce: { en: 'enforce', ja: '強制' }, admin: { en: 'admin', ja: '管理者' },
  operator: { en: 'operator', ja: 'オペレーター' }, viewer: { en: 'viewer', ja: '閲覧者' }, password: { en: 'wrong password', ja: 'パスワードの誤り' },
  'unknown user': { en: 'unknown user', ja: '不明なユーザー' }, 'two-factor code': { en: 'wrong two-factor code', ja: '2 要素認証コードの誤り' },
};

/** Group ids shown by their names (an audit entry keeps the id; people know the name). */
let groupNames = new Map<string, string>();

function value(v: unknown, key: string, i: I18n): ReactNode {
  if (v === null || v === undefined) return '—';
  if (key === 'group' && typeof v === 'string') return groupNames.get(v) ?? v;
  if (typeof v === 'boolean') return v ? (i.lang === 'ja' ? 'はい' : 'yes') : (i.lang === 'ja' ? 'いいえ' : 'no');
  if (typeof v === 'number') return /At$/.test(key) && v > 1e12 ? i.time(v) : String(v);
  if (typeof v === 'string') return VALUES[v]?.[i.lang] ?? v;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? null : value(x, key, i))).filter((x) => x !== null).map((x, n) => <span key={n}>{n ? ', ' : ''}{x}</span>);
  return <Fields detail={v as Record<string, unknown>} i={i} />;
}

function Fields({ detail, i }: { detail: Record<string, unknown>; i: I18n }) {
  const entries = Object.entries(detail).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return null;
  return (
    <dl className="audit-detail">
      {entries.map(([k, v]) => <div key={k}><dt>{FIELDS[k]?.[i.lang] ?? k}</dt><dd>{value(v, k, i)}</dd></div>)}
    </dl>
  );
}

export function AuditPage() {
  const i = useI18n();
  const { t, lang, time } = i;
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState(true);
  const [error, setError] = useState<unknown>();
  const [q, setQ] = useState('');
  const [applied, setApplied] = useState('');
  const groups = useLoad(() => api<{ groups: Group[] }>('GET', '/api/groups'), []);
  groupNames = new Map((groups.data?.groups ?? []).map((g) => [g.id, g.name]));
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
          <td>{e.detail && typeof e.detail === 'object' ? <Fields detail={e.detail as Record<string, unknown>} i={i} /> : e.detail === null || e.detail === undefined ? null : String(e.detail)}</td></tr>)}</tbody>
      </table>
      {more && entries.length ? <button type="button" onClick={() => void load(entries[entries.length - 1]!.id)}>{t('ev.older')}</button> : null}
    </Page>
  );
}
