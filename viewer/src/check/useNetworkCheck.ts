import { NetworkCheckOverview, type NetworkCheckResult } from '@amphi/protocol';
import { type NetworkCheckProgress, runNetworkCheck } from '@amphi/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';

export interface NetworkCheckState {
  running: boolean;
  progress: NetworkCheckProgress | null;
  result: NetworkCheckResult | null;
  /** Whose link (the class, the talk) and its check saved before this visit. */
  overview: NetworkCheckOverview | null;
  error: unknown;
}

/** Runs the network check with the class's link, one at a time; the page reads where it is. */
export function useNetworkCheck(token: string) {
  const [state, setState] = useState<NetworkCheckState>({
    running: false,
    progress: null,
    result: null,
    overview: null,
    error: null,
  });
  const running = useRef(false);

  useEffect(() => {
    let gone = false;
    fetch('/api/v1/network-check', { headers: { authorization: `Bearer ${token}` } })
      .then(async (res) => (res.ok ? NetworkCheckOverview.parse(await res.json()) : null))
      .then((overview) => {
        if (!gone && overview) setState((s) => ({ ...s, overview }));
      })
      .catch(() => {});
    return () => {
      gone = true;
    };
  }, [token]);

  const start = useCallback(async () => {
    if (running.current) return;
    running.current = true;
    setState((s) => ({ ...s, running: true, progress: null, result: null, error: null }));
    try {
      const result = await runNetworkCheck({
        token,
        onProgress: (progress) => setState((s) => ({ ...s, progress })),
      });
      setState((s) => ({ ...s, running: false, result }));
    } catch (error) {
      setState((s) => ({ ...s, running: false, error }));
    } finally {
      running.current = false;
    }
  }, [token]);

  return { state, start };
}
