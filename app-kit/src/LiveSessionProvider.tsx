import {
  CONNECTING_SNAPSHOT,
  LiveSession,
  type LiveSessionOptions,
  type LiveSnapshot,
  type MediaClient,
  type SignalingClient,
} from '@amphi/sdk';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';

declare global {
  interface Window {
    /** Debug hook for the end-to-end tests and support: the live session and its clients. */
    __amphi?: { session: LiveSession; signaling: SignalingClient; media: MediaClient | null };
  }
}

export type SessionOptions = Omit<LiveSessionOptions, 'baseUrl' | 'eventId' | 'token'>;

const SessionContext = createContext<LiveSession | null | undefined>(undefined);

/**
 * One live session for the app below it (as LiveKit's `RoomContext`): opened
 * with the join link against this page's server, closed on unmount. `options`
 * are read when a session starts; a new `generation` (a "retry" button) starts
 * a new one.
 */
export function LiveSessionProvider({
  join,
  options,
  generation = 0,
  children,
}: {
  join: { eventId: string; token: string };
  options?: SessionOptions;
  generation?: number;
  children: ReactNode;
}) {
  const [session, setSession] = useState<LiveSession | null>(null);
  const optionsRef = useRef(options);
  optionsRef.current = options;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` restarts the session
  useEffect(() => {
    const s = new LiveSession({
      ...optionsRef.current,
      baseUrl: window.location.origin,
      eventId: join.eventId,
      token: join.token,
    });
    setSession(s);
    window.__amphi = { session: s, signaling: s.signaling, media: s.media };
    // A refusal is in the snapshot (`fatal`); the network is retried by itself.
    s.connect().catch(() => {});
    // The browser says the network is back: no need to wait for the back-off.
    const onOnline = () => s.retryNow();
    window.addEventListener('online', onOnline);
    return () => {
      window.removeEventListener('online', onOnline);
      s.close();
      setSession(null);
    };
  }, [join.eventId, join.token, generation]);

  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/**
 * The live session and its snapshot, re-rendering on each change. `session`
 * is null for the moment before it starts (the snapshot then says
 * "connecting").
 */
export function useLiveSession(): { session: LiveSession | null; snapshot: LiveSnapshot } {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useLiveSession needs a LiveSessionProvider above it');
  const subscribe = useCallback(
    (onChange: () => void) => (session ? session.on('change', onChange) : () => {}),
    [session],
  );
  const snapshot = useSyncExternalStore(subscribe, () => session?.snapshot ?? CONNECTING_SNAPSHOT);
  return { session, snapshot };
}
