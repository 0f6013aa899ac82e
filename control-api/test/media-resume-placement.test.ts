import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import type { MediaParticipant } from '../src/rtc/MediaNode.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import { MediaNodeProcess } from './support/MediaNodeProcess.ts';

// A class resumed on another control-api instance: that instance serves the
// class from now on, so it writes the class's placement to Redis at the
// adoption (and keeps writing it back), not only at the class's next media
// call, which may never come while the class just watches. Else Redis, having
// lost it (a restart), has no placement for the class: another join of it
// would be placed on another node. Two ClusterMediaNodes (two instances) over
// real `npm run media-node` processes.

const SECRET = 'test-media-node-resume-placement-012345';
const NS = `resume-placement-${randomUUID()}`;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const nodes: MediaNodeProcess[] = [];
const planes: ClusterMediaNode[] = [];
const connections: Redis[] = [];

function registry(): MediaNodeRegistry {
  const redis = new Redis(inject('redisUrl'));
  connections.push(redis);
  return new MediaNodeRegistry({ redis, namespace: NS });
}

function instance(): ClusterMediaNode {
  const plane = new ClusterMediaNode({ registry: registry(), secret: SECRET, log });
  planes.push(plane);
  return plane;
}

afterAll(async () => {
  for (const p of planes) await p.close();
  for (const n of nodes) await n.stop();
  for (const r of connections) r.disconnect();
});

describe('a class resumed on another instance', () => {
  it('has its placement written to Redis at the adoption, and written back by its new instance after', async () => {
    nodes.push(
      ...(await Promise.all(
        ['resume-a', 'resume-b'].map((id) =>
          MediaNodeProcess.start({
            MEDIA_NODE_SECRET: SECRET,
            REDIS_URL: inject('redisUrl'),
            REDIS_NAMESPACE: NS,
            MEDIA_NODE_ID: id,
          }),
        ),
      )),
    );
    const reg = registry();
    await expect.poll(async () => (await reg.nodes()).length, { timeout: 10_000 }).toBe(2);
    const [a, b] = [instance(), instance()] as [ClusterMediaNode, ClusterMediaNode];
    const eventId = randomUUID();
    const classroomId = randomUUID();
    const who: MediaParticipant = {
      eventId,
      participantId: randomUUID(),
      role: 'classroom',
      classroomId,
      name: 'la classe',
    };
    await a.createWebRtcTransport(who, 'recv');
    const placed = await reg.classroomNodeOf(eventId, classroomId);
    expect(placed).not.toBeNull();

    // Its socket on a drops; Redis loses the placement (restarted); it resumes on b.
    await a.detachParticipant(who);
    const redis = connections[0] as Redis;
    const key = `${NS}:media:classroom:${eventId}/${classroomId}`;
    expect(await redis.del(key)).toBe(1);
    const adopted = await b.adoptParticipant(who, null);
    expect(adopted.transports).toHaveLength(1);
    // Written at the adoption, before any media call of the class on b.
    expect(await reg.classroomNodeOf(eventId, classroomId)).toBe(placed);

    // And b writes it back as its own from now on (a forgot the class at the drop).
    expect(await redis.del(key)).toBe(1);
    await expect
      .poll(() => reg.classroomNodeOf(eventId, classroomId), { timeout: 5_000, interval: 100 })
      .toBe(placed);
  });
});
