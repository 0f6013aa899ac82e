import type { MediaNodeList, MediaNodeSummary } from '@amphi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVp8Clip, type Vp8Clip } from '../../loadtest/src/media/vp8Clip.ts';
import type { SyntheticSpeaker } from '../../loadtest/src/SyntheticSpeaker.ts';
import { NodeDrains } from '../src/rtc/drain/NodeDrains.ts';
import type { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import { startSpeaker } from './support/clusterTalk.ts';
import { api, type SeededEvent, seedEvent } from './support/harness.ts';
import { type ProcessCluster, startProcessCluster } from './support/processCluster.ts';
import { RtpClassroom } from './support/RtpClassroom.ts';
import { within } from './support/within.ts';

// A media node drained for maintenance under a live event, as deployed: two
// media nodes, two control-api processes over one Redis of this file's own
// (the operator asks one instance, the classrooms of both move), a speaker
// publishing the test pattern over real WebRTC, classrooms receiving it over
// real WebRTC (libdatachannel) and moving make-before-break when told to.
// What a class would notice is a frozen picture: the longest silence of the
// video it plays is measured through the move.

const SECRET = 'test-media-node-drain-secret-0123456789ab';
const CLASSROOMS = 10;

let cluster: ProcessCluster;
let apis: ProcessCluster['apis'];
let registry: MediaNodeRegistry;
let clip: Vp8Clip;
let ev: SeededEvent;
let speaker: SyntheticSpeaker;
const classrooms: RtpClassroom[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  cluster = await startProcessCluster({ secret: SECRET });
  ({ apis, registry } = cluster);
  clip = await loadVp8Clip();
  ev = await seedEvent(apis[0].url, { classrooms: CLASSROOMS + 2, status: 'live' });
}, 120_000);

afterAll(async () => {
  for (const c of classrooms) c.close();
  speaker?.close();
  await cluster?.close();
});

async function operator<T>(base: string, method: 'GET' | 'POST', path: string) {
  const res = await api<T>(base, method, path);
  return res;
}

async function nodeState(base: string, nodeId: string): Promise<MediaNodeSummary | undefined> {
  const res = await operator<MediaNodeList>(base, 'GET', '/api/v1/media-nodes');
  expect(res.status).toBe(200);
  return (res.body as MediaNodeList).nodes.find((n) => n.nodeId === nodeId);
}

/** Ms from `since` until `base` lists `nodeId` drained (asked every 200 ms); -1 if not within 30 s. */
async function drainedAfter(base: string, nodeId: string, since: number): Promise<number> {
  while (Date.now() - since < 30_000) {
    if ((await nodeState(base, nodeId))?.state === 'drained') return Date.now() - since;
    await sleep(200);
  }
  return -1;
}

const placements = () =>
  Promise.all(
    ev.classroomIds
      .slice(0, CLASSROOMS)
      .map(async (id) => (await registry.classroomNodeOf(ev.eventId, id)) ?? '?'),
  );

describe('draining a media node under a live event', () => {
  it('every classroom on it moves to the other node, none frozen 500 ms, and the node reports drained', async () => {
    const [api1, api2] = apis;
    speaker = await startSpeaker(api1.url, ev, clip);
    const origin = (await registry.nodeOf(ev.eventId)) as string;
    expect(['node-a', 'node-b']).toContain(origin);
    for (const [i, token] of ev.tokens.classrooms.slice(0, CLASSROOMS).entries()) {
      classrooms.push(await RtpClassroom.receiving((i % 2 ? api2 : api1).url, ev.eventId, token));
    }
    // The classrooms spread over both nodes: those off the origin watch its edge.
    const before = await placements();
    const edge = origin === 'node-a' ? 'node-b' : 'node-a';
    const onEdge = before.flatMap((n, i) => (n === edge ? [i] : []));
    expect(onEdge.length).toBeGreaterThan(0);
    expect(onEdge.length).toBeLessThan(CLASSROOMS);
    await sleep(1_000);
    for (const c of classrooms) c.resetGap();

    // The operator drains the edge node through one instance.
    const startedAt = Date.now();
    const drain = await operator<MediaNodeSummary>(
      api2.url,
      'POST',
      `/api/v1/media-nodes/${edge}/drain`,
    );
    expect(drain.status).toBe(200);
    expect((drain.body as MediaNodeSummary).state).toBe('draining');
    // Both instances see it: the state is the same through the other one.
    expect((await nodeState(api1.url, edge))?.state).not.toBe('active');

    // Until it is drained: nobody has media on it any more.
    const drainedMs = await drainedAfter(api1.url, edge, startedAt);
    for (const c of classrooms) await c.settled();
    // The pictures keep coming after the move.
    await sleep(1_000);
    const gaps = classrooms.map((c) => Math.round(c.gapNow()));
    const after = await placements();
    const moved = classrooms.map((c) => c.moves);
    console.info(
      `media node drain: ${onEdge.length} of ${CLASSROOMS} classrooms on ${edge} moved to ${origin}, drained in ${drainedMs} ms; largest RTP gap per classroom (ms): ${gaps.join(', ')}; max ${Math.max(...gaps)} ms`,
    );
    expect(drainedMs).toBeGreaterThan(0);
    expect(after.every((n) => n === origin)).toBe(true);
    for (const i of onEdge) expect(moved[i]).toBe(1);
    expect(classrooms.map((c) => c.movesFailed)).toEqual(classrooms.map(() => []));
    expect(classrooms.map((c) => c.reconnects)).toEqual(classrooms.map(() => 0));
    expect(Math.max(...gaps)).toBeLessThan(500);

    // A classroom arriving now is not placed on the draining node.
    classrooms.push(
      await RtpClassroom.receiving(
        api2.url,
        ev.eventId,
        ev.tokens.classrooms[CLASSROOMS] as string,
      ),
    );
    expect(await registry.classroomNodeOf(ev.eventId, ev.classroomIds[CLASSROOMS] as string)).toBe(
      origin,
    );

    // Undrained: it takes classrooms again.
    const undrain = await operator<MediaNodeSummary>(
      api1.url,
      'POST',
      `/api/v1/media-nodes/${edge}/undrain`,
    );
    expect(undrain.status).toBe(200);
    expect((undrain.body as MediaNodeSummary).state).toBe('active');
  }, 120_000);

  it("draining the event's origin: its classrooms move to the other node, the speaker stays, the node says which event holds it", async () => {
    const [api1, api2] = apis;
    const origin = (await registry.nodeOf(ev.eventId)) as string;
    const other = origin === 'node-a' ? 'node-b' : 'node-a';
    // Everyone is on the origin now (the previous test drained the other node).
    expect((await placements()).every((n) => n === origin)).toBe(true);
    for (const c of classrooms) c.resetGap();
    const movesBefore = classrooms.map((c) => c.moves);
    const drain = await operator<MediaNodeSummary>(
      api1.url,
      'POST',
      `/api/v1/media-nodes/${origin}/drain`,
    );
    expect(drain.status).toBe(200);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if ((await placements()).every((n) => n === other)) break;
      await sleep(200);
    }
    for (const c of classrooms) await c.settled();
    await sleep(1_000);
    const state = await nodeState(api2.url, origin);
    const gaps = classrooms.map((c) => Math.round(c.gapNow()));
    console.info(
      `origin drain: ${classrooms.length} classrooms moved from ${origin} to ${other}; ${origin} is ${state?.state} (load ${state?.load}, origins ${state?.origins.length}); largest RTP gap per classroom (ms): ${gaps.join(', ')}; max ${Math.max(...gaps)} ms`,
    );
    expect(await placements()).toEqual(classrooms.slice(0, CLASSROOMS).map(() => other));
    expect(classrooms.map((c, i) => c.moves - (movesBefore[i] ?? 0))).toEqual(
      classrooms.map(() => 1),
    );
    expect(Math.max(...gaps)).toBeLessThan(500);
    // The speaker still publishes there: draining, with the event it originates.
    expect(state?.state).toBe('draining');
    expect(state?.origins).toEqual([ev.eventId]);
    await operator(api2.url, 'POST', `/api/v1/media-nodes/${origin}/undrain`);
  }, 60_000);

  it('classes whose sockets dropped and resumed (their media adopted) move like the others: the node is drained at once, none set up anew', async () => {
    const [api1] = apis;
    const origin = (await registry.nodeOf(ev.eventId)) as string;
    const edge = origin === 'node-a' ? 'node-b' : 'node-a';
    // Everyone is on the other node now (the previous test drained the origin).
    expect((await placements()).every((n) => n === edge)).toBe(true);
    // Half the classes lose their socket and resume: their media, kept by the
    // node, is adopted by the new socket (as after a control-api instance's death).
    const resumed = classrooms.slice(0, CLASSROOMS / 2);
    const joins = resumed.map((c) => {
      const seen = { status: null as string | null };
      c.client.on('joined', (join, reconnected) => {
        if (reconnected) seen.status = join.resume?.media?.status ?? 'none';
      });
      return seen;
    });
    for (const c of resumed) c.client.dropConnection();
    await within(20_000, async () =>
      joins.every((j) => j.status !== null) && resumed.every((c) => c.client.status === 'open')
        ? true
        : null,
    );
    expect(joins.map((j) => j.status)).toEqual(resumed.map(() => 'resumed'));
    await sleep(1_000);
    for (const c of classrooms) c.resetGap();
    const movesBefore = classrooms.map((c) => c.moves);
    const reconnectsBefore = classrooms.map((c) => c.reconnects);

    const startedAt = Date.now();
    let drainedMs = -1;
    try {
      const drain = await operator(api1.url, 'POST', `/api/v1/media-nodes/${edge}/drain`);
      expect(drain.status).toBe(200);
      drainedMs = await drainedAfter(api1.url, edge, startedAt);
      for (const c of classrooms) await c.settled();
      await sleep(1_000);
    } finally {
      // Undrained whatever happened: the next test needs both nodes.
      await operator(api1.url, 'POST', `/api/v1/media-nodes/${edge}/undrain`);
    }
    const gaps = classrooms.map((c) => Math.round(c.gapNow()));
    console.info(
      `drain after ${resumed.length} classes resumed: ${classrooms.length} classrooms moved from ${edge} to ${origin}, drained in ${drainedMs} ms; largest RTP gap per classroom (ms): ${gaps.join(', ')}; set up anew: ${classrooms.map((c, i) => c.reconnects - (reconnectsBefore[i] ?? 0)).join(', ')}`,
    );
    // A resumed class's move let go of the node when it closed its old transport:
    // not after the drain's 10 s wait, set up anew (a frozen picture).
    expect(drainedMs).toBeGreaterThan(0);
    expect(drainedMs).toBeLessThan(5_000);
    expect(classrooms.map((c, i) => c.reconnects - (reconnectsBefore[i] ?? 0))).toEqual(
      classrooms.map(() => 0),
    );
    expect(classrooms.map((c, i) => c.moves - (movesBefore[i] ?? 0))).toEqual(
      classrooms.map(() => 1),
    );
    expect(Math.max(...gaps)).toBeLessThan(500);
  }, 60_000);

  it('a class that does not move when asked is set up anew on another node after 10 s', async () => {
    const [api1] = apis;
    const stubborn = await RtpClassroom.receiving(
      api1.url,
      ev.eventId,
      ev.tokens.classrooms[CLASSROOMS + 1] as string,
      { ignoreMove: true },
    );
    classrooms.push(stubborn);
    const classroomId = ev.classroomIds[CLASSROOMS + 1] as string;
    const from = (await registry.classroomNodeOf(ev.eventId, classroomId)) as string;
    const other = from === 'node-a' ? 'node-b' : 'node-a';
    const startedAt = Date.now();
    await operator(api1.url, 'POST', `/api/v1/media-nodes/${from}/drain`);
    let reconnectMs = -1;
    while (Date.now() - startedAt < 20_000) {
      if (stubborn.reconnects > 0) {
        reconnectMs = Date.now() - startedAt;
        break;
      }
      await sleep(100);
    }
    await stubborn.settled();
    console.info(
      `a class ignoring media.move on ${from}: set up anew after ${reconnectMs} ms, now on ${await registry.classroomNodeOf(ev.eventId, classroomId)}`,
    );
    expect(stubborn.movesAsked).toBeGreaterThan(0);
    expect(reconnectMs).toBeGreaterThan(9_000);
    expect(reconnectMs).toBeLessThan(13_000);
    expect(await registry.classroomNodeOf(ev.eventId, classroomId)).toBe(other);
    expect(stubborn.transportId).not.toBeNull();
    await operator(api1.url, 'POST', `/api/v1/media-nodes/${from}/undrain`);
  }, 60_000);

  it('a drain outlives a Redis restart (killed, back empty): the instances write it back', async () => {
    const [api1, api2] = apis;
    const origin = (await registry.nodeOf(ev.eventId)) as string;
    const drain = await operator<MediaNodeSummary>(
      api2.url,
      'POST',
      `/api/v1/media-nodes/${origin}/drain`,
    );
    expect(drain.status).toBe(200);
    await cluster.redis.kill();
    await sleep(1_000);
    await cluster.redis.start();
    const restartedAt = Date.now();
    let backMs = -1;
    // Read from Redis itself (a reader with no memory of its own, as an instance started now).
    const fresh = new NodeDrains({ redis: cluster.registryRedis });
    while (Date.now() - restartedAt < 10_000) {
      const record = (await fresh.read().catch(() => null))?.get(origin);
      if (record?.draining) {
        backMs = Date.now() - restartedAt;
        break;
      }
      await sleep(100);
    }
    // The node heart-beats back into Redis: every instance shows it draining still.
    for (const a of [api1, api2]) {
      await within(5_000, async () =>
        (await nodeState(a.url, origin))?.state === 'draining' ? true : null,
      );
    }
    console.info(`drain record of ${origin} back in Redis ${backMs} ms after its restart`);
    expect(backMs).toBeGreaterThanOrEqual(0);
    await operator(api1.url, 'POST', `/api/v1/media-nodes/${origin}/undrain`);
    expect((await nodeState(api2.url, origin))?.state).toBe('active');
  }, 60_000);

  it('answers 404 for a node that is not registered, 401 without the operator credential', async () => {
    const [api1] = apis;
    const unknown = await operator(api1.url, 'POST', '/api/v1/media-nodes/node-zz/drain');
    expect(unknown.status).toBe(404);
    const res = await fetch(`${api1.url}/api/v1/media-nodes/node-a/drain`, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});
