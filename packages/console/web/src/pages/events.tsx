// Events: filter by endpoint, rule, app, verdict and time; each event shows its reason in plain words and its
// lineage as a tree; an operator can allow the app on that endpoint for N hours in one step.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, withQuery, type Endpoint, type EventRow, type ExceptionRow } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { reasonText } from '../reasons.ts';
import { navigate, useLocation } from '../router.ts';
import { can, ErrorNote, Field, Link, Loading, Page, useLoad, useUser, VerdictBadge } from '../ui.tsx';
import { OpenIncidentLink } from './incidents.tsx';
import { tt } from '../trust-messages.ts';

const KEYS = ['endpoint', 'rule', 'app', 'verdict', 'from', 'to'] as const;

function toLocalInput(ms: string | null): string {
  if (!ms) return '';
  const d = new Date(Number(ms));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function EventsPage() {
  const { t, lang, time } = useI18n();
  const loc = useLocation();
  const q = Object.fromEntries(KEYS.map((k) => [k, loc.search.get(k) ?? ''])) as Record<(typeof KEYS)[number], string>;
  const [pages, setPages] = useState<number[]>([]);
  const [selected, setSelected] = useState<number>();
  const endpoints = useLoad(() => api<{ endpoints: Endpoint[] }>('GET', '/api/endpoints'), []);
  const before = pages[pages.length - 1];
  const list = useLoad(() => api<{ events: EventRow[]; next: number | null }>('GET', withQuery('/api/events', { ...q, before, limit: 50 })),
    [loc.search.toString(), before]);
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const out = new URLSearchParams();
    for (const k of KEYS) {
      let v = String(f.get(k) ?? '').trim();
      if ((k === 'from' || k === 'to') && v) v = String(new Date(v).getTime());
      if (v) out.set(k, v);
    }
    setPages([]); setSelected(undefined);
    navigate(`/events${out.toString() ? `?${out}` : ''}`);
  };
  const current = list.data?.events.find((e) => e.id === selected);
  return (
    <Page title={t('nav.events')} actions={<button type="button" onClick={list.reload}>{t('refresh')}</button>}>
      <form className="filters" role="search" aria-label={t('ev.filters')} onSubmit={apply} key={loc.search.toString()}>
        <Field label={t('col.endpoint')}>{(p) => <select {...p} name="endpoint" defaultValue={q.endpoint}>
          <option value="">{t('all')}</option>{endpoints.data?.endpoints.map((e) => <option key={e.id} value={e.id}>{e.hostname}</option>)}</select>}</Field>
        <Field label={t('col.rule')}>{(p) => <input {...p} name="rule" defaultValue={q.rule} />}</Field>
        <Field label={t('col.app')}>{(p) => <input {...p} name="app" defaultValue={q.app} />}</Field>
        <Field label={t('col.verdict')}>{(p) => <select {...p} name="verdict" defaultValue={q.verdict}>
          <option value="">{t('all')}</option><option value="deny">{t('verdict.deny')}</option>
          <option value="audit-deny">{t('verdict.auditDeny')}</option><option value="allow">{t('verdict.allow')}</option></select>}</Field>
        <Field label={t('ev.from')}>{(p) => <input {...p} name="from" type="datetime-local" defaultValue={toLocalInput(q.from || null)} />}</Field>
        <Field label={t('ev.to')}>{(p) => <input {...p} name="to" type="datetime-local" defaultValue={toLocalInput(q.to || null)} />}</Field>
        <div className="buttons"><button type="submit">{t('ev.apply')}</button>
          <button type="button" onClick={() => { setPages([]); navigate('/events'); }}>{t('ev.clear')}</button></div>
      </form>
      <Loading what={list} />
      {list.data ? list.data.events.length === 0 ? <p>{t('ev.none')}</p> : <>
        <table className="data" aria-label={t('nav.events')}>
          <thead><tr>
            <th scope="col">{t('col.time')}</th><th scope="col">{t('col.endpoint')}</th><th scope="col">{t('col.verdict')}</th>
            <th scope="col">{t('col.app')}</th><th scope="col">{t('col.rule')}</th><th scope="col">{t('col.reason')}</th><th scope="col"><span className="sr">{t('ev.details')}</span></th>
          </tr></thead>
          <tbody>{list.data.events.map((e) => (
            <tr key={e.id} data-event={e.id} className={e.id === selected ? 'selected' : undefined}>
              <td>{time(e.time)}</td><td>{e.hostname ?? e.endpointId}</td><td><VerdictBadge verdict={e.verdict} /></td>
              <td>{e.app}</td><td><code>{e.rule}</code></td><td>{reasonText(e.reason, lang)}</td>
              <td><button type="button" aria-expanded={e.id === selected} aria-controls="event-detail"
                onClick={() => setSelected(e.id === selected ? undefined : e.id)}>{t('ev.details')}<span className="sr"> #{e.id}</span></button></td>
            </tr>))}</tbody>
        </table>
        <div className="buttons">
          {pages.length ? <button type="button" onClick={() => setPages(pages.slice(0, -1))}>{t('ev.newer')}</button> : null}
          {list.data.next ? <button type="button" onClick={() => setPages([...pages, list.data!.next!])}>{t('ev.older')}</button> : null}
        </div>
      </> : null}
      {current ? <EventDetail e={current} /> : null}
    </Page>
  );
}

export function Lineage({ e }: { e: EventRow }) {
  const { t } = useI18n();
  const steps = e.lineage.map((l) => ({ label: l.image, pid: l.pid, guarded: l.guarded }));
  const lastImage = e.lineage[e.lineage.length - 1]?.image;
  const object = e.kind === 'process.start' && lastImage === e.object ? undefined : e.object;
  const render = (i: number): ReactNode => {
    if (i === steps.length) {
      return object ? <ul><li className="leaf blocked"><span className="node"><code>{object}</code> <small>({e.kind})</small></span></li></ul> : null;
    }
    const s = steps[i]!;
    const isSubject = i === steps.length - 1;
    return (
      <ul><li className={isSubject && !object ? 'leaf blocked' : undefined}>
        <span className="node"><code>{s.label}</code> <small>pid {s.pid}</small>{s.guarded ? <> <span className="badge guarded">{t('ev.guardedAs', { app: s.guarded })}</span></> : null}</span>
        {render(i + 1)}
      </li></ul>
    );
  };
  return <div className="lineage" role="group" aria-label={t('ev.lineage')}>{steps.length || object ? render(0) : <p>{t('none')}</p>}</div>;
}

function EventDetail({ e }: { e: EventRow }) {
  const { t, lang, time } = useI18n();
  const user = useUser();
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => { ref.current?.focus(); }, [e.id]);
  return (
    <section id="event-detail" className="panel" aria-labelledby="event-detail-title">
      <h2 id="event-detail-title" tabIndex={-1} ref={ref}>{t('ev.detailTitle', { id: e.id })}</h2>
      <p className="reason" data-testid="event-reason"><VerdictBadge verdict={e.verdict} /> {reasonText(e.reason, lang)}</p>
      <p><OpenIncidentLink event={e.id} /></p>
      <dl className="facts">
        <dt>{t('col.time')}</dt><dd>{time(e.time)}</dd>
        <dt>{t('col.endpoint')}</dt><dd><Link to={`/endpoints/${encodeURIComponent(e.endpointId)}`}>{e.hostname ?? e.endpointId}</Link></dd>
        <dt>{t('ev.object')}</dt><dd><code>{e.object}</code></dd>
        <dt>{t('col.rule')}</dt><dd><code>{e.rule}</code> ({e.reason})</dd>
        <dt>{t('ev.policy')}</dt><dd>{e.policyVersion}</dd>
        {e.guarded ? <><dt>{t('ev.guarded')}</dt><dd>{e.guarded}</dd></> : null}
      </dl>
      <h3>{t('ev.lineage')}</h3>
      <Lineage e={e} />
      {e.verdict !== 'allow' ? <p><Link to={`/events/${e.id}/trust`}>{tt(lang, 'trust.open')}</Link></p> : null}
      {e.verdict !== 'allow' && can(user, 'operator') ? <ExceptionForm e={e} /> : null}
    </section>
  );
}

function ExceptionForm({ e }: { e: EventRow }) {
  const { t, time } = useI18n();
  const [hours, setHours] = useState('24');
  const [note, setNote] = useState('');
  const hasSha = typeof e.detail?.sha256 === 'string';
  const [matchBy, setMatchBy] = useState<'path' | 'sha256'>('path');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<ExceptionRow>();
  const submit = async (ev: FormEvent) => {
    ev.preventDefault(); setError(undefined);
    try {
      setDone(await api<ExceptionRow>('POST', `/api/events/${e.id}/exception`, { hours: Number(hours), match: matchBy, note }));
    } catch (err) { setError(err); }
  };
  return (
    <form className="exception" onSubmit={submit} aria-labelledby="exc-title">
      <h3 id="exc-title">{t('exc.fromEvent')}</h3>
      <Field label={t('exc.hours')}>{(p) => <input {...p} name="hours" type="number" min="0.1" max="720" step="any" required value={hours} onChange={(x) => setHours(x.target.value)} />}</Field>
      {hasSha ? <Field label={t('exc.match')}>{(p) => <select {...p} value={matchBy} onChange={(x) => setMatchBy(x.target.value as 'path' | 'sha256')}>
        <option value="path">{t('exc.byPath')}</option><option value="sha256">{t('exc.bySha')}</option></select>}</Field> : null}
      <Field label={t('exc.note')}>{(p) => <input {...p} name="note" maxLength={500} value={note} onChange={(x) => setNote(x.target.value)} />}</Field>
      <ErrorNote error={error} />
      <button type="submit">{t('exc.allow', { app: e.app, host: e.hostname ?? e.endpointId, hours: hours || '?' })}</button>
      {done ? <p role="status" className="ok">{t('exc.created', { time: time(done.expiresAt) })}</p> : null}
    </form>
  );
}
