import { useI18n } from '../../i18n.tsx';
import type { UndoEntry } from './triage.ts';

interface Props {
  /** What the next undo takes back; null: nothing (or it no longer applies). */
  entry: UndoEntry | null;
  busy: boolean;
  /** What the last undo took back, said once done. */
  done: string | null;
  onUndo: () => void;
}

/** « Annuler : rejet de la question de 4e B… »: the last action, named, one key away (U or Ctrl+Z). */
export function UndoBar({ entry, busy, done, onUndo }: Props) {
  const { t } = useI18n();
  return (
    <div className="undo-bar" data-testid="undo-bar">
      {entry && (
        <button
          type="button"
          className="secondary undo-bar__button"
          onClick={onUndo}
          disabled={busy}
          aria-keyshortcuts="U Control+Z"
          data-testid="undo"
          data-kind={entry.kind}
        >
          {t('mod.undo', { what: undoWhat(t, entry) })} <kbd>U</kbd>
        </button>
      )}
      <p className="undo-bar__done" role="status" data-testid="undo-done">
        {!entry && done ? done : ''}
      </p>
    </div>
  );
}

/** The words for what an entry undoes: « rejet de la question de 4e B, Collège… ». */
export function undoWhat(
  t: ReturnType<typeof useI18n>['t'],
  entry: Pick<UndoEntry, 'kind' | 'name'>,
): string {
  return t(`mod.undo.${entry.kind}`, { name: entry.name });
}
