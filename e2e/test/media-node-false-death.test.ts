import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDecoding } from '../support/browser.ts';
import { goLiveOnCluster, pictureAcrossMove, recvTransportOf } from '../support/clusterTalk.ts';
import { MediaCluster } from '../support/mediaCluster.ts';
import { watchPicture } from '../support/pictureWatch.ts';
import { LiveSession } from '../support/session.ts';

// Two media nodes (`npm run media-node` processes), the control-api driving
// them, a speaker in the studio and classrooms in Chromium. The Node.js
// process of the node under a classroom (an edge) stops 2 s (SIGSTOP): its
// mediasoup workers go on forwarding the talk, but its control channel is
// silent past the 1.5 s the control-api allows, so the node is counted lost
// and its classrooms are placed on the other node. What the class sees is
// timed frame by frame (requestVideoFrameCallback).

const SECRET = 'test-media-node-false-death-e2e-0123456789';
const STALL_MS = 2_000;
let cluster: MediaCluster;
let session: LiveSession;

beforeAll(async () => {
  cluster = await MediaCluster.start(SECRET, ['e2e-stall-a', 'e2e-stall-b']);
  session = await LiveSession.start({ media: cluster.media, classrooms: 3 });
});

afterAll(async () => {
  for (const n of cluster?.nodes.values() ?? []) n.child.kill('SIGCONT');
  await session?.close();
  await cluster?.close();
});

describe('a media node whose process stalls 2 s under a live talk', () => {
  it('the classroom on it goes to the other node with no still picture over 400 ms (set up anew: 516 ms)', async () => {
    const { ev } = session;
    const { classes, placed, origin } = await goLiveOnCluster(session, cluster);
    const edge = placed.find((n) => n !== origin);
    // A class on another node than the origin (an edge), to stall that node.
    expect([...cluster.nodes.keys()].filter((n) => n !== origin)).toContain(edge);
    const moving = classes.filter((_, i) => placed[i] === edge);
    const before = await Promise.all(moving.map(recvTransportOf));
    // A page in the background gets its frame callbacks throttled: the class in front is timed.
    const watched = moving[0] as Page;
    await watched.bringToFront();
    await watchPicture(watched);
    await new Promise((r) => setTimeout(r, 1_000));

    const stalled = cluster.nodes.get(edge as string);
    const startedAt = Date.now();
    stalled?.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, STALL_MS));
    stalled?.child.kill('SIGCONT');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const swapped = await Promise.all(moving.map(recvTransportOf));
      if (swapped.every((t, i) => t !== null && t !== before[i])) break;
      if (Date.now() > deadline) throw new Error('no new receive transport within 20 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const swappedMs = Date.now() - startedAt;
    const { end, frames, still, swap } = await pictureAcrossMove(
      watched,
      startedAt,
      before[0] ?? null,
    );
    const after = await Promise.all(
      ev.classroomIds.map((id) => cluster.registry.classroomNodeOf(ev.eventId, id)),
    );
    for (const page of classes) await expectDecoding(page);
    console.log(
      `media node ${edge} (edge; origin ${origin}) stopped ${STALL_MS} ms: ${moving.length} Chromium classroom(s) on it, now on ${after.join(', ')}; new transports by +${swappedMs} ms; the class in front presented ${frames} frames in ${end - startedAt} ms, swapped transports by +${(swap?.at ?? 0) - startedAt} ms, longest still picture ${still} ms`,
    );
    expect(after.every((n) => n === origin)).toBe(true);
    // Before, set up anew (media.reconnect): 516 ms. The swap itself costs Chromium up to
    // about 280 ms on a loaded machine (a drain's move, media-node-drain.test.ts).
    expect(still).toBeLessThan(400);
  });
});
