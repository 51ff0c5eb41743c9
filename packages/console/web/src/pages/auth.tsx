// Sign-in and first-run setup. Setup takes the one-time token the console printed (from the link's #token=… or
// typed in) and creates the first administrator.
import { useState, type FormEvent } from 'react';
import { api, ApiError, type User } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { ErrorNote, Field, Page } from '../ui.tsx';

type Done = (user: User, csrf: string) => void;

function fieldError(e: unknown, field: string): string | undefined {
  return e instanceof ApiError && e.field === field ? e.message : undefined;
}

export function LoginPage({ onDone, idleMinutes }: { onDone: Done; idleMinutes?: number }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  // Shown once the server said this account signs in with a second factor (TOTP_REQUIRED).
  const [askCode, setAskCode] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true); setError(undefined);
    try {
      const r = await api<{ user: User; csrf: string }>('POST', '/api/login', { username, password, ...(askCode && code.trim() ? { code: code.trim() } : {}) });
      onDone(r.user, r.csrf);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'TOTP_REQUIRED') { setAskCode(true); setError(undefined); } else setError(err);
    } finally { setBusy(false); }
  };
  return (
    <Page title={t('login.title')}>
      {idleMinutes ? <p className="notice" role="status" data-testid="idle-notice">{t('login.idle', { n: idleMinutes })}</p> : null}
      <form className="narrow" onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <Field label={t('login.username')}>{(p) => <input {...p} name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />}</Field>
        <Field label={t('login.password')}>{(p) => <input {...p} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
        {askCode ? <Field label={t('login.code')} hint={t('login.codeHint')} error={fieldError(error, 'code')}>{(p) =>
          <input {...p} name="code" inputMode="numeric" autoComplete="one-time-code" required autoFocus value={code} onChange={(e) => setCode(e.target.value)} />}</Field> : null}
        <div id="login-error">{fieldError(error, 'code') ? null : <ErrorNote error={error} />}</div>
        <button type="submit" disabled={busy}>{t('login.submit')}</button>
      </form>
    </Page>
  );
}

export function SetupPage({ onDone }: { onDone: Done }) {
  const { t } = useI18n();
  const fromLink = /(?:^#|&)token=([^&]+)/.exec(location.hash)?.[1];
  const [token, setToken] = useState(fromLink ? decodeURIComponent(fromLink) : '');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const mismatch = again !== '' && again !== password;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (mismatch) return;
    setBusy(true); setError(undefined);
    try {
      const r = await api<{ user: User; csrf: string }>('POST', '/api/setup', { token, username, password });
      history.replaceState(null, '', '/');
      onDone(r.user, r.csrf);
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  return (
    <Page title={t('setup.title')}>
      <p>{t('setup.intro')}</p>
      <form className="narrow" onSubmit={submit}>
        <Field label={t('setup.token')} hint={t('setup.tokenHint')} error={fieldError(error, 'token')}>{(p) =>
          <input {...p} name="token" required autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />}</Field>
        <Field label={t('login.username')} hint={t('setup.usernameHint')} error={fieldError(error, 'username')}>{(p) =>
          <input {...p} name="username" autoComplete="username" required pattern="[A-Za-z0-9._@\-]+" maxLength={64} value={username} onChange={(e) => setUsername(e.target.value)} />}</Field>
        <Field label={t('login.password')} hint={t('setup.passwordHint')} error={fieldError(error, 'password')}>{(p) =>
          <input {...p} name="password" type="password" autoComplete="new-password" required minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
        <Field label={t('setup.again')} error={mismatch ? t('setup.mismatch') : undefined}>{(p) =>
          <input {...p} name="password2" type="password" autoComplete="new-password" required minLength={10} value={again} onChange={(e) => setAgain(e.target.value)} />}</Field>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy || mismatch}>{t('setup.submit')}</button>
      </form>
    </Page>
  );
}
