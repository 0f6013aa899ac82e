import type { NetworkCheckResult } from '@amphi/protocol';
import { type NetworkCheckProgress, runNetworkCheck } from '@amphi/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';

export interface NetworkCheckState {
  running: boolean;
  progress: NetworkCheckProgress | null;
  result: NetworkCheckResult | null;
  /** The classroom's check saved before this visit (the page says when, and what it found). */
  previous: NetworkCheckResult | null;
  error: unknown;
}

/** Runs the network check with the class's link, one at a time; the page reads where it is. */
export function useNetworkCheck(token: string) {
  const [state, setState] = useState<NetworkCheckState>({
    running: false,
    progress: null,
    result: null,
    previous: null,
    error: null,
  });
  const running = useRef(false);

  useEffect(() => {
    let gone = false;
    fetch('/api/v1/network-check/results/latest', {
      headers: { authorization: `Bearer ${token}` },
    })
      .then(async (res) => (res.ok ? ((await res.json()) as NetworkCheckResult) : null))
      .then((previous) => {
        if (!gone && previous) setState((s) => ({ ...s, previous }));
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
