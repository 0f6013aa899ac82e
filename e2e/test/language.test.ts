import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeededEvent } from '../../control-api/test/support/harness.ts';
import { screenshot } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// What a French school reads, in Chromium against a real server: refusals in
// French whatever the server's (English) message, videos named after their
// speaker, live regions that announce results and not the latency, a visible
// focus ring, and English on demand.

const NBSP = '\u00a0';
/** Words of the server's own messages, which must never reach the screen. */
const SERVER_ENGLISH = /token|malformed|signed|control characters|not allowed|cannot|invalid/i;

let session: LiveSession;
let ev: SeededEvent;
let classroom: Page;
let moderator: Page;

beforeAll(async () => {
  session = await LiveSession.start({ cameras: 1 });
  ({ ev } = session);
});

afterAll(async () => {
  await session?.close();
});

/** The join link as an e-mail client that wraps long lines leaves it: its end is cut off. */
const cut = (token: string) => token.slice(0, -12);

/** Tabs until a button has the keyboard focus; returns how its focus and border look. */
async function focusRing(page: Page) {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const tag = await page.evaluate(() => document.activeElement?.tagName);
    if (tag === 'BUTTON') break;
  }
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    return {
      text: el.textContent,
      focusVisible: el.matches(':focus-visible'),
      outlineStyle: s.outlineStyle,
      outlineWidth: Number.parseFloat(s.outlineWidth),
      outlineOffset: Number.parseFloat(s.outlineOffset),
      outlineColor: s.outlineColor,
      borderColor: s.borderTopColor,
    };
  });
}

describe('French first, English on demand, whatever the server says', () => {
  it('a join link cut short is refused in French, without the server’s English', async () => {
    const viewer = await session.open('viewer', cut(ev.tokens.classrooms[0] as string));
    const refusal = await viewer.waitForSelector('[role="alert"]', { timeout: 20_000 });
    expect(await refusal.textContent()).toBe(
      `Impossible de rejoindre la séance${NBSP}: ce lien de connexion n’est pas valide${NBSP}; vérifiez qu’il a été copié en entier, ou demandez-en un nouveau à l’organisateur`,
    );
    expect(await viewer.textContent('body')).not.toMatch(SERVER_ENGLISH);
    await screenshot(viewer, 'language-viewer-link-refused');
    await viewer.close();

    const studio = await session.open('studio', cut(ev.tokens.speaker));
    const error = await studio.waitForSelector('[data-testid="join-error"]', { timeout: 20_000 });
    expect(await error.textContent()).toContain(
      `Impossible de rejoindre la séance${NBSP}: ce lien de connexion n’est pas valide`,
    );
    expect(await studio.textContent('body')).not.toMatch(SERVER_ENGLISH);
    await studio.close();
  });

  it('each video is named after its speaker, in the classroom and in the console', async () => {
    const speaker = await session.open('studio', ev.tokens.speaker);
    await speaker.click('[data-testid="go-live"]:not([disabled])', { timeout: 20_000 });
    await speaker.waitForSelector('[data-testid="air-state"][data-state="live"]');

    classroom = await session.open('viewer', ev.tokens.classrooms[0] as string);
    const video = await classroom.waitForSelector('[data-testid="speaker-video"]', {
      timeout: 20_000,
    });
    expect(await video.getAttribute('aria-label')).toBe(`Vidéo${NBSP}: Inès Haddad`);

    moderator = await session.open('studio', ev.tokens.moderator);
    const feed = await moderator.waitForSelector('[data-testid="speaker-feed-video"]', {
      timeout: 20_000,
    });
    expect(await feed.getAttribute('aria-label')).toBe(`Vidéo${NBSP}: Inès Haddad`);
    // Who is connected, counted as French counts: « 1 intervenant », « 1 classe ».
    await expect
      .poll(() => moderator.textContent('[data-testid="presence-counts"]'))
      .toBe('1 intervenant, 1 personne à la modération, 1 classe');
    await screenshot(moderator, 'language-console-counts');
  });

  it('a question pasted from a word processor is refused in French, and the refusal is announced', async () => {
    // A manual line break from a word processor is a vertical tab (U+000B): the server refuses it.
    await classroom.keyboard.press('q');
    await classroom.keyboard.insertText('Quel a été votre parcours\u000bpour arriver là ?');
    await classroom.click('[data-testid="ask-form"] button[type="submit"]');
    const result = classroom.locator('[data-testid="ask-result"]');
    await expect
      .poll(() => result.textContent())
      .toBe(
        `La question n’est pas partie${NBSP}: ce qui a été saisi n’est pas valide${NBSP}; vérifiez le texte et réessayez`,
      );
    // The result sits in a live region that was there before the send.
    expect(await result.getAttribute('role')).toBe('status');
    expect(await classroom.textContent('body')).not.toMatch(SERVER_ENGLISH);
    await screenshot(classroom, 'language-viewer-question-refused');
  });

  it('announces states and results, never the latency figure', async () => {
    await classroom.waitForSelector('[data-testid="net-banner"][data-status="open"]');
    for (const page of [classroom, moderator]) {
      const announced = await page.$$eval('[role="status"], [role="alert"], [aria-live]', (els) =>
        els.filter((el) => el.getAttribute('aria-live') !== 'off').map((el) => el.textContent),
      );
      expect(announced.join(' | ')).not.toMatch(/\d\s*ms\b/);
    }
  });

  it('shows keyboard focus as a ring apart from the border, and names the shortcuts', async () => {
    for (const page of [classroom, moderator]) {
      const ring = await focusRing(page);
      expect(ring.focusVisible, String(ring.text)).toBe(true);
      expect(ring.outlineStyle).toBe('solid');
      expect(ring.outlineWidth).toBeGreaterThanOrEqual(3);
      expect(ring.outlineOffset).toBeGreaterThanOrEqual(2);
      expect(ring.outlineColor).not.toBe(ring.borderColor);
    }
    expect(await classroom.textContent('button[aria-keyshortcuts="A"]')).toBe('Son seul');
    expect(await classroom.textContent('button[aria-keyshortcuts="H"]')).toBe('Lever la main');
    expect(await classroom.getAttribute('textarea', 'aria-keyshortcuts')).toBe('Q');
    expect(await moderator.textContent('[data-testid="shortcuts-toggle"]')).toContain('?');
    expect(
      await moderator.getAttribute('[data-testid="shortcuts-toggle"]', 'aria-keyshortcuts'),
    ).toBe('?');
  });

  it('the English switch, itself marked as English, gives English', async () => {
    const toEnglish = classroom.locator('header button[aria-keyshortcuts="L"]');
    expect(await toEnglish.textContent()).toBe('English');
    expect(await toEnglish.getAttribute('lang')).toBe('en');
    await toEnglish.click();
    expect(await classroom.getAttribute('html', 'lang')).toBe('en');
    expect(await classroom.textContent('[data-testid="ask-result"]')).toBe(
      'The question was not sent: what was entered is not valid; check the text and try again',
    );
    expect(await classroom.getAttribute('[data-testid="speaker-video"]', 'aria-label')).toBe(
      'Video: Inès Haddad',
    );
    expect(await classroom.textContent('[data-testid="hand"]')).toBe('Raise hand');
    // The way back is in French, and says so.
    expect(await toEnglish.textContent()).toBe('Français');
    expect(await toEnglish.getAttribute('lang')).toBe('fr');
    await screenshot(classroom, 'language-viewer-english');

    await moderator.click('[data-testid="lang-switch"]');
    await moderator.waitForSelector('h2:has-text("To triage")');
    expect(await moderator.getAttribute('[data-testid="speaker-feed-video"]', 'aria-label')).toBe(
      'Video: Inès Haddad',
    );
  });
});
