import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDecoding, inboundStats, screenshot } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// The speaker's studio with Chromium's two fake cameras: the first a colour
// test pattern, the second a Y16 depth camera whose frames no encoder takes.
// Put on the air, the depth camera froze every classroom on the previous
// picture for over 10 s, with no warning. The studio tests each source first,
// refuses one that encodes nothing, and says what classrooms receive.

let session: LiveSession;
let speaker: Page;
let classroom: Page;

beforeAll(async () => {
  session = await LiveSession.start({ cameras: 2, classrooms: 2, status: 'scheduled' });
});

afterAll(async () => {
  await session?.close();
});

const LIVE_RED = 'rgb(196, 22, 28)'; // --live

/** The mic level read several times, 150 ms apart. */
async function micLevels(page: Page, n = 12): Promise<number[]> {
  const levels: number[] = [];
  for (let i = 0; i < n; i++) {
    levels.push(Number(await page.getAttribute('[data-testid="mic-level"]', 'data-level')));
    await new Promise((r) => setTimeout(r, 150));
  }
  return levels;
}

describe('the speaker’s ready check and the camera that cannot be encoded', () => {
  it('before going live: the mic level moves, the camera is tested, the depth camera is marked unusable', async () => {
    speaker = await session.open('studio', session.ev.tokens.speaker);
    await speaker.setViewportSize({ width: 1280, height: 800 });
    await speaker.waitForSelector('[data-testid="camera-switch-1"][data-check="ok"]', {
      timeout: 20_000,
    });
    await speaker.waitForSelector('[data-testid="camera-switch-2"][data-check="unusable"]', {
      timeout: 20_000,
    });
    expect(await speaker.textContent('[data-testid="camera-unusable-2"]')).toBe(
      'Cette caméra ne donne pas d’image utilisable',
    );
    // The ready check: the chosen camera encoded frames in its test.
    const camera = await speaker.textContent('[data-testid="camera-check"][data-state="ok"]');
    expect(camera).toMatch(/image utilisable \(\d+ images? encodées? au test\)/);
    // Chromium's fake microphone beeps: the meter moves with it.
    const levels = await micLevels(speaker);
    console.log(`mic levels: ${levels.join(' ')}`);
    expect(Math.max(...levels)).toBeGreaterThan(0.02);
    expect(new Set(levels).size).toBeGreaterThan(2);
    // Off air: classrooms receive nothing yet; the size they will get once live.
    expect(await speaker.textContent('[data-testid="classes-receive"]')).toMatch(
      /^rien pour l’instant.*\d+×\d+/,
    );
    expect(await speaker.textContent('[data-testid="countdown"]')).toMatch(/Début prévu dans/);
    // The class-on-stage panel is in view without scrolling on a 1280×800 laptop.
    const stage = speaker.locator('[data-testid="stage-panel"]');
    const box = await stage.boundingBox();
    expect(box && box.y + box.height <= 800).toBe(true);
    // The screenshot with the meter up (the beep comes and goes).
    await speaker.waitForFunction(
      () =>
        Number(document.querySelector('[data-testid="mic-level"]')?.getAttribute('data-level')) >
        0.05,
    );
    await screenshot(speaker, 'studio-ready-check');
  });

  it('off air, the chosen picture wears no red frame and no « À l’antenne » badge', async () => {
    expect(await speaker.getAttribute('[data-testid="program"]', 'data-live')).toBe('false');
    expect(await speaker.$('[data-testid="program-on-air"]')).toBeNull();
    const border = await speaker.$eval(
      '[data-testid="program-video"]',
      (el) => getComputedStyle(el).borderTopColor,
    );
    expect(border).not.toBe(LIVE_RED);
    const tags = await speaker.$$eval('.preview .tag', (els) => els.map((e) => e.textContent));
    expect(tags).not.toContain('À l’antenne');
    expect(tags).toContain('Choisie');
  });

  it('on the air: the depth camera is refused with a warning; the classroom keeps decoding', async () => {
    await speaker.click('[data-testid="go-live"]:not([disabled])');
    await speaker.waitForSelector('[data-testid="air-state"][data-state="live"]', {
      timeout: 20_000,
    });
    expect(await speaker.textContent('[data-testid="program-on-air"]')).toBe('À l’antenne');
    expect(await speaker.textContent('[data-testid="classrooms-watching"]')).toBe(
      '0 classe regarde',
    );
    classroom = await session.open('viewer', session.ev.tokens.classrooms[0] as string);
    console.log(`classroom: ${await expectDecoding(classroom)}`);
    // The speaker sees the class arrive.
    await expect
      .poll(() => speaker.textContent('[data-testid="classrooms-watching"]'))
      .toBe('1 classe regarde');
    // What classrooms receive, from the sender's stats.
    await speaker.waitForSelector('[data-testid="classes-receive"][data-receiving="true"]', {
      timeout: 10_000,
    });
    const receive = await speaker.textContent('[data-testid="classes-receive"]');
    console.log(`the studio says classrooms receive: ${receive}`);
    expect(receive).toMatch(/^\d+×\d+, \d+ images\/s/);

    // Key 2, then a click on its preview: both refused, camera 1 stays on the air.
    const before = await inboundStats(classroom);
    await speaker.keyboard.press('2');
    const warning = await speaker.waitForSelector('[data-testid="source-warning"]');
    expect(await warning.textContent()).toContain('ne donne pas d’image utilisable');
    await speaker.click('[data-testid="camera-switch-2"]');
    expect(await speaker.getAttribute('[data-testid="camera-switch-1"]', 'data-on-air')).toBe(
      'true',
    );
    expect(await speaker.getAttribute('[data-testid="camera-switch-2"]', 'data-on-air')).toBe(
      'false',
    );
    await screenshot(speaker, 'studio-unusable-camera-refused');
    // The classroom's picture keeps moving (not frozen on the last frame).
    console.log(
      `classroom after the refused switch: ${await expectDecoding(classroom, before.video.framesDecoded)}`,
    );
    await speaker.waitForSelector('[data-testid="classes-receive"][data-receiving="true"]');
  });

  it('the moderator writes to the speaker backstage; a classroom page never receives it', async () => {
    // Every WebSocket frame a new classroom page receives, from its first.
    const frames: string[] = [];
    const watch = (page: Page) =>
      page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
    session.browser.context.once('page', watch);
    const watched = await session.open('viewer', session.ev.tokens.classrooms[1] as string);
    await watched.waitForSelector('[data-testid="speaker-name"]', { timeout: 20_000 });
    expect(frames.length).toBeGreaterThan(0);

    const moderator = await session.open('studio', session.ev.tokens.moderator);
    await moderator.fill(
      '[data-testid="backstage"] [data-testid="backstage-input"]',
      'Il reste 2 minutes.',
    );
    await moderator.press('[data-testid="backstage"] [data-testid="backstage-input"]', 'Enter');
    const line = await speaker.waitForSelector(
      '[data-testid="backstage-message"][data-from="moderator"]:has-text("Il reste 2 minutes.")',
    );
    expect(await line.textContent()).toContain('(modération)');
    // The speaker answers; newest first on both screens.
    await speaker.fill('[data-testid="backstage-input"]', 'Bien reçu.');
    await speaker.click('[data-testid="backstage-send"]');
    await moderator.waitForSelector('[data-testid="backstage-message"]:has-text("Bien reçu.")');
    const order = await moderator.$$eval(
      '[data-testid="backstage-message"] .backstage__text',
      (els) => els.map((e) => e.textContent),
    );
    expect(order).toEqual(['Bien reçu.', 'Il reste 2 minutes.']);
    await screenshot(speaker, 'studio-backstage');

    // A push the classroom does get, sent after both lines: it was listening all along.
    await watched.keyboard.press('h');
    await moderator.waitForSelector('[data-testid="hand-row"]');
    await expect.poll(() => frames.some((f) => f.includes('hand.updated'))).toBe(true);
    expect(
      frames.filter((f) => f.includes('backstage') || f.includes('Il reste 2 minutes')),
    ).toEqual([]);
    expect(await watched.textContent('body')).not.toContain('Il reste 2 minutes');
  });
});
