import type { Question } from '@amphi/protocol';
import { type MessageKey, useI18n } from '../i18n.tsx';

/** Where the list comes from: still loading from the server, the server's, or this tab's copy. */
export type AfterSessionSource = 'loading' | 'server' | 'local';

function outcome(q: Question): { key: MessageKey; pill: string } {
  // The speaker was on it when the event closed: the class heard the answer.
  if (q.status === 'answered' || q.status === 'answering') {
    return { key: 'after.answered', pill: 'answered' };
  }
  if (q.status === 'merged') return { key: 'after.merged', pill: 'pending' };
  return { key: 'after.notAnswered', pill: 'pending' };
}

/** After the talk: the class's own questions and whether they were answered. Text only. */
export function AfterSession({
  questions,
  source,
}: {
  questions: Question[];
  source: AfterSessionSource;
}) {
  const { t } = useI18n();
  return (
    <section className="panel after" data-testid="after-session">
      <h1>{t('after.title')}</h1>
      <h2>{t('after.mine')}</h2>
      {source === 'loading' ? (
        <p role="status" className="muted">
          {t('after.loading')}
        </p>
      ) : (
        <>
          {source === 'local' && (
            <p role="status" className="note">
              {t(questions.length > 0 ? 'after.localCopy' : 'after.unavailable')}
            </p>
          )}
          {source === 'server' && questions.length === 0 && <p>{t('after.none')}</p>}
          <ul>
            {questions.map((q) => {
              const { key, pill } = outcome(q);
              return (
                <li key={q.id}>
                  <span className="q-text">{q.text}</span>{' '}
                  <span className={`pill pill-${pill}`}>{t(key)}</span>
                </li>
              );
            })}
          </ul>
        </>
      )}
      <p className="muted">{t('after.privacy')}</p>
    </section>
  );
}
