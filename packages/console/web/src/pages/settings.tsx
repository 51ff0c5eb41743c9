// Console settings (admin only): alerts on real blocks and new incidents — which events, how many per minute, the
// language, and the channels: webhook (JSON, optionally signed with HMAC-SHA256), syslog (RFC 5424 over TCP or TLS) and
// e-mail (SMTP with STARTTLS, TLS or none). Secrets are never shown back: left empty they are kept. A test alert goes
// to every channel switched on, with each channel's result; counters show what was sent, failed or held back.
// TLS: prepare the next certificate, see how many endpoints pinned it, switch (confirmed). Maintenance: run the retention sweep now; start a new policy epoch after a database restore (confirmed first).
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { Check, Confirm, ErrorNote, Field, Loading, Page, useLoad } from '../ui.tsx';

interface Webhook { url: string; secret?: string; secretSet?: boolean }
interface Syslog { host: string; port: number; transport: 'tcp' | 'tls' }
interface Email { host: string; port: number; security: 'none' | 'starttls' | 'tls'; from: string; to: string[]; username?: string; password?: string; passwordSet?: boolean }
interface Alerts { onBlock: boolean; onIncident: boolean; perMinute: number; lang: 'ja' | 'en'; webhook?: Webhook; syslog?: Syslog; email?: Email }
interface Status { channel: string; configured: boolean; sent: number; failed: number; suppressed: number; lastError: string | null }

export function SettingsPage() {
  const { t } = useI18n();
  const data = useLoad(() => api<{ config: Alerts; status: Status[] }>('GET', '/api/settings/alerts'), []);
  return (
    <Page title={t('nav.settings')}>
      <h2>{t('set.alerts')}</h2>
      <p>{t('set.alertsIntro')}</p>
      <Loading what={data} />
      {data.data ? <AlertsForm initial={data.data.config} status={data.data.status} onSaved={data.reload} /> : null}
      <TlsRotation />
      <Maintenance />
    </Page>
  );
}

function AlertsForm({ initial, status, onSaved }: { initial: Alerts; status: Status[]; onSaved(): void }) {
  const { t } = useI18n();
  const [c, setC] = useState(initial);
  useEffect(() => setC(initial), [initial]);
  const [useWebhook, setUseWebhook] = useState(!!initial.webhook);
  const [useSyslog, setUseSyslog] = useState(!!initial.syslog);
  const [useEmail, setUseEmail] = useState(!!initial.email);
  const [wh, setWh] = useState<Webhook>(initial.webhook ?? { url: '' });
  const [whSecret, setWhSecret] = useState('');
  const [sl, setSl] = useState<Syslog>(initial.syslog ?? { host: '', port: 6514, transport: 'tls' });
  const [em, setEm] = useState<Email>(initial.email ?? { host: '', port: 587, security: 'starttls', from: '', to: [] });
  const [emTo, setEmTo] = useState((initial.email?.to ?? []).join(', '));
  const [emPassword, setEmPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const [results, setResults] = useState<{ channel: string; ok: boolean; error?: string }[]>();
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined); setSaved(false); setResults(undefined);
    const body: Alerts = { onBlock: c.onBlock, onIncident: c.onIncident, perMinute: Number(c.perMinute), lang: c.lang };
    if (useWebhook) body.webhook = { url: wh.url, ...(whSecret ? { secret: whSecret } : {}) };
    if (useSyslog) body.syslog = { host: sl.host, port: Number(sl.port), transport: sl.transport };
    if (useEmail) {
      body.email = { host: em.host, port: Number(em.port), security: em.security, from: em.from, to: emTo.split(',').map((x) => x.trim()).filter(Boolean),
        ...(em.username ? { username: em.username } : {}), ...(emPassword ? { password: emPassword } : {}) };
    }
    try { await api('PUT', '/api/settings/alerts', body); setSaved(true); setWhSecret(''); setEmPassword(''); onSaved(); } catch (err) { setError(err); }
  };
  const test = async () => {
    setError(undefined); setResults(undefined);
    try { setResults((await api<{ results: { channel: string; ok: boolean; error?: string }[] }>('POST', '/api/settings/alerts/test')).results); } catch (err) { setError(err); }
  };
  const label = (ch: string) => (ch === 'webhook' ? t('set.webhook') : ch === 'syslog' ? t('set.syslog') : t('set.email'));
  return (
    <form onSubmit={submit} aria-label={t('set.alerts')}>
      <div className="panel">
        <Check label={t('set.onBlock')} checked={c.onBlock} onChange={(v) => setC({ ...c, onBlock: v })} />
        <Check label={t('set.onIncident')} checked={c.onIncident} onChange={(v) => setC({ ...c, onIncident: v })} />
        <div className="fields">
          <Field label={t('set.perMinute')}>{(p) => <input {...p} type="number" min="1" max="600" required value={c.perMinute} onChange={(e) => setC({ ...c, perMinute: Number(e.target.value) })} />}</Field>
          <Field label={t('set.lang')}>{(p) => <select {...p} value={c.lang} onChange={(e) => setC({ ...c, lang: e.target.value as 'ja' | 'en' })}><option value="ja">日本語</option><option value="en">English</option></select>}</Field>
        </div>
      </div>
      <fieldset className="panel">
        <legend>{t('set.webhook')}</legend>
        <Check label={t('set.use')} name="use-webhook" checked={useWebhook} onChange={setUseWebhook} />
        {useWebhook ? <div className="fields">
          <Field label={t('set.url')}>{(p) => <input {...p} name="webhook-url" type="url" required pattern="https?://.+" value={wh.url} onChange={(e) => setWh({ ...wh, url: e.target.value })} />}</Field>
          <Field label={t('set.secret')} {...(initial.webhook?.secretSet ? { hint: t('set.secretKept') } : {})}>{(p) => <input {...p} type="password" autoComplete="off" value={whSecret} onChange={(e) => setWhSecret(e.target.value)} />}</Field>
        </div> : null}
      </fieldset>
      <fieldset className="panel">
        <legend>{t('set.syslog')}</legend>
        <Check label={t('set.use')} name="use-syslog" checked={useSyslog} onChange={setUseSyslog} />
        {useSyslog ? <div className="fields">
          <Field label={t('set.host')}>{(p) => <input {...p} name="syslog-host" required value={sl.host} onChange={(e) => setSl({ ...sl, host: e.target.value })} />}</Field>
          <Field label={t('set.port')}>{(p) => <input {...p} name="syslog-port" type="number" min="1" max="65535" required value={sl.port} onChange={(e) => setSl({ ...sl, port: Number(e.target.value) })} />}</Field>
          <Field label={t('set.transport')}>{(p) => <select {...p} value={sl.transport} onChange={(e) => setSl({ ...sl, transport: e.target.value as 'tcp' | 'tls' })}><option value="tls">{t('set.tls')}</option><option value="tcp">{t('set.tcp')}</option></select>}</Field>
        </div> : null}
      </fieldset>
      <fieldset className="panel">
        <legend>{t('set.email')}</legend>
        <Check label={t('set.use')} name="use-email" checked={useEmail} onChange={setUseEmail} />
        {useEmail ? <div className="fields">
          <Field label={t('set.host')}>{(p) => <input {...p} name="smtp-host" required value={em.host} onChange={(e) => setEm({ ...em, host: e.target.value })} />}</Field>
          <Field label={t('set.port')}>{(p) => <input {...p} name="smtp-port" type="number" min="1" max="65535" required value={em.port} onChange={(e) => setEm({ ...em, port: Number(e.target.value) })} />}</Field>
          <Field label={t('set.security')}>{(p) => <select {...p} value={em.security} onChange={(e) => setEm({ ...em, security: e.target.value as Email['security'] })}>
            <option value="starttls">{t('set.starttls')}</option><option value="tls">{t('set.implicitTls')}</option><option value="none">{t('set.none')}</option></select>}</Field>
          <Field label={t('set.from')}>{(p) => <input {...p} name="smtp-from" type="email" required value={em.from} onChange={(e) => setEm({ ...em, from: e.target.value })} />}</Field>
          <Field label={t('set.to')}>{(p) => <input {...p} name="smtp-to" required value={emTo} onChange={(e) => setEmTo(e.target.value)} />}</Field>
          <Field label={t('set.smtpUser')}>{(p) => <input {...p} autoComplete="off" value={em.username ?? ''} onChange={(e) => setEm({ ...em, username: e.target.value })} />}</Field>
          <Field label={t('set.smtpPassword')} {...(initial.email?.passwordSet ? { hint: t('set.passwordKept') } : {})}>{(p) => <input {...p} type="password" autoComplete="off" value={emPassword} onChange={(e) => setEmPassword(e.target.value)} />}</Field>
        </div> : null}
      </fieldset>
      <ErrorNote error={error} />
      <div className="buttons">
        <button type="submit">{t('set.save')}</button>
        <button type="button" onClick={() => void test()}>{t('set.test')}</button>
        {saved ? <span role="status" className="ok">{t('set.saved')}</span> : null}
      </div>
      {results ? <ul role="status" data-testid="alert-test">{results.length === 0 ? <li>{t('set.noChannel')}</li> : results.map((r) =>
        <li key={r.channel} className={r.ok ? 'ok' : 'error'}>{r.ok ? t('set.testOk', { channel: label(r.channel) }) : t('set.testFailed', { channel: label(r.channel), error: r.error ?? '' })}</li>)}</ul> : null}
      <ul className="plain" aria-label={t('set.alerts')}>{status.filter((s) => s.configured).map((s) => <li key={s.channel}>{label(s.channel)}: {t('set.status', { sent: s.sent, failed: s.failed, dropped: s.suppressed })}{s.lastError ? <> — <span className="error">{s.lastError}</span></> : null}</li>)}</ul>
    </form>
  );
}

function Maintenance() {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const [asking, setAsking] = useState(false);
  const run = async (f: () => Promise<string>) => { setError(undefined); setDone(undefined); try { setDone(await f()); } catch (e) { setError(e); } };
  return (
    <section aria-labelledby="maintenance">
      <h2 id="maintenance">{t('set.maintenance')}</h2>
      <p>{t('set.retentionIntro')}</p>
      <div className="buttons">
        <button type="button" onClick={() => void run(async () => t('set.retentionDone', await api<{ events: number; quarantined: number }>('POST', '/api/settings/retention/run')))}>{t('set.retentionRun')}</button>
      </div>
      <p>{t('set.epochIntro')}</p>
      <div className="buttons"><button type="button" onClick={() => setAsking(true)}>{t('set.epoch')}</button></div>
      {asking ? <Confirm title={t('set.epochConfirm')} yes={t('set.epochYes')} onNo={() => setAsking(false)}
        onYes={() => void run(async () => { const r = await api<{ epoch: number }>('POST', '/api/settings/epoch'); setAsking(false); return t('set.epochDone', { epoch: r.epoch }); })}>
        <p>{t('set.epochText')}</p>
      </Confirm> : null}
      <ErrorNote error={error} />
      {done ? <p role="status" className="ok" data-testid="maintenance-done">{done}</p> : null}
    </section>
  );
}

interface TlsState { current: string | null; stored: boolean; next: { fingerprint: string; announcedAt: number; canActivate: boolean } | null; endpoints: number; endpointsWithNext: number }

function TlsRotation() {
  const { t } = useI18n();
  const st = useLoad(() => api<TlsState>('GET', '/api/settings/tls'), []);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const [asking, setAsking] = useState(false);
  const run = async (f: () => Promise<string>) => { setError(undefined); setDone(undefined); try { setDone(await f()); st.reload(); } catch (e) { setError(e); } };
  const d = st.data;
  return (
    <section aria-labelledby="tls-title">
      <h2 id="tls-title">{t('tls.title')}</h2>
      <Loading what={st} />
      {d && !d.current ? <p>{t('tls.none')}</p> : null}
      {d?.current ? <>
        <p>{t('tls.intro')}</p>
        <dl className="facts">
          <dt>{t('tls.current')}</dt><dd><code className="detail" data-testid="tls-current">{d.current}</code></dd>
          <dt>{t('tls.next')}</dt><dd>{d.next ? <><code className="detail" data-testid="tls-next">{d.next.fingerprint}</code> — {t('tls.pinned', { n: d.endpointsWithNext, total: d.endpoints })}</> : t('tls.noNext')}</dd>
        </dl>
        <div className="buttons">
          <button type="button" onClick={() => void run(async () => t('tls.prepared', { fp: (await api<{ fingerprint: string }>('POST', '/api/settings/tls/next', { generate: true })).fingerprint }))}>{t('tls.prepare')}</button>
          {d.next?.canActivate ? <button type="button" onClick={() => setAsking(true)}>{t('tls.activate')}</button> : null}
        </div>
        {asking && d.next ? <Confirm title={t('tls.confirm')} yes={t('tls.yes')} onNo={() => setAsking(false)}
          onYes={() => void run(async () => { const r = await api<{ fingerprint: string }>('POST', '/api/settings/tls/activate'); setAsking(false); return t('tls.switched', { fp: r.fingerprint }); })}>
          <p>{t('tls.confirmText', { n: d.endpoints - d.endpointsWithNext })}</p>
        </Confirm> : null}
      </> : null}
      <ErrorNote error={error} />
      {done ? <p role="status" className="ok" data-testid="tls-done">{done}</p> : null}
    </section>
  );
}
