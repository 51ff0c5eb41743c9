// Endpoints: list with status, policy version, last seen and group (filter by status, group, name), and one
// endpoint's detail (issued policy, active exceptions, event counts).
import { api, withQuery, type Endpoint, type EndpointDetail, type Group } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { navigate, useLocation } from '../router.ts';
import { Field, Link, Loading, Page, StatusBadge, useLoad } from '../ui.tsx';
import { OpenIncidentLink } from './incidents.tsx';

export function PolicyVersion({ e }: { e: Pick<Endpoint, 'policyVersion' | 'issuedVersion' | 'policyCurrent'> }) {
  const { t } = useI18n();
  return <span>v{e.policyVersion}{e.policyCurrent ? '' : <> <span className="badge warn">{t('ep.pending', { v: e.issuedVersion })}</span></>}</span>;
}

export function EndpointsPage() {
  const { t, time } = useI18n();
  const loc = useLocation();
  const status = loc.search.get('status') ?? '';
  const group = loc.search.get('group') ?? '';
  const search = loc.search.get('search') ?? '';
  const set = (k: string, v: string) => {
    const q = new URLSearchParams(loc.search); if (v) q.set(k, v); else q.delete(k);
    navigate(`/endpoints${q.toString() ? `?${q}` : ''}`, true);
  };
  const groups = useLoad(() => api<{ groups: Group[] }>('GET', '/api/groups'), []);
  const list = useLoad(() => api<{ endpoints: Endpoint[] }>('GET', withQuery('/api/endpoints', { status, group, search })), [status, group, search]);
  return (
    <Page title={t('nav.endpoints')} actions={<button type="button" onClick={list.reload}>{t('refresh')}</button>}>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('col.status')}>{(p) => <select {...p} value={status} onChange={(e) => set('status', e.target.value)}>
          <option value="">{t('all')}</option><option value="online">{t('status.online')}</option>
          <option value="offline">{t('status.offline')}</option><option value="unprotected">{t('status.unprotected')}</option></select>}</Field>
        <Field label={t('col.group')}>{(p) => <select {...p} value={group} onChange={(e) => set('group', e.target.value)}>
          <option value="">{t('all')}</option>{groups.data?.groups.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}</select>}</Field>
        <Field label={t('ep.search')}>{(p) => <input {...p} type="search" defaultValue={search} onKeyDown={(e) => { if (e.key === 'Enter') set('search', e.currentTarget.value); }} onBlur={(e) => set('search', e.target.value)} />}</Field>
      </form>
      <Loading what={list} />
      {list.data ? list.data.endpoints.length === 0 ? <p>{t('ep.none')}</p> :
        <table className="data" aria-label={t('nav.endpoints')}>
          <thead><tr>
            <th scope="col">{t('col.hostname')}</th><th scope="col">{t('col.status')}</th><th scope="col">{t('col.mode')}</th>
            <th scope="col">{t('col.policyVersion')}</th><th scope="col">{t('col.lastSeen')}</th><th scope="col">{t('col.group')}</th>
          </tr></thead>
          <tbody>{list.data.endpoints.map((e) => (
            <tr key={e.id} data-endpoint={e.hostname}>
              <th scope="row"><Link to={`/endpoints/${encodeURIComponent(e.id)}`}>{e.hostname}</Link></th>
              <td><StatusBadge online={e.online} protectedNow={e.protected} /> <small>{e.state}</small></td>
              <td>{e.mode ?? '—'}</td>
              <td><PolicyVersion e={e} /></td>
              <td>{time(e.lastSeen)}</td>
              <td>{e.group}</td>
            </tr>))}</tbody>
        </table> : null}
    </Page>
  );
}

export function EndpointPage({ id }: { id: string }) {
  const { t, time } = useI18n();
  const d = useLoad(() => api<EndpointDetail>('GET', `/api/endpoints/${encodeURIComponent(id)}`), [id]);
  const e = d.data;
  return (
    <Page title={e ? e.hostname : t('nav.endpoints')} actions={<div className="buttons"><OpenIncidentLink endpoint={id} /><button type="button" onClick={d.reload}>{t('refresh')}</button></div>}>
      <Loading what={d} />
      {e ? <>
        <dl className="facts">
          <dt>{t('col.status')}</dt><dd><StatusBadge online={e.online} protectedNow={e.protected} /> {e.state}</dd>
          <dt>{t('col.group')}</dt><dd>{e.group} ({e.policyRef ?? '—'}, {e.rollout ? t(`rollout.${e.rollout as 'audit' | 'enforce'}`) : '—'})</dd>
          <dt>{t('col.policyVersion')}</dt><dd><PolicyVersion e={e} /></dd>
          <dt>{t('ep.issued')}</dt><dd>{e.issuedPolicy ? `v${e.issuedPolicy.version} — ${e.issuedPolicy.source} (${time(e.issuedPolicy.issuedAt)})` : '—'}</dd>
          <dt>{t('col.mode')}</dt><dd>{e.mode ?? '—'}</dd>
          <dt>{t('col.lastSeen')}</dt><dd>{time(e.lastSeen)}</dd>
          <dt>{t('ep.enrolled')}</dt><dd>{time(e.enrolledAt)}</dd>
          <dt>{t('ep.agent')}</dt><dd>{e.platform} {e.agentVersion}; {t('ep.spooled', { n: e.spooled })}</dd>
          <dt>{t('nav.events')}</dt><dd>
            <Link to={withQuery('/events', { endpoint: e.id })}>{t('ep.counts', { deny: e.eventCounts.deny ?? 0, audit: e.eventCounts['audit-deny'] ?? 0, allow: e.eventCounts.allow ?? 0 })}</Link>
          </dd>
        </dl>
        <h2>{t('nav.exceptions')}</h2>
        {e.exceptions.length === 0 ? <p>{t('none')}</p> :
          <ul>{e.exceptions.map((x) => <li key={x.id}><code>{x.path ?? x.sha256}</code> — {t('exc.until', { time: time(x.expiresAt) })} — {x.note}</li>)}</ul>}
      </> : null}
    </Page>
  );
}
