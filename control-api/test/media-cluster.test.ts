import type { RtpCapabilities, RtpParameters } from '@amphi/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import type { ControlPlane } from '../src/server.ts';
import {
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
} from './support/harness.ts';
import { MediaNodeProcess } from './support/MediaNodeProcess.ts';

// Two media nodes (`npm run media-node` processes, as on two hosts) registered
// in Redis, one control plane driving them through the cluster's media node.
// Events spread over both; a node killed with -9 under a live event: its
// speaker and classrooms are told to set their media up again, and can, on
// the other node.

const SECRET = 'test-media-node-cluster-secret-0123456789';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const nodes = new Map<string, MediaNodeProcess>();
let redis: Redis;
let registry: MediaNodeRegistry;
let plane: ControlPlane;

beforeAll(async () => {
  const env = { MEDIA_NODE_SECRET: SECRET, REDIS_URL: inject('redisUrl') };
  for (const id of ['node-a', 'node-b']) {
    nodes.set(id, await MediaNodeProcess.start({ ...env, MEDIA_NODE_ID: id }));
  }
  redis = new Redis(inject('redisUrl'));
  registry = new MediaNodeRegistry({ redis });
  const media = new ClusterMediaNode({ registry, secret: SECRET, log });
  plane = await startInstance({ databaseUrl: await createTestDatabase(), media });
}, 60_000);

afterAll(async () => {
  await plane?.close();
  for (const n of nodes.values()) await n.stop();
  redis?.disconnect();
});

function vp8(ssrc: number): RtpParameters {
  return {
    mid: '0',
    codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [] }],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [{ ssrc }],
    rtcp: { cname: `cam-${ssrc}`, reducedSize: true },
  };
}
const dtlsParameters = {
  role: 'client' as const,
  fingerprints: [
    { algorithm: 'sha-256' as const, value: Array.from({ length: 32 }, () => '5A').join(':') },
  ],
};

async function joined(ev: SeededEvent, token: string) {
  const client = await TestClient.connect(plane.url, ev.eventId, token);
  const join = await client.request('join', {});
  return { client, join, caps: join.routerRtpCapabilities as RtpCapabilities };
}
type Joined = Awaited<ReturnType<typeof joined>>;

/** The speaker's camera on its node: a send transport and a producer. */
async function publish(speaker: Joined, ssrc: number): Promise<string> {
  const send = await speaker.client.request('media.createTransport', { direction: 'send' });
  await speaker.client.request('media.connectTransport', {
    transportId: send.transportId,
    dtlsParameters,
  });
  const { producerId } = await speaker.client.request('media.produce', {
    transportId: send.transportId,
    kind: 'video',
    rtpParameters: vp8(ssrc),
    source: 'camera',
  });
  return producerId;
}

/** A classroom's receive transport and its consumer of the producer, resumed. */
async function watch(cls: Joined, producerId: string): Promise<void> {
  const recv = await cls.client.request('media.createTransport', { direction: 'recv' });
  await cls.client.request('media.connectTransport', {
    transportId: recv.transportId,
    dtlsParameters,
  });
  const c = await cls.client.request('media.consume', {
    transportId: recv.transportId,
    producerId,
    rtpCapabilities: cls.caps,
  });
  await cls.client.request('media.resumeConsumer', { consumerId: c.consumerId });
}

describe('media nodes on two hosts', () => {
  it('registers both nodes, and places two events one per node', async () => {
    await expect
      .poll(async () => (await registry.nodes()).map((n) => n.nodeId).sort())
      .toEqual(['node-a', 'node-b']);
    const first = await seedEvent(plane.url, { classrooms: 1, status: 'live' });
    const second = await seedEvent(plane.url, { classrooms: 1, status: 'live' });
    const a = await joined(first, first.tokens.classrooms[0] as string);
    const b = await joined(second, second.tokens.classrooms[0] as string);
    const placed = [await registry.nodeOf(first.eventId), await registry.nodeOf(second.eventId)];
    expect(placed.sort()).toEqual(['node-a', 'node-b']);
    await a.client.close();
    await b.client.close();
  });

  it('kill -9 of the node holding a live event: the speaker and the classrooms set up again on the other node within 5 s', async () => {
    const ev = await seedEvent(plane.url, { classrooms: 3, status: 'live' });
    const speaker = await joined(ev, ev.tokens.speaker);
    const classes = [];
    for (const t of ev.tokens.classrooms) classes.push(await joined(ev, t));
    const producerId = await publish(speaker, 7001);
    for (const c of classes) await watch(c, producerId);
    const holder = (await registry.nodeOf(ev.eventId)) as string;
    const survivor = holder === 'node-a' ? 'node-b' : 'node-a';

    const killedAt = Date.now();
    await nodes.get(holder)?.crash();
    for (const p of [speaker, ...classes]) {
      const notice = await p.client.waitForEvent('media.reconnect', () => true, 5_000);
      expect(notice.reason).toBe('media_lost');
    }
    // What the clients do on `media.reconnect`: the speaker publishes again, the classes
    // consume the new producer; all of it on the surviving node.
    const again = await publish(speaker, 7002);
    const recoveredMs = await Promise.all(
      classes.map(async (c) => {
        await c.client.waitForEvent('media.producerAdded', (p) => p.producerId === again, 5_000);
        await watch(c, again);
        return Date.now() - killedAt;
      }),
    );
    expect(await registry.nodeOf(ev.eventId)).toBe(survivor);
    expect(Math.max(...recoveredMs)).toBeLessThan(5_000);
    console.info(`media node failover: classrooms set up again after ${recoveredMs.join(', ')} ms`);
    for (const p of [speaker, ...classes]) await p.client.close();
  });

  it('Redis forgets the placements (a restart): they are written back, and a second instance follows', async () => {
    const ev = await seedEvent(plane.url, { classrooms: 1, status: 'live' });
    const cls = await joined(ev, ev.tokens.classrooms[0] as string);
    const holder = await registry.nodeOf(ev.eventId);
    expect(holder).not.toBeNull();
    const keys = await redis.keys('amphi:media:event:*');
    await redis.del(...keys);
    await expect.poll(() => registry.nodeOf(ev.eventId), { timeout: 3_000 }).toBe(holder);
    const other = new ClusterMediaNode({ registry, secret: SECRET, log });
    try {
      await other.getRouterRtpCapabilities(ev.eventId);
      expect(await registry.nodeOf(ev.eventId)).toBe(holder);
    } finally {
      await other.close();
    }
    await cls.client.close();
  });
});
