import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n.tsx';
import {
  bestSample,
  type ClockSample,
  clockSample,
  type EventClock,
  formatClock,
  readTimer,
} from '../timer.ts';

interface Props {
  /** The event's times as the server recorded them (the live state's `event`). */
  event: EventClock;
  /** Asks the server its time (signaling's `ping`): this computer's clock may be off. */
  ping: () => Promise<{ now: number }>;
}

/** Samples kept; a new one every SAMPLE_MS once one succeeded, every RETRY_MS before. */
const SAMPLES = 5;
const SAMPLE_MS = 30_000;
const RETRY_MS = 2_000;

/** How far the server's clock is ahead of this one (ms), from the recent pings with the shortest round trips. */
function useServerClockOffset(ping: Props['ping']): number {
  const [offset, setOffset] = useState(0);
  const latest = useRef(ping);
  latest.current = ping;
  useEffect(() => {
    const samples: ClockSample[] = [];
    let timer: number | undefined;
    let stopped = false;
    const sample = async () => {
      const sentAt = Date.now();
      try {
        const { now } = await latest.current();
        if (stopped) return;
        samples.push(clockSample(sentAt, now, Date.now()));
        if (samples.length > SAMPLES) samples.shift();
        setOffset(bestSample(samples)?.offsetMs ?? 0);
      } catch {
        // Not connected yet: try again soon.
      }
      if (!stopped) timer = window.setTimeout(sample, samples.length > 0 ? SAMPLE_MS : RETRY_MS);
    };
    void sample();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, []);
  return offset;
}

/**
 * Elapsed and remaining time against the 45 / 55 min format, from the time the
 * event went live on the server (the same in every studio, reload or not);
 * warns 5 min before the end, stops at the end.
 */
export function SessionTimer({ event, ping }: Props) {
  const { t } = useI18n();
  const offset = useServerClockOffset(ping);
  const [now, setNow] = useState(() => Date.now());
  const reading = readTimer(event, now, offset);
  const ticking = event.startedAt !== null && event.endedAt === null;
  // Ticks as the elapsed time turns a second, so every studio turns it at the same moment.
  const untilNextSecond = 1000 - (reading.elapsedMs % 1000);
  // biome-ignore lint/correctness/useExhaustiveDependencies: each tick (a new `now`) schedules the next
  useEffect(() => {
    if (!ticking) return;
    const id = window.setTimeout(() => setNow(Date.now()), untilNextSecond + 5);
    return () => window.clearTimeout(id);
  }, [ticking, now, offset]);
  const note =
    reading.phase === 'idle'
      ? t('timer.idle')
      : reading.phase === 'wrapUp'
        ? t('timer.wrapUp')
        : reading.phase === 'overtime'
          ? t('timer.overtime')
          : reading.phase === 'ended'
            ? t('timer.ended')
            : null;
  return (
    <section
      className={`timer timer--${reading.phase}`}
      aria-label={t('timer.label')}
      data-testid="session-timer"
      data-phase={reading.phase}
    >
      <span className="timer__format">{t('timer.format', { minutes: event.durationMinutes })}</span>
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
