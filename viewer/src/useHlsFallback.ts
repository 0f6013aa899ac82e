import { type LiveSession, REMEMBER_PATH_MS } from '@amphi/sdk';
import { useEffect, useRef, useState } from 'react';
import { hlsPlaylistUrl } from './components/HlsPlayer.tsx';
import { useReach } from './useReach.ts';

/**
 * How long the ladder may try WebRTC without connecting before the class
 * falls back to LL-HLS, at the latest: sooner when the media client says
 * every way failed (`exhausted`: about 2 s without a relay, 5 s with one).
 */
export const HLS_AFTER_MS = 12_000;

/**
 * WebRTC trying this long without connecting (a direct path connects in
 * 0.1–0.3 s, the relay's TLS in about 0.5 s): the broadcast's egress is
 * started, and hls.js loaded, while the ladder goes on. A cold egress takes
 * 1–2 s to its first part (FFmpeg, the speaker's next key frame, a part's
 * worth of media); started here it is ready by the time the ladder gives up,
 * and the fallback's first picture comes as fast as a remembered one's. A
 * class that connects after all costs nothing: the egress stops when nobody
 * asks for it (HlsHub's idle time).
 */
export const HLS_WARM_AFTER_MS = 500;

/** Starts the event's one egress (a playlist request) and loads the player's code, once. */
function warm(session: LiveSession): void {
  const url = hlsPlaylistUrl(session.options.eventId, session.options.token);
  void fetch(url, { cache: 'no-store' })
    .then((r) => r.body?.cancel())
    .catch(() => {});
  void import('hls.js').catch(() => {});
}

/** `?path=hls` in the link: the fallback alone, no WebRTC tried (tests, a school that knows it needs it). */
export function forcedHls(): boolean {
  return new URLSearchParams(location.search).get('path') === 'hls';
}

const KEY = 'amphi.hls';

/**
 * Whether this browser's last join ended on the fallback (within a day, as
 * the WebRTC path is remembered): the next one starts on it at once instead
 * of waiting HLS_AFTER_MS for WebRTC, which keeps being tried behind it.
 */
export const hlsMemory = {
  load(now = Date.now()): boolean {
    try {
      const at = Number(JSON.parse(localStorage.getItem(KEY) ?? 'null')?.at);
      return Number.isFinite(at) && now - at <= REMEMBER_PATH_MS;
    } catch {
      return false;
    }
  },
  save(on: boolean): void {
    try {
      if (on) localStorage.setItem(KEY, JSON.stringify({ at: Date.now() }));
      else localStorage.removeItem(KEY);
    } catch {
      // Storage refused (private mode): the next join waits for WebRTC first.
    }
  },
};

/**
 * The ladder's last rung, after the media client's: when no WebRTC rung has
 * connected for HLS_AFTER_MS (or at once when the last join ended there), the
 * class watches over LL-HLS. The media client keeps trying WebRTC meanwhile;
 * once a transport connects the class goes back to it (climbing back up), and
 * the fallback is forgotten. While on HLS it says so to the moderators
 * (presence path `hls`: no stage from there).
 */
export function useHlsFallback(session: LiveSession | null): boolean {
  const reach = useReach(session?.media ?? null);
  const [forced] = useState(forcedHls);
  // Remembered from the last join: on the fallback from the start.
  const [late, setLate] = useState(() => hlsMemory.load());
  const status = reach?.status ?? 'idle';

  const warmed = useRef<LiveSession | null>(null);

  useEffect(() => {
    if (status === 'connected') {
      setLate(false);
      hlsMemory.save(false);
    }
    if (status !== 'trying') return;
    const timer = setTimeout(() => {
      setLate(true);
      hlsMemory.save(true);
    }, HLS_AFTER_MS);
    const warmTimer = setTimeout(() => {
      if (!session || warmed.current === session) return;
      warmed.current = session;
      warm(session);
    }, HLS_WARM_AFTER_MS);
    return () => {
      clearTimeout(timer);
      clearTimeout(warmTimer);
    };
  }, [status, session]);

  // Every WebRTC way already failed (a lone direct rung unanswered, or all at once): no need to wait.
  const exhausted = reach?.exhausted === true;
  useEffect(() => {
    if (exhausted && status !== 'connected') {
      setLate(true);
      hlsMemory.save(true);
    }
  }, [exhausted, status]);

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
