import { useI18n } from '../i18n.tsx';

const KEYS = ['keys.full', 'keys.ask', 'keys.hand', 'keys.audio', 'keys.lang'] as const;

/** The keys, always on screen: the teacher drives the big screen from the keyboard. */
export function Shortcuts({ onStage = false }: { onStage?: boolean }) {
  const { t } = useI18n();
  return (
    <footer className="shortcuts">
      <span className="visually-hidden">{t('keys.title')}</span>
      {[...KEYS, ...(onStage ? (['keys.mute'] as const) : [])].map((k) => (
        <kbd key={k}>{t(k)}</kbd>
      ))}
    </footer>
  );
}
