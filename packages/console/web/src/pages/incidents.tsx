// Incident response pages: the list of cases, opening one on an endpoint or from an event, and one case with its
// JPCERT/CC steps — actions that ask the agent (isolate, collect, check, sweep), manual ticks with a note, attached
// replay reports, the partner letter (ja/en) to copy and the report export. Steps waiting for an agent refresh
// themselves. Viewers see everything and act on nothing; the server checks roles anyway.
import { useEffect, useState } from 'react';
import { api, withQuery, type Endpoint, type EventRow } from '../api.ts';
import { useI18n, type Lang } from '../i18n.ts';
import { useIncidentText, type IncidentKey } from '../incident-text.ts';
import { navigate, useLocation } from '../router.ts';
import { can, ErrorNote, Field, Link, Loading, Page, useLoad, useUser } from '../ui.tsx';
import { DetailFields } from '../fields.tsx';

interface Finding { code: string; severity: string; title: string; path?: string }
interface Task {
  id: string; hostname: string; kind: string; step: string | null; state: string; createdBy: string; createdAt: number; finishedAt: number | null; message: string;
  check?: { checker: string; verdict: string; examined: number; findings: Finding[] };
  evidence?: { path: string; bundleSha256: string; manifestSha256: string; bundleSize: number };
}
interface Step {
  key: string; title: string; what: string; help: { kind: string; task?: string }; state: string; note: string;
  requestedBy: string | null; requestedAt: number | null; doneBy: string | null; doneAt: number | null;
}
interface Org { orgName: string; contact: string; incidentDate: string; watchFor: string }
interface Case {
  id: string; title: string; status: 'open' | 'closed'; createdBy: string; createdAt: number;
  endpoint: { id: string; hostname: string; platform: string } | null; event: { id: number; object: string } | null;
  org: Org; steps: Step[]; credentials: string[]; tasks: Task[];
  sweep: { agentId: string; hostname: string; state: string; verdict: string | null; findings: Finding[]; message: string }[];
  files: { id: string; name: string; sha256: string; createdBy: string; createdAt: number; summary: Record<string, string | number> }[];
  log: { time: number; actor: string; step: string; action: string; detail: Record<string, unknown> }[];
}
interface Summary { id: string; title: string; status: string; hostname: string | null; createdAt: number; createdBy: string; stepsDone: number; steps: number }

/** The link other pages show to operators: open an incident on this endpoint or from this event. */
export function OpenIncidentLink({ endpoint, event }: { endpoint?: string; event?: number }) {
  const ti = useIncidentText();
  if (!can(useUser(), 'operator')) return null;
  return <Link className="incident-link" to={withQuery('/incidents/new', { endpoint, event })}>{ti('open')}</Link>;
}

export function IncidentsPage() {
  const ti = useIncidentText();
  const { time } = useI18n();
  const list = useLoad(() => api<{ incidents: Summary[] }>('GET', '/api/incidents'), []);
  return (
    <Page title={ti('title')} actions={<button type="button" onClick={list.reload}>{useI18n().t('refresh')}</button>}>
      <p>{ti('intro')}</p>
      <Loading what={list} />
      {list.data ? list.data.incidents.length === 0 ? <p>{ti('none')}</p> :
        <table className="data" aria-label={ti('title')}>
          <thead><tr><th scope="col">{ti('titleField')}</th><th scope="col">{ti('endpoint')}</th><th scope="col">{ti('status')}</th><th scope="col">{ti('steps')}</th><th scope="col">{ti('opened')}</th></tr></thead>
          <tbody>{list.data.incidents.map((i) => <tr key={i.id}>
            <th scope="row"><Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.title}</Link></th><td>{i.hostname ?? '—'}</td>
            <td>{i.status === 'open' ? ti('statusOpen') : ti('statusClosed')}</td><td>{ti('progress', { done: i.stepsDone, all: i.steps })}</td>
            <td>{time(i.createdAt)} {ti('by', { who: i.createdBy })}</td></tr>)}</tbody>
        </table> : null}
    </Page>
  );
}

export function NewIncidentPage() {
  const ti = useIncidentText();
  const loc = useLocation();
  const endpoint = loc.search.get('endpoint') ?? ''; const event = Number(loc.search.get('event') ?? '') || undefined;
  const ep = useLoad(() => endpoint ? api<Endpoint>('GET', `/api/endpoints/${encodeURIComponent(endpoint)}`) : Promise.resolve(undefined), [endpoint]);
  const ev = useLoad(() => event ? api<EventRow>('GET', `/api/events/${event}`).catch(() => undefined) : Promise.resolve(undefined), [event]);
  const [title, setTitle] = useState(''); const [error, setError] = useState<unknown>();
  const heading = event ? ti('openFromEvent', { id: event }) : ti('openOn', { host: ep.data?.hostname ?? endpoint });
  return (
    <Page title={heading}>
      {ev.data ? <p><code>{ev.data.object}</code> — {ev.data.hostname}</p> : null}
      <form className="narrow" onSubmit={async (e) => {
        e.preventDefault(); setError(undefined);
        try {
          const r = await api<{ id: string }>('POST', '/api/incidents', { ...(endpoint ? { agentId: endpoint } : {}), ...(event ? { eventId: event } : {}), ...(title ? { title } : {}) });
          navigate(`/incidents/${encodeURIComponent(r.id)}`);
        } catch (err) { setError(err); }
      }}>
        <Field label={ti('titleField')}>{(p) => <input {...p} value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} />}</Field>
        <ErrorNote error={error} />
        <button type="submit">{ti('create')}</button>
      </form>
    </Page>
  );
}

function StepActions({ c, s, reload }: { c: Case; s: Step; reload(): void }) {
  const ti = useIncidentText();
  const [note, setNote] = useState(s.note); const [error, setError] = useState<unknown>(); const [queued, setQueued] = useState(false);
  const act = async (action: string) => {
    setError(undefined);
    try { await api('POST', `/api/incidents/${c.id}/actions`, { action }); setQueued(true); reload(); } catch (e) { setError(e); }
  };
  const tick = async (state: 'done' | 'todo') => {
    setError(undefined);
    try { await api('POST', `/api/incidents/${c.id}/steps/${s.key}`, { state, note }); reload(); } catch (e) { setError(e); }
  };
  const closed = c.status === 'closed';
  const task = s.help.kind === 'task' ? s.help.task! : s.help.kind === 'sweep' ? 'sweep' : undefined;
  return (
    <div>
      <div className="buttons">
        {task ? <button type="button" disabled={closed} onClick={() => act(task)}>{ti(`act.${task}` as IncidentKey)}</button> : null}
        {s.key === 'isolate' ? <button type="button" disabled={closed} onClick={() => act('release-isolation')}>{ti('act.release-isolation')}</button> : null}
        <Field label={ti('note')}>{(p) => <input {...p} value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />}</Field>
        {s.state === 'done' ? <button type="button" onClick={() => tick('todo')}>{ti('reopen')}</button>
          : <button type="button" onClick={() => tick('done')}>{ti('markDone')}</button>}
      </div>
      {queued ? <p role="status" className="ok">{ti('queued')}</p> : null}
      <ErrorNote error={error} />
    </div>
  );
}

function FindingList({ findings }: { findings: Finding[] }) {
  return <ul className="plain">{findings.map((f, i) => <li key={i}><span className="badge warn">{f.severity}</span> <code>{f.code}</code> {f.title}</li>)}</ul>;
}

function StepBody({ c, s, reload }: { c: Case; s: Step; reload(): void }) {
  const ti = useIncidentText();
  const mine = c.tasks.filter((t) => t.step === s.key);
  const last = mine[mine.length - 1];
  const [report, setReport] = useState(''); const [error, setError] = useState<unknown>();
  const operator = can(useUser(), 'operator');
  return <>
    {s.key === 'credentials' ? <><p>{ti('creds')}</p><ul className="plain">{c.credentials.map((x) => <li key={x}>{x}</li>)}</ul></> : null}
    {last ? <p data-testid={`task-${s.key}`} data-state={last.state}><strong>{ti('result')}:</strong> <TaskState state={last.state} /> — {last.message}</p> : null}
    {last && last.finishedAt === null && operator ? <CancelTask id={last.id} reload={reload} /> : null}
    {last?.evidence ? <p><small>{ti('evidence', { path: last.evidence.path })}<br />{ti('sha', { sha: last.evidence.bundleSha256 })}, {ti('manifest', { sha: last.evidence.manifestSha256 })}</small></p> : null}
    {last?.check && s.key === 'check' ? <FindingList findings={last.check.findings} /> : null}
    {s.key === 'sweep' ? c.sweep.length === 0 ? <p>{ti('sweepNone')}</p> :
      <table aria-label={ti('sweep')}><thead><tr><th scope="col">{ti('endpoint')}</th><th scope="col">{ti('result')}</th><th scope="col">{ti('findings')}</th></tr></thead>
        <tbody>{c.sweep.map((w) => <tr key={w.agentId} data-sweep={w.hostname}><th scope="row">{w.hostname}</th>
          <td>{w.verdict === 'clean' ? ti('clean') : w.verdict ?? `${w.state} ${w.message}`}</td><td><FindingList findings={w.findings} /></td></tr>)}</tbody></table> : null}
    {s.key === 'secondary' ? <>
      {c.files.length ? <><h4>{ti('attached')}</h4><ul className="plain">{c.files.map((f) => <li key={f.id}>{f.name} — {Object.entries(f.summary).map(([k, v]) => `${k}: ${v}`).join(', ')}</li>)}</ul></> : null}
      {operator ? <form onSubmit={async (e) => {
        e.preventDefault(); setError(undefined);
        try { await api('POST', `/api/incidents/${c.id}/files`, { kind: 'replay-report', name: `replay-${new Date().toISOString().slice(0, 10)}.json`, content: report }); setReport(''); reload(); } catch (err) { setError(err); }
      }}>
        <Field label={ti('upload')} hint={ti('uploadHint')}>{(p) => <textarea {...p} rows={3} value={report} onChange={(e) => setReport(e.target.value)} />}</Field>
        <input type="file" accept="application/json,.json" aria-label={ti('upload')} onChange={async (e) => { const f = e.target.files?.[0]; if (f) setReport(await f.text()); }} />
        <ErrorNote error={error} />
        <button type="submit" disabled={!report}>{ti('attach')}</button>
      </form> : null}
    </> : null}
  </>;
}

function Letter({ c, reload }: { c: Case; reload(): void }) {
  const ti = useIncidentText();
  const { lang } = useI18n();
  const [org, setOrg] = useState<Org>(c.org); const [letterLang, setLetterLang] = useState<Lang>(lang);
  const [letter, setLetter] = useState<{ subject: string; body: string }>(); const [error, setError] = useState<unknown>(); const [copied, setCopied] = useState(false);
  const operator = can(useUser(), 'operator');
  const field = (k: keyof Org, label: IncidentKey, type = 'text') => <Field label={ti(label)}>{(p) => k === 'watchFor'
    ? <textarea {...p} rows={2} value={org[k]} disabled={!operator} onChange={(e) => setOrg({ ...org, [k]: e.target.value })} />
    : <input {...p} type={type} value={org[k]} disabled={!operator} onChange={(e) => setOrg({ ...org, [k]: e.target.value })} />}</Field>;
  return <div className="panel">
    <h4>{ti('org')}</h4>
    <form onSubmit={async (e) => { e.preventDefault(); setError(undefined); try { await api('PATCH', `/api/incidents/${c.id}`, { org }); reload(); } catch (err) { setError(err); } }}>
      {field('orgName', 'orgName')}{field('contact', 'contact')}{field('incidentDate', 'incidentDate', 'date')}{field('watchFor', 'watchFor')}
      {operator ? <button type="submit">{ti('saveOrg')}</button> : null}
    </form>
    <h4>{ti('letter')}</h4>
    <div className="buttons">
      <Field label={ti('letterLang')}>{(p) => <select {...p} value={letterLang} onChange={(e) => setLetterLang(e.target.value as Lang)}><option value="ja">日本語</option><option value="en">English</option></select>}</Field>
      <button type="button" onClick={async () => { setError(undefined); try { setLetter(await api('GET', `/api/incidents/${c.id}/letter?lang=${letterLang}`)); setCopied(false); } catch (err) { setError(err); } }}>{ti('makeLetter')}</button>
    </div>
    <ErrorNote error={error} />
    {letter ? <>
      <Field label={ti('subject')}>{(p) => <input {...p} readOnly value={letter.subject} />}</Field>
      <Field label={ti('body')}>{(p) => <textarea {...p} readOnly rows={18} value={letter.body} style={{ width: '100%' }} />}</Field>
      <button type="button" onClick={async () => { try { await navigator.clipboard.writeText(`${letter.subject}\n\n${letter.body}`); setCopied(true); } catch { setCopied(false); } }}>{ti('copy')}</button>
      {copied ? <span role="status" className="ok"> {ti('copied')}</span> : null}
    </> : null}
  </div>;
}

export function IncidentPage({ id }: { id: string }) {
  const ti = useIncidentText();
  const i18n = useI18n();
  const { t, time, lang } = i18n;
  const d = useLoad(() => api<Case>('GET', `/api/incidents/${encodeURIComponent(id)}`), [id, lang]);
  const c = d.data;
  const operator = can(useUser(), 'operator');
  const waiting = c?.steps.some((s) => s.state === 'waiting') ?? false;
  useEffect(() => { if (!waiting) return; const h = setInterval(d.reload, 2000); return () => clearInterval(h); }, [waiting, d.reload]);
  const [fmt, setFmt] = useState<'md' | 'html'>('md'); const [rlang, setRlang] = useState<Lang>(lang); const [error, setError] = useState<unknown>();
  return (
    <Page title={c ? c.title : ti('title')} actions={<button type="button" onClick={d.reload}>{t('refresh')}</button>}>
      <Loading what={d} />
      {c ? <>
        <dl className="facts">
          <dt>{ti('endpoint')}</dt><dd>{c.endpoint ? <Link to={`/endpoints/${encodeURIComponent(c.endpoint.id)}`}>{c.endpoint.hostname}</Link> : '—'} {c.endpoint?.platform}</dd>
          {c.event ? <><dt>{ti('event')}</dt><dd>#{c.event.id} <code>{c.event.object}</code></dd></> : null}
          <dt>{ti('status')}</dt><dd data-testid="incident-status">{c.status === 'open' ? ti('statusOpen') : ti('statusClosed')}</dd>
          <dt>{ti('opened')}</dt><dd>{time(c.createdAt)} {ti('by', { who: c.createdBy })}</dd>
        </dl>
        {operator ? null : <p>{ti('readOnly')}</p>}
        <h2>{ti('steps')}</h2>
        <ol className="steps">{c.steps.map((s) => (
          <li key={s.key} data-step={s.key} data-state={s.state} className="panel" aria-labelledby={`step-${s.key}`}>
            <h3 id={`step-${s.key}`}>{s.title} <span className={`badge st-${s.state}`} data-testid={`state-${s.key}`}>{ti(`st.${s.state}` as IncidentKey)}</span></h3>
            <p>{s.what}</p>
            {s.requestedBy ? <p><small>{ti('asked', { who: s.requestedBy, time: time(s.requestedAt!) })}</small></p> : null}
            {s.doneBy ? <p><small data-testid={`done-${s.key}`}>{ti('doneBy', { who: s.doneBy, time: time(s.doneAt!) })}</small></p> : null}
            {s.note ? <p><em>{s.note}</em></p> : null}
            <StepBody c={c} s={s} reload={d.reload} />
            {s.key === 'partners' ? <Letter c={c} reload={d.reload} /> : null}
            {operator ? <StepActions c={c} s={s} reload={d.reload} /> : null}
          </li>))}</ol>
        <h2>{ti('report')}</h2>
        <div className="buttons">
          <Field label={ti('report')}>{(p) => <select {...p} value={fmt} onChange={(e) => setFmt(e.target.value as 'md' | 'html')}><option value="md">{ti('exportMd')}</option><option value="html">{ti('exportHtml')}</option></select>}</Field>
          <Field label={ti('reportLang')}>{(p) => <select {...p} value={rlang} onChange={(e) => setRlang(e.target.value as Lang)}><option value="ja">日本語</option><option value="en">English</option></select>}</Field>
          <a className="button" href={`/api/incidents/${encodeURIComponent(c.id)}/report?format=${fmt}&lang=${rlang}`} download>{ti('download')}</a>
          {operator ? <button type="button" onClick={async () => { setError(undefined); try { await api('PATCH', `/api/incidents/${c.id}`, { status: c.status === 'open' ? 'closed' : 'open' }); d.reload(); } catch (e) { setError(e); } }}>
            {c.status === 'open' ? ti('close') : ti('reopenCase')}</button> : null}
        </div>
        <ErrorNote error={error} />
        <h2>{ti('timeline')}</h2>
        <table aria-label={ti('timeline')}><tbody>{c.log.map((l, i) => <tr key={i}><td>{time(l.time)}</td><td>{l.actor}</td><td>{l.step}</td><td>{l.action} <DetailFields detail={l.detail} i={i18n} /></td></tr>)}</tbody></table>
      </> : null}
    </Page>
  );
}

/** Cancels a task the endpoint has not finished (the agent is told; a signed task also expires by itself). */
function CancelTask({ id, reload }: { id: string; reload(): void }) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>();
  return <div className="buttons">
    <button type="button" onClick={async () => {
      setError(undefined);
      try { await api('POST', `/api/tasks/${encodeURIComponent(id)}/cancel`); reload(); } catch (e) { setError(e); }
    }}>{t('task.cancel')}</button>
    <ErrorNote error={error} />
  </div>;
}

const TASK_STATES = ['pending', 'sent', 'done', 'failed', 'cancelled', 'expired'] as const;
function TaskState({ state }: { state: string }) {
  const { t } = useI18n();
  return (TASK_STATES as readonly string[]).includes(state) ? <>{t(`task.state.${state as (typeof TASK_STATES)[number]}`)}</> : <code>{state}</code>;
}
