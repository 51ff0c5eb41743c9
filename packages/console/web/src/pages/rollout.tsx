// A group's audit → enforce switch, used on the Groups page and with the policy assignment: switching to enforce is
// confirmed first, with what enforce would block (the enforce preview of issue 12, GET /api/groups/:id/enforce-preview,
// when this console has it; else a link to the group's would-block events), and the change is applied at once
// ("apply now" wakes the group's agents instead of waiting for their next heartbeat). Going back to audit needs no
// confirmation. "Apply now" alone re-sends the current policy.
import { useState } from 'react';
import { api, ApiError, withQuery, type Group } from '../api.ts';
import { useI18n } from '../i18n.ts';
import { Confirm, ErrorNote, Link, useLoad } from '../ui.tsx';

interface Preview { totals: { events: number; programs: number; endpoints: number }; items: { rule: string; object: string; count: number }[] }

/** Loads the enforce preview; `missing` when the console has no such route (404 on the route itself). */
function usePreview(groupId: string) {
  return useLoad(async () => {
    try { return await api<Preview>('GET', `/api/groups/${encodeURIComponent(groupId)}/enforce-preview`); } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.code === 'NOT_FOUND' && /enforce-preview/.test(e.message)) return 'missing' as const;
      throw e;
    }
  }, [groupId]);
}

/**
 * `onYes` gets the number of would-block events the preview showed (undefined when the console has no preview): the
 * switch then goes through POST /api/groups/:id/enforce, which refuses it when more were logged since.
 */
export function EnforceConfirm({ group, onYes, onNo, busy, yes }: { group: Pick<Group, 'id' | 'name'>; onYes(seen?: number): void; onNo(): void; busy?: boolean; yes?: string }) {
  const { t } = useI18n();
  const p = usePreview(group.id);
  const eventsLink = withQuery('/events', { group: group.id, verdict: 'audit-deny' });
  return (
    <Confirm title={t('grp.confirmTitle', { group: group.name })} yes={yes ?? t('grp.confirm')} onYes={() => onYes(p.data && p.data !== 'missing' ? p.data.totals.events : undefined)} onNo={onNo} busy={busy}>
      <p>{t('grp.confirmText', { group: group.name })}</p>
      <h4>{t('grp.preview')}</h4>
      <div data-testid="enforce-preview">
        {p.loading && !p.data ? <p>{t('loading')}</p> : null}
        <ErrorNote error={p.error} />
        {p.data === 'missing' ? <p>{t('grp.previewMissing')}</p> : p.data ? <>
          <p>{t('grp.previewTotals', p.data.totals)}</p>
          {p.data.items.length ? <ul className="plain">{p.data.items.slice(0, 5).map((x) => <li key={`${x.rule} ${x.object}`}><code>{x.object}</code> ({x.count})</li>)}</ul> : null}
          <p><Link to={`/groups/${encodeURIComponent(group.id)}/enforce`}>{t('grp.previewLink')}</Link></p>
        </> : null}
        <p><Link to={eventsLink}>{t('grp.previewEvents')}</Link></p>
      </div>
    </Confirm>
  );
}

/** Rollout of one group with its switch and "apply now" (operators). */
export function RolloutSwitch({ g, onChanged }: { g: Group; onChanged(): void }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const applyNow = async () => (await api<{ endpoints: number }>('POST', `/api/groups/${encodeURIComponent(g.id)}/apply-now`)).endpoints;
  const set = async (rollout: 'audit' | 'enforce', seen?: number) => {
    setError(undefined); setDone(undefined); setBusy(true);
    try {
      // With a preview seen: the console switches only if no more would-blocks were logged since (else 409, shown).
      if (rollout === 'enforce' && seen !== undefined) await api('POST', `/api/groups/${encodeURIComponent(g.id)}/enforce`, { seen, days: 30 });
      else await api('PATCH', `/api/groups/${encodeURIComponent(g.id)}`, { rollout });
      const n = await applyNow();
      setAsking(false);
      setDone(rollout === 'enforce' ? t('grp.switched', { group: g.name, n }) : t('grp.auditAgain', { group: g.name }));
      onChanged();
    } catch (e) { setError(e); } finally { setBusy(false); }
  };
  return (
    <div className="rollout">
      <div className="buttons">
        {g.rollout === 'audit'
          ? <button type="button" disabled={busy} onClick={() => { setDone(undefined); setAsking(true); }}>{t('grp.toEnforce')}<span className="sr"> ({g.name})</span></button>
          : <button type="button" disabled={busy} onClick={() => void set('audit')}>{t('grp.toAudit')}<span className="sr"> ({g.name})</span></button>}
        <button type="button" disabled={busy} onClick={async () => {
          setError(undefined); setDone(undefined);
          try { setDone(t('grp.applied', { n: await applyNow() })); } catch (e) { setError(e); }
        }}>{t('grp.applyNow')}<span className="sr"> ({g.name})</span></button>
      </div>
      {asking ? <EnforceConfirm group={g} busy={busy} onYes={(seen) => void set('enforce', seen)} onNo={() => setAsking(false)} /> : null}
      <ErrorNote error={error} />
      {done ? <p role="status" className="ok">{done}</p> : null}
    </div>
  );
}
