import { useEffect, useRef } from 'react';

/** Plays a remote audio track (a co-speaker, the classroom on stage). */
export function AudioSink({ track, testId }: { track: MediaStreamTrack | null; testId?: string }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const audio = ref.current;
    if (!audio) return;
    audio.srcObject = track ? new MediaStream([track]) : null;
    if (track) audio.play().catch(() => {});
  }, [track]);
  // biome-ignore lint/a11y/useMediaCaption: live speech, no captions track exists
  return <audio ref={ref} autoPlay data-testid={testId} />;
}
