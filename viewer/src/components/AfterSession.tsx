import type { Question } from '@amphi/protocol';
import { useI18n } from '../i18n.tsx';

/** After the talk: the class's own questions and whether they were answered. Text only. */
export function AfterSession({ questions }: { questions: Question[] }) {
  const { t } = useI18n();
  return (
    <section className="panel after" data-testid="after-session">
      <h1>{t('after.title')}</h1>
      <h2>{t('after.mine')}</h2>
      {questions.length === 0 && <p>{t('after.none')}</p>}
      <ul>
        {questions.map((q) => (
          <li key={q.id}>
            <span className="q-text">{q.text}</span>{' '}
            <span className={`pill pill-${q.status === 'answered' ? 'answered' : 'pending'}`}>
              {q.status === 'answered' ? t('after.answered') : t('after.notAnswered')}
            </span>
          </li>
        ))}
      </ul>
      <p className="muted">{t('after.privacy')}</p>
    </section>
  );
}
