import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDrainer } from '../../control-api/src/rtc/drain/NodeDrainer.ts';
import { NodeDrains } from '../../control-api/src/rtc/drain/NodeDrains.ts';
import { expectDecoding, screenshot } from '../support/browser.ts';
import { goLiveOnCluster, pictureAcrossMove, recvTransportOf } from '../support/clusterTalk.ts';
import { MediaCluster } from '../support/mediaCluster.ts';
import { watchPicture } from '../support/pictureWatch.ts';
import { LiveSession } from '../support/session.ts';

// Two media nodes (`npm run media-node` processes), the control-api driving
// them, a speaker in the studio and two classrooms in Chromium, each placed
// on a node. The node under a classroom is drained for maintenance: the
// viewer moves make-before-break (the sdk's `media.move`), and what the class
// sees is timed frame by frame (requestVideoFrameCallback): the picture must
// never stand still 500 ms.

const SECRET = 'test-media-node-drain-e2e-0123456789abcd';
let cluster: MediaCluster;
let drainer: NodeDrainer;
let session: LiveSession;

beforeAll(async () => {
  cluster = await MediaCluster.start(SECRET, ['e2e-drain-a', 'e2e-drain-b']);
  const { media, registry, redis, log } = cluster;
  session = await LiveSession.start({ media, classrooms: 2 });
  const hub = session.plane.services.hub;
  drainer = new NodeDrainer({
    drains: new NodeDrains({ redis }),
    media,
    registry,
    member: (eventId, participantId) => hub.member(eventId, participantId),
    log,
  });
  drainer.start();
});

afterAll(async () => {
  for (const id of cluster?.nodes.keys() ?? [])
    await drainer?.setDraining(id, false).catch(() => {});
  drainer?.close();
  await session?.close();
  await cluster?.close();
});

describe('a media node drained under a live talk', () => {
  it('the classroom on it moves to the other node with no frozen picture (500 ms)', async () => {
    const { ev } = session;
    const { classes, placed, origin } = await goLiveOnCluster(session, cluster);
    // The node to drain: one under a classroom, an edge if there is one.
    const drained = placed.find((n) => n !== origin) ?? origin;
    const moving = classes.filter((_, i) => placed[i] === drained);
    const other = [...cluster.nodes.keys()].find((n) => n !== drained) as string;
    const before = await Promise.all(moving.map(recvTransportOf));
    // A page in the background gets its frame callbacks throttled (about one a
    // second): the picture is timed on the page in front, a class that moves.
    const watched = moving[0] as Page;
    await watched.bringToFront();
    await watchPicture(watched);
    await new Promise((r) => setTimeout(r, 1_000));

    const startedAt = Date.now();
    await drainer.setDraining(drained, true);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const now = await Promise.all(
        ev.classroomIds.map((id) => cluster.registry.classroomNodeOf(ev.eventId, id)),
      );
      const swapped = await Promise.all(moving.map(recvTransportOf));
      if (now.every((n) => n !== drained) && swapped.every((t, i) => t !== before[i])) break;
      if (Date.now() > deadline) throw new Error(`not moved within 20 s: ${now.join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const movedMs = Date.now() - startedAt;
    const { end, frames, still, swap } = await pictureAcrossMove(
      watched,
      startedAt,
      before[0] ?? null,
    );
    for (const page of classes) await expectDecoding(page);
    console.log(
      `media node ${drained} drained (origin ${origin}): ${moving.length} Chromium classroom(s) moved to ${other} in ${movedMs} ms; the class in front presented ${frames} frames in ${end - startedAt} ms, swapped transports by +${(swap?.at ?? 0) - startedAt} ms, longest still picture ${still} ms`,
    );
    expect(moving.length).toBeGreaterThan(0);
    // The class in front swapped transports once, and still plays the one it swapped to.
    expect(swap?.transportId).toBe(await recvTransportOf(watched));
    expect(still).toBeLessThan(500);
    await screenshot(watched, 'viewer-after-media-node-drain');
  });
});
