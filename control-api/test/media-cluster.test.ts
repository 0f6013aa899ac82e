import { execFileSync } from 'node:child_process';
import type { RtpCapabilities } from '@amphi/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ClassroomPeer } from '../../loadtest/src/ClassroomPeer.ts';
import { loadVp8Clip } from '../../loadtest/src/media/vp8Clip.ts';
import { nodeLiveSession } from '../../loadtest/src/nodeSession.ts';
import type { SyntheticSpeaker } from '../../loadtest/src/SyntheticSpeaker.ts';
import { connectDatabase, type Sql } from '../src/db/Database.ts';
import { createLogger } from '../src/logger.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import { classroomRegions } from '../src/rtc/remote/classroomRegions.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import type { ControlPlane } from '../src/server.ts';
import { framesAgain, receiving } from './support/classroomFrames.ts';
import { ClusterTalk } from './support/clusterTalk.ts';
import {
  api,
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
} from './support/harness.ts';
import { MediaNodeProcess } from './support/MediaNodeProcess.ts';
import { dtlsParameters, vp8 } from './support/rtpParameters.ts';

// Three media nodes (`npm run media-node` processes, as on three hosts; one
// tagged with the Guadeloupe académie) registered in Redis, one control plane
// driving them through the cluster's media node. An event's speakers publish
// on its origin node; each classroom is placed on its own node and, off the
// origin, watches the edge broadcast there, fed by a pipe (SRTP over UDP)
// from the origin. Real WebRTC (libdatachannel) for the speaker and the
// classrooms: each classroom counts the speaker's RTP it receives. Then a
// node is killed with -9, an edge and an origin: the time until each classroom
// affected receives frames again is measured.

const SECRET = 'test-media-node-cluster-secret-0123456789';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const REGION_NODE = 'node-c';
/** Its own registry: other test files' media nodes share the Redis server. */
const NAMESPACE = 'cluster';
const nodes = new Map<string, MediaNodeProcess>();
let redis: Redis;
let registry: MediaNodeRegistry;
let sql: Sql;
let plane: ControlPlane;
let talk: ClusterTalk;

async function startNode(nodeId: string, env: Record<string, string> = {}): Promise<void> {
  nodes.set(
    nodeId,
    await MediaNodeProcess.start({
      MEDIA_NODE_SECRET: SECRET,
      REDIS_URL: inject('redisUrl'),
      REDIS_NAMESPACE: NAMESPACE,
      MEDIA_NODE_ID: nodeId,
      MEDIA_PIPE_DEAD_AFTER_MS: '1500',
      ...(process.env.TEST_NODE_OUTPUT ? { LOG_LEVEL: 'info' } : {}),
      ...env,
    }),
  );
}

beforeAll(async () => {
  await startNode('node-a');
  await startNode('node-b');
  await startNode(REGION_NODE, { MEDIA_NODE_REGION: 'Guadeloupe' });
  redis = new Redis(inject('redisUrl'));
  registry = new MediaNodeRegistry({ redis, namespace: NAMESPACE });
  const databaseUrl = await createTestDatabase();
  sql = connectDatabase(databaseUrl, { max: 2 });
  const media = new ClusterMediaNode({
    registry,
    secret: SECRET,
    log,
    regionsOf: classroomRegions(sql),
  });
  plane = await startInstance({ databaseUrl, media });
  talk = new ClusterTalk(plane.url, registry, await loadVp8Clip());
}, 90_000);

afterAll(async () => {
  if (process.env.TEST_NODE_OUTPUT)
    for (const [id, n] of nodes) console.info(`--- ${id}\n${n.out.slice(-20_000)}`);
  talk?.close();
  await plane?.close();
  for (const n of nodes.values()) await n.stop();
  await sql?.end({ timeout: 5 });
  redis?.disconnect();
});

async function joined(ev: SeededEvent, token: string) {
  const client = await TestClient.connect(plane.url, ev.eventId, token);
  const join = await client.request('join', {});
  return { client, join, caps: join.routerRtpCapabilities as RtpCapabilities };
}

/**
 * A live talk on the nodes: the speaker publishing, every classroom joined
 * and receiving; where the origin is and each classroom was placed.
 */
async function liveTalk(classrooms: number) {
  const ev = await seedEvent(plane.url, { classrooms, status: 'live' });
  const speaker = await talk.speak(ev);
  const list = ev.tokens.classrooms.map((_t, i) => talk.classroom(ev, i, speaker));
  await Promise.all(list.map((p) => p.join()));
  await receiving(list);
  const origin = (await registry.nodeOf(ev.eventId)) as string;
  return { ev, speaker, list, origin, placed: await talk.placements(ev) };
}

/**
 * What the studio does on `media.reconnect`: publish again (a new socket
 * here). `speaker` is the one publishing now; `republished` settles once it does.
 */
function republishing(ev: SeededEvent, first: SyntheticSpeaker) {
  const now = { speaker: first, republished: Promise.resolve() };
  first.session.signaling.onEvent('media.reconnect', () => {
    first.close();
    now.republished = talk.speak(ev).then((next) => {
      now.speaker = next;
    });
  });
  return now;
}

/**
 * The producers a participant was told of, once per telling: those its join
 * state listed, then those announced to it; sorted, so that a producer told
 * twice shows twice.
 */
function toldOf(
  join: { state: { producers: { producerId: string }[] } } | null,
  announced: string[],
): string[] {
  return [...(join?.state.producers.map((p) => p.producerId) ?? []), ...announced].sort();
}

function closePeers(list: ClassroomPeer[]): void {
  for (const p of list) p.close();
}

describe('media nodes on three hosts, classrooms placed one by one', () => {
  it('registers the nodes, and places two events origins on two nodes', async () => {
    await expect
      .poll(async () => (await registry.nodes()).map((n) => n.nodeId).sort())
      .toEqual(['node-a', 'node-b', REGION_NODE]);
    const first = await seedEvent(plane.url, { classrooms: 1, status: 'live' });
    const second = await seedEvent(plane.url, { classrooms: 1, status: 'live' });
    const a = await joined(first, first.tokens.speaker);
    const b = await joined(second, second.tokens.speaker);
    const origins = [await registry.nodeOf(first.eventId), await registry.nodeOf(second.eventId)];
    expect(new Set(origins).size).toBe(2);
    await a.client.close();
    await b.client.close();
  });

  it("a join storm spreads the classrooms over the nodes, Guadeloupe's on its node; each receives the speaker's RTP, announced once", async () => {
    const ev = await seedEvent(plane.url, { classrooms: 6, status: 'live' });
    // Classrooms first, then the speaker: each hears of its producers exactly once.
    const list = ev.tokens.classrooms.map((_t, i) => talk.classroom(ev, i, null));
    const announced = list.map(() => [] as string[]);
    for (const [i, p] of list.entries()) {
      // Told by announcement once its join is answered: before, the sdk has no view to tell.
      p.session.signaling.onEvent('media.producerAdded', (a) => {
        if (p.session.signaling.lastJoin) announced[i]?.push(a.producerId);
      });
    }
    // All at once: each placed before the others' transports exist.
    const joining = Promise.all(list.map((p) => p.join()));
    const speaker = await talk.speak(ev);
    await joining;
    await receiving(list);

    const origin = (await registry.nodeOf(ev.eventId)) as string;
    const placed = await talk.placements(ev);
    const perNode = new Map<string, number>();
    for (const n of placed) perNode.set(n, (perNode.get(n) ?? 0) + 1);
    console.info(
      `cluster placement: origin ${origin}; classrooms per node ${JSON.stringify(Object.fromEntries([...perNode].sort()))}; regions ${ev.regions.join(', ')}`,
    );
    // Guadeloupe's classrooms (1 and 5) on the Guadeloupe node; the others spread.
    ev.regions.forEach((r, i) => {
      if (r === 'Guadeloupe') expect(placed[i]).toBe(REGION_NODE);
    });
    expect(perNode.size).toBeGreaterThanOrEqual(2);
    expect(placed.some((n) => n !== origin)).toBe(true);
    expect(await registry.edgesOf(ev.eventId)).toEqual(
      expect.arrayContaining([...new Set(placed.filter((n) => n !== origin))]),
    );
    const spoken = (await plane.services.media.listProducers(ev.eventId))
      .filter((p) => p.role === 'speaker')
      .map((p) => p.producerId)
      .sort();
    expect(spoken).toHaveLength(2);
    for (const [i, p] of list.entries()) {
      const f = p.meter.figures;
      console.info(
        `classroom ${i} on ${placed[i]}: video packets ${f.packets}, frames ${f.frames}, lost ${f.lost}, audio packets ${p.figures.audioPackets}`,
      );
      expect(f.packets).toBeGreaterThan(30);
      expect(f.frames).toBeGreaterThanOrEqual(30);
      expect(p.figures.audioPackets).toBeGreaterThan(0);
      // The speaker's audio and video, told once each, whichever node the class is on: in
      // the join state if its join was answered after they opened, else announced.
      expect(toldOf(p.session.signaling.lastJoin, announced[i] ?? [])).toEqual(spoken);
    }
    closePeers(list);
    speaker.close();
    // The talk ends: the origin and every edge release it, and its placements go.
    const ended = await api(plane.url, 'POST', `/api/v1/events/${ev.eventId}/status`, {
      status: 'ended',
    });
    expect(ended.status).toBe(200);
    await expect.poll(() => registry.nodeOf(ev.eventId), { timeout: 5_000 }).toBeNull();
    expect(await registry.edgesOf(ev.eventId)).toEqual([]);
    expect(await talk.placements(ev)).toEqual(ev.classroomIds.map(() => '?'));
  });

  it("a camera opened while a classroom's join is being answered: the classroom is told of it once, after its join state", async () => {
    const ev = await seedEvent(plane.url, { classrooms: 1, status: 'live' });
    const moderator = await joined(ev, ev.tokens.moderator);
    const speaker = await joined(ev, ev.tokens.speaker);
    const send = await speaker.client.request('media.createTransport', { direction: 'send' });
    await speaker.client.request('media.connectTransport', {
      transportId: send.transportId,
      dtlsParameters,
    });
    // The classroom's join reads the producers, then waits on the questions table.
    let unlock = () => {};
    const locked = new Promise<void>((resolve) => {
      void sql.begin(async (tx) => {
        await tx`lock table questions in access exclusive mode`;
        resolve();
        await new Promise<void>((r) => {
          unlock = r;
        });
      });
    });
    await locked;
    const late = nodeLiveSession({
      baseUrl: plane.url,
      eventId: ev.eventId,
      token: ev.tokens.classrooms[0] as string,
    });
    const announced: string[] = [];
    late.signaling.onEvent('media.producerAdded', (p) => {
      if (late.signaling.lastJoin) announced.push(p.producerId);
    });
    try {
      const joining = late.connect();
      await expect
        .poll(
          async () =>
            (
              await sql`select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation
                where c.relname = 'questions' and not l.granted`
            )[0]?.n,
          { timeout: 5_000 },
        )
        .toBeGreaterThan(0);
      // The producers were listed alongside (one request to the origin node).
      await new Promise((r) => setTimeout(r, 500));
      const { producerId } = await speaker.client.request('media.produce', {
        transportId: send.transportId,
        kind: 'video',
        rtpParameters: vp8(8201),
        source: 'camera',
      });
      // Announced to the room, the waiting classroom's socket included.
      await moderator.client.waitForEvent(
        'media.producerAdded',
        (p) => p.producerId === producerId,
      );
      unlock();
      await joining;
      await expect.poll(() => late.view?.producers.map((p) => p.producerId)).toEqual([producerId]);
      // Told once: in its join state, or announced after it.
      await new Promise((r) => setTimeout(r, 300));
      expect(toldOf(late.signaling.lastJoin, announced)).toEqual([producerId]);
    } finally {
      unlock();
      late.close();
      for (const c of [moderator.client, speaker.client]) await c.close();
    }
  });

  it('a classroom on stage on an edge: its camera goes up to the origin, announced once, and the speaker consumes it there', async () => {
    const ev = await seedEvent(plane.url, { classrooms: 4, status: 'live' });
    const speaker = await joined(ev, ev.tokens.speaker);
    const moderator = await joined(ev, ev.tokens.moderator);
    const origin = (await registry.nodeOf(ev.eventId)) as string;
    const classes = [];
    for (const t of ev.tokens.classrooms) {
      const c = await joined(ev, t);
      await c.client.request('media.createTransport', { direction: 'recv' });
      classes.push(c);
    }
    const placed = await talk.placements(ev);
    const i = placed.findIndex((n) => n !== origin);
    expect(i).toBeGreaterThanOrEqual(0);
    const onStage = classes[i] as (typeof classes)[number];
    const classroomId = ev.classroomIds[i] as string;

    await moderator.client.request('stage.invite', { classroomId });
    await onStage.client.waitForEvent('stage.updated', (s) => s.stage?.status === 'invited');
    await onStage.client.request('stage.respond', { accept: true });
    const send = await onStage.client.request('media.createTransport', { direction: 'send' });
    await onStage.client.request('media.connectTransport', {
      transportId: send.transportId,
      dtlsParameters,
    });
    const { producerId } = await onStage.client.request('media.produce', {
      transportId: send.transportId,
      kind: 'video',
      rtpParameters: vp8(8101),
      source: 'stage',
    });
    const added = await speaker.client.waitForEvent(
      'media.producerAdded',
      (p) => p.producerId === producerId,
    );
    expect(added).toMatchObject({ role: 'classroom', source: 'stage', classroomId });
    // Consumed on the origin, where the pipe brought it with the same id.
    const recv = await speaker.client.request('media.createTransport', { direction: 'recv' });
    const c = await speaker.client.request('media.consume', {
      transportId: recv.transportId,
      producerId,
      rtpCapabilities: speaker.caps,
    });
    expect(c).toMatchObject({ producerId, kind: 'video', paused: true });
    await speaker.client.request('media.resumeConsumer', { consumerId: c.consumerId });
    await new Promise((r) => setTimeout(r, 500));
    expect(
      speaker.client.eventsOf('media.producerAdded').filter((p) => p.producerId === producerId),
    ).toHaveLength(1);
    expect(
      (await plane.services.media.listProducers(ev.eventId)).filter(
        (p) => p.producerId === producerId,
      ),
    ).toHaveLength(1);

    await moderator.client.request('stage.leave', {});
    await speaker.client.waitForEvent('media.producerClosed', (p) => p.producerId === producerId);
    for (const x of [speaker, moderator, ...classes]) await x.client.close();
  });

  it('Redis forgets the placements (a restart): they are written back, and a second instance follows', async () => {
    const ev = await seedEvent(plane.url, { classrooms: 2, status: 'live' });
    const speaker = await joined(ev, ev.tokens.speaker);
    const classes = [];
    for (const t of ev.tokens.classrooms) {
      const c = await joined(ev, t);
      await c.client.request('media.createTransport', { direction: 'recv' });
      classes.push(c);
    }
    const origin = await registry.nodeOf(ev.eventId);
    const placed = await talk.placements(ev);
    expect(origin).not.toBeNull();
    const keys = [
      ...(await redis.keys(`${NAMESPACE}:media:event:*`)),
      ...(await redis.keys(`${NAMESPACE}:media:classroom:*`)),
    ];
    await redis.del(...keys);
    await expect.poll(() => registry.nodeOf(ev.eventId), { timeout: 3_000 }).toBe(origin);
    await expect.poll(() => talk.placements(ev), { timeout: 3_000 }).toEqual(placed);
    const other = new ClusterMediaNode({ registry, secret: SECRET, log });
    try {
      await other.getRouterRtpCapabilities(ev.eventId);
      const who = {
        eventId: ev.eventId,
        participantId: 'second-instance-class',
        role: 'classroom' as const,
        classroomId: ev.classroomIds[1] as string,
        name: 'x',
      };
      await other.createWebRtcTransport(who, 'recv');
      expect(other.participantsOn(placed[1] as string)).toEqual([who]);
      await other.closeParticipant(who);
      expect(await registry.nodeOf(ev.eventId)).toBe(origin);
    } finally {
      await other.close();
    }
    for (const x of [speaker, ...classes]) await x.client.close();
  });

  it("the origin node's mediasoup worker dies: the origin is rebuilt there, the edges pipe from it again, every classroom receives frames again within 5 s", async () => {
    const { ev, speaker, list, origin, placed } = await liveTalk(4);
    expect(placed.some((n) => n !== origin)).toBe(true);
    const publishing = republishing(ev, speaker);
    const pid = nodes.get(origin)?.child.pid as number;
    const worker = Number(
      execFileSync('pgrep', ['-P', String(pid), '-f', 'mediasoup-worker']).toString(),
    );
    expect(worker).toBeGreaterThan(0);

    const killedAt = Date.now();
    const recovering = list.map((p) => framesAgain(p, killedAt));
    process.kill(worker, 'SIGKILL');
    const ms = await Promise.all(recovering);
    await publishing.republished;
    console.info(
      `origin ${origin}'s worker killed: classrooms on ${placed.join(', ')} receive frames again after ${ms.join(', ')} ms`,
    );
    expect(await registry.nodeOf(ev.eventId)).toBe(origin);
    expect(await talk.placements(ev)).toEqual(placed);
    expect(Math.max(...ms)).toBeLessThanOrEqual(5_000);
    await receiving(list, 15);
    closePeers(list);
    publishing.speaker.close();
  });

  it('kill -9 of an edge node: its classrooms are placed elsewhere and receive frames again within 5 s, the others never stop', async () => {
    const { ev, speaker, list, origin, placed } = await liveTalk(6);
    // An edge with a classroom of the region node (it then goes to another node).
    const edge = (
      placed.includes(REGION_NODE) && origin !== REGION_NODE
        ? REGION_NODE
        : placed.find((n) => n !== origin)
    ) as string;
    // An edge, not the origin, with classrooms on it: killing it must cost them their picture.
    expect(edge).not.toBe(origin);
    expect(placed).toContain(edge);
    const affected = list.filter((_p, i) => placed[i] === edge);
    const others = list.filter((_p, i) => placed[i] !== edge);

    const killedAt = Date.now();
    const recovering = affected.map((p) => framesAgain(p, killedAt));
    await nodes.get(edge)?.crash();
    nodes.delete(edge);
    const ms = await Promise.all(recovering);
    const after = await talk.placements(ev);
    console.info(
      `edge ${edge} killed (origin ${origin}): ${affected.length} classroom(s) receive frames again after ${ms.join(', ')} ms, now on ${affected.map((p) => after[p.options.index]).join(', ')}`,
    );
    for (const p of affected) expect(after[p.options.index]).not.toBe(edge);
    expect(Math.max(...ms)).toBeLessThanOrEqual(5_000);
    // The classrooms elsewhere went on receiving meanwhile.
    for (const p of others) expect(p.figures.mediaSetups).toBe(0);
    await receiving(list, 15);
    closePeers(list);
    speaker.close();
    await startNode(`${edge}-2`, edge === REGION_NODE ? { MEDIA_NODE_REGION: 'Guadeloupe' } : {});
  });

  it('kill -9 of the origin node: a new origin, the speaker publishes there, edges pipe from it; every classroom receives frames again within 5 s', async () => {
    if (nodes.size < 3) await startNode('node-d');
    await expect.poll(async () => (await registry.nodes()).length, { timeout: 5_000 }).toBe(3);
    const { ev, speaker, list, origin, placed } = await liveTalk(6);
    expect(placed.some((n) => n !== origin)).toBe(true);
    const publishing = republishing(ev, speaker);

    const killedAt = Date.now();
    const recovering = list.map((p) => framesAgain(p, killedAt));
    await nodes.get(origin)?.crash();
    nodes.delete(origin);
    const ms = await Promise.all(recovering);
    await publishing.republished;
    const newOrigin = (await registry.nodeOf(ev.eventId)) as string;
    const after = await talk.placements(ev);
    console.info(
      `origin ${origin} killed: new origin ${newOrigin}; classrooms on ${after.join(', ')} receive frames again after ${ms.join(', ')} ms`,
    );
    expect(newOrigin).not.toBe(origin);
    // Some classroom is on another node than the new origin: its edge piped from it.
    expect(after.some((n) => n !== newOrigin)).toBe(true);
    expect(Math.max(...ms)).toBeLessThanOrEqual(5_000);
    await receiving(list, 15);
    closePeers(list);
    publishing.speaker.close();
  });
});
