// Policies: what each group runs (a preset or a custom policy, the SBE way) with its audit → enforce rollout; the
// presets; custom policies edited as text and checked by the same validator as the CLI (via the API), with problems
// shown at their line; every save is a version, with history and diff.
import { useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type DiffLine, type Group, type PolicyDetail, type PolicyProblem, type PolicySummary, type Preset } from '../api.ts';
import { PolicyEditor, type EditorHandle } from '../editor.tsx';
import { useI18n } from '../i18n.ts';
import { navigate } from '../router.ts';
import { can, ErrorNote, Field, Link, Loading, Page, useLoad, useUser } from '../ui.tsx';
import { EnforceConfirm } from './rollout.tsx';

export function PoliciesPage() {
  const { t, lang } = useI18n();
  const user = useUser();
  // Preset summaries come in the UI language: loaded again when it changes.
  const presets = useLoad(() => api<{ presets: Preset[] }>('GET', '/api/presets'), [lang]);
  const policies = useLoad(() => api<{ policies: PolicySummary[] }>('GET', '/api/policies'), []);
  return (
    <Page title={t('nav.policies')}>
      <h2>{t('pol.assignments')}</h2>
      <p>{t('pol.assignmentsIntro')}</p>
      <Assignments presets={presets.data?.presets ?? []} policies={policies.data?.policies ?? []} />
      <h2>{t('pol.custom')}</h2>
      <Loading what={policies} />
      {policies.data ? policies.data.policies.length === 0 ? <p>{t('none')}</p> :
        <ul className="plain">{policies.data.policies.map((p) => <li key={p.id}><Link to={`/policies/${p.id}`}>{p.name}</Link> <small>v{p.latestVersion}</small></li>)}</ul> : null}
      {can(user, 'operator') && presets.data ? <NewPolicy presets={presets.data.presets} /> : null}
      <h2>{t('pol.presets')}</h2>
      <Loading what={presets} />
      {presets.data?.presets.map((p) => (
        <details key={p.name} className="preset">
          <summary><strong><code>{p.name}</code></strong> — {p.summary}</summary>
          <pre>{p.text}</pre>
        </details>))}
    </Page>
  );
}

function Assignments({ presets, policies }: { presets: Preset[]; policies: PolicySummary[] }) {
  const { t } = useI18n();
  const groups = useLoad(() => api<{ groups: Group[] }>('GET', '/api/groups'), []);
  return <>
    <Loading what={groups} />
    {groups.data ? <table className="data" aria-label={t('pol.assignments')}>
      <thead><tr><th scope="col">{t('col.group')}</th><th scope="col">{t('pol.policy')}</th><th scope="col">{t('pol.rollout')}</th><th scope="col">{t('nav.endpoints')}</th><th scope="col"><span className="sr">{t('save')}</span></th></tr></thead>
      <tbody>{groups.data.groups.map((g) => <AssignmentRow key={g.id} g={g} presets={presets} policies={policies} onSaved={groups.reload} />)}</tbody>
    </table> : null}
  </>;
}

function AssignmentRow({ g, presets, policies, onSaved }: { g: Group; presets: Preset[]; policies: PolicySummary[]; onSaved(): void }) {
  const { t } = useI18n();
  const user = useUser();
  const [ref, setRef] = useState(g.policyRef);
  const [rollout, setRollout] = useState(g.rollout);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const editable = can(user, 'operator');
  const changed = ref !== g.policyRef || rollout !== g.rollout;
  const [asking, setAsking] = useState(false);
  const save = async () => {
    setError(undefined); setSaved(false);
    try {
      await api('PATCH', `/api/groups/${encodeURIComponent(g.id)}`, { ...(ref !== g.policyRef ? { policyRef: ref } : {}), ...(rollout !== g.rollout ? { rollout } : {}) });
      // Applied at once: the group's agents are woken instead of waiting for their next heartbeat.
      await api('POST', `/api/groups/${encodeURIComponent(g.id)}/apply-now`);
      setAsking(false); setSaved(true); onSaved();
    } catch (e) { setError(e); }
  };
  // Going to enforce is confirmed first, with what enforce would block.
  const onSave = () => { if (rollout === 'enforce' && g.rollout !== 'enforce') setAsking(true); else void save(); };
  const policyLabel = `${t('pol.policy')} (${g.name})`; const rolloutLabel = `${t('pol.rollout')} (${g.name})`;
  return (
    <tr data-group={g.name}>
      <th scope="row">{g.name}</th>
      <td>{editable ? <select aria-label={policyLabel} value={ref} onChange={(e) => setRef(e.target.value)}>
        <optgroup label={t('pol.presets')}>{presets.map((p) => <option key={p.ref} value={p.ref}>{t('pol.presetOption', { name: p.name })}</option>)}</optgroup>
        <optgroup label={t('pol.custom')}>{policies.map((p) => <option key={p.ref} value={p.ref}>{p.name}</option>)}</optgroup>
        {[...presets, ...policies].some((p) => p.ref === ref) ? null : <option value={ref}>{ref}</option>}
      </select> : g.policyRef}</td>
      <td>{editable ? <select aria-label={rolloutLabel} value={rollout} onChange={(e) => setRollout(e.target.value as 'audit' | 'enforce')}>
        <option value="audit">{t('rollout.audit')}</option><option value="enforce">{t('rollout.enforce')}</option>
      </select> : t(`rollout.${g.rollout}`)}</td>
      <td>{g.endpoints}</td>
      <td>{editable ? <button type="button" disabled={!changed || asking} onClick={onSave}>{t('save')}<span className="sr"> ({g.name})</span></button> : null}
        {saved ? <span role="status" className="ok"> {t('saved')}</span> : null}<ErrorNote error={error} />
        {asking ? <EnforceConfirm group={g} onYes={() => void save()} onNo={() => setAsking(false)} /> : null}</td>
    </tr>
  );
}

function problemsOf(e: unknown): PolicyProblem[] {
  return e instanceof ApiError && e.problems ? e.problems : [];
}

function NewPolicy({ presets }: { presets: Preset[] }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [text, setText] = useState(presets[0]?.text ?? '');
  const [comment, setComment] = useState('');
  const [problems, setProblems] = useState<PolicyProblem[]>([]);
  const [error, setError] = useState<unknown>();
  const editor = useRef<EditorHandle>(null);
  if (!open) return <button type="button" onClick={() => setOpen(true)}>{t('pol.new')}</button>;
  const submit = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined);
    try {
      const r = await api<{ id: string; warnings: PolicyProblem[] }>('POST', '/api/policies', { name, text, comment });
      setProblems(r.warnings);
      navigate(`/policies/${r.id}`);
    } catch (err) {
      setProblems(problemsOf(err)); setError(err);
      const first = problemsOf(err).find((p) => p.severity === 'error');
      if (first) editor.current?.goTo(first.line, first.column);
    }
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="new-policy">
      <h3 id="new-policy">{t('pol.new')}</h3>
      <Field label={t('pol.name')}>{(p) => <input {...p} name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <Field label={t('pol.startFrom')}>{(p) => <select {...p} onChange={(e) => { const pr = presets.find((x) => x.name === e.target.value); if (pr) setText(pr.text); }}>
        {presets.map((pr) => <option key={pr.name} value={pr.name}>{pr.name}</option>)}</select>}</Field>
      <PolicyEditor ref={editor} id="new-policy-text" label={t('pol.text')} value={text} onChange={(v) => { setText(v); }} problems={problems} />
      <Field label={t('pol.comment')}>{(p) => <input {...p} name="comment" maxLength={500} value={comment} onChange={(e) => setComment(e.target.value)} />}</Field>
      {problems.length ? null : <ErrorNote error={error} />}
      <div className="buttons"><CheckButton text={text} onResult={setProblems} /><button type="submit">{t('save')}</button>
        <button type="button" onClick={() => setOpen(false)}>{t('cancel')}</button></div>
    </form>
  );
}

function CheckButton({ text, onResult }: { text: string; onResult(p: PolicyProblem[], ok: boolean): void }) {
  const { t } = useI18n();
  const [msg, setMsg] = useState('');
  return <>
    <button type="button" onClick={async () => {
      try { const r = await api<{ warnings: PolicyProblem[] }>('POST', '/api/policies/validate', { text }); onResult(r.warnings, true); setMsg(t('pol.valid')); }
      catch (e) { onResult(problemsOf(e), false); setMsg(problemsOf(e).length ? '' : (e as Error).message); }
    }}>{t('pol.check')}</button>
    <span role="status" className="ok">{msg}</span>
  </>;
}

export function PolicyPage({ id }: { id: string }) {
  const { t, time } = useI18n();
  const user = useUser();
  const d = useLoad(() => api<PolicyDetail>('GET', `/api/policies/${encodeURIComponent(id)}`), [id]);
  const [text, setText] = useState<string>();
  const [comment, setComment] = useState('');
  const [problems, setProblems] = useState<PolicyProblem[]>([]);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<number>();
  const editor = useRef<EditorHandle>(null);
  const p = d.data;
  const value = text ?? p?.text ?? '';
  const save = async (e: FormEvent) => {
    e.preventDefault(); setError(undefined); setSaved(undefined);
    try {
      const r = await api<{ version: number; warnings: PolicyProblem[] }>('PUT', `/api/policies/${encodeURIComponent(id)}`, { text: value, comment });
      setProblems(r.warnings); setSaved(r.version); setComment(''); setText(undefined); d.reload();
    } catch (err) {
      setProblems(problemsOf(err)); setError(err);
      const first = problemsOf(err).find((x) => x.severity === 'error');
      if (first) editor.current?.goTo(first.line, first.column);
    }
  };
  return (
    <Page title={p ? t('pol.title', { name: p.name }) : t('nav.policies')}>
      <Loading what={d} />
      {p ? <>
        <p>{t('pol.latest', { v: p.latestVersion })} · {t('pol.usedBy')}: {p.groups.length ? p.groups.map((g) => g.name).join(', ') : t('none')} · <code>{p.ref}</code></p>
        <form onSubmit={save} aria-label={t('pol.edit')}>
          <PolicyEditor ref={editor} id="policy-text" label={t('pol.text')} value={value} onChange={setText} problems={problems} readOnly={!can(user, 'operator')} />
          {can(user, 'operator') ? <>
            <Field label={t('pol.comment')}>{(f) => <input {...f} name="comment" maxLength={500} value={comment} onChange={(e) => setComment(e.target.value)} />}</Field>
            {problems.length ? null : <ErrorNote error={error} />}
            <div className="buttons"><CheckButton text={value} onResult={setProblems} /><button type="submit" disabled={text === undefined}>{t('pol.saveVersion')}</button></div>
            {saved ? <p role="status" className="ok" data-testid="policy-saved">{t('pol.savedVersion', { v: saved })}</p> : null}
          </> : null}
        </form>
        <Versions key={p.latestVersion} p={p} time={time} />
      </> : null}
    </Page>
  );
}

function Versions({ p, time }: { p: PolicyDetail; time(ms: number): string }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(Math.max(1, p.latestVersion - 1));
  const [to, setTo] = useState(p.latestVersion);
  const [diff, setDiff] = useState<DiffLine[]>();
  const [shown, setShown] = useState<{ version: number; text: string }>();
  const [error, setError] = useState<unknown>();
  const opts = p.versions.map((v) => <option key={v.version} value={v.version}>v{v.version}</option>);
  return (
    <section aria-labelledby="versions">
      <h2 id="versions">{t('pol.versions')}</h2>
      <table className="data" aria-labelledby="versions">
        <thead><tr><th scope="col">{t('pol.version')}</th><th scope="col">{t('col.time')}</th><th scope="col">{t('col.user')}</th><th scope="col">{t('pol.comment')}</th><th scope="col"><span className="sr">{t('pol.view')}</span></th></tr></thead>
        <tbody>{p.versions.map((v) => <tr key={v.version}><td>v{v.version}</td><td>{time(v.createdAt)}</td><td>{v.createdBy}</td><td>{v.comment}</td>
          <td><button type="button" onClick={async () => {
            try { setShown(await api<{ version: number; text: string }>('GET', `/api/policies/${p.id}/versions/${v.version}`)); } catch (e) { setError(e); }
          }}>{t('pol.view')}<span className="sr"> v{v.version}</span></button></td></tr>)}</tbody>
      </table>
      {shown ? <details open><summary>{t('pol.textOf', { v: shown.version })}</summary><pre>{shown.text}</pre></details> : null}
      {p.versions.length > 1 ? <form className="filters" onSubmit={async (e) => {
        e.preventDefault(); setError(undefined);
        try { setDiff((await api<{ lines: DiffLine[] }>('GET', `/api/policies/${p.id}/diff?from=${from}&to=${to}`)).lines); } catch (err) { setError(err); }
      }}>
        <Field label={t('pol.diffFrom')}>{(f) => <select {...f} value={from} onChange={(e) => setFrom(Number(e.target.value))}>{opts}</select>}</Field>
        <Field label={t('pol.diffTo')}>{(f) => <select {...f} value={to} onChange={(e) => setTo(Number(e.target.value))}>{opts}</select>}</Field>
        <div className="buttons"><button type="submit">{t('pol.diff')}</button></div>
      </form> : null}
      <ErrorNote error={error} />
      {diff ? <pre className="diff" aria-label={t('pol.diffLabel', { from, to })}>{diff.filter((l, i, all) =>
        l.op !== ' ' || all.slice(Math.max(0, i - 3), i + 4).some((x) => x.op !== ' ')).map((l, i) =>
        <div key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : undefined}>{`${l.op} ${String(l.n).padStart(4)}  ${l.line}`}</div>)}</pre> : null}
    </section>
  );
}
