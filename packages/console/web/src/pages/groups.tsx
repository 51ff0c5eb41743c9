// Groups: list with their policy and rollout, create a group, and make enrollment tokens (shown once, with the
// certificate fingerprint and the command that enrolls an endpoint).
import { useState, type FormEvent } from 'react';
import { api, type Group } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { can, ErrorNote, Field, Link, Loading, Page, useLoad, useUser } from '../ui.tsx';
import { tt } from '../trust-messages.ts';

interface Token { id: string; token: string; groupId: string; usesLeft: number; expiresAt: number; fingerprint?: string }

export function GroupsPage() {
  const { t, lang } = useI18n();
  const user = useUser();
  const groups = useLoad(() => api<{ groups: Group[] }>('GET', '/api/groups'), []);
  return (
    <Page title={t('nav.groups')}>
      <Loading what={groups} />
      {groups.data ? <table className="data" aria-label={t('nav.groups')}>
        <thead><tr><th scope="col">{t('grp.name')}</th><th scope="col">{t('pol.policy')}</th><th scope="col">{t('pol.rollout')}</th><th scope="col">{t('nav.endpoints')}</th></tr></thead>
        <tbody>{groups.data.groups.map((g) => <tr key={g.id}><th scope="row"><Link to={`/endpoints?group=${encodeURIComponent(g.id)}`}>{g.name}</Link></th>
          <td><code>{g.policyRef}</code></td><td>{t(`rollout.${g.rollout}`)}{g.rollout === 'audit'
            ? <> <Link to={`/groups/${encodeURIComponent(g.id)}/enforce`}>{tt(lang, 'enf.open')}<span className="sr"> ({g.name})</span></Link></> : null}</td><td>{g.endpoints}</td></tr>)}</tbody>
      </table> : null}
      {can(user, 'operator') && groups.data ? <>
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
