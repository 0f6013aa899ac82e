import type { CatalogueSpeaker } from '@amphi/protocol';
import { useI18n } from '../i18n.tsx';

/** Who speaks: name, job and organisation, study path (the catalogue, the dossier, the class sheet). */
export function Speakers({
  speakers,
  headingLevel = 3,
  withBio = false,
  title,
}: {
  speakers: readonly CatalogueSpeaker[];
  headingLevel?: 2 | 3;
  withBio?: boolean;
  /** The heading, when not « Qui intervient ». */
  title?: string;
}) {
  const { t } = useI18n();
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <section className="speakers">
      <Heading>{title ?? t('talk.speakers')}</Heading>
      <ul>
        {speakers.map((s) => (
          <li key={s.id}>
            <strong>{s.name}</strong>
            <span className="job">
              {t('talk.speakerJob', { job: s.job, organisation: s.organisation })}
            </span>
            <span className="path">
              {s.studyPath
                ? t('talk.studyPath', { path: s.studyPath })
                : t('talk.studyPathUnknown')}
            </span>
            {withBio && s.bio && <span className="bio">{s.bio}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
