import type { CatalogueList } from '@amphi/protocol';
import { useEffect, useId, useState } from 'react';
import { type CatalogueFilters, fetchCatalogue } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { links } from '../route.ts';
import { Field } from './Field.tsx';
import { LevelOptions } from './LevelOptions.tsx';
import { Speakers } from './Speakers.tsx';
import { TalkFacts } from './TalkFacts.tsx';

const PAGE = 20;

type Load =
  | { state: 'loading' }
  | { state: 'loaded'; list: CatalogueList }
  | { state: 'failed'; error: unknown };

/** The upcoming talks, filtered by theme week, level, dates and job. */
export function Catalogue() {
  const { t, errorText } = useI18n();
  const [filters, setFilters] = useState<CatalogueFilters>({});
  // The job is typed: the list follows once typing pauses.
  const [job, setJob] = useState('');
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [more, setMore] = useState<'idle' | 'loading' | { error: unknown }>('idle');
  const ids = useId();

  useEffect(() => {
    const timer = setTimeout(() => {
      setFilters((f) => {
        const next = job.trim();
        return (f.job ?? '') === next ? f : { ...f, job: next || undefined };
      });
    }, 300);
    return () => clearTimeout(timer);
  }, [job]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a retry (`attempt`) loads again
  useEffect(() => {
    const abort = new AbortController();
    setMore('idle');
    fetchCatalogue(filters, { limit: PAGE, offset: 0 }, abort.signal).then(
      (list) => setLoad({ state: 'loaded', list }),
      (error: unknown) => {
        if (!abort.signal.aborted) setLoad({ state: 'failed', error });
      },
    );
    return () => abort.abort();
  }, [filters, attempt]);

  /** The next page, after the talks shown (the list may have grown meanwhile: no talk twice). */
  const showMore = async (list: CatalogueList) => {
    setMore('loading');
    try {
      const next = await fetchCatalogue(filters, { limit: PAGE, offset: list.items.length });
      const known = new Set(list.items.map((e) => e.id));
      setLoad({
        state: 'loaded',
        list: { ...next, items: [...list.items, ...next.items.filter((e) => !known.has(e.id))] },
      });
      setMore('idle');
    } catch (error) {
      setMore({ error });
    }
  };

  const set = (name: keyof CatalogueFilters) => (value: string) => {
    setFilters((f) => ({ ...f, [name]: value || undefined }));
  };
  const weeks = load.state === 'loaded' ? load.list.themeWeeks : [];
  const filtered = Object.values(filters).some(Boolean) || job !== '';

  return (
    <section className="catalogue" aria-labelledby={`${ids}-title`}>
      <h1 id={`${ids}-title`}>{t('catalogue.title')}</h1>
      <p className="intro">{t('catalogue.intro')}</p>
      <form
        className="filters"
        aria-label={t('catalogue.filters')}
        onSubmit={(e) => e.preventDefault()}
      >
        <Field id={`${ids}-week`} label={t('catalogue.filter.themeWeek')}>
          {(control) => (
            <select
              {...control}
              value={filters.themeWeek ?? ''}
              onChange={(e) => set('themeWeek')(e.target.value)}
            >
              <option value="">{t('catalogue.filter.allWeeks')}</option>
              {weeks.map((w) => (
                <option key={w} value={w}>
                  {w}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id={`${ids}-level`} label={t('catalogue.filter.level')}>
          {(control) => (
            <select
              {...control}
              value={filters.level ?? ''}
              onChange={(e) => set('level')(e.target.value)}
            >
              <option value="">{t('catalogue.filter.allLevels')}</option>
              <LevelOptions />
            </select>
          )}
        </Field>
        <Field id={`${ids}-from`} label={t('catalogue.filter.from')}>
          {(control) => (
            <input
              {...control}
              type="date"
              value={filters.from ?? ''}
              onChange={(e) => set('from')(e.target.value)}
            />
          )}
        </Field>
        <Field id={`${ids}-to`} label={t('catalogue.filter.to')}>
          {(control) => (
            <input
              {...control}
              type="date"
              value={filters.to ?? ''}
              onChange={(e) => set('to')(e.target.value)}
            />
          )}
        </Field>
        <Field
          id={`${ids}-job`}
          label={t('catalogue.filter.job')}
          hint={t('catalogue.filter.jobHint')}
          wide
        >
          {(control) => (
            <input
              {...control}
              type="search"
              value={job}
              maxLength={120}
              onChange={(e) => setJob(e.target.value)}
            />
          )}
        </Field>
        {filtered && (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setJob('');
              setFilters({});
            }}
          >
            {t('catalogue.filter.clear')}
          </button>
        )}
      </form>

      <p className="count" aria-live="polite">
        {load.state === 'loaded'
          ? t('catalogue.count', { count: load.list.total })
          : load.state === 'loading'
            ? t('app.loading')
            : ''}
      </p>
      {load.state === 'failed' && (
        <p className="error" role="alert">
          {t('app.failed', { reason: errorText(load.error) })}{' '}
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>
            {t('app.retry')}
          </button>
        </p>
      )}
      {load.state === 'loaded' && load.list.items.length === 0 && (
        <p className="empty">{t('catalogue.empty')}</p>
      )}
      {load.state === 'loaded' && (
        <ul className="talks">
          {load.list.items.map((talk) => (
            <li key={talk.id}>
              <article className="talk" aria-labelledby={`talk-${talk.id}`}>
                <h2 id={`talk-${talk.id}`}>
                  <a href={links.talk(talk.id)}>{talk.title}</a>
                </h2>
                <TalkFacts talk={talk} />
                {talk.summary && <p className="summary">{talk.summary}</p>}
                <Speakers speakers={talk.speakers} />
                {talk.enrolmentOpen && (
                  <a
                    className="button primary"
                    href={links.talk(talk.id)}
                    aria-label={t('talk.enrolLabel', { title: talk.title })}
                  >
                    {t('talk.enrol')}
                  </a>
                )}
              </article>
            </li>
          ))}
        </ul>
      )}
      {load.state === 'loaded' && load.list.total > load.list.items.length && (
        <p>
          <button
            type="button"
            disabled={more === 'loading'}
            onClick={() => void showMore(load.list)}
          >
            {more === 'loading' ? t('app.loading') : t('catalogue.more')}
          </button>
        </p>
      )}
      {typeof more === 'object' && (
        <p className="error" role="alert">
          {t('app.failed', { reason: errorText(more.error) })}
        </p>
      )}
    </section>
  );
}
