// Learning from the log in the console (issue 12): "trust this program / publisher / folder for the group" from one
// event, each option with how many of the group's logged refusals it would have allowed; and, before a group goes
// to enforce, what enforce would block (from its audit log) with a confirmation. Both pages fetch what they show by
// id from their own API routes (routes/trust.ts), not from list payloads.
import { useState, type FormEvent } from 'react';
import { api, ApiError, withQuery } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { reasonText } from '../reasons.ts';
import { tt } from '../trust-messages.ts';
import { can, ErrorNote, Link, Loading, Page, useLoad, useUser } from '../ui.tsx';

type Why = 'no-hash' | 'no-signer' | 'not-windows' | 'lockdown' | 'user-space-pattern' | 'not-launch-control';
type Entry = { kind: 'hash'; sha256: string } | { kind: 'publisher'; signer: string } | { kind: 'folder'; pattern: string } | { kind: 'package' };
interface Option { kind: 'hash' | 'publisher' | 'folder'; available: boolean; why?: Why; entry?: Entry; preview?: { events: number; programs: number; endpoints: number } }
interface Options {
  event: { id: number; object: string; reason: string; rule: string; verdict: string; time: number; hostname: string | null; endpointId: string };
  group: { id: string; name: string; policyRef: string; rollout: string };
  logged: number;
  options: Option[];
}
interface Trusted { policyRef: string; version: number; allowed: { events: number } }

function optionLabel(lang: 'ja' | 'en', o: Option): string {
  const e = o.entry;
  if (o.kind === 'hash') return tt(lang, 'trust.hash', { sha: e?.kind === 'hash' ? `${e.sha256.slice(0, 12)}…` : '—' });
  if (o.kind === 'publisher') return tt(lang, 'trust.publisher', { signer: e?.kind === 'publisher' ? e.signer : '—' });
  return tt(lang, 'trust.folder', { pattern: e?.kind === 'folder' ? e.pattern : '—' });
}

export function TrustFromEventPage({ eventId }: { eventId: string }) {
  const { lang, time } = useI18n();
  const user = useUser();
  const data = useLoad(() => api<Options>('GET', `/api/events/${encodeURIComponent(eventId)}/trust-options`), [eventId]);
  const [choice, setChoice] = useState<Option['kind']>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<Trusted>();
  const d = data.data;
  const picked = choice ?? d?.options.find((o) => o.available)?.kind;
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined);
    if (!d || !picked) return;
    try { setDone(await api<Trusted>('POST', `/api/groups/${encodeURIComponent(d.group.id)}/trust`, { eventId: d.event.id, kind: picked })); } catch (err) { setError(err); }
  };
  return (
    <Page title={tt(lang, 'trust.title')}>
      <Loading what={data} />
      {d ? <>
        <p>{tt(lang, 'trust.intro')}</p>
        <dl className="facts">
          <dt>{tt(lang, 'trust.event')}</dt><dd>#{d.event.id} · {time(d.event.time)} · {reasonText(d.event.reason, lang)}</dd>
          <dt>{tt(lang, 'trust.object')}</dt><dd><code data-testid="trust-object">{d.event.object}</code></dd>
          <dt>{tt(lang, 'trust.endpoint')}</dt><dd>{d.event.hostname ?? d.event.endpointId}</dd>
          <dt>{tt(lang, 'trust.group')}</dt><dd>{d.group.name} <code>{d.group.policyRef}</code></dd>
        </dl>
        <form className="panel" onSubmit={submit} aria-labelledby="trust-choose">
          <fieldset>
            <legend id="trust-choose">{tt(lang, 'trust.choose')}</legend>
            {d.options.map((o) => (
              <div key={o.kind} className="field" data-option={o.kind}>
                <label>
                  <input type="radio" name="kind" value={o.kind} disabled={!o.available} checked={picked === o.kind}
                    onChange={() => setChoice(o.kind)} aria-describedby={`trust-${o.kind}-note`} /> {optionLabel(lang, o)}
                </label>
                <small id={`trust-${o.kind}-note`} data-testid={`trust-preview-${o.kind}`}>
                  {o.available && o.preview
                    ? tt(lang, 'trust.preview', { ...o.preview, logged: d.logged, group: d.group.name })
                    : tt(lang, `trust.why.${o.why ?? 'not-launch-control'}`)}
                  {o.kind === 'folder' && o.available ? <> — {tt(lang, 'trust.folderWarn')}</> : null}
                </small>
              </div>))}
          </fieldset>
          <ErrorNote error={error} />
          {can(user, 'operator') ? <button type="submit" disabled={!picked || Boolean(done)}>{tt(lang, 'trust.apply', { group: d.group.name })}</button> : null}
          {done ? <p role="status" className="ok" data-testid="trust-done">
            {tt(lang, 'trust.done', { ref: done.policyRef, version: done.version, events: done.allowed.events })}{' '}
            <Link to={`/policies/${encodeURIComponent(done.policyRef.slice(7))}`}>{tt(lang, 'trust.viewPolicy')}</Link>
          </p> : null}
        </form>
        <p><Link to="/events">{tt(lang, 'trust.back')}</Link></p>
      </> : null}
    </Page>
  );
}

interface Preview {
  group: { id: string; name: string; policyRef: string; rollout: 'audit' | 'enforce' };
  policyMode: string; since: number; truncated: boolean;
  totals: { events: number; programs: number; endpoints: number; groupEndpoints: number; alreadyTrusted: number };
  items: { rule: string; reason: string; object: string; count: number; endpoints: number; last: number }[];
  more: number;
}

export function EnforcePreviewPage({ groupId }: { groupId: string }) {
  const { lang, time } = useI18n();
  const user = useUser();
  const [days, setDays] = useState(30);
  const data = useLoad(() => api<Preview>('GET', withQuery(`/api/groups/${encodeURIComponent(groupId)}/enforce-preview`, { days })), [groupId, days]);
  const [confirmed, setConfirmed] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const p = data.data;
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined);
    if (!p) return;
    try {
      await api('POST', `/api/groups/${encodeURIComponent(groupId)}/enforce`, { seen: p.totals.events, days });
      setDone(true);
    } catch (err) {
      setError(err);
      // New would-blocks arrived since the preview: show the fresh one and ask again.
      if (err instanceof ApiError && err.code === 'CONFLICT') { setConfirmed(false); data.reload(); }
    }
  };
  return (
    <Page title={tt(lang, 'enf.title', { group: p?.group.name ?? groupId })}>
      <Loading what={data} />
      {p ? <>
        <p>{tt(lang, 'enf.intro')}</p>
        <div className="field">
          <label htmlFor="enf-days">{tt(lang, 'enf.days')}</label>
          <select id="enf-days" value={days} onChange={(e) => { setDays(Number(e.target.value)); setConfirmed(false); }}>
            <option value={7}>{tt(lang, 'enf.d7')}</option><option value={30}>{tt(lang, 'enf.d30')}</option><option value={90}>{tt(lang, 'enf.d90')}</option>
          </select>
        </div>
        <p data-testid="enforce-summary" aria-live="polite">{p.totals.events === 0 ? tt(lang, 'enf.none')
          : tt(lang, 'enf.summary', { events: p.totals.events, programs: p.totals.programs, endpoints: p.totals.endpoints, total: p.totals.groupEndpoints })}</p>
        {p.totals.alreadyTrusted ? <p data-testid="enforce-trusted">{tt(lang, 'enf.trusted', { n: p.totals.alreadyTrusted })}</p> : null}
        {p.truncated ? <p>{tt(lang, 'enf.truncated', { limit: p.totals.events })}</p> : null}
        {p.policyMode === 'audit' ? <p className="error" role="note">{tt(lang, 'enf.auditPolicy')}</p> : null}
        {p.items.length ? <table className="data" aria-label={tt(lang, 'enf.title', { group: p.group.name })}>
          <thead><tr><th scope="col">{tt(lang, 'enf.program')}</th><th scope="col">{tt(lang, 'enf.reason')}</th>
            <th scope="col">{tt(lang, 'enf.count')}</th><th scope="col">{tt(lang, 'enf.endpoints')}</th><th scope="col">{tt(lang, 'enf.last')}</th></tr></thead>
          <tbody>{p.items.map((i) => <tr key={`${i.rule} ${i.object}`} data-program={i.object}>
            <th scope="row"><code>{i.object}</code></th><td>{reasonText(i.reason, lang)} <small><code>{i.rule}</code></small></td>
            <td>{i.count}</td><td>{i.endpoints}</td><td>{time(i.last)}</td></tr>)}</tbody>
        </table> : null}
        {p.more ? <p>{tt(lang, 'enf.more', { n: p.more })}</p> : null}
        {p.group.rollout === 'enforce' && !done ? <p>{tt(lang, 'enf.already')}</p> : null}
        {can(user, 'operator') && p.group.rollout !== 'enforce' && !done ? <form className="panel" onSubmit={submit} aria-label={tt(lang, 'enf.switch')}>
          <label><input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} /> {tt(lang, 'enf.confirm')}</label>
          <ErrorNote error={error} />
          <button type="submit" disabled={!confirmed}>{tt(lang, 'enf.switch')}</button>
        </form> : null}
        {done ? <p role="status" className="ok" data-testid="enforce-done">{tt(lang, 'enf.done', { group: p.group.name })}</p> : null}
        <p><Link to="/groups">{tt(lang, 'enf.back')}</Link></p>
      </> : null}
    </Page>
  );
}
