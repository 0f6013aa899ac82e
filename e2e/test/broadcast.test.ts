import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeededEvent } from '../../control-api/test/support/harness.ts';
import { expectDecoding, inboundStats, screenshot, waitForStats } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// A real control-api (PostgreSQL, mediasoup workers) serving the built viewer,
// real Chromium classrooms. The speaker is FFmpeg's test pattern (the demo's
// stand-in), published simulcast VP8 + Opus into the event's broadcast.

let session: LiveSession;
let ev: SeededEvent;

beforeAll(async () => {
  session = await LiveSession.start({ testPattern: true });
  ev = session.ev;
});

afterAll(async () => {
  await session?.close();
});

describe('classrooms watching a live speaker in Chromium', () => {
  const pages: Page[] = [];

  it('scenario 1: two classrooms decode the speaker’s video and receive the audio', async () => {
    for (const token of ev.tokens.classrooms) pages.push(await session.open('viewer', token));
    for (const [i, page] of pages.entries()) {
      // Past the first 2 s: a joining classroom's video stalls 1.5–3.5 s once
      // its bandwidth estimate settles, until the pre-encoded pattern's next
      // key frame (it cannot answer key-frame requests; a studio speaker
      // does, and shows no stall).
      const decoding = await expectDecoding(page, 60);
      await page.waitForSelector('[data-testid="net-banner"][data-status="open"]');
      // The tile shows it: the video element plays at a real size.
      const size = await page.evaluate(
        'Array.from(document.querySelectorAll("video")).map(v => v.videoWidth)[0] ?? 0',
      );
      expect(size).toBeGreaterThan(0);
      console.log(`classroom ${i + 1}: ${decoding}`);
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
    // A function, not a string: the apps' CSP forbids the eval a string predicate needs.
    await page.waitForFunction(
      () => (globalThis as { __readyAt?: number }).__readyAt !== undefined,
      undefined,
      { timeout: 30_000 },
    );
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
