import type { Socket } from 'node:net';
import { CloseCode, type JoinResult } from '@amphi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaParticipant } from '../src/rtc/MediaNode.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import type { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import type { ControlPlane } from '../src/server.ts';
import {
  createTestDatabase,
  resumeOutcomes,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
} from './support/harness.ts';
import { NamespacedMediaNode } from './support/NamespacedMediaNode.ts';

// Two resumes of one class racing to take its media over: its line blinks, its
// client resumes on instance A, blinks again and resumes on instance B. A's
// adoption of the media reaches the media node late (A loaded: its call held
// 1.5 s here), after B's. The media must stay with B's socket, the newest: A's
// socket, handed over (4012) as soon as the bus tells A of B's resume, must not
// take it, or the node keeps it under A's channel for a socket already gone,
// and ignores B's close when the class leaves (the media then stays on the node,
// counted in its load, until the event ends). The same when the newer socket's
// resume was refused (its media expired) and it set its media up anew: that
// media is the newer socket's generation, not the first socket's. A real media
// node process, real Redis, two control-api instances.

const SECRET = 'test-media-node-resume-race-secret-0123';
const NODE_ID = 'race-node';
const METRICS_TOKEN = 'test-metrics-token-resume-race-01234567';
/** How late A's adoption reaches the media node. */
const ADOPT_DELAY_MS = 1_500;
/** The media node keeps a dropped socket's media this long. */
const GRACE_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An instance's media plane whose adoptions are held a while before they go to the node. */
class LateAdoptions extends ClusterMediaNode {
  override async adoptParticipant(who: MediaParticipant, generation: number | null) {
    await sleep(ADOPT_DELAY_MS);
    return super.adoptParticipant(who, generation);
  }
}

let node: NamespacedMediaNode;
let a: ControlPlane;
let b: ControlPlane;
let ev: SeededEvent;
let registry: MediaNodeRegistry;
const clients: TestClient[] = [];

beforeAll(async () => {
  node = await NamespacedMediaNode.start({
    prefix: 'resume-race',
    secret: SECRET,
    nodeId: NODE_ID,
    graceMs: GRACE_MS,
  });
  registry = node.registry();
  const databaseUrl = await createTestDatabase();
  const redis = { namespace: node.namespace };
  [a, b] = await Promise.all([
    startInstance({
      databaseUrl,
      redis,
      media: node.plane((o) => new LateAdoptions(o)),
      metricsToken: METRICS_TOKEN,
    }),
    startInstance({ databaseUrl, redis, media: node.plane() }),
  ]);
  ev = await seedEvent(a.url, { classrooms: 1, status: 'live' });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.socket.terminate();
  await Promise.all([a?.close(), b?.close()]);
  await node?.close();
});

async function open(on: ControlPlane, resume?: string): Promise<TestClient> {
  const url = TestClient.url(on.url, ev.eventId, ev.tokens.classrooms[0] as string);
  const client = await TestClient.connectUrl(
    resume ? `${url}&resume=${encodeURIComponent(resume)}` : url,
  );
  clients.push(client);
  return client;
}

/** Its line goes silent: it reads nothing and answers nothing, and no close comes. */
function blink(client: TestClient): () => void {
  const tcp = (client.socket as unknown as { _socket: Socket })._socket;
  tcp.pause();
  return () => tcp.resume();
}

/** The media node's load as its heartbeat registered it. */
async function nodeLoad(): Promise<number | undefined> {
  return (await registry.nodes()).find((n) => n.nodeId === NODE_ID)?.load;
}

const resumesOnA = () => resumeOutcomes(a.url, METRICS_TOKEN);

/** The class on B with media (a receive transport): its socket and resume token. */
async function withMediaOnB(): Promise<{ first: TestClient; resumeToken: string }> {
  const first = await open(b);
  const join = (await first.request('join', {})) as JoinResult;
  await first.request('media.createTransport', { direction: 'recv' });
  return { first, resumeToken: join.resume?.token as string };
}

/**
 * The class resumes on A, whose adoption is slow: its socket's generation
 * drawn (as it opened, before the newer one's), its join's answer never
 * comes (the socket is handed over meanwhile), and its line blinks before A
 * answered. The older socket, and what brings its line back.
 */
async function slowResumeOnA(
  resumeToken: string,
): Promise<{ older: TestClient; olderBack: () => void }> {
  const older = await open(a, resumeToken);
  await sleep(200);
  void older.request('join', {}).catch(() => null);
  return { older, olderBack: blink(older) };
}

/**
 * The race's end: the older socket's line back, how it ended (within 3 s);
 * then, A's late adoption landed, the class leaves by its newest socket (on
 * purpose): the node's load with the class, and 2.5 s after it left.
 */
async function raceEnd(older: TestClient, olderBack: () => void, newer: TestClient) {
  olderBack();
  const olderEnd = await Promise.race([
    older.closed.then((c) => c.code),
    sleep(3_000).then(() => 'open'),
  ]);
  await sleep(ADOPT_DELAY_MS);
  const loadBefore = await nodeLoad();
  await newer.close();
  await sleep(2_500);
  return { olderEnd, loadBefore, loadAfter: await nodeLoad() };
}

describe('two resumes racing for a class’s media', () => {
  it('leaves the media with the newest socket when the older one’s adoption arrives last', async () => {
    const { first, resumeToken } = await withMediaOnB();

    // The line blinks: the class resumes on A, whose adoption is slow, and
    // blinks again before A answered: the class resumes on B, at once.
    blink(first);
    const { older, olderBack } = await slowResumeOnA(resumeToken);
    const newer = await open(b, resumeToken);
    const newerJoin = (await newer.request('join', {})) as JoinResult;
    expect(newerJoin.resume?.media?.status).toBe('resumed');
    // Its line back, the older socket reads how it ended; then the class
    // leaves (its newest socket, on purpose): nothing of it stays on the node.
    const { olderEnd, loadBefore, loadAfter } = await raceEnd(older, olderBack, newer);
    const outcomes = await resumesOnA();
    console.info(
      `older socket (A, adoption ${ADOPT_DELAY_MS} ms late): closed ${olderEnd}; A's resume outcomes ${JSON.stringify(outcomes)}; node load with the class: ${loadBefore}, 2.5 s after it left: ${loadAfter}`,
    );
    expect(olderEnd).toBe(CloseCode.RESUMED_ELSEWHERE);
    expect(loadBefore).toBe(1);
    expect(loadAfter).toBe(0);
    expect(outcomes).toEqual({ superseded: 1 });
  }, 30_000);

  it('leaves the media a refused resume set up anew with its socket when an older adoption arrives last', async () => {
    const before = await resumesOnA();
    const { first, resumeToken } = await withMediaOnB();
    // Its socket drops and stays away past the node's grace: its media expires.
    first.socket.terminate();
    await sleep(GRACE_MS + 800);

    // It comes back on A, whose adoption is slow, and blinks before A answered.
    const { older, olderBack } = await slowResumeOnA(resumeToken);
    // On B at once: refused (expired), it sets its media up anew before A's adoption lands.
    const newer = await open(b, resumeToken);
    const newerJoin = (await newer.request('join', {})) as JoinResult;
    const newerResume = newerJoin.resume?.media;
    await newer.request('media.createTransport', { direction: 'recv' });
    const { olderEnd, loadBefore, loadAfter } = await raceEnd(older, olderBack, newer);
    const after = await resumesOnA();
    const outcomes = Object.fromEntries(
      Object.entries(after)
        .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
        .filter(([, v]) => v > 0),
    );
    console.info(
      `newer socket's resume ${newerResume?.status === 'refused' ? newerResume.error.code : newerResume?.status}, set up anew; older socket (A, adoption ${ADOPT_DELAY_MS} ms late): closed ${olderEnd}; A's resume outcomes ${JSON.stringify(outcomes)}; node load with the class: ${loadBefore}, 2.5 s after it left: ${loadAfter}`,
    );
    expect(newerResume?.status === 'refused' && newerResume.error.code).toBe('RESUME_EXPIRED');
    expect(olderEnd).toBe(CloseCode.RESUMED_ELSEWHERE);
    expect(outcomes).toEqual({ superseded: 1 });
    expect(loadBefore).toBe(1);
    expect(loadAfter).toBe(0);
  }, 30_000);
});
