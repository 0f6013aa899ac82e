import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import type { MediaParticipant } from '../src/rtc/MediaNode.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import { MediaNodeProcess } from './support/MediaNodeProcess.ts';

// A control-api instance drops its channel to a media node that stays silent
// 1.5 s; on a starved machine a live node does (bench:cluster at load 22-25:
// an instance dropped media-2, alive, its process starved). It then avoids
// that node for 10 s. When the other node died meanwhile, every class told to
// set its media up again was refused ('no media node has room') for those
// 10 s, although the avoided node heart-beat on in the registry all along.

const SECRET = 'test-media-failover-starved-secret-0123456';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const nodes: MediaNodeProcess[] = [];
let plane: ClusterMediaNode | undefined;
let redis: Redis | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Classrooms c1, c2, c3 of the test, each its participant id. */
const ids = new Map(
  ['c1', 'c2', 'c3'].map((c) => [c, { classroomId: randomUUID(), participantId: randomUUID() }]),
);
const classroom = (eventId: string, name: string): MediaParticipant => ({
  eventId,
  ...(ids.get(name) as { classroomId: string; participantId: string }),
  role: 'classroom',
  name,
});
const nodeOf = (registry: MediaNodeRegistry, eventId: string, name: string) =>
  registry.classroomNodeOf(eventId, ids.get(name)?.classroomId as string);

afterAll(async () => {
  for (const n of nodes) n.child.kill('SIGCONT');
  await plane?.close();
  for (const n of nodes) await n.stop();
  redis?.disconnect();
});

describe('the only live media node, dropped a moment before for its silence', () => {
  it('still takes the classes once the other node died', async () => {
    const namespace = `starved-${randomUUID()}`;
    for (const id of ['node-a', 'node-b'])
      nodes.push(
        await MediaNodeProcess.start({
          MEDIA_NODE_SECRET: SECRET,
          REDIS_URL: inject('redisUrl'),
          REDIS_NAMESPACE: namespace,
          MEDIA_NODE_ID: id,
        }),
      );
    const [a, b] = nodes as [MediaNodeProcess, MediaNodeProcess];
    redis = new Redis(inject('redisUrl'));
    const registry = new MediaNodeRegistry({ redis, namespace });
    plane = new ClusterMediaNode({ registry, secret: SECRET, log });
    await expect.poll(async () => (await registry.nodes()).length, { timeout: 10_000 }).toBe(2);
    // Two talks: their origins on the two nodes, a channel to each.
    const eventId = randomUUID();
    const other = randomUUID();
    await plane.getRouterRtpCapabilities(eventId);
    await plane.getRouterRtpCapabilities(other);
    const origins = [await registry.nodeOf(eventId), await registry.nodeOf(other)];
    expect([...origins].sort()).toEqual(['node-a', 'node-b']);

    // node-b stalls 2.2 s (stopped, then going on): the channel drops it for its silence.
    b.child.kill('SIGSTOP');
    await sleep(2_200);
    b.child.kill('SIGCONT');
    // node-a dies; its registration expires, node-b's goes on.
    a.child.kill('SIGKILL');
    await expect
      .poll(async () => (await registry.nodes()).map((n) => n.nodeId), { timeout: 10_000 })
      .toEqual(['node-b']);

    // The classes set their media up again: node-b takes them.
    const placed: string[] = [];
    for (const id of ['c1', 'c2', 'c3']) {
      const t = await plane
        .createWebRtcTransport(classroom(eventId, id), 'recv')
        .then(() => 'ok')
        .catch((err: Error) => err.message);
      placed.push(`${id}: ${t} on ${await nodeOf(registry, eventId, id)}`);
    }
    console.log(`after node-b's drop and node-a's death: ${placed.join('; ')}`);
    expect(placed).toEqual(['c1: ok on node-b', 'c2: ok on node-b', 'c3: ok on node-b']);
  }, 60_000);
});
