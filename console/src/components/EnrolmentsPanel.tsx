import type { Event } from '@amphi/protocol';
import { listEnrolments } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useLoad } from '../useLoad.ts';
import { ColumnHeads } from './ColumnHeads.tsx';
import { EnrolClasses } from './EnrolClasses.tsx';
import { LinksPanel } from './LinksPanel.tsx';
import { LoadState } from './LoadState.tsx';

/** Who is enrolled (classes, and pupils on their own), enrolling more, and the classes' links. */
export function EnrolmentsPanel({ event }: { event: Event }) {
  const { t } = useI18n();
  const enrolments = useLoad(() => listEnrolments(event.id), `enrolments:${event.id}`);
  const data = enrolments.data;
  return (
    <div className="stack">
      <section aria-labelledby="enrolled-classes">
        <h2 id="enrolled-classes">
          {t('enrolments.classes', { count: data?.classrooms.length ?? 0 })}
        </h2>
        <LoadState loaded={enrolments} />
        {data && data.classrooms.length === 0 && <p>{t('enrolments.noClasses')}</p>}
        {data && data.classrooms.length > 0 && (
          <div className="scroll">
            <table>
              <ColumnHeads
                keys={[
                  'school.name',
                  'school.town',
                  'school.region',
                  'classroom.label',
                  'classroom.level',
                ]}
              />
              <tbody>
                {data.classrooms.map((c) => (
                  <tr key={c.classroomId}>
                    <td>{c.schoolName}</td>
                    <td>{c.town}</td>
                    <td>{c.region}</td>
                    <th scope="row">{c.label}</th>
                    <td>{t(`level.${c.level}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="enrolled-students">
        <h2 id="enrolled-students">
          {t('enrolments.students', { count: data?.students.length ?? 0 })}
        </h2>
        {data && data.students.length === 0 && <p>{t('enrolments.noStudents')}</p>}
        {data && data.students.length > 0 && (
          <ul>
            {data.students.map((s) => (
              <li key={s.id}>
                {s.displayName}, {t(`level.${s.level}`)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <EnrolClasses eventId={event.id} onEnrolled={enrolments.reload} />
      <LinksPanel eventId={event.id} enrolledCount={data?.classrooms.length ?? 0} />
    </div>
  );
}
