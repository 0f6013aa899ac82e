import type { CatalogueEvent, TeacherEnrolment } from '@amphi/protocol';
import { useEffect, useState } from 'react';
import { fetchTalk } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { links } from '../route.ts';
import { EnrolForm } from './EnrolForm.tsx';
import { Enrolled } from './Enrolled.tsx';
import { Speakers } from './Speakers.tsx';
import { TalkFacts } from './TalkFacts.tsx';

type Load =
  | { state: 'loading' }
  | { state: 'loaded'; talk: CatalogueEvent }
  | { state: 'failed'; error: unknown };

/** One talk: what it is, who speaks, and the form to enrol a class (then its links and dossier). */
export function TalkPage({ eventId }: { eventId: string }) {
  const { t, errorText } = useI18n();
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [enrolment, setEnrolment] = useState<TeacherEnrolment | null>(null);
  // A new form for another class starts empty.
  const [formKey, setFormKey] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a retry (`attempt`) loads again
  useEffect(() => {
    const abort = new AbortController();
    fetchTalk(eventId, abort.signal).then(
      (talk) => setLoad({ state: 'loaded', talk }),
      (error: unknown) => {
        if (!abort.signal.aborted) setLoad({ state: 'failed', error });
      },
    );
    return () => abort.abort();
  }, [eventId, attempt]);

  if (load.state === 'loading') return <p aria-live="polite">{t('app.loading')}</p>;
  if (load.state === 'failed') {
    return (
      <section>
        <p className="error" role="alert">
          {t('app.failed', { reason: errorText(load.error) })}
        </p>
        <p>
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>
            {t('app.retry')}
          </button>{' '}
          <a href={links.catalogue}>{t('app.backToCatalogue')}</a>
        </p>
      </section>
    );
  }
  const { talk } = load;
  return (
    <article className="talk-page" aria-labelledby="talk-title">
      <p>
        <a href={links.catalogue}>{t('app.backToCatalogue')}</a>
      </p>
      <h1 id="talk-title">{talk.title}</h1>
      <TalkFacts talk={talk} />
      {talk.summary && <p className="summary">{talk.summary}</p>}
      {talk.description && (
        <>
          <h2>{t('talk.covers')}</h2>
          <p className="covers">{talk.description}</p>
        </>
      )}
      <Speakers speakers={talk.speakers} headingLevel={2} withBio />
      {enrolment ? (
        <Enrolled
          enrolment={enrolment}
          onAnother={() => {
            setEnrolment(null);
            setFormKey((k) => k + 1);
          }}
        />
      ) : talk.enrolmentOpen && (talk.status === 'scheduled' || talk.status === 'live') ? (
        <EnrolForm key={formKey} talk={talk} onEnrolled={setEnrolment} />
      ) : (
        <p className="note">{t('enrol.closed')}</p>
      )}
    </article>
  );
}
