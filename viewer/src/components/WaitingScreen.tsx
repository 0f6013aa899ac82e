import { useI18n } from '../i18n.tsx';

export interface WaitingEvent {
  title: string;
  startsAt: string;
  speakers: readonly { name: string; job: string; organisation: string }[];
}

/**
 * Before the talk, on the big screen: what it is, when it starts and who
 * speaks, large enough to read from the back of the room.
 */
export function WaitingScreen({
  event,
  note,
  checkLink = false,
}: {
  event: WaitingEvent | null;
  note: string;
  /** Before the talk: a link to the network check page, on the same link. */
  checkLink?: boolean;
}) {
  const { t, lang } = useI18n();
  const starts = event ? new Date(event.startsAt) : null;
  const when =
    starts && !Number.isNaN(starts.getTime())
      ? new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
          weekday: 'long',
          day: 'numeric',
          month: 'long',
          hour: '2-digit',
          minute: '2-digit',
        }).format(starts)
      : null;
  return (
    <div className="tile waiting" data-testid="waiting-screen">
      <div className="waiting-info">
        {event && <h2 data-testid="waiting-title">{event.title}</h2>}
        {when && (
          <p className="waiting-when" data-testid="waiting-when">
            {t('waiting.startsAt', { time: when })}
          </p>
        )}
        {event && event.speakers.length > 0 && (
          <ul className="waiting-speakers" data-testid="waiting-speakers">
            {event.speakers.map((s) => (
              <li key={`${s.name}-${s.organisation}`}>
                <strong>{s.name}</strong>
                <span>{t('waiting.role', { job: s.job, organisation: s.organisation })}</span>
              </li>
            ))}
          </ul>
        )}
        <p className="waiting-note">{note}</p>
        {checkLink && (
          // Days ahead, the teacher can try the school's network from here (the same link).
          <p className="waiting-check">
            <a href={`check/${location.search}`} data-testid="waiting-check">
              {t('waiting.check')}
            </a>
          </p>
        )}
      </div>
    </div>
  );
}
