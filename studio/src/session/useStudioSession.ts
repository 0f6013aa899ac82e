import type { EventName, ProducerSource, ServerEvent } from '@amphi/protocol';
import type { JoinParams } from '@amphi/sdk';
import { type LocalProducer, MediaClient, SignalingClient, SignalingError } from '@amphi/sdk';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { fromJoin, reduceEvent, type StudioState } from '../live/liveState.ts';
import type { NetworkView, PublishedTrack, RemoteTrack, Request, StudioSession } from './types.ts';

declare global {
  interface Window {
    /** Debug hook for the end-to-end tests and support: the live clients. */
    __amphi?: { signaling: SignalingClient; media: MediaClient };
  }
}

export type SessionPhase =
  | { kind: 'connecting' }
  | { kind: 'ready'; session: StudioSession }
  | { kind: 'failed'; error: SignalingError };

const INITIAL_NETWORK: NetworkView = {
  status: 'connecting',
  attempt: 0,
  nextRetryAt: null,
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  quality: null,
  rttMs: null,
  lossRate: null,
  mediaAvailable: true,
};

/**
 * The studio's session over `@amphi/sdk`: one SignalingClient (reconnecting),
 * one MediaClient receiving what this role may see (never its own producers),
 * the live state kept current from pushed events and restored after each
 * reconnection.
 */
export function useStudioSession(join: JoinParams, attempt: number): SessionPhase {
  const [state, setState] = useState<StudioState | null>(null);
  const [failure, setFailure] = useState<SignalingError | null>(null);
  const [network, setNetwork] = useState<NetworkView>(INITIAL_NETWORK);
  const [remotes, setRemotes] = useState<RemoteTrack[]>([]);
  const signalingRef = useRef<SignalingClient | null>(null);
  const mediaRef = useRef<MediaClient | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` restarts the session (retry button)
  useEffect(() => {
    setState(null);
    setFailure(null);
    const signaling = new SignalingClient({
      baseUrl: window.location.origin,
      eventId: join.eventId,
      token: join.token,
    });
    signalingRef.current = signaling;
    let selfId: string | null = null;
    const media = new MediaClient(signaling, {
      // Everything the server lets this role see, except this studio's own producers.
      consume: (p) => p.participantId !== selfId,
    });
    mediaRef.current = media;
    window.__amphi = { signaling, media };
    const patch = (p: Partial<NetworkView>) => setNetwork((n) => ({ ...n, ...p }));

    const offs = [
      signaling.on('status', (info) => {
        patch({ status: info.status, attempt: info.attempt, nextRetryAt: info.nextRetryAt });
        if (info.status === 'closed' && info.error) setFailure(info.error);
      }),
      signaling.on('joined', (result) => {
        selfId = result.self.participantId;
        setState(fromJoin(result));
        patch({ mediaAvailable: result.routerRtpCapabilities !== null });
      }),
      signaling.on('event', (event: EventName, data: unknown) => {
        setState((s) => (s ? reduceEvent(s, { event, data } as ServerEvent) : s));
      }),
      media.on('remotes', (list) =>
        setRemotes(list.map((r) => ({ producer: r.producer, track: r.track }))),
      ),
      media.on('quality', ({ quality, sample }) =>
        patch({ quality, rttMs: sample.rttMs, lossRate: sample.lossRate }),
      ),
      media.on('ready', () => patch({ mediaAvailable: true })),
      media.on('error', (err) => {
        if (err instanceof SignalingError && err.code === 'MEDIA_UNAVAILABLE') {
          patch({ mediaAvailable: false });
        }
      }),
    ];
    const onOnline = () => {
      patch({ online: navigator.onLine });
      if (navigator.onLine) signaling.retryNow();
    };
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOnline);

    signaling
      .connect()
      .then(async (first) => {
        selfId = first.self.participantId;
        try {
          await media.start(first);
        } catch {
          patch({ mediaAvailable: false });
        }
      })
      .catch((err: unknown) =>
        setFailure(
          err instanceof SignalingError ? err : new SignalingError('INTERNAL', String(err)),
        ),
      );

    return () => {
      for (const off of offs) off();
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOnline);
      media.close();
      signaling.close();
      signalingRef.current = null;
      mediaRef.current = null;
    };
  }, [join.eventId, join.token, attempt]);

  const request = useCallback<Request>((type, data) => {
    const signaling = signalingRef.current;
    if (!signaling) return Promise.reject(new SignalingError('CLOSED', 'not connected'));
    return signaling.request(type, data);
  }, []);

  const publish = useCallback(
    async (track: MediaStreamTrack, source: ProducerSource): Promise<PublishedTrack> => {
      const media = mediaRef.current;
      if (!media) throw new SignalingError('CLOSED', 'not connected');
      const local: LocalProducer = await media.produce(track, { source });
      return {
        replaceTrack: (next) => local.replaceTrack(next),
        close: () => local.close(),
      };
    },
    [],
  );

  return useMemo<SessionPhase>(() => {
    if (failure) return { kind: 'failed', error: failure };
    if (!state) return { kind: 'connecting' };
    return { kind: 'ready', session: { state, network, remotes, request, publish } };
  }, [failure, state, network, remotes, request, publish]);
}
