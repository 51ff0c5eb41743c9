// The signed-in user's own account: change the password (asks the current one; the server ends the user's other
// sessions) and two-factor sign-in with an authenticator app (TOTP): set up (the key shown once, as text and as an
// otpauth link), confirm with a code to switch it on, switch it off with the password and a code.
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { ErrorNote, Field, Loading, Page, useLoad } from '../ui.tsx';

const fieldError = (e: unknown, field: string) => (e instanceof ApiError && e.field === field ? e.message : undefined);

export function AccountPage() {
  const { t } = useI18n();
  return (
    <Page title={t('nav.account')}>
      <PasswordForm />
      <TwoFactor />
    </Page>
  );
}

function PasswordForm() {
  const { t } = useI18n();
  const [current, setCurrent] = useState(''); const [next, setNext] = useState(''); const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>(); const [done, setDone] = useState(false);
  const mismatch = again !== '' && again !== next;
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined); setDone(false);
    if (mismatch) return;
    try { await api('POST', '/api/me/password', { current, password: next }); setDone(true); setCurrent(''); setNext(''); setAgain(''); } catch (err) { setError(err); }
  };
  return (
    <form className="panel narrow" onSubmit={submit} aria-labelledby="pw-title">
      <h2 id="pw-title">{t('acct.password')}</h2>
      <Field label={t('acct.current')} error={fieldError(error, 'current')}>{(p) => <input {...p} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />}</Field>
      <Field label={t('acct.new')} hint={t('setup.passwordHint')} error={fieldError(error, 'password')}>{(p) => <input {...p} type="password" autoComplete="new-password" required minLength={10} value={next} onChange={(e) => setNext(e.target.value)} />}</Field>
      <Field label={t('acct.again')} error={mismatch ? t('setup.mismatch') : undefined}>{(p) => <input {...p} type="password" autoComplete="new-password" required minLength={10} value={again} onChange={(e) => setAgain(e.target.value)} />}</Field>
      {error && !fieldError(error, 'current') && !fieldError(error, 'password') ? <ErrorNote error={error} /> : null}
      <button type="submit" disabled={mismatch}>{t('acct.change')}</button>
      {done ? <p role="status" className="ok">{t('acct.changed')}</p> : null}
    </form>
  );
}

function TwoFactor() {
  const { t } = useI18n();
  const me = useLoad(() => api<{ totp: boolean }>('GET', '/api/me'), []);
  const [setup, setSetup] = useState<{ secret: string; uri: string }>();
  const [code, setCode] = useState(''); const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(); const [done, setDone] = useState<string>();
  const run = async (f: () => Promise<unknown>, ok?: string) => {
    setError(undefined); setDone(undefined);
    try { await f(); if (ok) setDone(ok); } catch (err) { setError(err); }
  };
  const on = me.data?.totp;
  return (
    <section className="panel" aria-labelledby="totp-title">
      <h2 id="totp-title">{t('acct.totp')}</h2>
      <Loading what={me} />
      {me.data ? <p data-testid="totp-state">{on ? t('acct.totpIsOn') : t('acct.totpIsOff')}</p> : null}
      {me.data && !on && !setup ? <button type="button" onClick={() => void run(async () => setSetup(await api<{ secret: string; uri: string }>('POST', '/api/me/totp/setup')))}>{t('acct.totpSetup')}</button> : null}
      {setup && !on ? <form className="narrow" onSubmit={(e) => { e.preventDefault(); void run(async () => { await api('POST', '/api/me/totp/enable', { code: code.trim() }); setSetup(undefined); setCode(''); me.reload(); }, t('acct.enabled')); }}>
        <p>{t('acct.totpKey')}: <code data-testid="totp-secret">{setup.secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
        <p>{t('acct.totpUri')}: <a href={setup.uri} data-testid="totp-uri">{setup.uri.split('?')[0]}</a></p>
        <Field label={t('acct.code')} error={fieldError(error, 'code')}>{(p) => <input {...p} inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,8}" required value={code} onChange={(e) => setCode(e.target.value)} />}</Field>
        <button type="submit">{t('acct.enable')}</button>
      </form> : null}
      {on ? <form className="narrow" onSubmit={(e) => { e.preventDefault(); void run(async () => { await api('POST', '/api/me/totp/disable', { password, code: code.trim() }); setPassword(''); setCode(''); me.reload(); }, t('acct.disabled')); }}>
        <Field label={t('login.password')} error={fieldError(error, 'password')}>{(p) => <input {...p} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
        <Field label={t('acct.code')} error={fieldError(error, 'code')}>{(p) => <input {...p} inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />}</Field>
        <button type="submit">{t('acct.disable')}</button>
      </form> : null}
      {error && !fieldError(error, 'code') && !fieldError(error, 'password') ? <ErrorNote error={error} /> : null}
      {done ? <p role="status" className="ok">{done}</p> : null}
    </section>
  );
}
