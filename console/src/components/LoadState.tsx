import { useI18n } from '../i18n.tsx';
import type { Loaded } from '../useLoad.ts';

/** « Chargement… », or what went wrong and a way to try again. */
export function LoadState({ loaded }: { loaded: Loaded<unknown> }) {
  const { t, errorText } = useI18n();
  if (loaded.error) {
    return (
      <div role="alert" className="error">
        <p>{t('app.failed', { reason: errorText(loaded.error) })}</p>
        <button type="button" onClick={loaded.reload}>
          {t('app.retry')}
        </button>
      </div>
    );
  }
  if (loaded.loading && loaded.data === undefined) return <p role="status">{t('app.loading')}</p>;
  return null;
}
