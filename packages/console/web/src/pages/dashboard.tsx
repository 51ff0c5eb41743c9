// Dashboard: endpoints online/offline/unprotected, blocks over time, top blocked rules and applications.
import { useState } from 'react';
import { api, withQuery, type Dashboard } from '../api.ts';
import { BlocksChart } from '../chart.tsx';
import { useI18n } from '../i18n.ts';
import { Field, Link, Loading, Page, useLoad } from '../ui.tsx';

export function DashboardPage() {
  const { t } = useI18n();
  const [hours, setHours] = useState(24);
  const d = useLoad(() => api<Dashboard>('GET', withQuery('/api/dashboard', { hours, bucketMinutes: hours <= 24 ? 60 : hours <= 168 ? 360 : 1440 })), [hours]);
  return (
    <Page title={t('nav.dashboard')} actions={
      <Field label={t('dash.range')}>{(p) =>
        <select {...p} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
          <option value={24}>{t('dash.h24')}</option><option value={168}>{t('dash.d7')}</option><option value={720}>{t('dash.d30')}</option>
        </select>}</Field>}>
      <Loading what={d} />
      {d.data ? <>
        <ul className="cards" aria-label={t('nav.endpoints')}>
          <li><Link to="/endpoints"><strong data-testid="count-total">{d.data.endpoints.total}</strong>{t('dash.total')}</Link></li>
          <li className="ok"><Link to="/endpoints?status=online"><strong data-testid="count-online">{d.data.endpoints.online}</strong>{t('status.online')}</Link></li>
          <li className="off"><Link to="/endpoints?status=offline"><strong data-testid="count-offline">{d.data.endpoints.offline}</strong>{t('status.offline')}</Link></li>
          <li className="warn"><Link to="/endpoints?status=unprotected"><strong data-testid="count-unprotected">{d.data.endpoints.unprotected}</strong>{t('status.unprotected')}</Link></li>
        </ul>
        <h2>{t('dash.blocks')}</h2>
        <BlocksChart from={d.data.from} to={d.data.to} bucketMs={d.data.bucketMs} points={d.data.blocks} />
        <div className="two">
          <div>
            <h2 id="top-rules">{t('dash.topRules')}</h2>
            {d.data.topRules.length === 0 ? <p>{t('none')}</p> :
              <table aria-labelledby="top-rules"><thead><tr><th scope="col">{t('col.rule')}</th><th scope="col">{t('col.count')}</th></tr></thead>
                <tbody>{d.data.topRules.map((r) => <tr key={r.rule}><td><Link to={withQuery('/events', { rule: r.rule })}>{r.rule}</Link></td><td>{r.count}</td></tr>)}</tbody></table>}
          </div>
          <div>
            <h2 id="top-apps">{t('dash.topApps')}</h2>
            {d.data.topApps.length === 0 ? <p>{t('none')}</p> :
              <table aria-labelledby="top-apps"><thead><tr><th scope="col">{t('col.app')}</th><th scope="col">{t('col.count')}</th></tr></thead>
                <tbody>{d.data.topApps.map((r) => <tr key={r.app}><td><Link to={withQuery('/events', { app: r.app })}>{r.app}</Link></td><td>{r.count}</td></tr>)}</tbody></table>}
          </div>
        </div>
      </> : null}
    </Page>
  );
}
