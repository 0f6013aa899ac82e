import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDecoding, inboundStats, screenshot } from '../support/browser.ts';
import { goLiveOnCluster } from '../support/clusterTalk.ts';
import { MediaCluster } from '../support/mediaCluster.ts';
import { LiveSession } from '../support/session.ts';

// Two media nodes (`npm run media-node` processes, as on two hosts), the
// control-api driving them (MEDIA_PLANE=remote), a speaker in the studio and
// two classrooms in Chromium. The node holding the event is killed with -9:
// the studio publishes again and each classroom decodes again on the other
// node, each within 5 s of the kill.

const SECRET = 'test-media-node-e2e-secret-0123456789abc';
let cluster: MediaCluster;
let session: LiveSession;

beforeAll(async () => {
  cluster = await MediaCluster.start(SECRET, ['e2e-node-a', 'e2e-node-b']);
  session = await LiveSession.start({ media: cluster.media, classrooms: 2 });
});

afterAll(async () => {
  await session?.close();
  await cluster?.close();
});

/** Resolves with the ms from `since` until the page decodes frames again on new transports. */
async function decodingAgain(page: Page, since: number): Promise<number> {
  // Transports set up anew start their counters from zero: decoding again is
  // frames counted while the count is below the one read before the kill.
  const before = (await inboundStats(page)).video.framesDecoded;
  let lowest = before;
  while (Date.now() - since < 20_000) {
    const s = await inboundStats(page).catch(() => null);
    if (s) {
      lowest = Math.min(lowest, s.video.framesDecoded);
      if (lowest < before && s.video.framesDecoded > lowest + 3) return Date.now() - since;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('not decoding again within 20 s');
}

describe('a media node dies under a live talk', () => {
  it('kill -9: the studio publishes again and every classroom decodes again on the other node within 5 s', async () => {
    const { ev } = session;
    const { classes, origin: holder } = await goLiveOnCluster(session, cluster);
    expect([...cluster.nodes.keys()]).toContain(holder);

    const killedAt = Date.now();
    const recovering = classes.map((page) => decodingAgain(page, killedAt));
    await cluster.nodes.get(holder)?.crash();
    const ms = await Promise.all(recovering);
    console.log(`media node ${holder} killed: classrooms decode again after ${ms.join(', ')} ms`);
    expect(await cluster.registry.nodeOf(ev.eventId)).not.toBe(holder);
    for (const page of classes) await expectDecoding(page);
    expect(Math.max(...ms)).toBeLessThan(5_000);
    await screenshot(classes[0] as Page, 'viewer-after-media-node-failover');
  });
});
