import type { QualityReport, StatusInfo } from '@amphi/sdk';
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n.tsx';

/** Says plainly how the connection is: the back row must understand why the picture froze. */
export function StatusBanner({
  status,
  quality,
  onRetry,
  onAudioOnly,
  pictureHeld = false,
}: {
  status: StatusInfo;
  quality: QualityReport | null;
  onRetry: () => void;
  /** The line cannot carry the picture: the server holds it back, the sound goes on (usePictureHeld). */
  pictureHeld?: boolean;
  /** Offered on a weak line: the voice alone gets through where the picture freezes. */
  onAudioOnly: (() => void) | null;
}) {
  const { t } = useI18n();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (status.status !== 'reconnecting') return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [status.status]);

  let level: string;
  let text: string;
  if (status.status === 'connecting') {
    level = 'degraded';
    text = t('net.connecting');
  } else if (status.status === 'reconnecting') {
    level = 'offline';
    const seconds = status.nextRetryAt ? Math.ceil((status.nextRetryAt - now) / 1000) : 0;
    text =
      seconds > 0
        ? t('net.reconnecting', { seconds, attempt: status.attempt })
        : t('net.reconnectingNow', { attempt: status.attempt });
  } else if (status.status === 'closed') {
    level = 'offline';
    text = t('net.offline');
  } else if (pictureHeld && quality?.quality !== 'offline') {
    level = 'bad';
    text = t('net.pictureHeld');
  } else {
    level = quality?.quality ?? 'good';
    text = t(`net.${level as 'good' | 'degraded' | 'bad' | 'offline'}`);
  }
  return (
    <div
      className={`banner banner-${level}`}
      data-testid="net-banner"
      data-level={level}
      data-status={status.status}
      data-attempt={status.attempt}
      data-picture-held={pictureHeld && level === 'bad' ? 'true' : 'false'}
    >
      <span className="dot" aria-hidden="true" />
      {/* Only the state is announced: the latency figure changes every few seconds. */}
      <span role="status">{text}</span>
      {status.status === 'reconnecting' && (
        <button type="button" onClick={onRetry}>
          {t('net.retryNow')}
        </button>
      )}
      {level === 'bad' && onAudioOnly && (
        <button type="button" onClick={onAudioOnly} data-testid="suggest-audio-only">
          {t('net.switchToAudioOnly')}
        </button>
      )}
      {quality?.sample.rttMs != null && status.status === 'open' && (
        <span className="rtt">{t('net.roundTrip', { ms: Math.round(quality.sample.rttMs) })}</span>
      )}
    </div>
  );
}
