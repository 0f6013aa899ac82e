import type { ReactNode } from 'react';
import { useI18n } from '../i18n.tsx';
import type { StudioState } from '../live/liveState.ts';
import type { NetworkView } from '../session/types.ts';
import { NetworkStatus } from './NetworkStatus.tsx';

interface Props {
  state: StudioState;
  network: NetworkView;
  children?: ReactNode;
}

/** Event title, who I am, the network as it is, the language switch. */
export function Header({ state, network, children }: Props) {
  const { t, lang, setLang } = useI18n();
  return (
    <header className="header">
      <div className="header__title">
        <h1>{state.event.title}</h1>
        <p>
          {t(`role.${state.self.role === 'moderator' ? 'moderator' : 'speaker'}`)} ·{' '}
          {state.self.name} ·{' '}
          <span data-testid="event-status" data-status={state.event.status}>
            {t(`event.status.${state.event.status}`)}
          </span>
        </p>
      </div>
      {children}
      <NetworkStatus network={network} />
      <button
        type="button"
        className="secondary"
        lang={lang === 'fr' ? 'en' : 'fr'}
        aria-label={t('lang.switchLabel')}
        onClick={() => setLang(lang === 'fr' ? 'en' : 'fr')}
        data-testid="lang-switch"
      >
        {t('lang.switch')}
      </button>
    </header>
  );
}
