import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type SeededEvent, TestClient } from '../../control-api/test/support/harness.ts';
import { localhost, screenshot } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// The classroom as a class sees it: on a 1920×1080 projector, a 1280×720
// laptop and a 390×844 phone. A 55 min panel (two speakers) that starts
// scheduled: the waiting screen first, then one speaker, then both.

let session: LiveSession;
let ev: SeededEvent;
let classroom: Page;
let moderator: TestClient;
const studios: Page[] = [];

beforeAll(async () => {
  session = await LiveSession.start({ classrooms: 2, speakers: 2, status: 'scheduled' });
  ev = session.ev;
  moderator = await TestClient.connect(session.plane.url, ev.eventId, ev.tokens.moderator);
  classroom = await session.open('viewer', ev.tokens.classrooms[0] as string);
  await classroom.setViewportSize({ width: 1920, height: 1080 });
});

afterAll(async () => {
  moderator?.socket.close();
  await session?.close();
});

/** The picture as displayed: the video element's box less the bars of `object-fit: contain`. */
function pictureShare(page: Page): Promise<number> {
  return page.$eval('[data-testid="speaker-video"]', (el) => {
    const v = el as HTMLVideoElement;
    const box = v.getBoundingClientRect();
    const ratio = v.videoWidth / v.videoHeight;
    const width = Math.min(box.width, box.height * ratio);
    const height = width / ratio;
    return (width * height) / (window.innerWidth * window.innerHeight);
  });
}

/** Buttons whose box overlaps a speaker's tile (none should: they would hide the picture). */
function buttonsOverTiles(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const tiles = [...document.querySelectorAll('[data-testid="speaker-tile"]')].map((t) =>
      t.getBoundingClientRect(),
    );
    return [...document.querySelectorAll('button')]
      .filter((b) => {
        const r = b.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) return false;
        return tiles.some(
          (t) => r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top,
        );
      })
      .map((b) => b.textContent ?? '');
  });
}

/** The page scrolls neither way, and the class's questions are on screen. */
function questionsInView(page: Page) {
  return page.evaluate(() => {
    const questions = document.querySelector('[data-testid="questions"]') as HTMLElement;
    const heading = questions.querySelector('h2')?.getBoundingClientRect();
    // The first question's text, whole: on screen and not cut by the panel's own scrolling.
    const first = questions.querySelector('li .q-text')?.getBoundingClientRect() ?? null;
    const panel = questions.getBoundingClientRect();
    return {
      pageScrolls: document.documentElement.scrollHeight > window.innerHeight,
      headingVisible: !!heading && heading.top >= 0 && heading.bottom <= window.innerHeight,
      firstVisible:
        !!first &&
        first.top >= Math.max(0, panel.top) &&
        first.bottom <= Math.min(window.innerHeight, panel.bottom),
    };
  });
}

function decoding(page: Page): Promise<number> {
  return page.evaluate(`window.__amphi.media.recvTransport.getStats().then((report) =>
    [...report.values()].filter((s) => s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0).length)`) as Promise<number>;
}

async function goLive(token: string): Promise<Page> {
  const studio = await session.open('studio', token);
  studios.push(studio);
  await studio.click('[data-testid="go-live"]:not([disabled])', { timeout: 20_000 });
  await studio.waitForSelector('[data-testid="air-state"][data-state="live"]');
  return studio;
}

describe('the classroom screen in Chromium', () => {
  it('before the talk, shows its title, start time and the speakers with their jobs', async () => {
    const event = (
      await api<{ title: string; startsAt: string }>(
        session.plane.url,
        'GET',
        `/api/v1/events/${ev.eventId}`,
      )
    ).body;
    await classroom.waitForSelector('[data-testid="waiting-title"]');
    expect(await classroom.textContent('[data-testid="waiting-title"]')).toBe(event.title);
    const time = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit' }).format(
      new Date(event.startsAt),
    );
    const when = await classroom.textContent('[data-testid="waiting-when"]');
    expect(when).toMatch(/^Début\u00a0: /);
    expect(when).toContain(time);
    const speakers = await classroom.$$eval('[data-testid="waiting-speakers"] li', (els) =>
      els.map((e) => e.textContent),
    );
    expect(speakers).toEqual([
      'Inès HaddadIngénieure du son, Studio Lumière',
      'Karim BenaliMixeur, Radio Sud',
    ]);
    await screenshot(classroom, 'classroom-waiting');
  });

  it('one speaker: the picture fills most of a 1920×1080 projector, buttons beside it, questions in view; F enlarges the picture', async () => {
    await goLive(ev.tokens.speaker);
    await expect.poll(() => decoding(classroom), { timeout: 20_000 }).toBe(1);
    await classroom.waitForFunction(
      () =>
        (document.querySelector('[data-testid="speaker-video"]') as HTMLVideoElement)?.videoWidth >
        0,
    );
    const share = await pictureShare(classroom);
    console.log(
      `1920×1080: the speaker's picture covers ${(share * 100).toFixed(1)} % of the screen`,
    );
    expect(share).toBeGreaterThanOrEqual(0.6);
    expect(await buttonsOverTiles(classroom)).toEqual([]);
    expect(await questionsInView(classroom)).toMatchObject({
      pageScrolls: false,
      headingVisible: true,
    });
    // One « Activer le son » for every tile, when the browser holds the sound back.
    expect(
      await classroom.locator('button', { hasText: 'Activer le son' }).count(),
    ).toBeLessThanOrEqual(1);

    // Headless Chromium refuses full screen ("not granted"): record what the page asks to enlarge.
    await classroom.evaluate(() => {
      Element.prototype.requestFullscreen = function (this: Element) {
        (window as unknown as { enlarged: string }).enlarged =
          (this as HTMLElement).dataset.testid ?? this.tagName;
        return Promise.resolve();
      };
    });
    await classroom.keyboard.press('f');
    await expect
      .poll(() => classroom.evaluate(() => (window as unknown as { enlarged?: string }).enlarged))
      .toBe('screen');
    // The picture is inside what is enlarged (and so is the question shown over it).
    expect(
      await classroom.$eval('[data-testid="screen"]', (el) =>
        el.contains(el.querySelector('[data-testid="speaker-video"]')),
      ),
    ).toBe(true);
  });

  it('shows the question being answered over the picture, in large type', async () => {
    const text = 'Comment devient-on ingénieure du son ?';
    await classroom.fill('[data-testid="ask-form"] textarea', text);
    await classroom.click('[data-testid="ask-form"] button[type="submit"]');
    const created = await moderator.waitForEvent(
      'question.created',
      (q) => q.text === text,
      10_000,
    );
    const questionId = created.id;
    await moderator.request('question.moderate', { action: 'approve', questionId });
    await moderator.request('question.moderate', { action: 'answering', questionId });
    await classroom.waitForSelector('[data-testid="answering-overlay"]');
    expect(await classroom.textContent('[data-testid="answering-overlay"] .answering-text')).toBe(
      text,
    );
    const px = await classroom.$eval('.answering-text', (el) =>
      Number.parseFloat(getComputedStyle(el).fontSize),
    );
    console.log(`the answered question is written ${px}px high at 1920×1080`);
    expect(px).toBeGreaterThanOrEqual(40);
    // Over the picture: inside the speaker's area, at its bottom.
    const inside = await classroom.evaluate(() => {
      const o = document
        .querySelector('[data-testid="answering-overlay"]')
        ?.getBoundingClientRect();
      const s = document.querySelector('[data-testid="screen"]')?.getBoundingClientRect();
      return !!o && !!s && o.top > s.top + s.height / 2 && o.bottom <= s.bottom;
    });
    expect(inside).toBe(true);
    expect(await questionsInView(classroom)).toEqual({
      pageScrolls: false,
      headingVisible: true,
      firstVisible: true,
    });
    await screenshot(classroom, 'classroom-1920');
  });

  it('on a 1280×720 laptop, the questions are on screen without scrolling', async () => {
    await classroom.setViewportSize({ width: 1280, height: 720 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await questionsInView(classroom)).toEqual({
      pageScrolls: false,
      headingVisible: true,
      firstVisible: true,
    });
    expect(await buttonsOverTiles(classroom)).toEqual([]);
    const share = await pictureShare(classroom);
    console.log(
      `1280×720: the speaker's picture covers ${(share * 100).toFixed(1)} % of the screen`,
    );
    await screenshot(classroom, 'classroom-1280');
  });

  it('on a 390×844 phone, nothing overflows sideways and no button covers the picture', async () => {
    await classroom.setViewportSize({ width: 390, height: 844 });
    await new Promise((r) => setTimeout(r, 300));
    const widths = await classroom.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
    }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.inner);
    expect(await buttonsOverTiles(classroom)).toEqual([]);
    const video = await classroom.$eval('[data-testid="speaker-video"]', (el) => {
      const r = el.getBoundingClientRect();
      return { width: r.width, height: r.height, left: r.left };
    });
    expect(video.left).toBeGreaterThanOrEqual(0);
    expect(video.width).toBeGreaterThan(300);
    expect(video.height).toBeGreaterThan(150);
    await screenshot(classroom, 'classroom-390');
    await classroom.setViewportSize({ width: 1920, height: 1080 });
  });

  it('a panel: the speaker talking is enlarged', async () => {
    await goLive(ev.tokens.coSpeakers[0] as string);
    await expect.poll(() => decoding(classroom), { timeout: 20_000 }).toBe(2);
    // Chromium's fake microphone beeps in both studios: the origin's observer
    // names one of them, and that tile grows.
    await classroom.waitForSelector('[data-testid="speaker-tile"][data-active="true"]', {
      timeout: 20_000,
    });
    const measure = () =>
      classroom.$$eval('[data-testid="speaker-tile"]', (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return {
            active: e.getAttribute('data-active') === 'true',
            area: r.width * r.height,
            name: e.querySelector('[data-testid="speaker-name"]')?.textContent,
          };
        }),
      );
    // The tiles change size with a short transition.
    await expect
      .poll(async () => {
        const [a, b] = (await measure()).map((t) => t.area);
        return Math.max(a ?? 0, b ?? 0) / Math.max(1, Math.min(a ?? 0, b ?? 0));
      })
      .toBeGreaterThan(3);
    const tiles = await measure();
    console.log(`panel: ${JSON.stringify(tiles)}`);
    const active = tiles.filter((t) => t.active);
    const other = tiles.filter((t) => !t.active);
    expect(active).toHaveLength(1);
    expect(other).toHaveLength(1);
    expect(active[0]?.area).toBeGreaterThan(3 * (other[0]?.area ?? 0));
    await screenshot(classroom, 'classroom-panel');

    // A class that opens its link now, after the speaker was named, is told too.
    const late = await session.open('viewer', ev.tokens.classrooms[1] as string);
    await late.setViewportSize({ width: 1920, height: 1080 });
    await late.waitForSelector('[data-testid="speaker-tile"][data-active="true"]', {
      timeout: 15_000,
    });
    await late.close();
  });

  it('on stage: the class sees itself, mirrored, and mutes its microphone with M', async () => {
    await classroom.click('[data-testid="hand"]');
    const classroomId = ev.classroomIds[0] as string;
    await moderator.waitForEvent('hand.updated', (h) => h.classroomId === classroomId, 10_000);
    await moderator.request('stage.invite', { classroomId });
    await classroom.click('[data-testid="stage-consent"] button.accept:not([disabled])', {
      timeout: 15_000,
    });
    await classroom.waitForSelector('[data-testid="self-view"]');
    await classroom.waitForFunction(
      () =>
        (document.querySelector('[data-testid="self-view"]') as HTMLVideoElement).videoWidth > 0,
    );
    const transform = await classroom.$eval(
      '[data-testid="self-view"]',
      (el) => getComputedStyle(el).transform,
    );
    expect(transform).toBe('matrix(-1, 0, 0, 1, 0, 0)');
    const mute = '[data-testid="stage-mute"]';
    expect(await classroom.getAttribute(mute, 'aria-pressed')).toBe('false');
    expect(await classroom.getAttribute(mute, 'aria-keyshortcuts')).toBe('M');
    // What leaves the classroom: its microphone's level, as the sender measures it.
    const level = () =>
      classroom.evaluate(`window.__amphi.media.sendTransport.getStats().then((report) =>
        Math.max(0, ...[...report.values()].filter((s) => s.type === 'media-source' && s.kind === 'audio').map((s) => s.audioLevel ?? 0)))`) as Promise<number>;
    const levels = async () => {
      const seen: number[] = [];
      for (let i = 0; i < 8; i++) {
        seen.push(await level());
        await new Promise((r) => setTimeout(r, 250));
      }
      return seen;
    };
    const heard = await levels();
    console.log(`microphone level before muting: ${heard.join(', ')}`);
    expect(Math.max(...heard)).toBeGreaterThan(0);
    await classroom.keyboard.press('m');
    await expect.poll(() => classroom.getAttribute(mute, 'aria-pressed')).toBe('true');
    expect(await classroom.textContent('[data-testid="stage-muted"]')).toBe(
      'Micro coupé\u00a0: les intervenants ne vous entendent plus.',
    );
    // The level is measured over a short window: let it pass.
    await new Promise((r) => setTimeout(r, 1500));
    const muted = await levels();
    console.log(`microphone level while muted: ${muted.join(', ')}`);
    expect(Math.max(...muted)).toBe(0);
    await screenshot(classroom, 'classroom-on-stage');
    await classroom.click(mute);
    expect(await classroom.getAttribute(mute, 'aria-pressed')).toBe('false');
  });
});

describe('a newcomer opening the bare address', () => {
  it('reads what Amphi is and which link to open first, and is shown no join link', async () => {
    const page = await session.browser.context.newPage();
    await page.goto(`${localhost(session.plane.url)}/`);
    expect(await page.textContent('h1')).toBe('Amphi');
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('lien de l’intervenant ou de l’intervenante');
    expect(text).toContain('npm start -- --links');
    expect(text).not.toContain('token=');
    const links = await page.$$eval('a', (els) => els.map((e) => e.getAttribute('href')));
    expect(links).toContain('/studio/');
    expect(links).toContain('/viewer/');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    await page.close();
  });
});
