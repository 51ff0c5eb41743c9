// Groups: list with their policy and rollout (the audit → enforce switch with its confirmation, and "apply now"),
// event retention and upload quota per group, create a group, and make enrollment tokens (shown once, with the
// certificate fingerprint and the command that enrolls an endpoint).
import { useState, type FormEvent } from 'react';
import { api, type Group } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { can, ErrorNote, Field, Link, Loading, Page, useLoad, useUser } from '../ui.tsx';
import { tt } from '../trust-messages.ts';
import { RolloutSwitch } from './rollout.tsx';

interface Token { id: string; token: string; groupId: string; usesLeft: number; expiresAt: number; fingerprint?: string }

export function GroupsPage() {
  const { t, lang } = useI18n();
  const user = useUser();
  const groups = useLoad(() => api<{ groups: Group[] }>('GET', '/api/groups'), []);
  return (
    <Page title={t('nav.groups')}>
      <Loading what={groups} />
      {groups.data ? <table className="data" aria-label={t('nav.groups')}>
        <thead><tr><th scope="col">{t('grp.name')}</th><th scope="col">{t('pol.policy')}</th><th scope="col">{t('pol.rollout')}</th><th scope="col">{t('nav.endpoints')}</th>
          <th scope="col">{t('grp.retention')}</th><th scope="col">{t('grp.quota')}</th></tr></thead>
        <tbody>{groups.data.groups.map((g) => <tr key={g.id} data-group={g.name}><th scope="row"><Link to={`/endpoints?group=${encodeURIComponent(g.id)}`}>{g.name}</Link></th>
          <td><code>{g.policyRef}</code></td>
          <td><span data-testid="rollout">{t(`rollout.${g.rollout}`)}</span>{g.rollout === 'audit'
            ? <> <Link to={`/groups/${encodeURIComponent(g.id)}/enforce`}>{tt(lang, 'enf.open')}<span className="sr"> ({g.name})</span></Link></> : null}{can(user, 'operator') ? <RolloutSwitch g={g} onChanged={groups.reload} /> : null}</td>
          <td>{g.endpoints}</td><td>{g.effectiveRetentionDays ?? '—'}</td><td>{g.effectiveUploadPerHour ?? '—'}</td></tr>)}</tbody>
      </table> : null}
      {can(user, 'operator') && groups.data ? <>
        <Limits groups={groups.data.groups} onDone={groups.reload} />
        <NewGroup onDone={groups.reload} />
        <NewToken groups={groups.data.groups} />
      </> : null}
    </Page>
  );
}

function NewGroup({ onDone }: { onDone(): void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined);
    try { await api('POST', '/api/groups', { name }); setName(''); onDone(); } catch (err) { setError(err); }
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="new-group">
      <h2 id="new-group">{t('grp.new')}</h2>
      <Field label={t('grp.name')} hint={t('grp.newHint')}>{(p) => <input {...p} name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <ErrorNote error={error} />
      <button type="submit">{t('grp.create')}</button>
    </form>
  );
}

function NewToken({ groups }: { groups: Group[] }) {
  const { t, time } = useI18n();
  const [group, setGroup] = useState(groups[0]?.id ?? '');
  const [uses, setUses] = useState('1');
  const [hours, setHours] = useState('24');
  const [error, setError] = useState<unknown>();
  const [made, setMade] = useState<Token>();
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined);
    try { setMade(await api<Token>('POST', `/api/groups/${encodeURIComponent(group)}/tokens`, { uses: Number(uses), hours: Number(hours) })); } catch (err) { setError(err); }
  };
  const cmd = made ? `omamori agent enroll --console ${location.origin} --token=${made.token}${made.fingerprint ? ` --fingerprint ${made.fingerprint}` : ''}` : '';
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="new-token">
      <h2 id="new-token">{t('grp.token')}</h2>
      <Field label={t('col.group')}>{(p) => <select {...p} value={group} onChange={(e) => setGroup(e.target.value)}>{groups.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}</select>}</Field>
      <Field label={t('grp.uses')}>{(p) => <input {...p} type="number" min="1" max="100000" required value={uses} onChange={(e) => setUses(e.target.value)} />}</Field>
      <Field label={t('exc.hours')}>{(p) => <input {...p} type="number" min="0.1" max="720" step="any" required value={hours} onChange={(e) => setHours(e.target.value)} />}</Field>
      <ErrorNote error={error} />
      <button type="submit">{t('grp.makeToken')}</button>
      {made ? <div role="status">
        <p>{t('grp.tokenOnce', { time: time(made.expiresAt) })}</p>
        <pre className="copy" data-testid="enroll-command">{cmd}</pre>
      </div> : null}
    </form>
  );
}

/** Event retention (days) and upload quota (events per endpoint per hour) of one group; empty = the console default. */
function Limits({ groups, onDone }: { groups: Group[]; onDone(): void }) {
  const { t } = useI18n();
  const [id, setId] = useState(groups[0]?.id ?? '');
  const g = groups.find((x) => x.id === id);
  const [days, setDays] = useState<string>();
  const [quota, setQuota] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const daysV = days ?? (g?.retentionDays ? String(g.retentionDays) : '');
  const quotaV = quota ?? (g?.uploadPerHour ? String(g.uploadPerHour) : '');
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined); setSaved(false);
    try {
      await api('PATCH', `/api/groups/${encodeURIComponent(id)}`, { retentionDays: daysV ? Number(daysV) : null, uploadPerHour: quotaV ? Number(quotaV) : null });
      setSaved(true); setDays(undefined); setQuota(undefined); onDone();
    } catch (err) { setError(err); }
  };
  const defaultOf = (eff: number | undefined, own: number | null | undefined) => (own == null && eff !== undefined ? eff : undefined);
  const dDays = defaultOf(g?.effectiveRetentionDays, g?.retentionDays); const dQuota = defaultOf(g?.effectiveUploadPerHour, g?.uploadPerHour);
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="limits">
      <h2 id="limits">{t('grp.limits')}</h2>
      <div className="fields">
        <Field label={t('col.group')}>{(p) => <select {...p} value={id} onChange={(e) => { setId(e.target.value); setDays(undefined); setQuota(undefined); setSaved(false); }}>
          {groups.map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}</select>}</Field>
        <Field label={t('grp.retention')} {...(dDays !== undefined ? { hint: t('grp.defaultValue', { n: dDays }) } : {})}>{(p) =>
          <input {...p} name="retentionDays" type="number" min="1" max="3650" step="1" value={daysV} onChange={(e) => setDays(e.target.value)} />}</Field>
        <Field label={t('grp.quota')} {...(dQuota !== undefined ? { hint: t('grp.defaultValue', { n: dQuota }) } : {})}>{(p) =>
          <input {...p} name="uploadPerHour" type="number" min="1" max="10000000" step="1" value={quotaV} onChange={(e) => setQuota(e.target.value)} />}</Field>
      </div>
      <ErrorNote error={error} />
      <button type="submit">{t('grp.saveLimits')}</button>
      {saved ? <span role="status" className="ok"> {t('saved')}</span> : null}
    </form>
  );
}
