import { expect } from 'vitest';
import type { ClassroomPeer } from '../../../loadtest/src/ClassroomPeer.ts';

/** Waits until every classroom has received `frames` more complete frames. */
export async function receiving(list: ClassroomPeer[], frames = 30): Promise<void> {
  const base = list.map((p) => p.meter.figures.frames);
  await expect
    .poll(() => list.every((p, i) => p.meter.figures.frames >= (base[i] ?? 0) + frames), {
      timeout: 20_000,
      interval: 100,
    })
    .toBe(true);
}

/**
 * Ms from `since` to the first complete frame the classroom receives over
 * media set up again after `since` (a new transport and consumers: the old
 * ones may carry a last few packets while a killed node's worker exits).
 */
export function framesAgain(
  peer: ClassroomPeer,
  since: number,
  timeoutMs = 20_000,
): Promise<number> {
  const setups = peer.figures.mediaSetups;
  return new Promise((resolve, reject) => {
    let seenSetups = setups;
    let framesAtSetup = peer.meter.figures.frames;
    const timer = setInterval(() => {
      const now = Date.now();
      const { mediaSetups } = peer.figures;
      const { frames } = peer.meter.figures;
      if (mediaSetups !== seenSetups) {
        seenSetups = mediaSetups;
        framesAtSetup = frames;
      } else if (mediaSetups > setups && frames > framesAtSetup) {
        clearInterval(timer);
        resolve(now - since);
        return;
      }
      if (now - since > timeoutMs) {
        clearInterval(timer);
        const f = peer.figures;
        reject(
          new Error(
            `classroom ${peer.options.index}: no frame again within ${timeoutMs} ms (setups ${f.mediaSetups}, errors ${f.mediaErrors.join('; ')})`,
          ),
        );
      }
    }, 10);
  });
}
