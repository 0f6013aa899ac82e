import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// The whole session in Chromium: a speaker in the studio (three fake cameras
// and a microphone), a moderator in the console, two classrooms in the viewer,
// against a real control-api (PostgreSQL, Redis, mediasoup workers).

let plane: ControlPlane;
let browser: Browser;
let ev: SeededEvent;
let base: string;
let speaker: Page;
let moderator: Page;
const classrooms: Page[] = [];

async function open(app: 'studio' | 'viewer', token: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (err) => console.log(`[${app} page error] ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[${app} console] ${m.text()}`);
  });
  await page.goto(`${base}/${app}/?event=${ev.eventId}&token=${encodeURIComponent(token)}`);
  return page;
}

beforeAll(async () => {
  const media = await startMediaNode({ workers: 2 });
  plane = await startInstance({ databaseUrl: await createTestDatabase(), media });
  base = localhost(plane.url);
  ev = await seedEvent(plane.url, { classrooms: 2, status: 'live' });
  browser = await launchChromium({ cameras: 3 });
});

afterAll(async () => {
  await browser?.close();
  await plane?.close();
});

describe('a live session in Chromium: studio, console and classrooms', () => {
  it('scenario 1: the speaker goes live from the studio; two classrooms decode video and audio', async () => {
    speaker = await open('studio', ev.tokens.speaker);
    await speaker.waitForSelector('[data-testid="camera-preview-3"]', { timeout: 20_000 });
    await speaker.click('[data-testid="go-live"]:not([disabled])');
    await speaker.waitForSelector('[data-testid="air-state"][data-state="live"]', {
      timeout: 20_000,
    });
    await screenshot(speaker, 'studio-speaker-live');

    for (const token of ev.tokens.classrooms) classrooms.push(await open('viewer', token));
    for (const [i, page] of classrooms.entries()) {
      const first = await waitForStats(
        page,
        (s) => s.video.framesDecoded > 0 && s.video.frameWidth > 0 && s.audio.packetsReceived > 0,
      );
      await new Promise((r) => setTimeout(r, 2000));
      const later = await inboundStats(page);
      expect(later.video.framesDecoded - first.video.framesDecoded).toBeGreaterThan(15);
      expect(later.audio.packetsReceived).toBeGreaterThan(first.audio.packetsReceived);
      console.log(
        `classroom ${i + 1} sees the studio: +${later.video.framesDecoded - first.video.framesDecoded} frames in 2 s, ${later.video.frameWidth}x${later.video.frameHeight}, audio packets=${later.audio.packetsReceived}`,
      );
      await screenshot(page, `viewer-studio-speaker-${i + 1}`);
    }
  });
});
