import type { CatalogueEvent } from '@amphi/protocol';
import { type MessageKey, useI18n } from '../i18n.tsx';

const CATEGORIES = ['job_reality', 'training_path', 'human_side'] as const;

/**
 * The preparation dossier: what the talk covers, how it runs, the three
 * families of questions with examples, what to do before and after.
 */
export function Dossier({ talk }: { talk: CatalogueEvent }) {
  const { t } = useI18n();
  const covers = talk.description ?? talk.summary;
  return (
    <section className="dossier" aria-labelledby="dossier-title">
      <h2 id="dossier-title">{t('dossier.title')}</h2>
      <h3>{t('dossier.covers')}</h3>
      {covers ? <p className="covers">{covers}</p> : <p>{t('dossier.coversNone')}</p>}
      <h3>{t('dossier.format')}</h3>
      <p>{t(`dossier.format.${talk.format}` as MessageKey)}</p>
      <p>{t('dossier.nothingRecorded')}</p>
      <h3>{t('dossier.questions')}</h3>
      <p>{t('dossier.questionsIntro')}</p>
      <dl className="categories">
        {CATEGORIES.map((c) => (
          <div key={c}>
            <dt>{t(`dossier.category.${c}` as MessageKey)}</dt>
            <dd>{t(`dossier.category.${c}.examples` as MessageKey)}</dd>
          </div>
        ))}
      </dl>
      <h3>{t('dossier.before')}</h3>
      <ol>
        <li>{t('dossier.before.1')}</li>
        <li>{t('dossier.before.2')}</li>
        <li>{t('dossier.before.3')}</li>
      </ol>
      <FollowUp headingLevel={3} />
    </section>
  );
}

/** How to follow up after the talk: in the dossier (level 3), and on the class sheet (level 2). */
export function FollowUp({ headingLevel }: { headingLevel: 2 | 3 }) {
  const { t } = useI18n();
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <>
      <Heading>{t(headingLevel === 2 ? 'class.followUp' : 'dossier.after')}</Heading>
      <ol>
        {/* On the class sheet itself, « open the class page » goes without saying. */}
        {headingLevel === 3 && <li>{t('dossier.after.1')}</li>}
        <li>{t('dossier.after.2')}</li>
        <li>{t('dossier.after.3')}</li>
      </ol>
    </>
  );
}
