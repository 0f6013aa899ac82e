import type { Page } from 'playwright-core';
import { inboundKind } from '../../sdk/src/inboundStreams.ts';

/**
 * What the class sees, watched inside the page: every frame the speaker's
 * video element presents (requestVideoFrameCallback, on whichever element is
 * on screen), and the receive transport's inbound-rtp counters every 250 ms.
 * Start it, change the network, then read it: the longest time the picture
 * stood still, the share of time frozen, the sound's continuity.
 */
export interface PictureSample {
  at: number;
  video: {
    framesDecoded: number;
    frameWidth: number;
    freezeCount: number;
    totalFreezesDuration: number;
    nackCount: number;
    packetsLost: number;
    retransmitted: number;
    /** Key frames asked for the speaker's picture (the decoder could not go on) and decoded. */
    pliCount: number;
    keyFramesDecoded: number;
  };
  audio: { packetsReceived: number; concealedSamples: number; totalSamplesReceived: number };
  transportId: string | null;
}

export interface PictureWatch {
  /** Wall-clock ms of each presented frame. */
  frames: number[];
  samples: PictureSample[];
}

/** Starts watching (again: the previous watch is dropped). */
export async function watchPicture(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const inboundKind = ${inboundKind.toString()};
    const w = { frames: [], samples: [], stop: false };
    window.__pictureWatch?.stop?.();
    window.__pictureWatch = { data: w, stop: () => { w.stop = true; } };
    let el = null;
    const follow = (v) => {
      const onFrame = () => {
        if (w.stop || v !== el) return;
        w.frames.push(Date.now());
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    };
    const tick = async () => {
      if (w.stop) return;
      const v = document.querySelector('[data-testid="speaker-video"]');
      if (v && v !== el) { el = v; follow(v); }
      const t = window.__amphi?.media?.recvTransport;
      const s = { at: Date.now(), transportId: t?.id ?? null,
        video: { framesDecoded: 0, frameWidth: 0, freezeCount: 0, totalFreezesDuration: 0, nackCount: 0, packetsLost: 0, retransmitted: 0, pliCount: 0, keyFramesDecoded: 0 },
        audio: { packetsReceived: 0, concealedSamples: 0, totalSamplesReceived: 0 } };
      if (t && !t.closed) {
        try {
          (await t.getStats()).forEach((r) => {
            // The speaker's picture and voice, as the sdk counts them: not
            // mediasoup-client's probator, on which Chromium, never getting a
            // frame, asks for a key frame every 200 ms (5 PLIs a second the
            // server drops).
            const kind = inboundKind(r);
            if (kind === 'video') {
              s.video.framesDecoded += r.framesDecoded ?? 0;
              s.video.frameWidth = Math.max(s.video.frameWidth, r.frameWidth ?? 0);
              s.video.freezeCount += r.freezeCount ?? 0;
              s.video.totalFreezesDuration += r.totalFreezesDuration ?? 0;
              s.video.nackCount += r.nackCount ?? 0;
              s.video.packetsLost += r.packetsLost ?? 0;
              s.video.retransmitted += r.retransmittedPacketsReceived ?? 0;
              s.video.pliCount += r.pliCount ?? 0;
              s.video.keyFramesDecoded += r.keyFramesDecoded ?? 0;
            } else if (kind === 'audio') {
              s.audio.packetsReceived += r.packetsReceived ?? 0;
              s.audio.concealedSamples += r.concealedSamples ?? 0;
              s.audio.totalSamplesReceived += r.totalSamplesReceived ?? 0;
            }
          });
        } catch {}
      }
      w.samples.push(s);
      setTimeout(tick, 250);
    };
    tick();
  })()`);
}

export async function readPicture(page: Page): Promise<PictureWatch> {
  return (await page.evaluate(
    'JSON.parse(JSON.stringify(window.__pictureWatch.data))',
  )) as PictureWatch;
}

/** The longest time (ms) between two presented frames within [from, to]. */
export function longestStill(frames: number[], from: number, to: number): number {
  const inside = frames.filter((t) => t >= from && t <= to);
  let longest = 0;
  let prev = from;
  for (const t of [...inside, to]) {
    longest = Math.max(longest, t - prev);
    prev = t;
  }
  return longest;
}
