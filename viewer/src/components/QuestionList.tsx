import { type Question, queueOf } from '@amphi/protocol';
import { useI18n } from '../i18n.tsx';

/** The approved queue (upvote) and the class's own questions with their status. */
export function QuestionList({
  questions,
  classroomId,
  upvoted,
  onUpvote,
}: {
  questions: Question[];
  classroomId: string | null;
  upvoted: ReadonlySet<string>;
  onUpvote: (id: string) => void;
}) {
  const { t } = useI18n();
  const approved = queueOf(questions);
  const mine = questions.filter((q) => q.classroomId === classroomId);
  return (
    <section className="panel questions" data-testid="questions">
      <h2>{t('questions.title')}</h2>
      {approved.length === 0 && <p className="muted">{t('questions.empty')}</p>}
      <ol>
        {approved.map((q) => (
          <li
            key={q.id}
            className={q.status === 'answering' ? 'answering' : ''}
            data-question-id={q.id}
          >
            <p className="q-text">{q.text}</p>
            <p className="q-meta">
              {t(`category.${q.category}`)} · {t('questions.by', { classroom: q.classroomName })}
              {q.status === 'answering' && ` · ${t('questions.status.answering')}`}
            </p>
            <button
              type="button"
              className="upvote"
              disabled={upvoted.has(q.id) || q.classroomId === classroomId}
              aria-label={t('questions.upvoteLabel', { count: q.upvotes })}
              onClick={() => onUpvote(q.id)}
            >
              {upvoted.has(q.id) ? t('questions.upvoted') : t('questions.upvote')}{' '}
              <span data-testid="upvotes">{q.upvotes}</span>
            </button>
          </li>
        ))}
      </ol>
      {mine.length > 0 && (
        <>
          <h3>{t('questions.mine')}</h3>
          <ul className="mine" data-testid="my-questions">
            {mine.map((q) => (
              <li key={q.id} data-status={q.status}>
                <span className="q-text">{q.text}</span>{' '}
                <span className={`pill pill-${q.status}`}>{t(`questions.status.${q.status}`)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
