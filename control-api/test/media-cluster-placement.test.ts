import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import type { MediaParticipant } from '../src/rtc/MediaNode.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import { MediaNodeProcess } from './support/MediaNodeProcess.ts';

// Placement shared by several control-api instances: two ClusterMediaNodes,
// each with its own Redis connection (two instances behind the balancer),
// drive the same `npm run media-node` processes at once. Where each event's
// tree of pipes grows, which node has room and which is least loaded are
// decided in Redis in one step, so that two instances placing a join storm
// at once neither overfill a node (its classrooms, or the pipes it feeds)
// nor build two trees. A node's load counts the pipes it feeds: each sends
// the event's media once more, as much as a classroom.

const SECRET = 'test-media-node-placement-secret-0123456';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** Media node processes of the running test, stopped after it. */
const nodes: MediaNodeProcess[] = [];
/** Each test's Redis connections and instances, closed after it. */
const planes: ClusterMediaNode[] = [];
const connections: Redis[] = [];

async function startNodes(
  namespace: string,
  ids: string[],
  env: Record<string, string>,
): Promise<void> {
  const started = await Promise.all(
    ids.map((id) =>
      MediaNodeProcess.start({
        MEDIA_NODE_SECRET: SECRET,
        REDIS_URL: inject('redisUrl'),
        REDIS_NAMESPACE: namespace,
        MEDIA_NODE_ID: id,
        ...env,
      }),
    ),
  );
  nodes.push(...started);
}

function registryOf(namespace: string): MediaNodeRegistry {
  const redis = new Redis(inject('redisUrl'));
  connections.push(redis);
  return new MediaNodeRegistry({ redis, namespace });
}

/** A control-api instance's media plane: its own Redis connection, the same namespace. */
function instance(namespace: string): ClusterMediaNode {
  const plane = new ClusterMediaNode({ registry: registryOf(namespace), secret: SECRET, log });
  planes.push(plane);
  return plane;
}

function classroom(eventId: string, classroomId: string, participantId: string): MediaParticipant {
  return { eventId, participantId, role: 'classroom', classroomId, name: participantId };
}

afterEach(async () => {
  for (const p of planes.splice(0)) await p.close();
  for (const n of nodes.splice(0)) await n.stop();
  for (const r of connections.splice(0)) r.disconnect();
});

afterAll(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});

const count = (list: string[]) => {
  const per = new Map<string, number>();
  for (const x of list) per.set(x, (per.get(x) ?? 0) + 1);
  return Object.fromEntries([...per].sort());
};

describe('placement shared by two control-api instances', () => {
  it("two instances feeding four events' edges at once build one tree each: no node feeds more pipes than MEDIA_NODE_MAX_PIPES, each instance feeds each edge from the same parent", async () => {
    const ns = 'placement-tree';
    const ids = ['tree-a', 'tree-b', 'tree-c', 'tree-d'];
    await startNodes(ns, ids, { MEDIA_NODE_MAX_PIPES: '1' });
    const registry = registryOf(ns);
    await expect.poll(async () => (await registry.nodes()).length, { timeout: 10_000 }).toBe(4);
    const [a, b] = [instance(ns), instance(ns)] as [ClusterMediaNode, ClusterMediaNode];
    // Each class has a screen on each instance (its sockets landed on both),
    // instance b taking them in the reverse order: the two feed different
    // edges of an event at the same time.
    const storm = (events: string[]) => {
      const classes = new Map(
        events.map((e) => [e, Array.from({ length: 8 }, () => randomUUID())]),
      );
      const joins = [...classes].flatMap(([eventId, list]) => [
        ...list.map((id, i) =>
          a.createWebRtcTransport(classroom(eventId, id, `a-${eventId}-${i}`), 'recv'),
        ),
        ...list
          .slice()
          .reverse()
          .map((id, i) =>
            b.createWebRtcTransport(classroom(eventId, id, `b-${eventId}-${i}`), 'recv'),
          ),
      ]);
      return { classes, joins };
    };
    // A first event opens both instances' channels to every node: the storm then runs at full speed.
    const warm = randomUUID();
    await Promise.all(storm([warm]).joins);
    await a.closeEvent(warm);
    const events = Array.from({ length: 4 }, () => randomUUID());
    const { classes, joins } = storm(events);
    const settled = await Promise.allSettled(joins);
    const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(refused.map((r) => String(r.reason))).toEqual([]);

    const trees = new Map<string, Record<string, string>>();
    for (const [eventId, list] of classes) {
      const origin = (await registry.nodeOf(eventId)) as string;
      const placed = await Promise.all(
        list.map(async (id) => (await registry.classroomNodeOf(eventId, id)) ?? '?'),
      );
      const tree = Object.fromEntries([...(await registry.treeOf(eventId))].sort());
      trees.set(eventId, tree);
      console.info(
        `two instances, event ${eventId.slice(0, 8)}: origin ${origin}; classrooms per node ${JSON.stringify(count(placed))}; tree ${JSON.stringify(tree)}; pipes fed per node ${JSON.stringify(count(Object.values(tree)))}`,
      );
      // Every node but the origin with a classroom is an edge.
      expect(Object.keys(tree).sort()).toEqual(
        [...new Set(placed)].filter((n) => n !== origin).sort(),
      );
    }
    // No parent feeds more than its one pipe of an event.
    const overfilled = [...trees.values()].flatMap((tree) =>
      Object.entries(count(Object.values(tree))).filter(([, n]) => n > 1),
    );
    expect(overfilled).toEqual([]);
    // Each instance fed each edge from the parent the registry holds.
    for (const [eventId, tree] of trees) {
      expect(Object.fromEntries([...a.treeOf(eventId)].sort())).toEqual(tree);
      expect(Object.fromEntries([...b.treeOf(eventId)].sort())).toEqual(tree);
    }
    // Redis forgets the trees (a restart): the instances write back the parents they feed from.
    const redis = new Redis(inject('redisUrl'));
    connections.push(redis);
    await redis.del(...events.map((e) => `${ns}:media:edges:${e}`));
    await expect
      .poll(
        async () =>
          Promise.all(
            events.map(async (e) => Object.fromEntries([...(await registry.treeOf(e))].sort())),
          ),
        { timeout: 3_000 },
      )
      .toEqual(events.map((e) => trees.get(e)));
    // As the nodes count them: one pipe per edge in all, at most one per event out of each node.
    const edges = (await Promise.all(events.map((e) => registry.edgesOf(e)))).flat().length;
    await expect
      .poll(async () => (await registry.nodes()).reduce((sum, n) => sum + (n.pipes ?? 0), 0), {
        timeout: 5_000,
      })
      .toBe(edges);
    for (const n of await registry.nodes()) expect(n.pipes ?? 0).toBeLessThanOrEqual(events.length);
    for (const eventId of events) await a.closeEvent(eventId);
  }, 120_000);

  it('a node whose pipes fill it gets no classroom: each pipe it feeds counts as load, as a classroom does', async () => {
    const ns = 'placement-pipes';
    // `full` carries 3 (three events' origins, each feeding an edge on `roomy`).
    await startNodes(ns, ['full'], { MEDIA_NODE_CAPACITY: '3' });
    await startNodes(ns, ['roomy'], { MEDIA_NODE_CAPACITY: '12' });
    const registry = registryOf(ns);
    await expect.poll(async () => (await registry.nodes()).length, { timeout: 10_000 }).toBe(2);
    const plane = instance(ns);
    const events = [randomUUID(), randomUUID(), randomUUID()];
    // The origins on `full` (no participant there), a classroom of each on `roomy`.
    plane.exclude('roomy');
    for (const eventId of events) await plane.getRouterRtpCapabilities(eventId);
    plane.include('roomy');
    plane.exclude('full');
    for (const [i, eventId] of events.entries())
      await plane.createWebRtcTransport(classroom(eventId, randomUUID(), `edge-${i}`), 'recv');
    plane.include('full');
    for (const eventId of events) expect(await registry.nodeOf(eventId)).toBe('full');
    // The heartbeats count the pipes, and the reservations made meanwhile have lapsed.
    await expect
      .poll(
        async () =>
          Object.fromEntries((await registry.nodes()).map((n) => [n.nodeId, [n.load, n.pipes]])),
        { timeout: 5_000 },
      )
      .toEqual({ full: [0, 3], roomy: [3, 0] });
    await new Promise((r) => setTimeout(r, 3_200));

    // Without its pipes, `full` (0 of 3) would look less loaded than `roomy` (3 of 12).
    const classroomId = randomUUID();
    await plane.createWebRtcTransport(classroom(events[0] as string, classroomId, 'next'), 'recv');
    const placed = await registry.classroomNodeOf(events[0] as string, classroomId);
    console.info(
      `node full: 0 participants, 3 pipes, capacity 3; node roomy: 3 participants, capacity 12; a new classroom placed on ${placed}`,
    );
    expect(placed).toBe('roomy');
    for (const eventId of events) await plane.closeEvent(eventId);
  }, 60_000);

  it('a join storm through two instances fills no node past its capacity: reservations made by one instance count for the other', async () => {
    const ns = 'placement-storm';
    const ids = ['storm-a', 'storm-b', 'storm-c'];
    await startNodes(ns, ids, { MEDIA_NODE_CAPACITY: '4' });
    const registry = registryOf(ns);
    await expect.poll(async () => (await registry.nodes()).length, { timeout: 10_000 }).toBe(3);
    const [a, b] = [instance(ns), instance(ns)] as [ClusterMediaNode, ClusterMediaNode];
    const eventId = randomUUID();
    await a.getRouterRtpCapabilities(eventId);
    await new Promise((r) => setTimeout(r, 3_200));
    // 16 classes, 8 through each instance, for 12 places in all (less the pipes the edges need).
    const classes = Array.from({ length: 16 }, () => randomUUID());
    const settled = await Promise.allSettled(
      classes.map((id, i) =>
        (i % 2 === 0 ? a : b).createWebRtcTransport(classroom(eventId, id, `p-${i}`), 'recv'),
      ),
    );
    const refusals = settled
      .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
      .map((s) => (s.reason as { code?: string }).code);
    const placed = (
      await Promise.all(classes.map((id) => registry.classroomNodeOf(eventId, id)))
    ).filter((n): n is string => n !== null);
    const per = count(placed);
    await new Promise((r) => setTimeout(r, 1_500));
    const reported = await registry.nodes();
    console.info(
      `storm through two instances: ${placed.length} of 16 classrooms placed, per node ${JSON.stringify(per)}; refused ${refusals.length} (${[...new Set(refusals)].join(', ')}); nodes report ${reported
        .map((n) => `${n.nodeId} ${n.load} participants + ${n.pipes ?? 0} pipes of ${n.capacity}`)
        .join('; ')}`,
    );
    for (const n of reported) expect(n.load + (n.pipes ?? 0)).toBeLessThanOrEqual(n.capacity);
    for (const n of Object.values(per)) expect(n).toBeLessThanOrEqual(4);
    expect(new Set(refusals)).toEqual(new Set(['MEDIA_UNAVAILABLE']));
    // Every node took classrooms: the storm spread.
    expect(Object.keys(per).sort()).toEqual(ids);
    await a.closeEvent(eventId);
  }, 60_000);

  it('a node of capacity N takes exactly N classrooms of a storm in waves through two instances: a class its heartbeat counts no longer counts as reserved', async () => {
    const ns = 'placement-waves';
    const CAPACITY = 6;
    await startNodes(ns, ['waves'], { MEDIA_NODE_CAPACITY: String(CAPACITY) });
    const registry = registryOf(ns);
    await expect.poll(async () => (await registry.nodes()).length, { timeout: 10_000 }).toBe(1);
    const [a, b] = [instance(ns), instance(ns)] as [ClusterMediaNode, ClusterMediaNode];
    const eventId = randomUUID();
    // The origin's reservation (no speaker ever comes) lapses first.
    await a.getRouterRtpCapabilities(eventId);
    await new Promise((r) => setTimeout(r, 3_200));
    const joined: string[] = [];
    const refusals: string[] = [];
    const wave = async (size: number) => {
      const classes = Array.from({ length: size }, () => randomUUID());
      const settled = await Promise.allSettled(
        classes.map((id, i) =>
          (i % 2 === 0 ? a : b).createWebRtcTransport(classroom(eventId, id, id), 'recv'),
        ),
      );
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') joined.push(classes[i] as string);
        else refusals.push(String((s.reason as { code?: string }).code));
      });
    };
    const reportedLoad = async () => (await registry.nodes())[0]?.load ?? -1;
    // Half the node's places, then, as soon as its heartbeat counts them (well
    // within the 3 s a reservation lasts), more classes than places are left.
    const started = Date.now();
    await wave(CAPACITY / 2);
    await expect.poll(reportedLoad, { timeout: 2_500, interval: 50 }).toBe(CAPACITY / 2);
    const countedAfter = Date.now() - started;
    await wave(CAPACITY);
    const secondWaveAt = Date.now() - started;
    await expect.poll(reportedLoad, { timeout: 3_000, interval: 50 }).toBe(joined.length);
    console.info(
      `capacity ${CAPACITY}, waves of ${CAPACITY / 2} then ${CAPACITY} through two instances (the first counted by the node's heartbeat after ${countedAfter} ms, the second sent at ${secondWaveAt} ms): ${joined.length} placed, refused ${refusals.length} (${[...new Set(refusals)].join(', ')}), node reports load ${await reportedLoad()}`,
    );
    expect(joined.length).toBe(CAPACITY);
    expect(refusals).toEqual(Array(CAPACITY / 2).fill('MEDIA_UNAVAILABLE'));
    expect(await reportedLoad()).toBe(CAPACITY);
    await a.closeEvent(eventId);
  }, 60_000);
});
