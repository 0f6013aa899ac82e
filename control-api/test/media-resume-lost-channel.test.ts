import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import type { MediaParticipant } from '../src/rtc/MediaNode.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import { MediaNodeProcess } from './support/MediaNodeProcess.ts';

// A resumed class's adoption asks every media node. The node holding its media
// answers at once; the other one is slow (its process stopped a moment), and
// meanwhile the holder dies (kill -9): its channel is lost, and with it what
// the instance recorded there. The holder's answer, come before, must not be
// recorded after that: kept, it counted the class on the node (on its next run
// under the same id a drain asked it to move, waited 10 s, set it up anew), and
// the client was told its media resumed on a node that is gone. Two real media
// node processes, real Redis, the instance's media plane driven directly.

const SECRET = 'test-media-node-resume-lost-channel-0123';
const NS = `resume-lost-${randomUUID()}`;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const nodes = new Map<string, MediaNodeProcess>();
const connections: Redis[] = [];
let media: ClusterMediaNode;
let registry: MediaNodeRegistry;

function redis(): Redis {
  const r = new Redis(inject('redisUrl'));
  connections.push(r);
  return r;
}

beforeAll(async () => {
  for (const id of ['lost-1', 'lost-2']) {
    nodes.set(
      id,
      await MediaNodeProcess.start({
        MEDIA_NODE_SECRET: SECRET,
        REDIS_URL: inject('redisUrl'),
        REDIS_NAMESPACE: NS,
        MEDIA_NODE_ID: id,
      }),
    );
  }
  registry = new MediaNodeRegistry({ redis: redis(), namespace: NS });
  media = new ClusterMediaNode({
    registry: new MediaNodeRegistry({ redis: redis(), namespace: NS }),
    secret: SECRET,
    log,
  });
  for (const deadline = Date.now() + 10_000; (await registry.nodes()).length < 2; ) {
    if (Date.now() > deadline) throw new Error('the media nodes did not register');
    await sleep(100);
  }
}, 60_000);

afterAll(async () => {
  for (const n of nodes.values()) n.child.kill('SIGCONT');
  await media?.close();
  await Promise.all([...nodes.values()].map((n) => n.stop()));
  for (const r of connections) r.disconnect();
});

describe('an adoption whose holder’s channel is lost before the other node answers', () => {
  it('records nothing of the lost node and does not tell the class its media resumed there', async () => {
    const eventId = randomUUID();
    const who: MediaParticipant = {
      eventId,
      participantId: randomUUID(),
      role: 'classroom',
      classroomId: randomUUID(),
      name: 'Classe de 4e B',
    };
    // Its first socket set media up, then dropped: the node keeps it for its grace.
    const { transportId } = await media.createWebRtcTransport(who, 'recv');
    const holderId = (await registry.classroomNodeOf(eventId, who.classroomId as string)) as string;
    const [slowId] = [...nodes.keys()].filter((id) => id !== holderId) as [string];
    await media.detachParticipant(who);
    // Both channels open (an adoption of nobody asks every node).
    await media.adoptParticipant({ ...who, participantId: randomUUID() }, null).catch(() => null);

    const slow = nodes.get(slowId) as MediaNodeProcess;
    slow.child.kill('SIGSTOP');
    let adoption: Promise<unknown>;
    try {
      adoption = media.adoptParticipant(who, null).then(
        (adopted) => adopted,
        (err: unknown) => err,
      );
      // The holder answers; then it dies, the slow node's answer still awaited.
      await sleep(400);
      await (nodes.get(holderId) as MediaNodeProcess).crash();
      await sleep(200);
    } finally {
      slow.child.kill('SIGCONT');
    }
    const outcome = await adoption;
    const held = media.heldOn(who.participantId, holderId);
    const counted = media.participantsOn(holderId).map((p) => p.participantId);
    console.info(
      `holder ${holderId} killed while ${slowId} answered late: adoption ${outcome instanceof AppError ? `refused ${outcome.code}` : JSON.stringify(outcome)}; recorded on the lost node: ${JSON.stringify(held)}; counted there: ${counted.length}`,
    );
    // Its media went with the node: refused as media lost with a node is, set up anew.
    expect(outcome).toBeInstanceOf(AppError);
    expect((outcome as AppError).code).toBe('RESUME_UNKNOWN');
    expect(held).toEqual([]);
    expect(counted).not.toContain(who.participantId);
    expect(JSON.stringify(outcome)).not.toContain(transportId);
  }, 30_000);
});
