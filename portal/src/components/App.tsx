import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n.tsx';
import { links, useRoute } from '../route.ts';
import { Catalogue } from './Catalogue.tsx';
import { ClassPage } from './ClassPage.tsx';
import { TalkPage } from './TalkPage.tsx';

/** The teachers' portal: a header, then the screen the address names. */
export function App() {
  const { t, toggle } = useI18n();
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const key = route.name === 'talk' ? route.eventId : route.name;
  // A new screen (not the first one): its content is read from the top, and the keyboard starts there.
  const shown = useRef(key);
  useEffect(() => {
    if (shown.current === key) return;
    shown.current = key;
    window.scrollTo(0, 0);
    main.current?.focus();
  }, [key]);
  useEffect(() => {
    document.title = `${t('app.name')} — ${t('app.nav.catalogue')}`;
  }, [t]);

  return (
    <div className="app">
      <button type="button" className="skip" onClick={() => main.current?.focus()}>
        {t('app.skip')}
      </button>
      <header className="top">
        <a className="brand" href={links.catalogue}>
          <span className="name">{t('app.name')}</span>
          <span className="tagline">{t('app.tagline')}</span>
        </a>
        <nav>
          <a href={links.catalogue}>{t('app.nav.catalogue')}</a>
        </nav>
        <button type="button" className="lang" onClick={toggle} aria-label={t('lang.label')}>
          {t('lang.switch')}
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {route.name === 'catalogue' && <Catalogue />}
        {route.name === 'talk' && <TalkPage key={route.eventId} eventId={route.eventId} />}
        {route.name === 'class' && <ClassPage key={route.token} token={route.token} />}
        {route.name === 'notFound' && (
          <section>
            <h1>{t('app.notFound')}</h1>
            <p>
              <a href={links.catalogue}>{t('app.backToCatalogue')}</a>
            </p>
          </section>
        )}
      </main>
    </div>
  );
}
