import type { Question } from '@amphi/protocol';
import { useI18n } from '../../i18n.tsx';

interface Props {
  questions: readonly Question[];
  /** A rejected or merged question goes back to triage (reopen, unmerge). */
  onBack: (q: Question) => void;
}

/** Answered, rejected and merged questions; a rejected or merged one can go back to triage. */
export function HandledList({ questions, onBack }: Props) {
  const { t } = useI18n();
  return (
    <details className="panel-details">
      <summary>{t('mod.done', { n: questions.length })}</summary>
      <ul className="mq-list mq-list--done" data-testid="done-questions">
        {questions.map((q) => (
          <li key={q.id} data-testid="question-row" data-question-id={q.id} data-status={q.status}>
            <span className={`tag tag--${q.status}`}>{t(`mod.status.${q.status}`)}</span> {q.text} —{' '}
            <span className="hint">{q.classroomName}</span>
            {(q.status === 'rejected' || q.status === 'merged') && (
              <>
                {' '}
                <button
                  type="button"
                  className="small"
                  onClick={() => onBack(q)}
                  data-testid={`question-${q.status === 'merged' ? 'unmerge' : 'reopen'}`}
                >
                  {t(q.status === 'merged' ? 'mod.unmerge' : 'mod.reopen')}
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}
