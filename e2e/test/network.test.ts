import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-api/src/server.ts';
import { type SeededEvent, TestClient } from '../../control-api/test/support/harness.ts';
import { inboundStats, screenshot, waitForStats } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';
import { WeakDownlink } from '../support/weakNetwork.ts';

// A classroom on a saturated school line: its downlink shaped to a trickle on
// loopback (tc), the speaker being the FFmpeg test pattern.

let session: LiveSession | null = null;
let plane: ControlPlane;
let ev: SeededEvent;
let link: WeakDownlink | null = null;
let unavailable: string | null = null;

beforeAll(async () => {
  unavailable = await WeakDownlink.probe();
  if (unavailable) return;
  session = await LiveSession.start({ workers: 1, classrooms: 1, testPattern: true });
  ({ plane, ev } = session);
});

afterAll(async () => {
  await link?.release();
  await session?.close();
});

/** The UDP port the classroom receives media on (its selected ICE candidate). */
function mediaPort(page: Page): Promise<number> {
  return page.evaluate(`window.__amphi.media.recvTransport.getStats().then((report) => {
    const all = [...report.values()];
    const pair = all.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
    return all.find((s) => s.id === pair.localCandidateId).port;
  })`) as Promise<number>;
}

function level(page: Page): Promise<string | null> {
  return page.getAttribute('[data-testid="net-banner"]', 'data-level');
}

describe('a classroom on a weak network', () => {
  it('is told plainly when its line saturates, keeps the voice alone, and gets the picture back', async (ctx) => {
    if (unavailable) {
      console.log(`skipped: ${unavailable}`);
      ctx.skip();
    }
    const moderator = await TestClient.connect(plane.url, ev.eventId, ev.tokens.moderator);
    const page = await (session as LiveSession).open('viewer', ev.tokens.classrooms[0] as string);
    try {
      await waitForStats(page, (s) => s.video.framesDecoded > 20 && s.audio.packetsReceived > 0);
      await page.waitForSelector('[data-testid="net-banner"][data-level="good"]');
      const classroomQuality = async () =>
        (await moderator.request('presence.get', {})).participants.find(
          (p) => p.classroomId === ev.classroomIds[0],
        )?.quality;
      await expect.poll(classroomQuality).toBe('good');

      // 150 kbit/s: less than the lowest simulcast layer and the voice together.
      link = await WeakDownlink.limit(await mediaPort(page), 150);
      const cut = Date.now();
      await page.waitForSelector(
        '[data-testid="net-banner"]:is([data-level="degraded"], [data-level="bad"])',
        { timeout: 30_000 },
      );
      const toldAfter = Date.now() - cut;
      await expect.poll(classroomQuality, { timeout: 10_000 }).toMatch(/^(degraded|bad)$/);
      const told = await level(page);
      const shaped = await link.stats();
      console.log(
        `line at 150 kbit/s: the class is told "${told}" after ${toldAfter} ms (the moderator sees ${await classroomQuality()}); the link dropped ${shaped.dropped} packets`,
      );
      expect(shaped.dropped).toBeGreaterThan(0);
      await screenshot(page, 'viewer-weak-network');

      // The voice alone fits the line: the class keeps the speaker (offered on screen when bad, or A).
      if (told === 'bad') await page.click('[data-testid="suggest-audio-only"]');
      else await page.keyboard.press('a');
      const audioOnlyAt = Date.now();
      await page.waitForSelector('[data-testid="net-banner"][data-level="good"]', {
        timeout: 30_000,
      });
      const settled = Date.now() - audioOnlyAt;
      const heard = await inboundStats(page);
      const dropped = (await link.stats()).dropped;
      await new Promise((r) => setTimeout(r, 2000));
      const audio = (await inboundStats(page)).audio.packetsReceived - heard.audio.packetsReceived;
      const lost = (await link.stats()).dropped - dropped;
      console.log(
        `sound only, same line: good again after ${settled} ms; ${audio} audio packets in 2 s, ${lost} dropped`,
      );
      expect(audio).toBeGreaterThan(80);
      expect(lost).toBeLessThan(5);
      await screenshot(page, 'viewer-weak-network-audio-only');

      // The line clears and the class asks for the picture again (A).
      await link.release();
      await page.keyboard.press('a');
      const cleared = Date.now();
      const back = await waitForStats(
        page,
        (s) => s.video.framesDecoded > heard.video.framesDecoded + 20,
      );
      await page.waitForSelector('[data-testid="net-banner"][data-level="good"]');
      await expect.poll(classroomQuality, { timeout: 10_000 }).toBe('good');
      console.log(
        `line cleared: the picture is back after ${Date.now() - cleared} ms (${back.video.frameWidth}x${back.video.frameHeight})`,
      );
      await screenshot(page, 'viewer-network-recovered');
    } finally {
      await link?.release();
      await page.close();
      await moderator.close();
    }
  });
});
