import type { RemoteMedia } from '@amphi/sdk';
import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n.tsx';

/** Dispatched on window by the page's one « Activer le son » button: every tile plays its sound. */
export const UNMUTE_ALL = 'amphi:unmute-all';

/**
 * One speaker: their camera (or screen) and voice in one element, sound on
 * when the browser allows. `frozen`: the line is lost, the picture shows its
 * last frame; said over it, large enough for the back of the room. `active`:
 * the one talking in a panel (enlarged). `onSoundBlocked`: the browser holds
 * the sound back until a gesture; the page offers one button for all tiles.
 */
export function SpeakerTile({
  media,
  audioOnly,
  frozen = false,
  active = false,
  onSoundBlocked,
}: {
  media: RemoteMedia[];
  audioOnly: boolean;
  frozen?: boolean;
  active?: boolean;
  onSoundBlocked?: (blocked: boolean) => void;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLVideoElement>(null);
  const hasVideo = media.some((m) => m.track.kind === 'video');
  const name = media[0]?.producer.name ?? '';
  const [blocked, setBlocked] = useState(false);
  const trackIds = media.map((m) => m.track.id).join(',');
  const reportBlocked = useRef(onSoundBlocked);
  reportBlocked.current = onSoundBlocked;
  useEffect(() => {
    reportBlocked.current?.(blocked);
  }, [blocked]);
  useEffect(() => () => reportBlocked.current?.(false), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the tracks are what trackIds names
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const stream = new MediaStream(media.map((m) => m.track));
    el.srcObject = stream;
    el.muted = false;
    el.play().catch(() => {
      // Autoplay with sound refused until someone clicks: play muted, offer the button.
      el.muted = true;
      setBlocked(true);
      void el.play().catch(() => {});
    });
  }, [trackIds]);

  const unmute = () => {
    const el = ref.current;
    if (!el) return;
    el.muted = false;
    void el.play().then(() => setBlocked(false));
  };

  // Any click or key in the page (F for full screen...) is the gesture the
  // browser waits for: every tile of a panel gets its sound at once.
  // biome-ignore lint/correctness/useExhaustiveDependencies: unmute reads the ref only
  useEffect(() => {
    if (!blocked) return;
    window.addEventListener('pointerdown', unmute);
    window.addEventListener('keydown', unmute);
    window.addEventListener(UNMUTE_ALL, unmute);
    return () => {
      window.removeEventListener('pointerdown', unmute);
      window.removeEventListener('keydown', unmute);
      window.removeEventListener(UNMUTE_ALL, unmute);
    };
  }, [blocked]);

  return (
    <div
      className={`tile ${active ? 'tile--active' : ''}`}
      data-testid="speaker-tile"
      data-active={active}
    >
      {/* biome-ignore lint/a11y/useMediaCaption: live speech, no captions track exists */}
      <video
        ref={ref}
        autoPlay
        playsInline
        aria-label={name ? t('video.label', { name }) : t('video.labelUnnamed')}
        data-testid="speaker-video"
      />
      {name && (
        <p className="tile-name" data-testid="speaker-name">
          {name}
        </p>
      )}
      {(!hasVideo || audioOnly) && <p className="tile-note">{t('video.audioOnlyHint')}</p>}
      {/* The banner announces the state; this says it where everyone is looking. */}
      {frozen && (
        <div className="tile-frozen" data-testid="frozen-overlay" aria-hidden="true">
          <p>{t('video.frozen')}</p>
        </div>
      )}
    </div>
  );
}
