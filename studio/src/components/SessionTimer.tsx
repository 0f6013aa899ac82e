import { useEffect, useState } from 'react';
import { useI18n } from '../i18n.tsx';
import { formatClock, readTimer } from '../timer.ts';

interface Props {
  /** When the session went on air (ms since epoch), or null before. */
  startedAt: number | null;
  durationMinutes: number;
}

/** Elapsed and remaining time against the 45 / 55 min format; warns 5 min before the end. */
export function SessionTimer({ startedAt, durationMinutes }: Props) {
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (startedAt === null) return;
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, [startedAt]);
  const reading = readTimer(startedAt, durationMinutes, startedAt === null ? 0 : now);
  const note =
    reading.phase === 'idle'
      ? t('timer.idle')
      : reading.phase === 'wrapUp'
        ? t('timer.wrapUp')
        : reading.phase === 'overtime'
          ? t('timer.overtime')
          : null;
  return (
    <section
      className={`timer timer--${reading.phase}`}
      aria-label={t('timer.label')}
      data-testid="session-timer"
      data-phase={reading.phase}
    >
      <span className="timer__format">{t('timer.format', { minutes: durationMinutes })}</span>
      <span className="timer__clock">
        <span className="timer__caption">{t('timer.elapsed')}</span>{' '}
        <time data-testid="timer-elapsed">{formatClock(reading.elapsedMs)}</time>
      </span>
      <span className="timer__clock">
        <span className="timer__caption">{t('timer.remaining')}</span>{' '}
        <time data-testid="timer-remaining">{formatClock(reading.remainingMs)}</time>
      </span>
      {note && (
        <span className="timer__note" role={reading.phase === 'idle' ? undefined : 'status'}>
          {note}
        </span>
      )}
    </section>
  );
}
