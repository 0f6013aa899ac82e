import type { CatalogueEvent } from '@amphi/protocol';
import { listOf, talkDate } from '../format.ts';
import { type MessageKey, useI18n } from '../i18n.tsx';

/** When, how long, for which levels, which theme week: a talk's facts, as a list. */
export function TalkFacts({ talk }: { talk: CatalogueEvent }) {
  const { t, lang } = useI18n();
  const levels = talk.levels.map((l) => t(`level.${l}` as MessageKey));
  return (
    <ul className="facts">
      <li className="when">
        <time dateTime={talk.startsAt}>{talkDate(talk.startsAt, lang)}</time>
      </li>
      <li>{t(`talk.format.${talk.format}` as MessageKey)}</li>
      <li>
        {levels.length > 0
          ? t('talk.levels', { levels: listOf(levels, lang) })
          : t('talk.levelsAny')}
      </li>
      {talk.themeWeek && <li>{t('talk.themeWeek', { week: talk.themeWeek })}</li>}
      {(talk.status === 'scheduled' || talk.status === 'live') && (
        <li className={talk.enrolmentOpen ? 'badge open' : 'badge closed'}>
          {talk.enrolmentOpen ? t('talk.enrolmentOpen') : t('talk.enrolmentClosed')}
        </li>
      )}
      {talk.status !== 'scheduled' && (
        <li className="badge">{t(`talk.status.${talk.status}` as MessageKey)}</li>
      )}
    </ul>
  );
}
