import { useEffect, useRef } from 'react';

interface Props {
  /** A stream, or a single track (wrapped in a stream here). */
  source: MediaStream | MediaStreamTrack | null;
  /** Local previews and the program are muted; remote audio plays through AudioSink. */
  muted?: boolean;
  label: string;
  className?: string;
  testId?: string;
  mirrored?: boolean;
}

/** A live `<video>` bound to a MediaStream (srcObject), re-bound when the source changes. */
export function VideoTile({ source, muted = true, label, className, testId, mirrored }: Props) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    const stream =
      source === null ? null : source instanceof MediaStream ? source : new MediaStream([source]);
    if (video.srcObject !== stream) video.srcObject = stream;
    if (stream) video.play().catch(() => {});
  }, [source]);
  return (
    <video
      ref={ref}
      className={`video ${mirrored ? 'video--mirrored' : ''} ${className ?? ''}`}
      aria-label={label}
      data-testid={testId}
      autoPlay
      playsInline
      muted={muted}
    />
  );
}
