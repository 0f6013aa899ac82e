import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeededEvent } from '../../control-api/test/support/harness.ts';
import { inboundStats, screenshot } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// A 55 min panel: two speakers, each in their own studio (their own place),
// and a classroom watching both.

let session: LiveSession;
let ev: SeededEvent;
const open = (app: 'studio' | 'viewer', token: string) => session.open(app, token);

beforeAll(async () => {
  session = await LiveSession.start({ classrooms: 1, speakers: 2 });
  ev = session.ev;
});

afterAll(async () => {
  await session?.close();
});

/** Video streams this page decodes, each with its frame count. */
function decodedVideos(page: Page): Promise<number[]> {
  return page.evaluate(`window.__amphi.media.recvTransport.getStats().then((report) =>
    [...report.values()]
      .filter((s) => s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0)
      .map((s) => s.framesDecoded))`) as Promise<number[]>;
}

describe('a panel of two speakers in Chromium', () => {
  it('each speaker sees and hears the other by name; the class sees both, named', async () => {
    const studios = [await open('studio', ev.tokens.speaker)];
    studios.push(await open('studio', ev.tokens.coSpeakers[0] as string));
    for (const studio of studios) {
      await studio.click('[data-testid="go-live"]:not([disabled])', { timeout: 20_000 });
      await studio.waitForSelector('[data-testid="air-state"][data-state="live"]');
      // The panel format's clock: 55 minutes.
      expect(await studio.textContent('[data-testid="session-timer"]')).toContain('55');
    }
    const [ines, karim] = studios as [Page, Page];
    const tile = '[data-testid="co-speaker-tile"]';
    await ines.waitForSelector(`${tile}:has-text("Karim Benali")`);
    await karim.waitForSelector(`${tile}:has-text("Inès Haddad")`);
    for (const studio of studios) {
      await expect.poll(() => decodedVideos(studio), { timeout: 20_000 }).toHaveLength(1);
      const before = (await decodedVideos(studio))[0] as number;
      const heard = (await inboundStats(studio)).audio.packetsReceived;
      await new Promise((r) => setTimeout(r, 1500));
      expect((await decodedVideos(studio))[0]).toBeGreaterThan(before + 10);
      expect((await inboundStats(studio)).audio.packetsReceived).toBeGreaterThan(heard + 30);
    }
    await screenshot(ines, 'studio-co-speaker');

    const classroom = await open('viewer', ev.tokens.classrooms[0] as string);
    await expect.poll(() => decodedVideos(classroom), { timeout: 20_000 }).toHaveLength(2);
    const names = await classroom.$$eval('[data-testid="speaker-name"]', (els) =>
      els.map((e) => e.textContent).sort(),
    );
    expect(names).toEqual(['Inès Haddad', 'Karim Benali']);
    const first = await decodedVideos(classroom);
    await new Promise((r) => setTimeout(r, 1500));
    const later = await decodedVideos(classroom);
    console.log(
      `panel: the class decodes ${later.length} speakers (+${later.map((n, i) => n - (first[i] ?? 0)).join(', +')} frames in 1.5 s)`,
    );
    for (const [i, n] of later.entries()) expect(n).toBeGreaterThan((first[i] ?? 0) + 10);
    await screenshot(classroom, 'viewer-panel');

    // The browser holds the sound back until a gesture: the page offers one
    // « Activer le son » for both tiles, and one click gives both their voice.
    const held = await classroom.locator('[data-testid="unmute-all"]').count();
    console.log(`« Activer le son » buttons while the browser holds the sound back: ${held}`);
    expect(held).toBeLessThanOrEqual(1);
    if (held > 0) {
      await classroom.click('[data-testid="unmute-all"]');
      await expect.poll(() => classroom.locator('[data-testid="unmute-all"]').count()).toBe(0);
      const playing = await classroom.$$eval('[data-testid="speaker-video"]', (els) =>
        els.map((e) => !(e as HTMLVideoElement).muted && !(e as HTMLVideoElement).paused),
      );
      expect(playing).toEqual([true, true]);
    }
  });
});
