// Users and roles (admin only): create users, change a role, limit an operator or viewer to some groups, disable or
// enable, reset a user's two-factor sign-in. Roles: viewer sees, operator also changes policies, groups and
// exceptions, admin also manages users and reads the audit log. The server refuses to demote or disable the last
// active administrator (its message is shown).
import { useState, type FormEvent } from 'react';
import { api, type Group, type Role } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { Check, ErrorNote, Field, Loading, Page, useLoad, useUser } from '../ui.tsx';

interface UserRow { id: string; username: string; role: Role; createdAt: number; disabled: boolean; totp?: boolean; groups?: string[] | null }
const ROLES: Role[] = ['viewer', 'operator', 'admin'];

export function UsersPage() {
  const { t, time } = useI18n();
  const me = useUser();
  const users = useLoad(() => api<{ users: UserRow[] }>('GET', '/api/users'), []);
  const groups = useLoad(() => api<{ groups: Group[] }>('GET', '/api/groups'), []);
  const allGroups = groups.data?.groups ?? [];
  const nameOf = (id: string) => allGroups.find((g) => g.id === id)?.name ?? id;
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<unknown>();
  const patch = async (id: string, body: { role?: Role; disabled?: boolean; groups?: string[] | null; resetTotp?: true }) => {
    setError(undefined);
    try { await api('PATCH', `/api/users/${encodeURIComponent(id)}`, body); users.reload(); } catch (e) { setError(e); }
  };
  return (
    <Page title={t('nav.users')}>
      <p>{t('usr.roles')}</p>
      <Loading what={users} />
      <ErrorNote error={error} />
      {users.data ? <table className="data" aria-label={t('nav.users')}>
        <thead><tr><th scope="col">{t('login.username')}</th><th scope="col">{t('usr.role')}</th><th scope="col">{t('usr.groups')}</th><th scope="col">{t('col.status')}</th><th scope="col">{t('usr.totp')}</th><th scope="col">{t('usr.created')}</th></tr></thead>
        <tbody>{users.data.users.map((u) => <tr key={u.id} data-user={u.username}>
          <th scope="row">{u.username}</th>
          <td><select aria-label={t('usr.roleOf', { name: u.username })} value={u.role} disabled={u.id === me.id} onChange={(e) => void patch(u.id, { role: e.target.value as Role })}>
            {ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}</select></td>
          <td data-testid="user-groups">{u.role === 'admin' || !u.groups ? t('usr.allGroups') : u.groups.map(nameOf).join(', ')}{' '}
            {u.role !== 'admin' ? <button type="button" onClick={() => setEditing(editing === u.id ? undefined : u.id)}>{t('usr.editGroups')}<span className="sr"> ({u.username})</span></button> : null}
            {editing === u.id ? <GroupPicker label={t('usr.groupsOf', { name: u.username })} groups={allGroups} initial={u.groups ?? []}
              onSave={async (ids) => { await patch(u.id, { groups: ids.length ? ids : null }); setEditing(undefined); }} /> : null}</td>
          <td>{u.disabled ? t('usr.disabled') : t('usr.active')}{' '}
            {u.id === me.id ? null : <button type="button" onClick={() => void patch(u.id, { disabled: !u.disabled })}>{u.disabled ? t('usr.enable') : t('usr.disable')}<span className="sr"> {u.username}</span></button>}</td>
          <td>{u.totp ? t('usr.totpOn') : t('usr.totpOff')}{u.totp && u.id !== me.id ? <> <button type="button" onClick={() => void patch(u.id, { resetTotp: true })}>{t('usr.resetTotp')}<span className="sr"> ({u.username})</span></button></> : null}</td>
          <td>{time(u.createdAt)}</td>
        </tr>)}</tbody>
      </table> : null}
      <NewUser groups={allGroups} onDone={users.reload} />
    </Page>
  );
}

function NewUser({ groups, onDone }: { groups: Group[]; onDone(): void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [scope, setScope] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined);
    try {
      await api('POST', '/api/users', { username, password, role, ...(role !== 'admin' && scope.length ? { groups: scope } : {}) });
      setUsername(''); setPassword(''); setScope([]); onDone();
    } catch (err) { setError(err); }
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="new-user">
      <h2 id="new-user">{t('usr.new')}</h2>
      <Field label={t('login.username')} hint={t('setup.usernameHint')}>{(p) => <input {...p} name="username" required pattern="[A-Za-z0-9._@\-]+" maxLength={64} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />}</Field>
      <Field label={t('login.password')} hint={t('setup.passwordHint')}>{(p) => <input {...p} name="password" type="password" required minLength={10} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
      <Field label={t('usr.role')}>{(p) => <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>{ROLES.map((r) => <option key={r} value={r}>{t(`role.${r}`)}</option>)}</select>}</Field>
      {role === 'admin' ? <p><small>{t('usr.adminAll')}</small></p> : <fieldset>
        <legend>{t('usr.limitTo')}</legend>
        {groups.map((g) => <Check key={g.id} label={g.name} checked={scope.includes(g.id)} onChange={(v) => setScope(v ? [...scope, g.id] : scope.filter((x) => x !== g.id))} />)}
      </fieldset>}
      <ErrorNote error={error} />
      <button type="submit">{t('usr.create')}</button>
    </form>
  );
}

/** Ticks the groups a user is limited to (none ticked: every group). */
function GroupPicker({ label, groups, initial, onSave }: { label: string; groups: Group[]; initial: string[]; onSave(ids: string[]): Promise<void> }) {
  const { t } = useI18n();
  const [ids, setIds] = useState(initial);
  return (
    <fieldset className="panel">
      <legend>{label}</legend>
      {groups.map((g) => <Check key={g.id} label={g.name} checked={ids.includes(g.id)} onChange={(v) => setIds(v ? [...ids, g.id] : ids.filter((x) => x !== g.id))} />)}
      <button type="button" onClick={() => void onSave(ids)}>{t('usr.saveGroups')}</button>
    </fieldset>
  );
}
