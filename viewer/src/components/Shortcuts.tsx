import { useI18n } from '../i18n.tsx';

/** The keys, always on screen: the teacher drives the big screen from the keyboard. */
export function Shortcuts() {
  const { t } = useI18n();
  return (
    <footer className="shortcuts">
      <span className="sr-only">{t('keys.title')}</span>
      {(['keys.full', 'keys.ask', 'keys.hand', 'keys.audio', 'keys.lang'] as const).map((k) => (
        <kbd key={k}>{t(k)}</kbd>
      ))}
    </footer>
  );
}
