import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n.tsx';

/**
 * The class on stage sees itself as the speaker does (mirrored, like a
 * mirror) and can cut its microphone: the track keeps flowing, silent, so
 * turning it back on is instant.
 */
export function StageSelf({
  stream,
  muted,
  onToggleMute,
  onLeave,
}: {
  stream: MediaStream | null;
  muted: boolean;
  onToggleMute: () => void;
  onLeave: () => void;
}) {
  const { t } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = video.current;
    if (!el || !stream) return;
    // The picture only: the class must not hear itself.
    el.srcObject = new MediaStream(stream.getVideoTracks());
    void el.play().catch(() => {});
  }, [stream]);
  return (
    <section className="panel stage-self" data-testid="on-stage" aria-labelledby="stage-self-title">
      <p id="stage-self-title" className="note live">
        {t('stage.live')}
      </p>
      {stream && stream.getVideoTracks().length > 0 && (
        <video
          ref={video}
          className="self-view"
          autoPlay
          playsInline
          muted
          aria-label={t('stage.self')}
          data-testid="self-view"
        />
      )}
      {/* Always there, so that screen readers announce the change. */}
      <p className="note" role="status" data-testid="stage-muted">
        {muted ? t('stage.muted') : ''}
      </p>
      <div className="row">
        <button
          type="button"
          className={`big-button ${muted ? 'active' : ''}`}
          aria-pressed={muted}
          aria-keyshortcuts="M"
          onClick={onToggleMute}
          data-testid="stage-mute"
        >
          {t('stage.mute')}
        </button>
        <button type="button" className="big-button secondary" onClick={onLeave}>
          {t('stage.leave')}
        </button>
      </div>
    </section>
  );
}
