import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../../control-api/test/support/harness.ts';
import { expectDecoding, screenshot } from '../support/browser.ts';
import { ClassroomLine } from '../support/cutLine.ts';
import { LiveSession } from '../support/session.ts';

// A classroom's school line is cut during the talk (no close, no reset:
// silence), then comes back. The speaker is FFmpeg's test pattern; the
// moderator watches the console in the same browser, on a line of its own.

let session: LiveSession | null = null;
let line: ClassroomLine | null = null;
let unavailable: string | null = null;

beforeAll(async () => {
  unavailable = await ClassroomLine.probe();
  if (unavailable) return;
  session = await LiveSession.start({ workers: 1, classrooms: 1, testPattern: true });
  line = await ClassroomLine.open(session.plane.url);
});

afterAll(async () => {
  await line?.close();
  await session?.close();
});

/** The UDP ports the classroom's media arrives on (its local ICE candidates in use). */
function mediaPorts(page: Page): Promise<number[]> {
  return page.evaluate(`window.__amphi.media.recvTransport.getStats().then((report) => {
    const all = [...report.values()];
    return all
      .filter((s) => s.type === 'local-candidate' && s.protocol === 'udp')
      .map((s) => s.port);
  })`) as Promise<number[]>;
}

/** The media server's port the classroom talks to (UDP, and TCP should ICE try it). */
function serverMediaPort(page: Page): Promise<number> {
  return page.evaluate(`window.__amphi.media.recvTransport.getStats().then((report) => {
    const all = [...report.values()];
    const pair = all.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
    return all.find((s) => s.id === pair.remoteCandidateId).port;
  })`) as Promise<number>;
}

const banner = '[data-testid="net-banner"]';

describe('a classroom whose line is cut', () => {
  it('is told within 3 s, sees it on the frozen picture, keeps its question and sends it when the line is back; the console sees it leave', async (ctx) => {
    if (unavailable || !session || !line) {
      console.log(`skipped: ${unavailable}`);
      ctx.skip();
      return;
    }
    const { ev, plane } = session;
    const classroomId = ev.classroomIds[0] as string;
    const token = ev.tokens.classrooms[0] as string;
    const moderator = await TestClient.connect(plane.url, ev.eventId, ev.tokens.moderator);
    const classroom = await session.browser.context.newPage();
    classroom.on('pageerror', (err) => console.log(`[viewer page error] ${err.message}`));
    await classroom.goto(
      `${line.url}/viewer/?event=${ev.eventId}&token=${encodeURIComponent(token)}`,
    );
    const console_ = await session.open('studio', ev.tokens.moderator);
    const row = `[data-testid="classroom-row"][data-classroom-id="${classroomId}"]`;
    try {
      console.log(`before the cut: ${await expectDecoding(classroom, 20)}`);
      await classroom.waitForSelector(`${banner}[data-level="good"]`);
      await console_.waitForSelector(row);

      await line.cut({ udp: await mediaPorts(classroom) });
      const cutAt = Date.now();
      await classroom.waitForSelector(`${banner}[data-status="reconnecting"]`, { timeout: 10_000 });
      const told = Date.now() - cutAt;
      console.log(`the class is told its line is lost ${told} ms after the cut`);
      expect(told).toBeLessThan(3_000);
      expect(await classroom.textContent(banner)).toContain('Connexion perdue');
      await classroom.waitForSelector('[data-testid="frozen-overlay"]');
      expect(await classroom.textContent('[data-testid="frozen-overlay"]')).toBe(
        'Connexion perdue — l’image est figée',
      );

      // A question typed while the line is down waits for it.
      const text = 'Que faites-vous quand le réseau tombe pendant un tournage ?';
      await classroom.fill('[data-testid="ask-form"] textarea', text);
      await classroom.click('[data-testid="ask-form"] button[type="submit"]');
      await classroom.waitForSelector('[data-testid="ask-result"][data-state="queued"]');
      expect(await classroom.textContent('[data-testid="ask-result"]')).toBe(
        'Question en attente\u00a0: elle partira dès le retour de la connexion.',
      );
      await screenshot(classroom, 'viewer-line-cut');

      // The console sees the class leave within seconds (its socket fell silent).
      await console_.waitForSelector(row, { state: 'detached', timeout: 15_000 });
      const left = Date.now() - cutAt;
      console.log(`the console no longer lists the class ${left} ms after the cut`);
      expect(left).toBeLessThan(9_000);
      await console_.getByTestId('presence-counts').scrollIntoViewIfNeeded();
      await screenshot(console_, 'console-class-line-cut');

      // The tries are counted on screen while the line stays down.
      await classroom.waitForFunction(
        () =>
          Number(
            document.querySelector('[data-testid="net-banner"]')?.getAttribute('data-attempt'),
          ) >= 2,
        undefined,
        { timeout: 15_000 },
      );
      console.log(`banner after ${Date.now() - cutAt} ms: ${await classroom.textContent(banner)}`);
      expect((await moderator.request('question.list', {})).questions).toHaveLength(0);
      expect(await line.dropped()).toBeGreaterThan(0);

      await line.restore();
      const backAt = Date.now();
      await classroom.waitForSelector('[data-testid="ask-result"][data-state="sent"]', {
        timeout: 30_000,
      });
      console.log(`the queued question left ${Date.now() - backAt} ms after the line came back`);
      expect(await classroom.textContent('[data-testid="ask-result"]')).toBe(
        'Question envoyée\u00a0: la modération va la lire.',
      );
      await console_.getByText(text).first().waitFor({ timeout: 10_000 });
      const stored = (await moderator.request('question.list', {})).questions;
      expect(stored.filter((q) => q.text === text)).toHaveLength(1);
      await classroom.waitForSelector(`${banner}[data-status="open"]`);
      await classroom.waitForSelector('[data-testid="frozen-overlay"]', { state: 'detached' });
      await console_.waitForSelector(row, { timeout: 15_000 });
      console.log(`after the line came back: ${await expectDecoding(classroom)}`);
      await screenshot(classroom, 'viewer-line-back');
    } finally {
      await line.restore();
      await classroom.close();
      await console_.close();
      await moderator.close();
    }
  });

  it('whose media alone is cut (the socket still answers) is told from the stalled stream, and the console sees it struggle', async (ctx) => {
    if (unavailable || !session || !line) {
      console.log(`skipped: ${unavailable}`);
      ctx.skip();
      return;
    }
    const { ev } = session;
    const classroomId = ev.classroomIds[0] as string;
    const token = ev.tokens.classrooms[0] as string;
    const classroom = await session.browser.context.newPage();
    await classroom.goto(
      `${line.url}/viewer/?event=${ev.eventId}&token=${encodeURIComponent(token)}`,
    );
    const console_ = await session.open('studio', ev.tokens.moderator);
    const row = `[data-testid="classroom-row"][data-classroom-id="${classroomId}"]`;
    try {
      await expectDecoding(classroom, 20);
      await classroom.waitForSelector(`${banner}[data-level="good"]`);
      const worker = await serverMediaPort(classroom);
      await line.cut({ signaling: false, udp: await mediaPorts(classroom), tcp: [worker] });
      const cutAt = Date.now();
      await classroom.waitForSelector('[data-testid="frozen-overlay"]', { timeout: 15_000 });
      const told = Date.now() - cutAt;
      console.log(
        `media cut, socket fine: the frozen picture is told after ${told} ms (${await classroom.textContent(banner)})`,
      );
      expect(told).toBeLessThan(6_000);
      // Told from the stalled stream: the socket is open, the transport not failed yet.
      expect(await classroom.getAttribute(banner, 'data-status')).toBe('open');
      // On a loaded machine ICE may say 'disconnected' (told as bad) before the
      // stall is measured; the stalled stream is told as offline either way.
      await classroom.waitForSelector(`${banner}[data-level="offline"]`, { timeout: 5_000 });
      await console_.waitForSelector(`${row}[data-quality="bad"]`, { timeout: 10_000 });
      console.log(`the console shows the class struggling ${Date.now() - cutAt} ms after the cut`);

      await line.restore();
      await classroom.waitForSelector('[data-testid="frozen-overlay"]', {
        state: 'detached',
        timeout: 30_000,
      });
      console.log(`media back: ${await expectDecoding(classroom)}`);
    } finally {
      await line.restore();
      await classroom.close();
      await console_.close();
    }
  });
});
