// Shared UI pieces: the signed-in user's context and role check, a data-loading hook, labelled form fields, error
// notes (role=alert), a page frame whose heading takes focus on navigation, and links for the tiny router.
import { createContext, useCallback, useContext, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError, type Role, type User } from './api.ts';
import { useI18n } from './i18n.ts';
import { navigate } from './router.ts';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export const UserContext = createContext<User | null>(null);
export function useUser(): User {
  const u = useContext(UserContext);
  if (!u) throw new Error('useUser outside a session');
  return u;
}
/** What the UI offers; the server checks the role again on every request. */
export function can(user: User, need: Role): boolean { return RANK[user.role] >= RANK[need]; }

export interface Loaded<T> { data: T | undefined; error: unknown; loading: boolean; reload(): void }

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => { if (live) setState({ data, error: undefined, loading: false }); },
      (error: unknown) => { if (live) setState({ data: undefined, error, loading: false }); });
    return () => { live = false; };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return <p className="error" role="alert">{errorText(error)}</p>;
}

export function Loading({ what }: { what: Loaded<unknown> }) {
  const { t } = useI18n();
  if (what.error) return <ErrorNote error={what.error} />;
  if (what.loading && what.data === undefined) return <p aria-live="polite">{t('loading')}</p>;
  return null;
}

/** A page: its heading is focused after navigation so screen readers and keyboard users start at the content. */
export function Page({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => { h.current?.focus(); document.title = `${title} — omamori`; }, [title]);
  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title" tabIndex={-1} ref={h}>{title}</h1>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Field({ label, children, hint, error }: {
  label: string; hint?: string; error?: string | undefined;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(described ? { 'aria-describedby': described } : {}), ...(error ? { 'aria-invalid': true } : {}) })}
      {hint ? <small id={`${id}-hint`}>{hint}</small> : null}
      {error ? <small id={`${id}-err`} className="error">{error}</small> : null}
    </div>
  );
}

export function Link({ to, children, ...rest }: { to: string; children: ReactNode; className?: string; 'aria-current'?: 'page' }) {
  return <a href={to} {...rest} onClick={(e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault(); navigate(to);
  }}>{children}</a>;
}

export function VerdictBadge({ verdict }: { verdict: string }) {
  const { t } = useI18n();
  const label = verdict === 'deny' ? t('verdict.deny') : verdict === 'audit-deny' ? t('verdict.auditDeny') : t('verdict.allow');
  return <span className={`badge v-${verdict}`}>{label}</span>;
}

export function StatusBadge({ online, protectedNow }: { online: boolean; protectedNow: boolean }) {
  const { t } = useI18n();
  if (!online) return <span className="badge offline">{t('status.offline')}</span>;
  return protectedNow ? <span className="badge online">{t('status.online')}</span> : <span className="badge unprotected">{t('status.unprotected')}</span>;
}

/** A checkbox with its label on the same line (a column Field would float the box above its text). */
export function Check({ label, checked, onChange, name }: { label: string; checked: boolean; onChange(v: boolean): void; name?: string }) {
  const id = useId();
  return (
    <div className="check">
      <input id={id} type="checkbox" name={name} checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

const STATES = ['protecting', 'sync-only', 'degraded', 'revoked'] as const;
const MODES = ['audit', 'enforce', 'lockdown'] as const;

/** An agent's run state in words of the UI language (unknown values shown as sent, in code style). */
export function AgentState({ state }: { state: string }) {
  const { t } = useI18n();
  return (STATES as readonly string[]).includes(state) ? <>{t(`state.${state as (typeof STATES)[number]}`)}</> : <code>{state}</code>;
}

/** A policy mode in words of the UI language. */
export function ModeText({ mode }: { mode: string | null }) {
  const { t } = useI18n();
  if (!mode) return <>—</>;
  return (MODES as readonly string[]).includes(mode) ? <>{t(`mode.${mode as (typeof MODES)[number]}`)}</> : <code>{mode}</code>;
}

/** An inline confirmation: the question, what follows, and the two choices; focus goes to it when it opens. */
export function Confirm({ title, children, yes, onYes, onNo, busy }: { title: string; children?: ReactNode; yes: string; onYes(): void; onNo(): void; busy?: boolean }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  useEffect(() => { ref.current?.focus(); }, []);
  return (
    <div className="panel confirm" role="alertdialog" aria-labelledby={`${id}-t`} tabIndex={-1} ref={ref}>
      <h3 id={`${id}-t`}>{title}</h3>
      {children}
      <div className="buttons">
        <button type="button" className="danger" disabled={busy} onClick={onYes}>{yes}</button>
        <button type="button" onClick={onNo}>{t('confirm.cancel')}</button>
      </div>
    </div>
  );
}
