import type { JoinResult, RtpCapabilities } from '@amphi/protocol';
import { SignalingClient } from '@amphi/sdk';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import { askWhile, key, type SeededEvent, seedEvent } from './support/harness.ts';
import { type ProcessCluster, startProcessCluster } from './support/processCluster.ts';
import type { RedisProcess } from './support/RedisProcess.ts';
import { dtlsParameters, vp8 } from './support/rtpParameters.ts';
import { within } from './support/within.ts';

// The cluster as deployed, over a Redis of this file's own: two control-api
// processes and two media nodes (`npm run media-node`). Classrooms on both
// instances ask questions without pause, a speaker publishes, a moderator on
// the second instance triages. Redis is killed with -9 mid-flow and started
// again on the same port, empty (no persistence). What a user would notice:
// nobody is cut off, every question the class was told was received is
// stored once and reaches the moderator, and the media plane keeps placing
// classrooms (the nodes re-register, the placements are written back).

const SECRET = 'test-media-node-redis-restart-0123456789';
const CLASSROOMS = 8;
const OUTAGE_MS = 3_000;

let cluster: ProcessCluster;
let redis: RedisProcess;
let apis: ProcessCluster['apis'];
let registry: MediaNodeRegistry;
let ev: SeededEvent;
const clients: SignalingClient[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  cluster = await startProcessCluster({
    secret: SECRET,
    // Every classroom asks several questions a second: the quota is not under test.
    apiEnv: { QUESTION_RATE_PER_MINUTE: '60000', QUESTION_BURST: '1000' },
  });
  ({ redis, apis, registry } = cluster);
  // One classroom more than ask: it arrives after the restart.
  ev = await seedEvent(apis[0].url, { classrooms: CLASSROOMS + 1, status: 'live' });
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.close();
});

/** A participant on one instance, with the sdk's reconnection; its joins counted. */
async function participant(base: string, eventId: string, token: string) {
  const client = new SignalingClient({
    baseUrl: base,
    eventId,
    token,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  clients.push(client);
  const joins: JoinResult[] = [];
  client.on('joined', (join) => joins.push(join));
  await client.connect();
  return { client, joins, caps: (client.lastJoin as JoinResult).routerRtpCapabilities };
}
type Participant = Awaited<ReturnType<typeof participant>>;

/** A transport on the participant's media node (signaling places it there first). */
async function transport(p: Participant, direction: 'send' | 'recv'): Promise<string> {
  const t = await p.client.request('media.createTransport', { direction });
  await p.client.request('media.connectTransport', { transportId: t.transportId, dtlsParameters });
  return t.transportId;
}

async function consume(p: Participant, producerId: string): Promise<string> {
  const c = await p.client.request('media.consume', {
    transportId: await transport(p, 'recv'),
    producerId,
    rtpCapabilities: p.caps as RtpCapabilities,
  });
  await p.client.request('media.resumeConsumer', { consumerId: c.consumerId });
  return c.consumerId;
}

describe('Redis restarts (kill -9, empty) under load, two control-api instances, two media nodes', () => {
  it('nobody is cut off, every acknowledged question is stored once and reaches the moderator, the media plane places again', async () => {
    const [api1, api2] = apis;
    const moderator = await participant(api2.url, ev.eventId, ev.tokens.moderator);
    const speaker = await participant(api1.url, ev.eventId, ev.tokens.speaker);
    const classrooms: Participant[] = [];
    for (const [i, token] of ev.tokens.classrooms.slice(0, CLASSROOMS).entries()) {
      classrooms.push(await participant((i % 2 ? api2 : api1).url, ev.eventId, token));
    }
    const seen = new Set<string>();
    moderator.client.onEvent('question.created', (q) => seen.add(q.id));
    moderator.client.onEvent('question.updated', (q) => seen.add(q.id));

    // The speaker's camera, watched by every classroom (each instance's).
    const { producerId } = await speaker.client.request('media.produce', {
      transportId: await transport(speaker, 'send'),
      kind: 'video',
      rtpParameters: vp8(4242),
      source: 'camera',
    });
    for (const c of classrooms) await consume(c, producerId);
    const holder = await registry.nodeOf(ev.eventId);
    expect(holder).not.toBeNull();
    // Each classroom's node (placed one by one, spread over both nodes).
    const classroomNodes = () =>
      Promise.all(
        ev.classroomIds.slice(0, CLASSROOMS).map((id) => registry.classroomNodeOf(ev.eventId, id)),
      );
    const placedBefore = await classroomNodes();
    expect(placedBefore.every((n) => n === 'node-a' || n === 'node-b')).toBe(true);

    let running = true;
    const askers = classrooms.map((c) => askWhile(c.client, () => running, 150));
    await sleep(2_000);

    // An event nobody has joined yet: its first classroom arrives while Redis is down.
    const during = await seedEvent(api1.url, { classrooms: 1, status: 'live' });

    const killedAt = Date.now();
    await redis.kill();
    await sleep(500);
    const early = await participant(
      api1.url,
      during.eventId,
      during.tokens.classrooms[0] as string,
    );
    await sleep(Math.max(0, killedAt + OUTAGE_MS - Date.now()));
    await redis.start();
    const restartedAt = Date.now();
    const earlyTold = new Promise<number>((resolve) =>
      early.client.onEvent('media.reconnect', () => resolve(Date.now() - restartedAt)),
    );

    // The media nodes heart-beat into the empty Redis again.
    const nodesBackMs = await within(10_000, async () => {
      const ids = (await registry.nodes()).map((n) => n.nodeId).sort();
      return ids.join() === 'node-a,node-b' ? Date.now() - restartedAt : null;
    });
    // The live event's placement is written back by the instances that use it.
    // The placements (the event's origin, each classroom's node) are written back by the
    // instances that use them, as they were: nobody is moved by the restart.
    const placementBackMs = await within(10_000, async () => {
      const same =
        (await registry.nodeOf(ev.eventId)) === holder &&
        (await classroomNodes()).join() === placedBefore.join();
      return same ? Date.now() - restartedAt : null;
    });

    // Questions go on being asked a while on a Redis that is back.
    await sleep(3_000);
    running = false;
    await Promise.all(askers.map((a) => a.done));

    // Cross-instance delivery: the moderator (on api2) hears of every acknowledged question,
    // those asked on api1 during the outage included.
    const acked = new Map<string, string>();
    for (const a of askers) for (const [k, id] of a.acked) acked.set(k, id);
    const unseen = () => [...acked.values()].filter((id) => !seen.has(id));
    const deadline = Date.now() + 15_000;
    while (unseen().length > 0 && Date.now() < deadline) await sleep(100);
    const fresh = await (classrooms[0] as Participant).client.request('question.submit', {
      idempotencyKey: key(),
      text: 'Et après la panne, vous nous entendez toujours ?',
      category: 'job_reality',
    });
    const liveAfter = await within(5_000, async () =>
      seen.has(fresh.question.id) ? true : null,
    ).catch(() => false);

    // The class that joined during the outage had no media node to go to: it is told to set
    // its media up once there is one, as after a lost node, and then can.
    expect(early.caps).toBeNull();
    const earlyMediaMs = await Promise.race([earlyTold, sleep(10_000).then(() => null)]);
    const rejoin = await early.client.request('join', {});
    expect(rejoin.routerRtpCapabilities).not.toBeNull();
    await transport({ ...early, caps: rejoin.routerRtpCapabilities }, 'recv');

    // A classroom arriving now, on the other instance, watches the same camera.
    const late = await participant(
      api2.url,
      ev.eventId,
      ev.tokens.classrooms[CLASSROOMS] as string,
    );
    await consume(late, producerId);
    // A new event is placed on a node, and its classroom gets media there.
    const next = await seedEvent(api2.url, { classrooms: 1, status: 'live' });
    const newcomer = await participant(api1.url, next.eventId, next.tokens.classrooms[0] as string);
    expect(newcomer.caps).not.toBeNull();
    await transport(newcomer, 'recv');
    expect(['node-a', 'node-b']).toContain(await registry.nodeOf(next.eventId));

    // Every acknowledged question is in PostgreSQL, once.
    const sql = postgres(cluster.databaseUrl, { max: 1, onnotice: () => {} });
    let rows: { id: string; idempotency_key: string }[];
    try {
      rows = await sql<{ id: string; idempotency_key: string }[]>`
        select id, idempotency_key from questions where event_id = ${ev.eventId}`;
    } finally {
      await sql.end();
    }
    const stored = new Map(rows.map((r) => [r.idempotency_key, r.id]));
    const lost = [...acked].filter(([k, id]) => stored.get(k) !== id);
    const retries = askers.reduce((n, a) => n + a.failures(), 0);
    const reconnected = [moderator, speaker, ...classrooms].filter((p) => p.joins.length > 1);
    console.info(
      `redis restart: down ${restartedAt - killedAt} ms; nodes back ${nodesBackMs} ms, placement back ${placementBackMs} ms after restart; questions acked ${acked.size} stored ${stored.size} (rows ${rows.length}), ${unseen().length} unseen by the moderator, ${retries} submits retried; ${reconnected.length} clients reconnected; a class joined during the outage told to set media up ${earlyMediaMs} ms after restart`,
    );
    expect(lost).toEqual([]);
    expect(rows.length).toBe(acked.size + 1);
    expect(acked.size).toBeGreaterThan(CLASSROOMS * 10);
    expect(unseen()).toEqual([]);
    expect(liveAfter).toBe(true);
    expect(reconnected).toEqual([]);
    expect(earlyMediaMs).not.toBeNull();
    expect(earlyMediaMs).toBeLessThan(5_000);
  }, 120_000);
});
