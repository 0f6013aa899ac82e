import type { TeacherEnrolment } from '@amphi/protocol';
import { useEffect, useRef, useState } from 'react';
import { classCalendar } from '../calendar.ts';
import { useI18n } from '../i18n.tsx';
import { classPageUrl } from '../route.ts';
import { CopyLink } from './CopyLink.tsx';
import { Dossier } from './Dossier.tsx';

/**
 * What a teacher gets once the class is enrolled: its links (shown once:
 * the server keeps no copy of a link), the calendar file, the dossier.
 */
export function Enrolled({
  enrolment,
  onAnother,
}: {
  enrolment: TeacherEnrolment;
  onAnother: () => void;
}) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  const { event, classroom, joinUrl, token, networkCheckUrl } = enrolment;
  const classUrl = classPageUrl(token);

  useEffect(() => {
    heading.current?.focus();
  }, []);

  // The file's address lives as long as the screen: made and revoked by one effect
  // (a memo revoked by an effect's cleanup would be gone after a remount).
  const [calendarHref, setCalendarHref] = useState<string | null>(null);
  useEffect(() => {
    const lines = [
      t('calendar.class', {
        label: classroom.label,
        school: `${classroom.schoolName} (${classroom.town})`,
      }),
      t('calendar.join', { url: joinUrl }),
      t('calendar.classPage', { url: classUrl }),
      ...(networkCheckUrl ? [t('calendar.check', { url: networkCheckUrl })] : []),
    ];
    const ics = classCalendar({
      eventId: event.id,
      classroomId: classroom.id,
      summary: t('calendar.summary', { title: event.title }),
      startsAt: event.startsAt,
      durationMinutes: event.durationMinutes,
      lines,
      joinUrl,
    });
    const url = URL.createObjectURL(new Blob([ics], { type: 'text/calendar;charset=utf-8' }));
    setCalendarHref(url);
    return () => URL.revokeObjectURL(url);
  }, [t, event, classroom, joinUrl, classUrl, networkCheckUrl]);

  return (
    <section className="enrolled" aria-labelledby="enrolled-title">
      <h2 id="enrolled-title" ref={heading} tabIndex={-1}>
        {t('done.title', { label: classroom.label })}
      </h2>
      <p className="warning">{t('done.keep')}</p>
      <CopyLink label={t('done.join')} hint={t('done.joinHint')} url={joinUrl} />
      <CopyLink label={t('done.classPage')} hint={t('done.classPageHint')} url={classUrl} />
      {networkCheckUrl ? (
        <CopyLink label={t('done.check')} hint={t('done.checkHint')} url={networkCheckUrl} />
      ) : (
        <div className="link-to-keep">
          <h3>{t('done.check')}</h3>
          <p className="hint">{t('done.checkNone')}</p>
        </div>
      )}
      <p className="actions">
        {calendarHref && (
          <a className="button primary" href={calendarHref} download="amphi-seance.ics">
            {t('done.calendar')}
          </a>
        )}
        <button type="button" className="secondary" onClick={() => window.print()}>
          {t('done.print')}
        </button>
        <button type="button" className="secondary" onClick={onAnother}>
          {t('done.another')}
        </button>
      </p>
      <Dossier talk={event} />
    </section>
  );
}
