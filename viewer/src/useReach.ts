import type { MediaClient, ReachState } from '@amphi/sdk';
import { useEffect, useState } from 'react';

/** Where the media client is on the reach ladder, re-rendering when it moves. */
export function useReach(media: MediaClient | null): ReachState | null {
  const [reach, setReach] = useState<ReachState | null>(media?.reach ?? null);
  useEffect(() => {
    setReach(media?.reach ?? null);
    return media?.on('reach', setReach);
  }, [media]);
  return reach;
}
