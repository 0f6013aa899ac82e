import type { Question } from '@amphi/protocol';
import { useI18n } from '../../i18n.tsx';
import { approvedQueue, speakerTurn } from '../../questions.ts';

interface Props {
  questions: readonly Question[];
  /** The speaker takes a question, or says it is answered. */
  onMark: (question: Question, action: 'answering' | 'answered') => void;
}

/**
 * The approved questions as the speaker takes them; the one being answered
 * stands out. Every row can be taken; N takes the next one, D closes it.
 */
export function QuestionQueue({ questions, onMark }: Props) {
  const { t } = useI18n();
  const queue = approvedQueue(questions);
  const { next } = speakerTurn(questions);
  return (
    <section className="panel queue" aria-labelledby="queue-title">
      <h2 id="queue-title">{t('speaker.questions')}</h2>
      {queue.length === 0 ? (
        <p className="empty">{t('speaker.noQuestions')}</p>
      ) : (
        <ol className="queue__list" aria-live="polite">
          {queue.map((q) => {
            const answering = q.status === 'answering';
            return (
              <li
                key={q.id}
                className={`question ${answering ? 'question--answering' : ''}`}
                data-testid="speaker-question"
                data-question-id={q.id}
                data-status={q.status}
                aria-current={answering ? 'true' : undefined}
              >
                {answering && (
                  <strong className="tag tag--live">{t('speaker.answeringNow')}</strong>
                )}
                {q.pinned && <span className="tag">{t('speaker.pinned')}</span>}
                <p className="question__text">{q.text}</p>
                <p className="question__meta">
                  {q.classroomName} · {t(`mod.category.${q.category}`)}
                  {q.upvotes > 0 && <> · {t('speaker.upvotes', { count: q.upvotes })}</>}
                </p>
                {answering ? (
                  <button
                    type="button"
                    onClick={() => onMark(q, 'answered')}
                    aria-keyshortcuts="D"
                    data-testid="speaker-question-answered"
                  >
                    {t('speaker.answerDone')}
                  </button>
                ) : (
                  <button
                    type="button"
                    onClick={() => onMark(q, 'answering')}
                    aria-keyshortcuts={q.id === next?.id ? 'N' : undefined}
                    data-testid="speaker-question-answering"
                  >
                    {q.id === next?.id ? t('speaker.answerNext') : t('speaker.answerThis')}
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
