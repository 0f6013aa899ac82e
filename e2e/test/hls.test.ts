import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../control-api/test/support/harness.ts';
import { screenshot } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// The ladder's last rung in Chromium: a class on the LL-HLS fallback (the
// link's `?path=hls`, as the viewer does by itself when no WebRTC rung
// connects) watches the test pattern through hls.js, from the control-api
// alone, a second or two late. It still asks questions over the WebSocket but
// cannot go on stage, and the moderator sees why.

let session: LiveSession;
let page: Page;

beforeAll(async () => {
  session = await LiveSession.start({ testPattern: true });
}, 120_000);

afterAll(async () => {
  await session?.close();
});

type Playback = { currentTime: number; frames: number; programTime: number | null; now: number };

function playback(p: Page): Promise<Playback> {
  return p.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>('[data-testid="hls-video"]');
    const programTime = Number(v?.dataset.programTime);
    return {
      currentTime: v?.currentTime ?? 0,
      frames: v?.getVideoPlaybackQuality().totalVideoFrames ?? 0,
      programTime: Number.isFinite(programTime) && programTime > 0 ? programTime : null,
      now: Date.now(),
    };
  });
}

describe('a classroom on the LL-HLS fallback', () => {
  it('decodes the speaker, says « Mode secours », keeps up within a few seconds', async () => {
    const token = session.ev.tokens.classrooms[0] as string;
    const opened = Date.now();
    page = await session.open('viewer', token);
    await page.goto(`${page.url()}&path=hls`);
    const label = page.locator('[data-testid="reach-path"][data-path="hls"]');
    await label.waitFor({ timeout: 10_000 });
    expect(await label.textContent()).toBe('Mode secours\u00a0: image en léger différé');

    // First frame on screen.
    const deadline = Date.now() + 40_000;
    let first: Playback = await playback(page);
    while (first.frames === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      first = await playback(page);
    }
    expect(first.frames).toBeGreaterThan(0);
    const firstFrameMs = first.now - opened;

    // It keeps playing: the clock advances and frames keep being decoded.
    await new Promise((r) => setTimeout(r, 4000));
    const later = await playback(page);
    expect(later.currentTime - first.currentTime).toBeGreaterThan(2.5);
    expect(later.frames - first.frames).toBeGreaterThan(40);

    // Glass to glass on one clock: the frame on screen was current on the
    // server at its EXT-X-PROGRAM-DATE-TIME; the page reads both on this host.
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const p = await playback(page);
      if (p.programTime) delays.push(p.now - p.programTime);
      await new Promise((r) => setTimeout(r, 300));
    }
    delays.sort((a, b) => a - b);
    const delay = delays[Math.floor(delays.length / 2)] ?? Number.NaN;
    console.log(`hls first_frame_ms=${firstFrameMs} hls_delay_ms=${Math.round(delay)}`);
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThan(5000);
    await screenshot(page, 'reach-hls');
  }, 90_000);

  it('its WebSocket works, but its hand stays down (no stage from the fallback); the moderator sees the path', async () => {
    const hand = page.getByTestId('hand');
    expect(await hand.isDisabled()).toBe(true);
    expect(await page.getByTestId('hand-hls').textContent()).toContain(
      'ne peut pas monter sur scène',
    );
    // The server refuses it too, whatever the page does.
    const refused = await page.evaluate(() =>
      (
        window as unknown as {
          __amphi: { signaling: { request: (t: string, d: object) => Promise<unknown> } };
        }
      ).__amphi.signaling
        .request('hand.raise', {})
        .then(
          () => 'accepted',
          (err: { code?: string }) => err.code ?? String(err),
        ),
    );
    expect(refused).toBe('INVALID_STATE');

    const moderator = await TestClient.connect(
      session.plane.url,
      session.ev.eventId,
      session.ev.tokens.moderator,
    );
    try {
      await expect
        .poll(async () => {
          const presence = await moderator.request('presence.get', {});
          return presence.participants.find((p) => p.role === 'classroom')?.path ?? null;
        })
        .toBe('hls');
    } finally {
      await moderator.close();
    }
  }, 30_000);
});
