import type { ClassSheet, Question } from '@amphi/protocol';
import { useCallback, useEffect, useState } from 'react';
import { fetchClassSheet } from '../api.ts';
import { type MessageKey, useI18n } from '../i18n.tsx';
import { links } from '../route.ts';
import { Dossier, FollowUp } from './Dossier.tsx';
import { QuestionForm } from './QuestionForm.tsx';
import { Speakers } from './Speakers.tsx';
import { TalkFacts } from './TalkFacts.tsx';

/** How often the page reads its questions' status again while the talk is to come. */
const REFRESH_MS = 20_000;

type Load =
  | { state: 'loading' }
  | { state: 'loaded'; sheet: ClassSheet }
  | { state: 'failed'; error: unknown };

/**
 * The class's page, opened with its link: before the talk, send questions
 * into the moderated queue and follow their status; after it, the class
 * sheet for the follow-up lesson.
 */
export function ClassPage({ token }: { token: string }) {
  const { t, errorText } = useI18n();
  const [load, setLoad] = useState<Load>({ state: 'loading' });

  const refresh = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const sheet = await fetchClassSheet(token, signal);
        setLoad({ state: 'loaded', sheet });
      } catch (error) {
        if (!signal?.aborted)
          setLoad((l) => (l.state === 'loaded' ? l : { state: 'failed', error }));
      }
    },
    [token],
  );

  useEffect(() => {
    const abort = new AbortController();
    void refresh(abort.signal);
    return () => abort.abort();
  }, [refresh]);

  const over = load.state === 'loaded' && load.sheet.event.status === 'ended';
  useEffect(() => {
    if (load.state !== 'loaded' || over) return;
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load.state, over, refresh]);

  if (load.state === 'loading') return <p aria-live="polite">{t('app.loading')}</p>;
  if (load.state === 'failed') {
    return (
      <section>
        <h1>{t('class.sheet')}</h1>
        <p className="error" role="alert">
          {t('class.loadError', { reason: errorText(load.error) })}
        </p>
        <p>
          <a href={links.catalogue}>{t('app.backToCatalogue')}</a>
        </p>
      </section>
    );
  }
  const { event, classroom, questions } = load.sheet;
  const answered = questions.filter(
    (q) => q.status === 'answered' || q.status === 'answering',
  ).length;
  return (
    <article className="class-page" aria-labelledby="class-title">
      <h1 id="class-title">{t('class.title', { label: classroom.label })}</h1>
      <p className="school">
        {t('class.school', { school: classroom.schoolName, town: classroom.town })}
      </p>
      <h2>{t('class.talk', { title: event.title })}</h2>
      <TalkFacts talk={event} />
      {over ? (
        <section className="sheet" aria-labelledby="sheet-title">
          <h2 id="sheet-title">{t('class.sheet')}</h2>
          <p>{t('class.sheetIntro')}</p>
          <p className="answered">
            {answered === 0
              ? t('class.sheetNoneAnswered')
              : t('class.sheetAnswered', { count: answered })}
          </p>
          <Questions questions={questions} after />
          <Speakers speakers={event.speakers} headingLevel={2} title={t('class.sheetSpeakers')} />
          <FollowUp headingLevel={2} />
          <p className="actions">
            <button type="button" className="secondary" onClick={() => window.print()}>
              {t('class.print')}
            </button>
          </p>
        </section>
      ) : (
        <>
          {event.status === 'cancelled' ? null : (
            <QuestionForm token={token} onSent={() => void refresh()} />
          )}
          <Questions questions={questions} after={false} onRefresh={() => void refresh()} />
          <Speakers speakers={event.speakers} headingLevel={2} />
          <Dossier talk={event} />
        </>
      )}
    </article>
  );
}

/** The class's questions with their status (told for after the talk once it is over). */
function Questions({
  questions,
  after,
  onRefresh,
}: {
  questions: readonly Question[];
  after: boolean;
  onRefresh?: () => void;
}) {
  const { t } = useI18n();
  const statusText = (q: Question) => {
    const afterKey = `class.statusAfter.${q.status}`;
    return after && afterKey in AFTER_STATUSES
      ? t(afterKey as MessageKey)
      : t(`class.status.${q.status}` as MessageKey);
  };
  return (
    <section className="questions" aria-labelledby="questions-title">
      <h2 id="questions-title">
        {t('class.questions')}{' '}
        <span className="count">({t('class.questionsCount', { count: questions.length })})</span>
      </h2>
      {onRefresh && (
        <button type="button" className="secondary" onClick={onRefresh}>
          {t('class.refresh')}
        </button>
      )}
      {questions.length === 0 ? (
        <p>{t('class.noQuestions')}</p>
      ) : (
        <ol className="question-list">
          {questions.map((q) => (
            <li key={q.id} className={`question status-${q.status}`}>
              <p className="text">{q.text === '' ? <em>{t('class.erased')}</em> : q.text}</p>
              <p className="meta">
                <span className="category">{t(`class.category.${q.category}` as MessageKey)}</span>
                <span>{q.askedBeforeEvent ? t('class.askedBefore') : t('class.askedLive')}</span>
              </p>
              <p className="status">
                <strong>{statusText(q)}</strong>
              </p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

const AFTER_STATUSES: Record<string, true> = {
  'class.statusAfter.approved': true,
  'class.statusAfter.pending': true,
  'class.statusAfter.answering': true,
};
