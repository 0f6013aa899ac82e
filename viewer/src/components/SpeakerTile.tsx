import type { RemoteMedia } from '@amphi/sdk';
import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n.tsx';
import { useAutoplaySound } from './useAutoplaySound.ts';

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
  const trackIds = media.map((m) => m.track.id).join(',');
  const play = useAutoplaySound(ref, onSoundBlocked);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the tracks are what trackIds names
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const tracks = media.map((m) => m.track);
    const stream = el.srcObject;
    if (stream instanceof MediaStream && stream.active && tracks.length > 0) {
      // The same speaker on new tracks (the class climbed back up to a better
      // path): swapped inside the stream the element plays, which keeps the
      // last frame on screen until the new track's first, where a new
      // srcObject would reload the element and show black in between. A stream
      // whose tracks all ended (the line was cut) starts anew.
      for (const old of stream.getTracks()) if (!tracks.includes(old)) stream.removeTrack(old);
      for (const track of tracks) if (!stream.getTracks().includes(track)) stream.addTrack(track);
    } else {
      el.srcObject = new MediaStream(tracks);
    }
    play();
  }, [trackIds]);

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
