import type { RtpCapabilities } from '@amphi/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadVp8Clip } from '../../loadtest/src/media/vp8Clip.ts';
import { createLogger } from '../src/logger.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import type { ControlPlane } from '../src/server.ts';
import { framesAgain, receiving } from './support/classroomFrames.ts';
import { ClusterTalk } from './support/clusterTalk.ts';
import { createTestDatabase, seedEvent, startInstance, TestClient } from './support/harness.ts';
import { MediaNodeProcess } from './support/MediaNodeProcess.ts';
import { dtlsParameters, vp8 } from './support/rtpParameters.ts';

// A tree of media nodes: three `npm run media-node` processes that each feed
// one pipe at most (MEDIA_NODE_MAX_PIPES=1), as nodes whose uplink carries the
// event's media once more only. The origin feeds one edge, that edge feeds the
// third: a classroom there receives the speaker's RTP through two pipes, and
// its camera on stage goes up through both to the speaker. The middle node
// killed with -9: its classrooms are placed elsewhere, the last edge is fed
// anew, and every classroom receives frames again.

const SECRET = 'test-media-node-tree-secret-0123456789ab';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const NAMESPACE = 'tree';
const nodes = new Map<string, MediaNodeProcess>();
let redis: Redis;
let registry: MediaNodeRegistry;
let plane: ControlPlane;
let talk: ClusterTalk;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  // Its own registry (another test file's nodes share the Redis server).
  registry = new MediaNodeRegistry({ redis, namespace: NAMESPACE });
  for (const id of ['tree-a', 'tree-b', 'tree-c']) {
    nodes.set(
      id,
      await MediaNodeProcess.start({
        MEDIA_NODE_SECRET: SECRET,
        REDIS_URL: inject('redisUrl'),
        REDIS_NAMESPACE: NAMESPACE,
        MEDIA_NODE_ID: id,
        MEDIA_NODE_MAX_PIPES: '1',
      }),
    );
  }
  const databaseUrl = await createTestDatabase();
  plane = await startInstance({
    databaseUrl,
    media: new ClusterMediaNode({ registry, secret: SECRET, log }),
  });
  talk = new ClusterTalk(plane.url, registry, await loadVp8Clip());
}, 90_000);

afterAll(async () => {
  talk?.close();
  await plane?.close();
  for (const n of nodes.values()) await n.stop();
  redis?.disconnect();
});

/** origin -> first edge -> second edge, as the registry records it (live nodes). */
async function chain(eventId: string): Promise<string[]> {
  const origin = (await registry.nodeOf(eventId)) as string;
  const tree = await registry.treeOf(eventId);
  const alive = new Set((await registry.nodes()).map((n) => n.nodeId));
  const order = [origin];
  for (;;) {
    const next = [...tree].find(
      ([edge, parent]) => parent === order.at(-1) && alive.has(edge),
    )?.[0];
    if (!next || order.includes(next)) return order;
    order.push(next);
  }
}

describe('a tree of media nodes, one pipe each', () => {
  it('the origin feeds one edge, which feeds the next: every classroom receives the speaker, a stage camera on the last edge reaches the speaker', async () => {
    const ev = await seedEvent(plane.url, { classrooms: 6, status: 'live' });
    const speaker = await talk.speak(ev);
    const list = ev.tokens.classrooms.map((_t, i) => talk.classroom(ev, i, speaker));
    const announced = list.map(() => 0);
    for (const [i, p] of list.entries()) {
      p.session.signaling.onEvent('media.producerAdded', () => {
        announced[i] = (announced[i] ?? 0) + 1;
      });
    }
    await Promise.all(list.map((p) => p.join()));
    await receiving(list);
    const placed = await talk.placements(ev);
    const path = await chain(ev.eventId);
    console.info(`media node tree: ${path.join(' -> ')}; classrooms on ${placed.join(', ')}`);
    expect(path).toHaveLength(3);
    const last = path[2] as string;
    expect(placed).toContain(last);
    for (const p of list) {
      expect(p.meter.figures.packets).toBeGreaterThan(30);
      expect(p.meter.figures.frames).toBeGreaterThanOrEqual(30);
    }
    // Producers known before the classes joined: in their join state, not announced again.
    expect(announced).toEqual(list.map(() => 0));

    // A classroom of the last edge on stage: its camera goes up two pipes.
    const moderator = await TestClient.connect(plane.url, ev.eventId, ev.tokens.moderator);
    await moderator.request('join', {});
    const studio = await TestClient.connect(plane.url, ev.eventId, ev.tokens.speaker);
    const studioJoin = await studio.request('join', {});
    const i = placed.indexOf(last);
    const cls = await TestClient.connect(plane.url, ev.eventId, ev.tokens.classrooms[i] as string);
    await cls.request('join', {});
    await moderator.request('stage.invite', { classroomId: ev.classroomIds[i] as string });
    await cls.waitForEvent('stage.updated', (s) => s.stage?.status === 'invited');
    await cls.request('stage.respond', { accept: true });
    const send = await cls.request('media.createTransport', { direction: 'send' });
    await cls.request('media.connectTransport', { transportId: send.transportId, dtlsParameters });
    const { producerId } = await cls.request('media.produce', {
      transportId: send.transportId,
      kind: 'video',
      rtpParameters: vp8(9301),
      source: 'stage',
    });
    await studio.waitForEvent('media.producerAdded', (p) => p.producerId === producerId);
    const recv = await studio.request('media.createTransport', { direction: 'recv' });
    const consumed = await studio.request('media.consume', {
      transportId: recv.transportId,
      producerId,
      rtpCapabilities: studioJoin.routerRtpCapabilities as RtpCapabilities,
    });
    expect(consumed).toMatchObject({ producerId, kind: 'video' });
    await new Promise((r) => setTimeout(r, 300));
    expect(
      studio.eventsOf('media.producerAdded').filter((p) => p.producerId === producerId),
    ).toHaveLength(1);
    await moderator.request('stage.leave', {});
    for (const c of [moderator, studio, cls]) await c.close();

    // The middle node dies: its classrooms go elsewhere, the last edge is fed anew.
    const middle = path[1] as string;
    const killedAt = Date.now();
    const affected = list.filter((_p, j) => placed[j] === middle || placed[j] === last);
    const recovering = affected.map((p) => framesAgain(p, killedAt));
    await nodes.get(middle)?.crash();
    nodes.delete(middle);
    const ms = await Promise.all(recovering);
    const after = await talk.placements(ev);
    console.info(
      `middle node ${middle} killed: ${affected.length} classroom(s) (on ${middle} and ${last}) receive frames again after ${ms.join(', ')} ms; classrooms now on ${after.join(', ')}`,
    );
    expect(after).not.toContain(middle);
    // Once the dead node's registration has expired (3 s), the tree reads origin -> last.
    await expect.poll(() => chain(ev.eventId), { timeout: 5_000 }).toEqual([path[0], last]);
    expect(Math.max(...ms)).toBeLessThanOrEqual(5_000);
    await receiving(list, 15);
    for (const p of list) p.close();
    speaker.close();
  });
});
