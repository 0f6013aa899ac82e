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
      await new Promise((r) => setTimeout(r, 2000));
      const later = await inboundStats(page);
      // Frames keep coming: about 2 s of video decoded between the two readings.
      expect(later.video.framesDecoded - first.video.framesDecoded).toBeGreaterThan(20);
      expect(later.video.frameWidth).toBeGreaterThan(0);
      expect(later.audio.packetsReceived).toBeGreaterThan(first.audio.packetsReceived);
      await page.waitForSelector('[data-testid="net-banner"][data-status="open"]');
      // The tile shows it: the video element plays at a real size.
      const size = await page.evaluate(
        'Array.from(document.querySelectorAll("video")).map(v => v.videoWidth)[0] ?? 0',
      );
      expect(size).toBeGreaterThan(0);
      console.log(
        `classroom ${i + 1}: framesDecoded=${later.video.framesDecoded} (+${later.video.framesDecoded - first.video.framesDecoded} in 2 s), ${later.video.frameWidth}x${later.video.frameHeight}, audio packets=${later.audio.packetsReceived}`,
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

describe('the classroom app in Chromium', () => {
  it('scenario 2 (classroom side): ask with a category, the moderator approves, another class upvotes', async () => {
    const moderator = await TestClient.connect(plane.url, ev.eventId, ev.tokens.moderator);
    await moderator.request('join', {});
    const [a, b] = [
      await openClassroom(ev.tokens.classrooms[0] as string),
      await openClassroom(ev.tokens.classrooms[1] as string),
    ];
    try {
      for (const page of [a, b]) {
        await page.waitForSelector('[data-testid="net-banner"][data-status="open"]');
        // French first, shortcuts on screen.
        expect(await page.textContent('footer')).toContain('F plein écran');
      }
      await screenshot(a, 'viewer-joined');
      // Q focuses the question box from the keyboard.
      await a.keyboard.press('q');
      await a.keyboard.type('Comment êtes-vous devenue ingénieure du son ?');
      await a.selectOption('select', 'training_path');
      await a.click('[data-testid="ask-form"] button[type="submit"]');
      await a.waitForSelector('[data-testid="my-questions"] li[data-status="pending"]');
      await screenshot(a, 'viewer-question-pending');
      const created = await moderator.waitForEvent('question.created', () => true, 10_000);
      expect(created).toMatchObject({ category: 'training_path', status: 'pending' });
      await moderator.request('question.moderate', { action: 'approve', questionId: created.id });
      // Approved: every class sees it; the other class upvotes it.
      await a.waitForSelector('[data-testid="my-questions"] li[data-status="approved"]');
      const row = `[data-testid="questions"] li[data-question-id="${created.id}"]`;
      await b.waitForSelector(row);
      await b.click(`${row} button.upvote`);
      await expect
        .poll(async () => a.textContent(`${row} [data-testid="upvotes"]`), { timeout: 10_000 })
        .toBe('1');
      await screenshot(b, 'viewer-question-upvoted');
      // H raises the hand; the moderator sees it.
      await b.keyboard.press('h');
      await moderator.waitForEvent('hand.updated', (h) => h.raised, 10_000);
      await b.waitForSelector('[data-testid="hand"][aria-pressed="true"]');
      // English on demand.
      await b.keyboard.press('l');
      expect(await b.textContent('footer')).toContain('F full screen');
      await screenshot(b, 'viewer-hand-raised-english');
    } finally {
      await a.close();
      await b.close();
      await moderator.close();
    }
  });
});
