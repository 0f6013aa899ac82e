import { useI18n } from '../../i18n.tsx';
import { MODERATOR_SHORTCUTS } from '../../shortcuts.ts';

const shown = (key: string) =>
  key === 'ArrowDown'
    ? '↓'
    : key === 'ArrowUp'
      ? '↑'
      : key.length === 1 || key.startsWith('Ctrl+')
        ? key.toUpperCase().replace('CTRL', 'Ctrl')
        : key;

/** The console's shortcuts, from the same table the key handler reads. */
export function ShortcutHelp({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  const { t } = useI18n();
  return (
    <section className="panel shortcuts" aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">
        <button
          type="button"
          className="link"
          aria-expanded={open}
          aria-controls="shortcuts-list"
          onClick={onToggle}
          aria-keyshortcuts="?"
          data-testid="shortcuts-toggle"
        >
          {t('mod.shortcuts')} <kbd>?</kbd>
        </button>
      </h2>
      {open && (
        <dl id="shortcuts-list" className="shortcuts__list" data-testid="shortcuts-help">
          {MODERATOR_SHORTCUTS.map((s) => (
            <div key={s.action} className="shortcuts__item">
              <dt>
                {s.keys.map((k) => (
                  <kbd key={k}>{shown(k)}</kbd>
                ))}
              </dt>
              <dd>{t(`mod.key.${s.action}`)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
