// The console UI shell: decides between first-run setup, login and the signed-in app (navigation, language switch,
// sign out), and routes paths to pages. Navigation shows only what the role can use; the server enforces it anyway.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, setApiLang, setCsrf, type User } from './api.ts';
import { I18nContext, LANG_KEY, makeI18n, preferredLang, useI18n, type Lang, type MessageKey } from './i18n.ts';
import { match, navigate, useLocation } from './router.ts';
import { can, ErrorNote, Link, UserContext } from './ui.tsx';
import { LoginPage, SetupPage } from './pages/auth.tsx';
import { DashboardPage } from './pages/dashboard.tsx';
import { EndpointPage, EndpointsPage } from './pages/endpoints.tsx';
import { EventsPage } from './pages/events.tsx';
import { PoliciesPage, PolicyPage } from './pages/policies.tsx';
import { GroupsPage } from './pages/groups.tsx';
import { UsersPage } from './pages/users.tsx';
import { AuditPage } from './pages/audit.tsx';
import { ExceptionsPage } from './pages/exceptions.tsx';
import { IncidentPage, IncidentsPage, NewIncidentPage } from './pages/incidents.tsx';
import { EnforcePreviewPage, TrustFromEventPage } from './pages/trust.tsx';

type Phase = { kind: 'loading' } | { kind: 'setup' } | { kind: 'login' } | { kind: 'in'; user: User } | { kind: 'down'; error: unknown };

const NAV: { to: string; label: MessageKey; need: User['role'] }[] = [
  { to: '/', label: 'nav.dashboard', need: 'viewer' },
  { to: '/endpoints', label: 'nav.endpoints', need: 'viewer' },
  { to: '/events', label: 'nav.events', need: 'viewer' },
  { to: '/policies', label: 'nav.policies', need: 'viewer' },
  { to: '/groups', label: 'nav.groups', need: 'viewer' },
  { to: '/exceptions', label: 'nav.exceptions', need: 'viewer' },
  { to: '/incidents', label: 'nav.incidents', need: 'viewer' },
  { to: '/users', label: 'nav.users', need: 'admin' },
  { to: '/audit', label: 'nav.audit', need: 'admin' },
];

export function App() {
  const [lang, setLangState] = useState<Lang>(() => preferredLang(localStorage.getItem(LANG_KEY), navigator.languages ?? [navigator.language]));
  const setLang = useCallback((l: Lang) => { localStorage.setItem(LANG_KEY, l); setLangState(l); }, []);
  setApiLang(lang);
  useEffect(() => { document.documentElement.lang = lang; }, [lang]);
  const i18n = useMemo(() => makeI18n(lang, setLang), [lang, setLang]);
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const loc = useLocation();

  const check = useCallback(async () => {
    try {
      const h = await api<{ setupRequired: boolean }>('GET', '/api/health');
      if (h.setupRequired) { setPhase({ kind: 'setup' }); return; }
      try {
        const me = await api<{ user: User; csrf?: string }>('GET', '/api/me');
        setCsrf(me.csrf);
        setPhase({ kind: 'in', user: me.user });
      } catch { setPhase({ kind: 'login' }); }
    } catch (error) { setPhase({ kind: 'down', error }); }
  }, []);
  useEffect(() => { void check(); }, [check]);

  const signedIn = (user: User, csrf: string) => {
    setCsrf(csrf);
    setPhase({ kind: 'in', user });
    if (loc.path === '/login' || loc.path === '/setup') navigate('/', true);
  };

  let body;
  if (phase.kind === 'loading') body = <p aria-live="polite">{i18n.t('loading')}</p>;
  else if (phase.kind === 'down') body = <ErrorNote error={phase.error} />;
  else if (phase.kind === 'setup') body = <SetupPage onDone={signedIn} />;
  else if (phase.kind === 'login') body = <LoginPage onDone={signedIn} />;
  else body = <Routes path={loc.path} />;

  const user = phase.kind === 'in' ? phase.user : null;
  return (
    <I18nContext.Provider value={i18n}>
      <UserContext.Provider value={user}>
        <a className="skip" href="#main">{i18n.t('skip')}</a>
        <header className="top">
          <span className="brand">omamori <span>{i18n.t('console')}</span></span>
          {user ? <Nav user={user} path={loc.path} /> : null}
          <div className="top-right">
            <LangSwitch />
            {user ? <>
              <span className="who">{user.username} <span className="badge role">{i18n.t(`role.${user.role}`)}</span></span>
              <button type="button" onClick={async () => {
                try { await api('POST', '/api/logout'); } finally { setCsrf(undefined); setPhase({ kind: 'login' }); navigate('/login', true); }
              }}>{i18n.t('logout')}</button>
            </> : null}
          </div>
        </header>
        <main id="main">{body}</main>
      </UserContext.Provider>
    </I18nContext.Provider>
  );
}

function Nav({ user, path }: { user: User; path: string }) {
  const { t } = useI18n();
  return (
    <nav aria-label={t('nav.label')}>
      <ul>
        {NAV.filter((n) => can(user, n.need)).map((n) => {
          const here = n.to === '/' ? path === '/' : path === n.to || path.startsWith(`${n.to}/`);
          return <li key={n.to}><Link to={n.to} {...(here ? { 'aria-current': 'page' as const } : {})}>{t(n.label)}</Link></li>;
        })}
      </ul>
    </nav>
  );
}

function LangSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="lang" role="group" aria-label={t('language')}>
      <button type="button" lang="ja" aria-pressed={lang === 'ja'} onClick={() => setLang('ja')}>日本語</button>
      <button type="button" lang="en" aria-pressed={lang === 'en'} onClick={() => setLang('en')}>English</button>
    </div>
  );
}

function Routes({ path }: { path: string }) {
  const { t } = useI18n();
  let m;
  if (path === '/' || path === '/login' || path === '/setup') return <DashboardPage />;
  if (path === '/endpoints') return <EndpointsPage />;
  if ((m = match('/endpoints/:id', path))) return <EndpointPage id={m.id!} />;
  if (path === '/events') return <EventsPage />;
  if ((m = match('/events/:id/trust', path))) return <TrustFromEventPage eventId={m.id!} />;
  if ((m = match('/groups/:id/enforce', path))) return <EnforcePreviewPage groupId={m.id!} />;
  if (path === '/policies') return <PoliciesPage />;
  if ((m = match('/policies/:id', path))) return <PolicyPage id={m.id!} />;
  if (path === '/groups') return <GroupsPage />;
  if (path === '/exceptions') return <ExceptionsPage />;
  if (path === '/incidents') return <IncidentsPage />;
  if (path === '/incidents/new') return <NewIncidentPage />;
  if ((m = match('/incidents/:id', path))) return <IncidentPage id={m.id!} />;
  if (path === '/users') return <UsersPage />;
  if (path === '/audit') return <AuditPage />;
  return <p role="alert">{t('notFound')}</p>;
}
