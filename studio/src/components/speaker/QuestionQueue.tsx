import type { Question } from '@amphi/protocol';
import { useI18n } from '../../i18n.tsx';
import { approvedQueue } from '../../questions.ts';

/** The approved questions as the speaker takes them; the one being answered stands out. */
export function QuestionQueue({ questions }: { questions: readonly Question[] }) {
  const { t } = useI18n();
  const queue = approvedQueue(questions);
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
                  {q.upvotes > 0 && <> · {t('speaker.upvotes', { n: q.upvotes })}</>}
                </p>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
