import { admission } from '@amphi/sdk';
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n.tsx';

/** How often a removed classroom asks whether it is let back in (within the join rate limit). */
const ASK_EVERY_MS = 5_000;
/** How long « réadmise » stays on screen before the class is back in the session. */
const RETURN_AFTER_MS = 4_000;

/**
 * A classroom removed by a moderator: said on screen, and the server asked now
 * and then whether a moderator let it back in; if so, the class is told and
 * returns to the session by itself (a projector has no one at the keyboard).
 */
export function RemovedNotice({ socketUrl }: { socketUrl: string }) {
  const { t } = useI18n();
  const [back, setBack] = useState(false);

  useEffect(() => {
    if (back) {
      const timer = setTimeout(() => window.location.reload(), RETURN_AFTER_MS);
      return () => clearTimeout(timer);
    }
    let stopped = false;
    const timer = setInterval(() => {
      void admission(socketUrl).then((answer) => {
        if (!stopped && answer === 'admitted') setBack(true);
      });
    }, ASK_EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [socketUrl, back]);

  if (!back) {
    return (
      <p className="panel error big" role="alert" data-testid="removed">
        {t('app.removed')}
      </p>
    );
  }
  return (
    <div className="panel big" role="alert" data-testid="readmitted">
      <p>{t('app.readmitted')}</p>
      <button
        type="button"
        className="primary"
        // biome-ignore lint/a11y/noAutofocus: the one thing to do on this screen
        autoFocus
        onClick={() => window.location.reload()}
      >
        {t('app.rejoin')}
      </button>
    </div>
  );
}
