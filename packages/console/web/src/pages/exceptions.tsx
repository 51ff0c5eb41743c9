// Exceptions: the time-boxed allowances per endpoint (made from an event), active or all; an operator can revoke.
import { useState } from 'react';
import { api, withQuery, type Endpoint, type ExceptionRow } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { can, Check, ErrorNote, Link, Loading, Page, useLoad, useUser } from '../ui.tsx';

export function ExceptionsPage() {
  const { t, time } = useI18n();
  const user = useUser();
  const [all, setAll] = useState(false);
  const list = useLoad(() => api<{ exceptions: ExceptionRow[] }>('GET', withQuery('/api/exceptions', { all: all ? 'true' : undefined })), [all]);
  const [error, setError] = useState<unknown>();
  // Endpoints by host name, not by their internal id.
  const endpoints = useLoad(() => api<{ endpoints: Endpoint[] }>('GET', '/api/endpoints'), []);
  const host = (id: string) => endpoints.data?.endpoints.find((e) => e.id === id)?.hostname ?? id;
  return (
    <Page title={t('nav.exceptions')}>
      <p>{t('exc.intro')}</p>
      <Check label={t('exc.showAll')} checked={all} onChange={setAll} />
      <Loading what={list} />
      <ErrorNote error={error} />
      {list.data ? list.data.exceptions.length === 0 ? <p>{t('none')}</p> :
        <table className="data" aria-label={t('nav.exceptions')}>
          <thead><tr><th scope="col">{t('col.endpoint')}</th><th scope="col">{t('exc.what')}</th><th scope="col">{t('exc.expires')}</th><th scope="col">{t('exc.note')}</th><th scope="col">{t('col.user')}</th><th scope="col"><span className="sr">{t('exc.revoke')}</span></th></tr></thead>
          <tbody>{list.data.exceptions.map((x) => <tr key={x.id} data-exception={x.id}>
            <td><Link to={`/endpoints/${encodeURIComponent(x.endpointId)}`}>{host(x.endpointId)}</Link></td>
            <td><code>{x.path ?? `sha256:${x.sha256}`}</code></td>
            <td>{time(x.expiresAt)} {x.active ? null : <span className="badge offline">{t('exc.expired')}</span>}</td>
            <td>{x.note}{x.eventId ? <> (<Link to={`/events?endpoint=${encodeURIComponent(x.endpointId)}`}>#{x.eventId}</Link>)</> : null}</td>
            <td>{x.createdBy}</td>
            <td>{x.active && can(user, 'operator') ? <button type="button" onClick={async () => {
              setError(undefined);
              try { await api('DELETE', `/api/exceptions/${encodeURIComponent(x.id)}`); list.reload(); } catch (e) { setError(e); }
            }}>{t('exc.revoke')}<span className="sr"> {x.path ?? x.sha256}</span></button> : null}</td>
          </tr>)}</tbody>
        </table> : null}
    </Page>
  );
}
