import { WorkerPool } from '@amphi/media-server';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../control-api/src/logger.ts';
import { InProcessMediaNode } from '../../control-api/src/rtc/InProcessMediaNode.ts';
import { expectDecoding } from '../support/browser.ts';
import { longestStill, readPicture, watchPicture } from '../support/pictureWatch.ts';
import { LiveSession } from '../support/session.ts';

// A classroom's viewer in Chromium whose signaling socket drops (a lost
// heartbeat, a control-api instance gone) while its media path is fine: the
// viewer reconnects, presents its resume token, and keeps its receive
// transport and consumers as they were. What the class would notice is the
// picture standing still: the longest time between two frames presented on
// screen is measured across the drop, beside as long a time with no drop, and
// beside the same drop on a media node that keeps nothing (grace 0: the
// server closes the dropped socket's media, as before resume, and the viewer
// sets its media up anew). The speaker is FFmpeg's test pattern there; then a
// speaker in the studio drops its socket, and the class watching it is timed.

const sessions: LiveSession[] = [];

afterAll(async () => {
  for (const s of sessions) await s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function mediaNode(sessionGraceMs: number): Promise<InProcessMediaNode> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const pool = await WorkerPool.create({ size: 1, listenIp: '127.0.0.1', logger: log });
  return new InProcessMediaNode({
    pool,
    log,
    transportOptions: { listenIp: '127.0.0.1' },
    ownsPool: true,
    sessionGraceMs,
  });
}

interface Drop {
  backMs: number;
  /** Longest still across the drop, and over as long with no drop just before. */
  across: number;
  steady: number;
  status: string | null;
  sameTransport: boolean;
  sameParticipant: boolean;
}

async function dropSocket(sessionGraceMs: number): Promise<Drop> {
  const session = await LiveSession.start({
    classrooms: 1,
    testPattern: true,
    media: await mediaNode(sessionGraceMs),
  });
  sessions.push(session);
  const page = await session.open('viewer', session.ev.tokens.classrooms[0] as string);
  console.log(`before the drop (grace ${sessionGraceMs} ms): ${await expectDecoding(page, 20)}`);
  const ids = `({ transportId: window.__amphi.media.recvTransport.id, participantId: window.__amphi.signaling.lastJoin.self.participantId })`;
  const before = (await page.evaluate(ids)) as { transportId: string; participantId: string };
  await watchPicture(page);
  await sleep(3_000);
  const steadyTo = Date.now();
  const dropAt = Date.now();
  await page.evaluate('window.__amphi.signaling.dropConnection()');
  await joinedAgain(page);
  const backMs = Date.now() - dropAt;
  await sleep(2_500);
  const after = (await page.evaluate(ids)) as { transportId: string; participantId: string };
  const status = (await page.evaluate(
    'window.__amphi.signaling.lastJoin.resume?.media?.status ?? null',
  )) as string | null;
  const { frames } = await readPicture(page);
  const drop: Drop = {
    backMs,
    across: longestStill(frames, dropAt, dropAt + 2_500),
    steady: longestStill(frames, steadyTo - 2_500, steadyTo),
    status,
    sameTransport: after.transportId === before.transportId,
    sameParticipant: after.participantId === before.participantId,
  };
  console.log(`after the drop (grace ${sessionGraceMs} ms): ${await expectDecoding(page)}`);
  await page.close();
  return drop;
}

/** Polls the page until its signaling has joined again after a drop (the viewer's CSP allows no evaluated predicate in the page). */
async function joinedAgain(page: Page, ms = 15_000): Promise<void> {
  for (const deadline = Date.now() + ms; ; await sleep(20)) {
    const joined = await page.evaluate(
      `window.__amphi.signaling.status === 'open' && window.__amphi.signaling.lastJoin?.resume?.media !== null`,
    );
    if (joined) return;
    if (Date.now() > deadline) throw new Error(`not joined again within ${ms} ms`);
  }
}

interface StudioDrop {
  backMs: number;
  across: number;
  steady: number;
  status: unknown;
  sameTransport: boolean;
  sameProducers: boolean;
}

/** A studio on air, a class watching it; the studio's socket drops. */
async function dropStudio(sessionGraceMs: number): Promise<StudioDrop> {
  const media = await mediaNode(sessionGraceMs);
  const session = await LiveSession.start({ classrooms: 1, media });
  sessions.push(session);
  const { eventId } = session.ev;
  const studio = await session.open('studio', session.ev.tokens.speaker);
  await studio.click('[data-testid="go-live"]:not([disabled])', { timeout: 20_000 });
  await studio.waitForSelector('[data-testid="air-state"][data-state="live"]', {
    timeout: 20_000,
  });
  const viewer = await session.open('viewer', session.ev.tokens.classrooms[0] as string);
  console.log(`the class sees the studio: ${await expectDecoding(viewer, 20)}`);
  const sendId = 'window.__amphi.media.sendTransport?.id ?? null';
  const producers = async () =>
    (await media.listProducers(eventId))
      .map((p) => p.producerId)
      .sort()
      .join();
  const producersBefore = await producers();
  const transportBefore = await studio.evaluate(sendId);
  await watchPicture(viewer);
  await sleep(3_000);
  const steadyTo = Date.now();
  const dropAt = Date.now();
  await studio.evaluate('window.__amphi.signaling.dropConnection()');
  await joinedAgain(studio);
  const backMs = Date.now() - dropAt;
  await sleep(2_500);
  const { frames } = await readPicture(viewer);
  const drop: StudioDrop = {
    backMs,
    across: longestStill(frames, dropAt, dropAt + 2_500),
    steady: longestStill(frames, steadyTo - 2_500, steadyTo),
    status: await studio.evaluate('window.__amphi.signaling.lastJoin.resume.media.status'),
    sameTransport: (await studio.evaluate(sendId)) === transportBefore,
    sameProducers: (await producers()) === producersBefore,
  };
  await studio.close();
  await viewer.close();
  return drop;
}

describe('a speaker in the studio whose signaling socket drops', () => {
  it('keeps sending: same producers and send transport, no class picture stands still', async () => {
    const resumed = await dropStudio(15_000);
    const anew = await dropStudio(0);
    console.log(
      `studio socket dropped: resumed ${resumed.backMs} ms after, the class's longest still ${resumed.across} ms (steady ${resumed.steady} ms); with nothing kept (the studio publishes anew): ${anew.across} ms (steady ${anew.steady} ms)`,
    );
    expect(resumed).toMatchObject({ status: 'resumed', sameTransport: true, sameProducers: true });
    expect(resumed.across).toBeLessThan(Math.max(400, resumed.steady + 200));
    expect(anew).toMatchObject({ status: 'refused', sameProducers: false });
  }, 240_000);
});

describe('a classroom whose signaling socket drops', () => {
  it('resumes its media: same receive transport, the picture never stands still', async () => {
    const resumed = await dropSocket(15_000);
    const anew = await dropSocket(0);
    console.log(
      `viewer socket dropped: resumed ${resumed.backMs} ms after, longest still ${resumed.across} ms (steady ${resumed.steady} ms); with nothing kept (set up anew): joined ${anew.backMs} ms after, longest still ${anew.across} ms (steady ${anew.steady} ms)`,
    );
    expect(resumed).toMatchObject({
      status: 'resumed',
      sameTransport: true,
      sameParticipant: true,
    });
    expect(resumed.across).toBeLessThan(Math.max(400, resumed.steady + 200));
    // Without a session to resume the viewer falls back to a full set-up, and the picture comes back.
    expect(anew).toMatchObject({ status: 'refused', sameTransport: false });
  }, 240_000);
});
