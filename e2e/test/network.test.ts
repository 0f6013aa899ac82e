import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../control-api/src/logger.ts';
import { announceOnBus, DemoTestPattern } from '../../control-api/src/rtc/DemoTestPattern.ts';
import type { ControlPlane } from '../../control-api/src/server.ts';
import {
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  startMediaNode,
  TestClient,
} from '../../control-api/test/support/harness.ts';
import {
  type Browser,
  inboundStats,
  launchChromium,
  localhost,
  screenshot,
  waitForStats,
} from '../support/browser.ts';
import { WeakDownlink } from '../support/weakNetwork.ts';

// A classroom on a saturated school line: its downlink shaped to a trickle on
// loopback (tc), the speaker being the FFmpeg test pattern.

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let plane: ControlPlane;
let browser: Browser;
let pattern: DemoTestPattern | null = null;
let ev: SeededEvent;
let link: WeakDownlink | null = null;
let unavailable: string | null = null;

beforeAll(async () => {
  unavailable = await WeakDownlink.probe();
  if (unavailable) return;
  const media = await startMediaNode({ workers: 1 });
  plane = await startInstance({ databaseUrl: await createTestDatabase(), media });
  ev = await seedEvent(plane.url, { classrooms: 1, status: 'live' });
  pattern = await DemoTestPattern.start({
    broadcast: await media.broadcast(ev.eventId),
    log,
    ...announceOnBus(plane.bus, ev.eventId, log),
    runSeconds: 300,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await link?.release();
  await browser?.close();
  await pattern?.close();
  await plane?.close();
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
  it('is told plainly when its line saturates, the moderator sees it, and both recover', async (ctx) => {
    if (unavailable) {
      console.log(`skipped: ${unavailable}`);
      ctx.skip();
    }
    const moderator = await TestClient.connect(plane.url, ev.eventId, ev.tokens.moderator);
    const page = await browser.context.newPage();
    try {
      await page.goto(
        `${localhost(plane.url)}/viewer/?event=${ev.eventId}&token=${encodeURIComponent(ev.tokens.classrooms[0] as string)}`,
      );
      await waitForStats(page, (s) => s.video.framesDecoded > 20 && s.audio.packetsReceived > 0);
      await page.waitForSelector('[data-testid="net-banner"][data-level="good"]');
      const classroomQuality = async () =>
        (await moderator.request('presence.get', {})).participants.find(
          (p) => p.classroomId === ev.classroomIds[0],
        )?.quality;
      await expect.poll(classroomQuality).toBe('good');

      // 100 kbit/s: less than the lowest simulcast layer and the voice together.
      link = await WeakDownlink.limit(await mediaPort(page), 100);
      const cut = Date.now();
      await page.waitForSelector(
        '[data-testid="net-banner"]:is([data-level="degraded"], [data-level="bad"])',
        { timeout: 30_000 },
      );
      const toldAfter = Date.now() - cut;
      await expect.poll(classroomQuality, { timeout: 10_000 }).toMatch(/^(degraded|bad)$/);
      const banner = await page.textContent('[data-testid="net-banner"]');
      const shaped = await link.stats();
      console.log(
        `line at 100 kbit/s: the class reads "${banner}" after ${toldAfter} ms (level ${await level(page)}, moderator sees ${await classroomQuality()}); the link dropped ${shaped.dropped} packets`,
      );
      expect(shaped.dropped).toBeGreaterThan(0);
      await screenshot(page, 'viewer-weak-network');

      // The line clears: the picture comes back, and so does the green banner.
      await link.release();
      const cleared = Date.now();
      await page.waitForSelector('[data-testid="net-banner"][data-level="good"]', {
        timeout: 30_000,
      });
      await expect.poll(classroomQuality, { timeout: 10_000 }).toBe('good');
      const before = await inboundStats(page);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await inboundStats(page)).video.framesDecoded).toBeGreaterThan(
        before.video.framesDecoded,
      );
      console.log(`line cleared: good again after ${Date.now() - cleared} ms`);
      await screenshot(page, 'viewer-network-recovered');
    } finally {
      await link?.release();
      await page.close();
      await moderator.close();
    }
  });
});
