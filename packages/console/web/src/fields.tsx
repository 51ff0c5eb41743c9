// The detail of an audit entry or incident log line as named fields in the UI language (never raw JSON): known field
// names and values translated, times formatted, group ids shown by name, nested objects as nested field lists.
import type { ReactNode } from 'react';
import type { I18n } from './i18n.ts';

type Two = { en: string; ja: string };

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
export function setGroupNames(m: Map<string, string>): void { groupNames = m; }

function value(v: unknown, key: string, i: I18n): ReactNode {
  if (v === null || v === undefined) return '—';
  if (key === 'group' && typeof v === 'string') return groupNames.get(v) ?? v;
  if (key === 'groups' && Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? groupNames.get(x) ?? x : String(x))).join(', ');
  if (typeof v === 'boolean') return v ? (i.lang === 'ja' ? 'はい' : 'yes') : (i.lang === 'ja' ? 'いいえ' : 'no');
  if (typeof v === 'number') return /At$/.test(key) && v > 1e12 ? i.time(v) : String(v);
  if (typeof v === 'string') return VALUES[v]?.[i.lang] ?? v;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' ? null : value(x, key, i))).filter((x) => x !== null).map((x, n) => <span key={n}>{n ? ', ' : ''}{x}</span>);
  return <DetailFields detail={v as Record<string, unknown>} i={i} />;
}

export function DetailFields({ detail, i }: { detail: Record<string, unknown>; i: I18n }) {
  const entries = Object.entries(detail).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return null;
  return (
    <dl className="audit-detail">
      {entries.map(([k, v]) => <div key={k}><dt>{FIELDS[k]?.[i.lang] ?? k}</dt><dd>{value(v, k, i)}</dd></div>)}
    </dl>
  );
}

