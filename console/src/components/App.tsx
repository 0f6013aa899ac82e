import type { ConsoleSession } from '@amphi/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { currentSession, signOut, whenSignedOut } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { links, type Route, useRoute } from '../route.ts';
import { AccountsPage } from './AccountsPage.tsx';
import { AuditPage } from './AuditPage.tsx';
import { EventForm } from './EventForm.tsx';
import { EventList } from './EventList.tsx';
import { EventPage } from './EventPage.tsx';
import { ImportPage } from './ImportPage.tsx';
import { SignIn } from './SignIn.tsx';

/** The console: sign-in first, then the operator's screens under one header. */
export function App() {
  const { t, errorText, toggle } = useI18n();
  const [session, setSession] = useState<ConsoleSession | null | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);
  const route = useRoute();

  useEffect(() => {
    currentSession().then(setSession, (err: unknown) => {
      setSession(null);
      setFailure(errorText(err));
    });
    whenSignedOut(() => setSession(null));
    return () => whenSignedOut(null);
  }, [errorText]);

  const out = useCallback(async () => {
    await signOut().catch(() => {});
    setSession(null);
  }, []);

  // The skip link stands before the header: the header's white link colour is not its own.
  const header = (
    <>
      <a className="skip" href="#content">
        {t('app.skip')}
      </a>
      <header className="top">
        <a className="brand" href={links.events}>
          <span className="name">{t('app.name')}</span>
          <span className="tagline">{t('app.tagline')}</span>
        </a>
        {session && (
          <nav aria-label={t('nav.label')}>
            <ul>
              <li>
                <a href={links.events} aria-current={current(route, 'events')}>
                  {t('nav.events')}
                </a>
              </li>
              <li>
                <a href={links.import} aria-current={current(route, 'import')}>
                  {t('nav.import')}
                </a>
              </li>
              {session.account.role === 'admin' && (
                <li>
                  <a href={links.accounts} aria-current={current(route, 'accounts')}>
                    {t('nav.accounts')}
                  </a>
                </li>
              )}
              <li>
                <a href={links.audit} aria-current={current(route, 'audit')}>
                  {t('nav.audit')}
                </a>
              </li>
            </ul>
          </nav>
        )}
        <button type="button" className="lang" onClick={toggle} aria-label={t('lang.label')}>
          {t('lang.switch')}
        </button>
        {session && (
          <div className="who">
            <span>
              {t('app.signedInAs', {
                name: session.account.displayName,
                role: t(`role.${session.account.role}`),
              })}
            </span>
            <button type="button" onClick={out}>
              {t('app.signOut')}
            </button>
          </div>
        )}
      </header>
    </>
  );

  if (session === undefined) {
    return (
      <>
        {header}
        <main id="content">
          <p role="status">{t('app.loading')}</p>
        </main>
      </>
    );
  }
  if (session === null) {
    return (
      <>
        {header}
        <main id="content">
          {failure && <p role="alert">{failure}</p>}
          <SignIn onSignedIn={setSession} />
        </main>
      </>
    );
  }
  return (
    <>
      {header}
      <Screen route={route} isAdmin={session.account.role === 'admin'} />
    </>
  );
}

function current(route: Route, name: Route['name']): 'page' | undefined {
  return route.name === name || (name === 'events' && route.name === 'event') ? 'page' : undefined;
}

/** One screen; its heading takes the focus when the screen changes (keyboard and screen readers). */
function Screen({ route, isAdmin }: { route: Route; isAdmin: boolean }) {
  const { t } = useI18n();
  const main = useRef<HTMLElement>(null);
  const key = JSON.stringify(route);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the route is what changes
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [key]);
  let body: React.ReactNode;
  switch (route.name) {
    case 'events':
      body = <EventList />;
      break;
    case 'newEvent':
      body = <EventForm />;
      break;
    case 'event':
      body = <EventPage eventId={route.eventId} tab={route.tab} />;
      break;
    case 'import':
      body = <ImportPage />;
      break;
    case 'accounts':
      body = isAdmin ? <AccountsPage /> : <h1 tabIndex={-1}>{t('app.adminsOnly')}</h1>;
      break;
    case 'audit':
      body = <AuditPage />;
      break;
    default:
      body = <h1 tabIndex={-1}>{t('app.notFound')}</h1>;
  }
  return (
    <main id="content" ref={main}>
      {body}
    </main>
  );
}
