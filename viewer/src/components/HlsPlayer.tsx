import type Hls from 'hls.js';
import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n.tsx';
import { useAutoplaySound } from './useAutoplaySound.ts';

/** The broadcast's LL-HLS playlist, admitted with the class's join link (control-api routes/hls.ts). */
export function hlsPlaylistUrl(eventId: string, token: string): string {
  const path = `/hls/${encodeURIComponent(eventId)}/playlist.m3u8`;
  return `${new URL(path, location.origin)}?token=${encodeURIComponent(token)}`;
}

/**
 * The fallback when no WebRTC gets through: the speaker's picture and voice
 * over LL-HLS (hls.js, low-latency mode: parts and blocking reloads), a second
 * or two late, from the web server alone. Sound as SpeakerTile does it: on
 * when the browser allows, else after the page's one button or any gesture.
 */
export function HlsPlayer({
  eventId,
  token,
  onSoundBlocked,
  name = null,
}: {
  eventId: string;
  token: string;
  onSoundBlocked: (blocked: boolean) => void;
  /** Whose picture it is, as on a WebRTC tile (the class sees who speaks). */
  name?: string | null;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLVideoElement>(null);
  const play = useAutoplaySound(ref, onSoundBlocked);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const src = hlsPlaylistUrl(eventId, token);
    let stop: (() => void) | undefined;
    let gone = false;
    // hls.js is loaded when a class needs it: the others' first picture does not wait for its parsing.
    void import('hls.js').then(({ default: HlsJs }) => {
      if (!gone) stop = start(HlsJs, el, src, play);
    });
    return () => {
      gone = true;
      stop?.();
    };
  }, [eventId, token, play]);

  return (
    <div className="tile" data-testid="hls-tile">
      {/* biome-ignore lint/a11y/useMediaCaption: live speech, no captions track exists */}
      <video ref={ref} data-testid="hls-video" autoPlay playsInline aria-label={t('reach.hls')} />
      {name && (
        <p className="tile-name" data-testid="speaker-name">
          {name}
        </p>
      )}
    </div>
  );
}

/** Plays `src` in `el` (hls.js, or the browser's own LL-HLS); returns how to stop. */
function start(HlsJs: typeof Hls, el: HTMLVideoElement, src: string, play: () => void): () => void {
  if (!HlsJs.isSupported()) {
    // Safari plays LL-HLS itself.
    el.src = src;
    play();
    return () => {
      el.removeAttribute('src');
      el.load();
    };
  }
  const hls = new HlsJs({
    lowLatencyMode: true,
    // Behind the target latency (a start on a key frame, a stall): play faster to catch up.
    maxLiveSyncPlaybackRate: 1.5,
    // Nothing is kept behind the picture: the class watches live, never rewinds.
    backBufferLength: 4,
    // The egress starts with the first class that asks: its first answer may take seconds.
    manifestLoadPolicy: {
      default: {
        maxTimeToFirstByteMs: 20_000,
        maxLoadTimeMs: 30_000,
        timeoutRetry: { maxNumRetry: 10, retryDelayMs: 1000, maxRetryDelayMs: 4000 },
        errorRetry: { maxNumRetry: 30, retryDelayMs: 1000, maxRetryDelayMs: 4000 },
      },
    },
  });
  let retry: ReturnType<typeof setTimeout> | undefined;
  hls.on(HlsJs.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === HlsJs.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    else {
      // The egress restarted (a new path) or the line dropped: load the playlist again.
      clearTimeout(retry);
      retry = setTimeout(() => hls.loadSource(src), 2000);
    }
  });
  hls.on(HlsJs.Events.MANIFEST_PARSED, play);
  hls.loadSource(src);
  hls.attachMedia(el);
  // The wall-clock time of the frame on screen (EXT-X-PROGRAM-DATE-TIME): how late the class is.
  const stamp = () => {
    const at = hls.playingDate?.getTime();
    if (at) el.dataset.programTime = String(at);
  };
  el.addEventListener('timeupdate', stamp);
  return () => {
    clearTimeout(retry);
    el.removeEventListener('timeupdate', stamp);
    hls.destroy();
  };
}
