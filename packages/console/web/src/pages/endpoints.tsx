// Endpoints: list with status, policy version, last seen and group (filter by status, group, name), and one
// endpoint's detail (issued policy, what the agent reports of its machine, active exceptions, event counts, refused
// events) with its management: rotate the agent key, revoke, delete with its events (each confirmed first).
import { useState } from 'react';
import { api, withQuery, type Endpoint, type EndpointDetail, type Group, type HostFacts } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { navigate, useLocation } from '../router.ts';
import { AgentState, can, Confirm, ErrorNote, Field, Link, Loading, ModeText, Page, StatusBadge, useLoad, useUser } from '../ui.tsx';
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
              <td><StatusBadge online={e.online} protectedNow={e.protected} /> <small><AgentState state={e.state} /></small></td>
              <td><ModeText mode={e.mode} /></td>
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
  const user = useUser();
  const d = useLoad(() => api<EndpointDetail>('GET', `/api/endpoints/${encodeURIComponent(id)}`), [id]);
  const e = d.data;
  const rollout = e?.rollout === 'audit' || e?.rollout === 'enforce' ? t(`rollout.${e.rollout}`) : '—';
  return (
    <Page title={e ? e.hostname : t('nav.endpoints')} actions={<div className="buttons"><OpenIncidentLink endpoint={id} /><button type="button" onClick={d.reload}>{t('refresh')}</button></div>}>
      <Loading what={d} />
      {e ? <>
        <dl className="facts">
          <dt>{t('col.status')}</dt><dd><StatusBadge online={e.online} protectedNow={e.protected} /> <AgentState state={e.state} /></dd>
          <dt>{t('col.group')}</dt><dd>{e.group} — {t('ep.policyOf', { policy: e.policyRef ?? '—', rollout })}</dd>
          <dt>{t('col.policyVersion')}</dt><dd><PolicyVersion e={e} /></dd>
          <dt>{t('ep.issued')}</dt><dd>{e.issuedPolicy ? <>v{e.issuedPolicy.version} — <IssuedSource source={e.issuedPolicy.source} group={e.group} /> — {time(e.issuedPolicy.issuedAt)}</> : '—'}</dd>
          <dt>{t('col.mode')}</dt><dd><ModeText mode={e.mode} /></dd>
          <dt>{t('col.lastSeen')}</dt><dd>{time(e.lastSeen)}</dd>
          <dt>{t('ep.enrolled')}</dt><dd>{time(e.enrolledAt)}</dd>
          <dt>{t('ep.agent')}</dt><dd>{e.platform} {e.agentVersion}; {t('ep.spooled', { n: e.spooled })}</dd>
          <dt>{t('nav.events')}</dt><dd>
            <Link to={withQuery('/events', { endpoint: e.id })}>{t('ep.counts', { deny: e.eventCounts.deny ?? 0, audit: e.eventCounts['audit-deny'] ?? 0, allow: e.eventCounts.allow ?? 0 })}</Link>
            {e.quarantined ? <> — <Link to={withQuery('/quarantine', { endpoint: e.id })}>{t('ep.quarantined', { n: e.quarantined })}</Link></> : null}
          </dd>
        </dl>
        <h2 id="machine">{t('ep.machine')}</h2>
        <Machine host={e.host ?? null} />
        <h2>{t('nav.exceptions')}</h2>
        {e.exceptions.length === 0 ? <p>{t('none')}</p> :
          <ul>{e.exceptions.map((x) => <li key={x.id}><code>{x.path ?? x.sha256}</code> — {t('exc.until', { time: time(x.expiresAt) })} — {x.note}</li>)}</ul>}
        {e.state === 'revoked' ? <p role="status" className="notice">{t('ep.revoked')}</p>
          : can(user, 'operator') ? <Manage e={e} onDone={d.reload} /> : null}
      </> : null}
    </Page>
  );
}

/** `preset:office group:ID rollout:enforce` in words: the policy (as code), the group by name, the rollout translated. */
function IssuedSource({ source, group }: { source: string; group: string }) {
  const { t } = useI18n();
  const parts = source.split(' ');
  const rollout = parts.find((p) => p.startsWith('rollout:'))?.slice(8);
  const rest = parts.filter((p) => !p.startsWith('group:') && !p.startsWith('rollout:'));
  return <><code>{rest.join(' ')}</code>{parts.some((p) => p.startsWith('group:')) ? `, ${t('col.group')} ${group}` : ''}
    {rollout === 'audit' || rollout === 'enforce' ? `, ${t(`rollout.${rollout}`)}` : rollout ? <>, <code>{rollout}</code></> : null}</>;
}

function uptime(s: number): { d: number; h: number; m: number } {
  return { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600), m: Math.floor((s % 3600) / 60) };
}

/** What the agent reported of its machine (OS, kernel, addresses, logged-in users, uptime). */
function Machine({ host }: { host: HostFacts | null }) {
  const { t } = useI18n();
  if (!host) return <p>{t('ep.noFacts')}</p>;
  return (
    <dl className="facts" aria-labelledby="machine" data-testid="host-facts">
      <dt>{t('ep.os')}</dt><dd>{host.os ?? '—'}{host.arch ? ` (${host.arch})` : ''}</dd>
      <dt>{t('ep.kernel')}</dt><dd>{host.kernel ?? '—'}</dd>
      <dt>{t('ep.addresses')}</dt><dd>{host.addresses?.length ? host.addresses.map((a) => <code key={a}>{a} </code>) : '—'}</dd>
      <dt>{t('ep.users')}</dt><dd>{host.users?.length ? host.users.join(', ') : '—'}</dd>
      <dt>{t('ep.uptime')}</dt><dd>{host.uptimeSeconds !== undefined ? t('ep.uptimeValue', uptime(host.uptimeSeconds)) : '—'}</dd>
    </dl>
  );
}

function Manage({ e, onDone }: { e: EndpointDetail; onDone(): void }) {
  const { t } = useI18n();
  const [ask, setAsk] = useState<'revoke' | 'delete'>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (what: 'rotate' | 'revoke' | 'delete') => {
    setError(undefined); setBusy(true);
    try {
      if (what === 'rotate') { await api('POST', `/api/endpoints/${encodeURIComponent(e.id)}/rotate-key`); onDone(); }
      else {
        await api('DELETE', withQuery(`/api/endpoints/${encodeURIComponent(e.id)}`, { purge: what === 'delete' ? 'true' : undefined }));
        setAsk(undefined);
        if (what === 'delete') { setDone(t('ep.deleted')); navigate('/endpoints'); return; }
        setDone(t('ep.revoked')); onDone();
      }
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return (
    <section className="panel" aria-labelledby="manage">
      <h2 id="manage">{t('ep.manage')}</h2>
      <div className="buttons">
        <button type="button" disabled={busy || e.keyRotationPending} onClick={() => void run('rotate')}>{t('ep.rotateKey')}</button>
        <button type="button" onClick={() => setAsk('revoke')}>{t('ep.revoke')}</button>
        <button type="button" onClick={() => setAsk('delete')}>{t('ep.delete')}</button>
      </div>
      {e.keyRotationPending ? <p role="status" data-testid="rotate-pending">{t('ep.rotatePending')}</p> : null}
      {ask ? <Confirm title={ask === 'revoke' ? t('ep.revoke') : t('ep.delete')} yes={t('ep.confirm')} busy={busy}
        onYes={() => void run(ask)} onNo={() => setAsk(undefined)}>
        <p>{ask === 'revoke' ? t('ep.confirmRevoke', { host: e.hostname }) : t('ep.confirmDelete', { host: e.hostname })}</p>
      </Confirm> : null}
      <ErrorNote error={error} />
      {done ? <p role="status" className="ok">{done}</p> : null}
    </section>
  );
}
