import { parseJoinLink } from '@amphi/sdk';
import { useMemo } from 'react';
import { useCheckI18n } from './i18n.tsx';
import { ProbeList } from './ProbeList.tsx';
import { useNetworkCheck } from './useNetworkCheck.ts';
import { VerdictPanel } from './VerdictPanel.tsx';

/**
 * The network check page (/viewer/check/?event=…&token=…): the class's own
 * link, days before the talk; one button, each way in, one verdict.
 */
export function CheckApp() {
  const { t } = useCheckI18n();
  const params = useMemo(() => parseJoinLink(location.search), []);
  if (!params) return <Refused text={t('check.badLink')} />;
  if (params.claimedRole !== 'classroom') return <Refused text={t('check.notClassroom')} />;
  return <CheckPage token={params.token} />;
}

function Refused({ text }: { text: string }) {
  return (
    <main className="check">
      <p className="panel error big" role="alert">
        {text}
      </p>
    </main>
  );
}

function CheckPage({ token }: { token: string }) {
  const { t, lang, toggle, errorText } = useCheckI18n();
  const { state, start } = useNetworkCheck(token);
  const { progress, result, overview, running, error } = state;
  const previous = overview?.latest ?? null;
  const date = (iso: string) =>
    new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' }).format(new Date(iso));
  return (
    <main className="check">
      <header className="check-top">
        <h1>{t('check.title')}</h1>
        <button
          type="button"
          onClick={toggle}
          aria-label={t('check.langLabel')}
          lang={lang === 'fr' ? 'en' : 'fr'}
        >
          {t('check.lang')}
        </button>
      </header>
      {overview && (
        <p className="check-for" data-testid="check-for">
          {t('check.for', {
            classroom: overview.classroomName,
            title: overview.eventTitle,
            date: date(overview.eventStartsAt),
          })}
        </p>
      )}
      <p className="check-intro">{t('check.intro')}</p>
      {previous && !result && (
        <p className="muted" data-testid="check-previous">
          {t('check.previous', {
            date: date(previous.checkedAt),
            verdict: t(`verdict.${previous.verdict.level}`),
          })}
        </p>
      )}
      <div className="controls">
        <button
          type="button"
          className="big-button"
          onClick={() => void start()}
          disabled={running}
          data-testid="check-start"
        >
          {running ? t('check.running') : result || error ? t('check.again') : t('check.start')}
        </button>
      </div>
      {/* The verdict first, where the room looks; how each way in fared below it. */}
      {result && <VerdictPanel result={result} />}
      <div aria-live="polite" className="check-progress">
        {progress && (
          <>
            <h2>{t('check.ways')}</h2>
            <p className="muted" data-testid="check-phase">
              {t(`phase.${progress.phase}`)}
            </p>
            <ProbeList probes={progress.probes} running={running} />
          </>
        )}
        {error ? (
          <p className="error" role="alert" data-testid="check-error">
            {t('check.failed', { reason: errorText(error) })}
          </p>
        ) : null}
      </div>
    </main>
  );
}
