import type { LiveSession } from '@amphi/sdk';
import { useEffect, useState } from 'react';
import { useReach } from './useReach.ts';

/**
 * How long the ladder may try WebRTC (every rung: direct, then the relay,
 * 5 s each) without connecting before the class falls back to LL-HLS.
 */
export const HLS_AFTER_MS = 12_000;

/** `?path=hls` in the link: the fallback alone, no WebRTC tried (tests, a school that knows it needs it). */
export function forcedHls(): boolean {
  return new URLSearchParams(location.search).get('path') === 'hls';
}

/**
 * The ladder's last rung, after the media client's: when no WebRTC rung has
 * connected for HLS_AFTER_MS, the class watches over LL-HLS. The media client
 * keeps climbing meanwhile; once a transport connects the class goes back to
 * WebRTC (climbing back up). While on HLS it says so to the moderators
 * (presence path `hls`: no stage from there).
 */
export function useHlsFallback(session: LiveSession | null): boolean {
  const reach = useReach(session?.media ?? null);
  const [forced] = useState(forcedHls);
  const [late, setLate] = useState(false);
  const status = reach?.status ?? 'idle';

  useEffect(() => {
    if (status === 'connected') setLate(false);
    if (status !== 'trying') return;
    const timer = setTimeout(() => setLate(true), HLS_AFTER_MS);
    return () => clearTimeout(timer);
  }, [status]);

  const hls = forced || (late && status !== 'connected');
  useEffect(() => {
    if (!hls || !session) return;
    const report = () =>
      void session.signaling
        .request('presence.quality', { quality: 'good', path: 'hls' })
        .catch(() => {});
    report();
    // Again after a reconnection of the socket (a new member for the server).
    return session.signaling.on('status', (s) => {
      if (s.status === 'open') report();
    });
  }, [hls, session]);
  return hls;
}
