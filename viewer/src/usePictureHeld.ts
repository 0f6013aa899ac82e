import type { MediaClient } from '@amphi/sdk';
import { useEffect, useState } from 'react';

/** How long the picture must stand still, with the voice still coming, before the class is told. */
const HELD_MS = 2500;
const EVERY_MS = 500;

/**
 * Whether the line holds the picture back: no frame decoded for HELD_MS while
 * the voice keeps arriving. The media server stops sending a picture the
 * class's line cannot carry (its bandwidth estimate under the lowest simulcast
 * layer) and sends it again once the estimate grows: without a word the class
 * would see a still image and not know why, nor that the sound goes on.
 * `watching`: the class wants the picture (not the voice alone, not the HLS
 * fallback, a speaker's video there).
 */
export function usePictureHeld(media: MediaClient | null, watching: boolean): boolean {
  const [held, setHeld] = useState(false);
  useEffect(() => {
    setHeld(false);
    if (!media || !watching) return;
    let frames = -1;
    let audio = -1;
    let movedAt = Date.now();
    let stopped = false;
    const read = async () => {
      const s = await media.inboundStats().catch(() => null);
      if (stopped || !s) return;
      const now = Date.now();
      const soundComes = audio >= 0 && s.audio.packetsReceived > audio;
      if (s.video.framesDecoded !== frames) movedAt = now;
      frames = s.video.framesDecoded;
      audio = s.audio.packetsReceived;
      // A cut line stops the sound too: the connection banner says that one.
      setHeld(soundComes && now - movedAt >= HELD_MS);
    };
    const timer = setInterval(() => void read(), EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [media, watching]);
  return held;
}
