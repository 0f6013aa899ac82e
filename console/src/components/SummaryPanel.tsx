import { MediaPath } from '@amphi/protocol';
import { fetchSummary } from '../api.ts';
import { dateTime, number } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useLoad } from '../useLoad.ts';
import { ColumnHeads } from './ColumnHeads.tsx';
import { Counts } from './Counts.tsx';
import { LoadState } from './LoadState.tsx';
import { Tile } from './Tile.tsx';

/** After the event: attendance, questions asked and answered, network problems per school; numbers only. */
export function SummaryPanel({ eventId }: { eventId: string }) {
  const { t, lang } = useI18n();
  const loaded = useLoad(() => fetchSummary(eventId), `summary:${eventId}`);
  const s = loaded.data;
  if (!s) return <LoadState loaded={loaded} />;
  const q = s.questions;
  return (
    <div className="summary">
      <p>
        {s.startedAt && s.endedAt
          ? t('summary.ran', { from: dateTime(s.startedAt, lang), to: dateTime(s.endedAt, lang) })
          : t('summary.notOver')}{' '}
        {t('summary.privacy')}
      </p>
      <div className="tiles">
        <Tile
          big
          testId="summary-attended"
          value={t('summary.attendedOf', {
            attended: number(s.attendedClassrooms, lang),
            enrolled: number(s.enrolledClassrooms, lang),
          })}
          count={s.enrolledClassrooms}
          label="summary.attended"
        />
        <Tile testId="summary-asked" count={q.asked} label="summary.asked" />
        <Tile count={q.answered} label="summary.answered" />
        <Tile count={s.enrolledStudents} label="summary.students" />
      </div>
      <div className="columns">
        <Counts
          id="summary-questions"
          title={t('summary.questions')}
          rows={[
            [t('summary.q.asked'), q.asked],
            [t('summary.q.before'), q.askedBeforeEvent],
            [t('summary.q.approved'), q.approved],
            [t('summary.q.answered'), q.answered],
            [t('summary.q.rejected'), q.rejected],
            [t('summary.q.merged'), q.merged],
            [t('summary.q.pending'), q.pending],
          ]}
        />
        <Counts
          id="summary-paths"
          title={t('summary.paths')}
          rows={MediaPath.options
            .filter((p) => s.paths[p])
            .map((p) => [t(`mediaPath.${p}`), s.paths[p] ?? 0])}
          empty={t('summary.noPaths')}
        />
      </div>
      <section aria-labelledby="summary-schools">
        <h2 id="summary-schools">{t('summary.schools', { count: s.schools.length })}</h2>
        <div className="scroll">
          <table>
            <ColumnHeads
              keys={[
                'school.name',
                'school.region',
                'summary.col.attended',
                'summary.col.asked',
                'summary.col.answered',
                'summary.col.reconnects',
                'summary.col.poor',
                'summary.col.relay',
              ]}
            />
            <tbody>
              {s.schools.map((school) => (
                <tr key={school.schoolId}>
                  <th scope="row">
                    {school.schoolName} ({school.town})
                  </th>
                  <td>{school.region}</td>
                  <td>
                    {t('summary.attendedOf', {
                      attended: number(school.attendedClassrooms, lang),
                      enrolled: number(school.enrolledClassrooms, lang),
                    })}
                  </td>
                  <td>{number(school.questionsAsked, lang)}</td>
                  <td>{number(school.questionsAnswered, lang)}</td>
                  <td>{number(school.reconnects, lang)}</td>
                  <td>{number(school.classroomsWithPoorConnection, lang)}</td>
                  <td>{number(school.classroomsOnRelayOrFallback, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
