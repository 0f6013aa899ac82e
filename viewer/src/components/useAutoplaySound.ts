import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';

/** Dispatched on window by the page's one « Activer le son » button: every tile plays its sound. */
export const UNMUTE_ALL = 'amphi:unmute-all';

/**
 * Sound on when the browser allows it; else the video plays muted and the
 * first click, key or « Activer le son » of the page gives it its sound (every
 * tile of a panel at once). `onSoundBlocked` tells the page to offer its button.
 * Returns `play`, to call whenever the element gets a new source.
 */
export function useAutoplaySound(
  ref: RefObject<HTMLVideoElement | null>,
  onSoundBlocked?: (blocked: boolean) => void,
): () => void {
  const [blocked, setBlocked] = useState(false);
  const report = useRef(onSoundBlocked);
  report.current = onSoundBlocked;
  useEffect(() => {
    report.current?.(blocked);
  }, [blocked]);
  useEffect(() => () => report.current?.(false), []);

  const play = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    el.muted = false;
    el.play().catch(() => {
      // Autoplay with sound refused until someone clicks: play muted meanwhile.
      el.muted = true;
      setBlocked(true);
      void el.play().catch(() => {});
    });
  }, [ref]);

  useEffect(() => {
    if (!blocked) return;
    const unmute = () => {
      const el = ref.current;
      if (!el) return;
      el.muted = false;
      void el.play().then(() => setBlocked(false));
    };
    window.addEventListener('pointerdown', unmute);
    window.addEventListener('keydown', unmute);
    window.addEventListener(UNMUTE_ALL, unmute);
    return () => {
      window.removeEventListener('pointerdown', unmute);
      window.removeEventListener('keydown', unmute);
      window.removeEventListener(UNMUTE_ALL, unmute);
    };
  }, [blocked, ref]);

  return play;
}
