// Refused events (the quarantine): what an agent sent that the console would not store, with the reason (code and
// words), when, from which endpoint and an excerpt; the rest of each batch was stored. Filter by endpoint, page older.
import { useState } from 'react';
import { api, withQuery, type QuarantineEntry } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { useLocation } from '../router.ts';
import { Link, Loading, Page, useLoad } from '../ui.tsx';

export function QuarantinePage() {
  const { t, time } = useI18n();
  const loc = useLocation();
  const endpoint = loc.search.get('endpoint') ?? '';
  const [before, setBefore] = useState<number[]>([]);
  const last = before[before.length - 1];
  const list = useLoad(() => api<{ entries: QuarantineEntry[] }>('GET', withQuery('/api/quarantine', { endpoint, before: last, limit: 100 })), [endpoint, last]);
  return (
    <Page title={t('nav.quarantine')} actions={<button type="button" onClick={list.reload}>{t('refresh')}</button>}>
      <p>{t('q.intro')}</p>
      <Loading what={list} />
      {list.data ? list.data.entries.length === 0 ? <p>{t('q.none')}</p> : <>
        <table className="data" aria-label={t('nav.quarantine')}>
          <thead><tr><th scope="col">{t('q.received')}</th><th scope="col">{t('col.endpoint')}</th><th scope="col">{t('q.key')}</th>
            <th scope="col">{t('q.reason')}</th><th scope="col">{t('q.excerpt')}</th></tr></thead>
          <tbody>{list.data.entries.map((q) => <tr key={q.id} data-quarantine={q.key ?? q.id}>
            <td>{time(q.receivedAt)}</td>
            <td><Link to={`/endpoints/${encodeURIComponent(q.endpointId)}`}>{q.hostname ?? q.endpointId}</Link></td>
            <td><code>{q.key ?? '—'}</code></td>
            <td><code>{q.code}</code> {q.reason}</td>
            <td><code className="detail">{q.excerpt.length > 300 ? `${q.excerpt.slice(0, 300)}…` : q.excerpt}</code></td>
          </tr>)}</tbody>
        </table>
        <div className="buttons">
          {before.length ? <button type="button" onClick={() => setBefore(before.slice(0, -1))}>{t('ev.newer')}</button> : null}
          {list.data.entries.length === 100 ? <button type="button" onClick={() => setBefore([...before, list.data!.entries[99]!.id])}>{t('ev.older')}</button> : null}
        </div>
      </> : null}
    </Page>
  );
}
