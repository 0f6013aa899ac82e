import { useLiveSession } from '@amphi/app-kit';
import type { ProducerSource } from '@amphi/protocol';
import { SignalingError } from '@amphi/sdk';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { NetworkView, PublishedTrack, Request, StudioSession } from './types.ts';

export type SessionPhase =
  | { kind: 'connecting' }
  | { kind: 'ready'; session: StudioSession }
  | { kind: 'failed'; error: SignalingError };

/** The browser's own view of the network, as it changes. */
function useOnline(): boolean {
  const [online, setOnline] = useState(() =>
    typeof navigator === 'undefined' ? true : navigator.onLine,
  );
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/**
 * The studio's view of the `LiveSession` (app-kit's `useLiveSession`, under
 * the `LiveSessionProvider` of App): the live state, the network as it is,
 * the tracks received (everything this role may see but its own) and the
 * ways to act.
 */
export function useStudioSession(): SessionPhase {
  const { session, snapshot } = useLiveSession();
  const online = useOnline();
  const { link, quality, media } = snapshot;

  const network = useMemo<NetworkView>(
    () => ({
      status: link.status,
      attempt: link.attempt,
      nextRetryAt: link.nextRetryAt,
      online,
      quality: quality?.quality ?? null,
      rttMs: quality?.sample.rttMs ?? null,
      lossRate: quality?.sample.lossRate ?? null,
      mediaAvailable: media.available,
    }),
    [link, quality, media.available, online],
  );

  const remotes = useMemo(
    () => media.remotes.map((r) => ({ producer: r.producer, track: r.track })),
    [media.remotes],
  );

  const request = useCallback<Request>(
    (type, data) =>
      session
        ? session.request(type, data)
        : Promise.reject(new SignalingError('CLOSED', 'not connected')),
    [session],
  );

  const publish = useCallback(
    async (track: MediaStreamTrack, source: ProducerSource): Promise<PublishedTrack> => {
      if (!session) throw new SignalingError('CLOSED', 'not connected');
      const local = await session.produce(track, { source });
      return {
        replaceTrack: (next) => local.replaceTrack(next),
        getStats: async () => (local.producer ? local.producer.getStats() : null),
        close: () => local.close(),
      };
    },
    [session],
  );

  const { view, fatal } = snapshot;
  return useMemo<SessionPhase>(() => {
    if (fatal) return { kind: 'failed', error: fatal };
    if (!view) return { kind: 'connecting' };
    return { kind: 'ready', session: { state: view, network, remotes, request, publish } };
  }, [fatal, view, network, remotes, request, publish]);
}
