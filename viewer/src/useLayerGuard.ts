import { CAMERA_SIMULCAST_ENCODINGS, type MediaClient } from '@amphi/sdk';
import { useEffect, useState } from 'react';
import { type GuardReason, LayerGuard, readLine } from './layerGuard.ts';

/** Often enough to see a burst of losses within a few hundred milliseconds. */
const EVERY_MS = 200;

/**
 * Steps the class's picture down a layer as soon as its line chokes (see
 * layerGuard.ts), and back up when it has waited long enough. Returns the
 * highest layer asked for now (null: the server's estimate alone decides) and
 * why. `watching`: the class wants the picture (not the voice alone, not HLS).
 */
export function useLayerGuard(
  media: MediaClient | null,
  watching: boolean,
): { cap: number | null; reason: GuardReason | null } {
  const [state, setState] = useState<{ cap: number | null; reason: GuardReason | null }>({
    cap: null,
    reason: null,
  });
  useEffect(() => {
    if (!media || !watching) return;
    const guard = new LayerGuard({ layers: CAMERA_SIMULCAST_ENCODINGS.length });
    let stopped = false;
    const tick = async () => {
      const t = media.recvTransport;
      if (!t || t.closed) return;
      const report = await t.getStats().catch(() => null);
      if (stopped || !report) return;
      const cap = guard.read(readLine(report.values(), performance.now()));
      if (cap === undefined) return;
      setState({ cap, reason: guard.lastReason });
      await media.setPreferredLayers(cap).catch(() => {});
    };
    const timer = setInterval(() => void tick(), EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
      setState({ cap: null, reason: null });
      // The class's own choice (the voice alone, HLS) takes over: no cap left behind.
      if (guard.cap !== null) void media.setPreferredLayers(null).catch(() => {});
    };
  }, [media, watching]);
  return state;
}
