import type { Socket } from 'node:net';
import { CloseCode, type JoinResult } from '@amphi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../src/server.ts';
import {
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
} from './support/harness.ts';
import { NamespacedMediaNode } from './support/NamespacedMediaNode.ts';

// Two control-api instances on hosts whose clocks disagree: instance B's wall
// clock is 30 s ahead of A's, then 30 s behind (its `clock` option; nothing
// global is faked). A class's line blinks and its client resumes on the other
// instance, then back: each time the older socket, half dead (no close ever
// came, its 5 s silence timeout not reached), must be handed over (4012) and
// the newest one kept, whatever either clock says. The media session's grace
// is measured by the media node alone (a real `npm run media-node` process,
// its grace 2 s): a resume within it is taken on either instance, one after
// it refused RESUME_EXPIRED.

const SECRET = 'test-media-node-resume-skew-secret-0123';
const GRACE_MS = 2_000;
/** Well under the old socket's silence timeout (5 s): the bus told its instance. */
const HANDOVER_BOUND_MS = 1_500;

let node: NamespacedMediaNode;
let a: ControlPlane;
let b: ControlPlane;
let ev: SeededEvent;
/** B's clock: A's plus this. */
let skewMs = 0;
const clients: TestClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  node = await NamespacedMediaNode.start({
    prefix: 'resume-skew',
    secret: SECRET,
    nodeId: 'skew-node',
    graceMs: GRACE_MS,
  });
  const databaseUrl = await createTestDatabase();
  const redis = { namespace: node.namespace };
  [a, b] = await Promise.all([
    startInstance({ databaseUrl, redis, media: node.plane() }),
    startInstance({
      databaseUrl,
      redis,
      media: node.plane(),
      more: { clock: () => Date.now() + skewMs },
    }),
  ]);
  ev = await seedEvent(a.url, { classrooms: 4, status: 'live' });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await Promise.all([a?.close(), b?.close()]);
  await node?.close();
});

/** The raw TCP socket under a test client's WebSocket. */
function tcp(client: TestClient): Socket {
  return (client.socket as unknown as { _socket: Socket })._socket;
}

async function open(on: ControlPlane, token: string, resume?: string): Promise<TestClient> {
  const url = TestClient.url(on.url, ev.eventId, token);
  const client = await TestClient.connectUrl(
    resume ? `${url}&resume=${encodeURIComponent(resume)}` : url,
  );
  clients.push(client);
  return client;
}

async function join(client: TestClient): Promise<JoinResult> {
  return (await client.request('join', {})) as JoinResult;
}

/** How the socket ended within `ms`, or 'open'. */
async function endOf(client: TestClient, ms: number): Promise<number | 'open'> {
  const ended = await Promise.race([client.closed, sleep(ms).then(() => null)]);
  return ended === null ? 'open' : ended.code;
}

/** Its line goes silent: it reads nothing and answers nothing, and no close comes. */
function blink(client: TestClient): () => void {
  tcp(client).pause();
  return () => tcp(client).resume();
}

describe.each([
  { skew: 30_000, label: '30 s ahead' },
  { skew: -30_000, label: '30 s behind' },
])('instance B with its clock $label', ({ skew }) => {
  it('hands over the older socket on each resume, A to B then back to A, and keeps the newest', async () => {
    skewMs = skew;
    const token = ev.tokens.classrooms[skew > 0 ? 0 : 1] as string;
    const first = await open(a, token);
    const firstJoin = await join(first);
    await first.request('media.createTransport', { direction: 'recv' });
    const resumeToken = firstJoin.resume?.token as string;

    // A to B: the socket on A is half dead when the class resumes on B.
    const backFirst = blink(first);
    const second = await open(b, token, resumeToken);
    const secondJoin = await join(second);
    expect(secondJoin.resume?.media?.status).toBe('resumed');
    backFirst();
    const firstEnd = await endOf(first, HANDOVER_BOUND_MS);

    // B to A again: now the socket on B is the stale one.
    const backSecond = blink(second);
    const third = await open(a, token, resumeToken);
    const thirdJoin = await join(third);
    expect(thirdJoin.resume?.media?.status).toBe('resumed');
    backSecond();
    const secondEnd = await endOf(second, HANDOVER_BOUND_MS);
    // The newest stays, and its media answers to it.
    const thirdEnd = await endOf(third, 1_000);
    const t = (await third.request('media.createTransport', { direction: 'recv' })) as {
      transportId: string;
    };
    console.info(
      `B's clock ${skew > 0 ? '+' : ''}${skew / 1000} s: socket on A after the resume on B: ${firstEnd}; socket on B after the resume back on A: ${secondEnd}; newest (A): ${thirdEnd}`,
    );
    expect(firstEnd).toBe(CloseCode.RESUMED_ELSEWHERE);
    expect(secondEnd).toBe(CloseCode.RESUMED_ELSEWHERE);
    expect(thirdEnd).toBe('open');
    // A transport made by the media node for the newest socket (mediasoup's ids are UUIDs).
    expect(t.transportId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // An older resume's news arriving late (a bus held through a Redis outage)
    // leaves the newest socket be.
    const { participantId } = thirdJoin.self;
    await b.bus.publish({
      kind: 'participant.resumed',
      eventId: ev.eventId,
      participantId,
      instanceId: b.bus.instanceId,
      generation: 1,
    });
    expect(await endOf(third, 1_000)).toBe('open');
    await third.close();
  }, 30_000);

  it('takes a resume within the grace on the skewed instance and refuses one after it (RESUME_EXPIRED), as the media node measures it', async () => {
    skewMs = skew;
    const token = ev.tokens.classrooms[skew > 0 ? 2 : 3] as string;
    const first = await open(b, token);
    const resumeToken = (await join(first)).resume?.token as string;
    await first.request('media.createTransport', { direction: 'recv' });
    // The line drops with no close frame: its media is kept for the grace.
    first.socket.terminate();
    await sleep(300);
    const fresh = await open(a, token, resumeToken);
    const freshAnswer = (await join(fresh)).resume?.media;
    fresh.socket.terminate();
    await sleep(GRACE_MS + 1_000);
    const stale = await open(b, token, resumeToken);
    const staleAnswer = (await join(stale)).resume?.media;
    console.info(
      `B's clock ${skew > 0 ? '+' : ''}${skew / 1000} s: resumed 300 ms after the drop: ${freshAnswer?.status}; ${GRACE_MS + 1_000} ms after: ${staleAnswer?.status === 'refused' ? staleAnswer.error.code : staleAnswer?.status}`,
    );
    expect(freshAnswer?.status).toBe('resumed');
    expect(staleAnswer).toMatchObject({ status: 'refused', error: { code: 'RESUME_EXPIRED' } });
    await stale.close();
  }, 30_000);
});
