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
} from '../../control-api/test/support/harness.ts';
import {
  type Browser,
  inboundStats,
  launchChromium,
  localhost,
  screenshot,
  waitForStats,
} from '../support/browser.ts';

// A real control-api (PostgreSQL, mediasoup workers) serving the built viewer,
// real Chromium classrooms. The speaker is FFmpeg's test pattern (the demo's
// stand-in), published simulcast VP8 + Opus into the event's broadcast.

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let plane: ControlPlane;
let browser: Browser;
let pattern: DemoTestPattern | null = null;
let ev: SeededEvent;
let base: string;

beforeAll(async () => {
  const media = await startMediaNode({ workers: 2 });
  plane = await startInstance({ databaseUrl: await createTestDatabase(), media });
  base = localhost(plane.url);
  ev = await seedEvent(plane.url, { classrooms: 2, status: 'live' });
  pattern = await DemoTestPattern.start({
    broadcast: await media.broadcast(ev.eventId),
    log,
    ...announceOnBus(plane.bus, ev.eventId, log),
    runSeconds: 300,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await pattern?.close();
  await plane?.close();
});

async function openClassroom(token: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      console.log(`[page ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
  await page.goto(`${base}/viewer/?event=${ev.eventId}&token=${encodeURIComponent(token)}`);
  return page;
}

describe('classrooms watching a live speaker in Chromium', () => {
  const pages: Page[] = [];

  it('scenario 1: two classrooms decode the speaker’s video and receive the audio', async () => {
    for (const token of ev.tokens.classrooms) pages.push(await openClassroom(token));
    for (const [i, page] of pages.entries()) {
      const first = await waitForStats(
        page,
        (s) => s.video.framesDecoded > 0 && s.video.frameWidth > 0 && s.audio.packetsReceived > 0,
      );
      // Frames keep coming (at least 5 per second, even on a loaded CI machine).
      await new Promise((r) => setTimeout(r, 3000));
      const later = await inboundStats(page);
      expect(later.video.framesDecoded - first.video.framesDecoded).toBeGreaterThan(15);
      expect(later.video.frameWidth).toBeGreaterThan(0);
      expect(later.audio.packetsReceived).toBeGreaterThan(first.audio.packetsReceived);
      await page.waitForSelector('[data-testid="net-banner"][data-status="open"]');
      // The tile shows it: the video element plays at a real size.
      const size = await page.evaluate(
        'Array.from(document.querySelectorAll("video")).map(v => v.videoWidth)[0] ?? 0',
      );
      expect(size).toBeGreaterThan(0);
      console.log(
        `classroom ${i + 1}: framesDecoded=${later.video.framesDecoded} (+${later.video.framesDecoded - first.video.framesDecoded} in 3 s), ${later.video.frameWidth}x${later.video.frameHeight}, audio packets=${later.audio.packetsReceived}`,
      );
      await screenshot(page, `viewer-live-classroom-${i + 1}`);
    }
  });

  it('scenario 5: a classroom whose socket is cut reconnects by itself and decodes again', async () => {
    const page = pages[0];
    if (!page) throw new Error('scenario 1 did not open the classrooms');
    await page.evaluate(`(() => {
      window.__statuses = [];
      window.__amphi.signaling.on('status', (s) => window.__statuses.push(s.status));
      window.__amphi.media.on('ready', () => { window.__readyAt = performance.now(); });
      window.__cutAt = performance.now();
      window.__amphi.signaling.dropConnection();
    })()`);
    await page.waitForSelector('[data-testid="net-banner"][data-status="reconnecting"]', {
      timeout: 5000,
    });
    await screenshot(page, 'viewer-reconnecting');
    // New transports after the reconnection: their counters start again from zero.
    await page.waitForFunction('window.__readyAt !== undefined', undefined, { timeout: 30_000 });
    await waitForStats(page, (s) => s.video.framesDecoded > 10 && s.audio.packetsReceived > 0);
    const ms = await page.evaluate('performance.now() - window.__cutAt');
    const statuses = (await page.evaluate('window.__statuses')) as string[];
    expect(statuses).toContain('reconnecting');
    expect(statuses.at(-1)).toBe('open');
    await page.waitForSelector('[data-testid="net-banner"][data-status="open"]');
    const before = await inboundStats(page);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await inboundStats(page);
    expect(after.video.framesDecoded).toBeGreaterThan(before.video.framesDecoded);
    console.log(
      `reconnected and decoding again ${Math.round(Number(ms))} ms after the cut; ${after.video.frameWidth}x${after.video.frameHeight}`,
    );
    await screenshot(page, 'viewer-reconnected');
  });
});
