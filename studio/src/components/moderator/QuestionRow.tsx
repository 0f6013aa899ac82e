import { actionsAllowed, type Question, type QuestionAction } from '@amphi/protocol';
import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n.tsx';

export type RowAction = QuestionAction;
export type RowMode = 'view' | 'edit' | 'merge';

interface Props {
  question: Question;
  selected: boolean;
  mode: RowMode;
  /** Questions this one may be merged into. */
  mergeTargets: readonly Question[];
  onSelect: () => void;
  onAction: (action: RowAction) => void;
  onSave: (text: string) => void;
  onMerge: (intoQuestionId: string) => void;
  onCancel: () => void;
}

/** The row's actions and their keys; the way back (reopen, unmerge) is the undo's and the handled list's. */
const KEY: Partial<Record<RowAction, string>> = {
  approve: 'A',
  reject: 'R',
  merge: 'F',
  edit: 'E',
  pin: 'P',
  answering: 'N',
  answered: 'D',
};

/** What a moderator may do to a question in its current status (protocol's transition table), from its row. */
export function actionsFor(q: Question): RowAction[] {
  return actionsAllowed(q.status, 'moderator').filter((a) => KEY[a] !== undefined);
}

/** One question in the moderator console, with its actions and their shortcut keys. */
export function QuestionRow(props: Props) {
  const { t } = useI18n();
  const { question: q, selected, mode } = props;
  const ref = useRef<HTMLLIElement>(null);
  const [draft, setDraft] = useState(q.text);
  const [target, setTarget] = useState(props.mergeTargets[0]?.id ?? '');

  useEffect(() => {
    if (selected && mode === 'view') ref.current?.scrollIntoView({ block: 'nearest' });
  }, [selected, mode]);
  useEffect(() => {
    if (mode === 'edit') setDraft(q.text);
  }, [mode, q.text]);
  const firstTarget = props.mergeTargets[0]?.id ?? '';
  useEffect(() => {
    if (mode === 'merge') setTarget(firstTarget);
  }, [mode, firstTarget]);

  const label = (a: RowAction) =>
    a === 'pin' ? (q.pinned ? t('mod.unpin') : t('mod.pin')) : t(`mod.${a}`);

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: keyboard selection is j/k at the console level
    <li
      ref={ref}
      className={`mq ${selected ? 'mq--selected' : ''} mq--${q.status}`}
      aria-current={selected ? 'true' : undefined}
      onClick={props.onSelect}
      data-testid="question-row"
      data-question-id={q.id}
      data-status={q.status}
      data-pinned={q.pinned}
    >
      <div className="mq__body">
        <p className="mq__meta">
          <span className={`tag tag--${q.status}`}>{t(`mod.status.${q.status}`)}</span>
          {q.pinned && <span className="tag">{t('speaker.pinned')}</span>}
          <span>{q.classroomName}</span> · <span>{t(`mod.category.${q.category}`)}</span>
          {q.askedBeforeEvent && <> · {t('mod.askedBefore')}</>}
          {q.upvotes > 0 && <> · {t('speaker.upvotes', { count: q.upvotes })}</>}
        </p>
        {mode === 'edit' ? (
          <form
            className="mq__edit"
            onSubmit={(e) => {
              e.preventDefault();
              props.onSave(draft);
            }}
          >
            <label className="field">
              <span>{t('mod.editLabel')}</span>
              <textarea
                // biome-ignore lint/a11y/noAutofocus: the edit shortcut moves focus to the text
                autoFocus
                value={draft}
                maxLength={500}
                rows={3}
                onChange={(e) => setDraft(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') props.onCancel();
                  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) props.onSave(draft);
                }}
                data-testid="question-edit-text"
              />
            </label>
            <span className="hint">{t('mod.editHint')}</span>
            <button type="submit" className="primary" data-testid="question-edit-save">
              {t('mod.save')}
            </button>
            <button type="button" className="secondary" onClick={props.onCancel}>
              {t('mod.cancel')}
            </button>
          </form>
        ) : (
          <p className="mq__text">{q.text}</p>
        )}
        {mode === 'merge' && (
          <form
            className="mq__merge"
            onSubmit={(e) => {
              e.preventDefault();
              if (target) props.onMerge(target);
            }}
          >
            <label className="field">
              <span>{t('mod.mergeTarget')}</span>
              <select
                // biome-ignore lint/a11y/noAutofocus: the merge shortcut moves focus to the choice
                autoFocus
                value={target}
                onChange={(e) => setTarget(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') props.onCancel();
                }}
                data-testid="question-merge-target"
              >
                {props.mergeTargets.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.text.slice(0, 90)} — {m.classroomName}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="submit"
              className="primary"
              disabled={!target}
              data-testid="question-merge-confirm"
            >
              {t('mod.mergeConfirm')}
            </button>
            <button type="button" className="secondary" onClick={props.onCancel}>
              {t('mod.cancel')}
            </button>
          </form>
        )}
      </div>
      {mode === 'view' && (
        <div className="mq__actions">
          {actionsFor(q).map((a) => (
            <button
              key={a}
              type="button"
              className={`small ${a === 'reject' ? 'danger' : a === 'approve' ? 'primary' : ''}`}
              aria-keyshortcuts={KEY[a]}
              aria-label={`${label(a)} (${KEY[a]})`}
              onClick={(e) => {
                e.stopPropagation();
                props.onSelect();
                props.onAction(a);
              }}
              data-testid={`question-${a}`}
            >
              {label(a)} <kbd>{KEY[a]}</kbd>
            </button>
          ))}
        </div>
      )}
    </li>
  );
}
