// Users and roles (admin only): create users, change a role, disable or enable. Roles: viewer sees, operator also
// changes policies, groups and exceptions, admin also manages users and reads the audit log.
import { useState, type FormEvent } from 'react';
import { api, type Role } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { ErrorNote, Field, Loading, Page, useLoad, useUser } from '../ui.tsx';

interface UserRow { id: string; username: string; role: Role; createdAt: number; disabled: boolean }
const ROLES: Role[] = ['viewer', 'operator', 'admin'];

export function UsersPage() {
  const { t, time } = useI18n();
  const me = useUser();
  const users = useLoad(() => api<{ users: UserRow[] }>('GET', '/api/users'), []);
  const [error, setError] = useState<unknown>();
  const patch = async (id: string, body: { role?: Role; disabled?: boolean }) => {
    setError(undefined);
    try { await api('PATCH', `/api/users/${encodeURIComponent(id)}`, body); users.reload(); } catch (e) { setError(e); }
  };
  return (
    <Page title={t('nav.users')}>
      <p>{t('usr.roles')}</p>
      <Loading what={users} />
      <ErrorNote error={error} />
      {users.data ? <table className="data" aria-label={t('nav.users')}>
        <thead><tr><th scope="col">{t('login.username')}</th><th scope="col">{t('usr.role')}</th><th scope="col">{t('col.status')}</th><th scope="col">{t('usr.created')}</th></tr></thead>
        <tbody>{users.data.users.map((u) => <tr key={u.id} data-user={u.username}>
          <th scope="row">{u.username}</th>
          <td><select aria-label={t('usr.roleOf', { name: u.username })} value={u.role} disabled={u.id === me.id} onChange={(e) => void patch(u.id, { role: e.target.value as Role })}>
            {ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}</select></td>
          <td>{u.disabled ? t('usr.disabled') : t('usr.active')}{' '}
            {u.id === me.id ? null : <button type="button" onClick={() => void patch(u.id, { disabled: !u.disabled })}>{u.disabled ? t('usr.enable') : t('usr.disable')}<span className="sr"> {u.username}</span></button>}</td>
          <td>{time(u.createdAt)}</td>
        </tr>)}</tbody>
      </table> : null}
      <NewUser onDone={users.reload} />
    </Page>
  );
}

function NewUser({ onDone }: { onDone(): void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined);
    try { await api('POST', '/api/users', { username, password, role }); setUsername(''); setPassword(''); onDone(); } catch (err) { setError(err); }
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="new-user">
      <h2 id="new-user">{t('usr.new')}</h2>
      <Field label={t('login.username')} hint={t('setup.usernameHint')}>{(p) => <input {...p} name="username" required pattern="[A-Za-z0-9._@\-]+" maxLength={64} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />}</Field>
      <Field label={t('login.password')} hint={t('setup.passwordHint')}>{(p) => <input {...p} name="password" type="password" required minLength={10} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
      <Field label={t('usr.role')}>{(p) => <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}</select>}</Field>
      <ErrorNote error={error} />
      <button type="submit">{t('usr.create')}</button>
    </form>
  );
}
