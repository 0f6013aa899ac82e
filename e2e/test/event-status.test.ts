import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// A scheduled talk taken live and ended from the speaker's studio, as the
// speaker does: the classroom, the studio and the console follow the event's
// status; the speaker's and the moderator's timers show one time, though the
// moderator's computer clock is 29 s ahead, and after the moderator reloads.

let session: LiveSession;
let classroom: Page;
let speaker: Page;
let moderator: Page;

/** The moderator's computer is set 29 s ahead (the timers were 29 s apart). */
const SKEW_MS = 29_000;

beforeAll(async () => {
  session = await LiveSession.start({ classrooms: 1, status: 'scheduled' });
});

afterAll(async () => {
  await session?.close();
});

const statusOf = (page: Page) =>
  page.getAttribute('[data-testid="event-status"]', 'data-status', { timeout: 20_000 });

/** A timer's elapsed time, in seconds. */
async function elapsed(page: Page): Promise<number> {
  const text = (await page.textContent('[data-testid="timer-elapsed"]')) ?? '';
  const parts = text.split(':').map(Number);
  return parts.reduce((s, n) => s * 60 + n, 0);
}

/** Both timers read at once, several times: never more than 1 s apart. */
async function expectSameTimer(label: string): Promise<number> {
  let last = 0;
  for (let i = 0; i < 4; i++) {
    const [a, b] = await Promise.all([elapsed(speaker), elapsed(moderator)]);
    console.log(`${label}: speaker ${a} s, moderator ${b} s`);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
    last = a;
    await new Promise((r) => setTimeout(r, 700));
  }
  return last;
}

describe('going live and ending from the studio', () => {
  it('before: the classroom reads « Bientôt en direct », the timers have not started', async () => {
    const { ev } = session;
    classroom = await session.open('viewer', ev.tokens.classrooms[0] as string);
    speaker = await session.open('studio', ev.tokens.speaker);
    moderator = await session.open('studio', ev.tokens.moderator, { clockSkewMs: SKEW_MS });
    expect(await statusOf(classroom)).toBe('scheduled');
    expect(await classroom.textContent('[data-testid="event-status"]')).toBe('Bientôt en direct');
    expect(await statusOf(speaker)).toBe('scheduled');
    for (const studio of [speaker, moderator]) {
      await studio.waitForSelector('[data-testid="session-timer"][data-phase="idle"]');
    }
  });

  it('the speaker goes live: « En direct » everywhere, and one timer in both studios', async () => {
    await speaker.click('[data-testid="go-live"]:not([disabled])', { timeout: 20_000 });
    await speaker.waitForSelector('[data-testid="air-state"][data-state="live"]');
    await classroom.waitForSelector('[data-testid="event-status"][data-status="live"]');
    expect(await classroom.textContent('[data-testid="event-status"]')).toBe('En direct');
    await speaker.waitForSelector('[data-testid="event-status"][data-status="live"]');
    expect(await speaker.textContent('[data-testid="event-status"]')).toBe('En direct');
    await moderator.waitForSelector('[data-testid="event-status"][data-status="live"]');
    for (const studio of [speaker, moderator]) {
      await studio.waitForSelector('[data-testid="session-timer"][data-phase="running"]');
    }
    // The moderator's clock estimate comes from the server: give it its first ping.
    await new Promise((r) => setTimeout(r, 2500));
    await expectSameTimer('live');
    await screenshot(speaker, 'studio-live-timer');
    await screenshot(classroom, 'viewer-live-status');
  });

  it('the moderator reloads the console: its timer goes on from the same start', async () => {
    const before = await elapsed(speaker);
    await moderator.reload();
    await moderator.waitForSelector('[data-testid="session-timer"][data-phase="running"]', {
      timeout: 20_000,
    });
    await new Promise((r) => setTimeout(r, 2500));
    const now = await expectSameTimer('after the moderator reloaded');
    expect(now).toBeGreaterThanOrEqual(before);
  });

  it('the speaker ends: the classroom reads the end message, the timers stop at one time', async () => {
    await speaker.click('[data-testid="end-live"]');
    await speaker.click('[data-testid="end-live-confirm"]');
    await classroom.waitForSelector('[data-testid="after-session"]', { timeout: 20_000 });
    expect(await classroom.textContent('[data-testid="after-session"] h1')).toBe(
      'La séance est terminée — merci\u00a0!',
    );
    await speaker.waitForSelector('[data-testid="speaker-ended"]');
    for (const studio of [speaker, moderator]) {
      await studio.waitForSelector('[data-testid="session-timer"][data-phase="ended"]');
      await studio.waitForSelector('[data-testid="event-status"][data-status="ended"]');
    }
    const stopped = await expectSameTimer('ended');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await elapsed(speaker)).toBe(stopped);
    expect(await elapsed(moderator)).toBe(stopped);
    expect(await speaker.isDisabled('[data-testid="go-live"]')).toBe(true);
    await screenshot(classroom, 'viewer-session-ended');
    await screenshot(speaker, 'studio-session-ended');
  });
});
