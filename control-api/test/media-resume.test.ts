import { type JoinResult, JoinResult as JoinResultSchema } from '@amphi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadVp8Clip, type Vp8Clip } from '../../loadtest/src/media/vp8Clip.ts';
import type { SyntheticSpeaker } from '../../loadtest/src/SyntheticSpeaker.ts';
import type { InProcessMediaNode } from '../src/rtc/InProcessMediaNode.ts';
import type { ControlPlane } from '../src/server.ts';
import { startSpeaker } from './support/clusterTalk.ts';
import {
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  startMediaNode,
} from './support/harness.ts';
import { RtpClassroom } from './support/RtpClassroom.ts';
import { vp8 } from './support/rtpParameters.ts';
import { until } from './support/within.ts';

// Media session resume on one host (the in-process media node): a speaker
// publishing over real WebRTC, classrooms receiving over real WebRTC
// (libdatachannel). Their signaling sockets drop as a blinking school line or
// a lost heartbeat drops them; what a class would notice is its picture
// freezing, so the longest silence of the video each one plays is measured
// across the drop. Before resume, the server closed a dropped socket's media:
// the classes' pictures stopped and the speaker had to publish again.

const CLASSROOMS = 3;
/** Longest silence tolerated across a socket's drop: a frame or two at the clip's rate. */
const MAX_GAP_MS = 250;
const GRACE_MS = 2_000;

let plane: ControlPlane;
let media: InProcessMediaNode;
let ev: SeededEvent;
let clip: Vp8Clip;
let speaker: SyntheticSpeaker | undefined;
const classrooms: RtpClassroom[] = [];
const sockets: WebSocket[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  media = await startMediaNode({ workers: 2, sessionGraceMs: GRACE_MS });
  plane = await startInstance({ databaseUrl: await createTestDatabase(), media });
  ev = await seedEvent(plane.url, { classrooms: CLASSROOMS + 5, status: 'live' });
  clip = await loadVp8Clip();
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.terminate();
  for (const c of classrooms) c.close();
  speaker?.close();
  await plane?.close();
});

/** A bare signaling socket (its close code chosen by the test), joined. */
async function rawJoin(
  token: string,
  resume?: string,
): Promise<{
  socket: WebSocket;
  join: JoinResult;
  request: (type: string, data: unknown) => Promise<unknown>;
}> {
  const base = plane.url.replace(/^http/, 'ws');
  const q = `v=1&token=${encodeURIComponent(token)}${resume ? `&resume=${encodeURIComponent(resume)}` : ''}`;
  const socket = new WebSocket(`${base}/v1/events/${ev.eventId}/ws?${q}`);
  sockets.push(socket);
  let n = 0;
  const waiting = new Map<
    number,
    (m: { ok: boolean; result?: unknown; error?: unknown }) => void
  >();
  socket.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (typeof m.id === 'number') waiting.get(m.id)?.(m);
  });
  const request = (type: string, data: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++n;
      waiting.set(id, (m) => (m.ok ? resolve(m.result) : reject(m.error)));
      socket.send(JSON.stringify({ id, type, data }));
    });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const join = JoinResultSchema.parse(await request('join', {}));
  return { socket, join, request };
}

describe('media session resume on one host', () => {
  it('a dropped socket resumes its media: no class picture stops, the speaker does not publish again', async () => {
    speaker = await startSpeaker(plane.url, ev, clip);
    const producersBefore = (await media.listProducers(ev.eventId)).map((p) => p.producerId);
    expect(producersBefore.length).toBe(2);
    for (const token of ev.tokens.classrooms.slice(0, CLASSROOMS)) {
      classrooms.push(await RtpClassroom.receiving(plane.url, ev.eventId, token));
    }
    const ids = classrooms.map((c) => c.client.lastJoin?.self.participantId);
    await sleep(1_000);
    // The same classes' longest silence over as long with no drop: what this machine gives anyway.
    for (const c of classrooms) c.resetGap();
    await sleep(2_500);
    const steady = classrooms.map((c) => Math.round(c.gapNow()));
    for (const c of classrooms) c.resetGap();
    // Every socket drops at once, as the sdk drops one whose heartbeat went unanswered.
    for (const c of classrooms) c.client.dropConnection();
    speaker.session.signaling.dropConnection();
    const resumed = (j: JoinResult | null | undefined) => j?.resume?.media?.status === 'resumed';
    await until(10_000, () =>
      [...classrooms.map((c) => c.client), speaker?.session.signaling].every(
        (s) => s?.status === 'open' && resumed(s.lastJoin),
      ),
    );
    await sleep(1_500);
    const gaps = classrooms.map((c) => Math.round(c.gapNow()));
    console.info(
      `resume on one host: classes' longest video silence across the drop ${gaps.join(', ')} ms (steady, no drop: ${steady.join(', ')} ms)`,
    );
    for (const gap of gaps) expect(gap).toBeLessThan(MAX_GAP_MS);
    // Same participants, same producers: nothing was set up again.
    expect(classrooms.map((c) => c.client.lastJoin?.self.participantId)).toEqual(ids);
    expect(speaker.republishes).toBe(0);
    expect((await media.listProducers(ev.eventId)).map((p) => p.producerId).sort()).toEqual(
      producersBefore.sort(),
    );
    expect(classrooms.every((c) => c.reconnects === 0)).toBe(true);
  }, 60_000);

  it('a resume is refused with a precise code (forged, another link, left, expired); a token that does not verify gets a fresh participant', async () => {
    const [tokenA, tokenB, tokenC] = ev.tokens.classrooms.slice(CLASSROOMS, CLASSROOMS + 3) as [
      string,
      string,
      string,
    ];
    const a = await rawJoin(tokenA);
    const tokenOfA = a.join.resume?.token as string;
    expect(tokenOfA).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    expect(a.join.resume?.media).toBeNull();
    await a.request('media.createTransport', { direction: 'recv' });

    // Forged: the participant id kept, the MAC changed.
    const forged = `${tokenOfA.split('.')[0]}.${'A'.repeat(43)}`;
    const f = await rawJoin(tokenA, forged);
    expect(f.join.resume?.media).toMatchObject({
      status: 'refused',
      error: { code: 'RESUME_INVALID' },
    });
    expect(f.join.self.participantId).not.toBe(a.join.self.participantId);
    // Not even a token: refused the same way, the socket still usable.
    const junk = await rawJoin(tokenA, 'not a token');
    expect(junk.join.resume?.media).toMatchObject({ error: { code: 'RESUME_INVALID' } });
    // Another class's link presenting A's token.
    const b = await rawJoin(tokenB, tokenOfA);
    expect(b.join.resume?.media).toMatchObject({ error: { code: 'RESUME_INVALID' } });
    expect(b.join.self.participantId).not.toBe(a.join.self.participantId);

    // A class that left on purpose took its media with it.
    a.socket.close(1000, 'bye');
    await sleep(200);
    const left = await rawJoin(tokenA, tokenOfA);
    expect(left.join.resume?.media).toMatchObject({ error: { code: 'RESUME_UNKNOWN' } });
    expect(left.join.self.participantId).toBe(a.join.self.participantId);

    // A cut line (no close frame): kept for the grace, then closed.
    const c = await rawJoin(tokenC);
    const expired = (await c.request('media.createTransport', { direction: 'recv' })) as {
      transportId: string;
    };
    c.socket.terminate();
    await sleep(GRACE_MS + 700);
    const late = await rawJoin(tokenC, c.join.resume?.token);
    expect(late.join.resume?.media).toMatchObject({ error: { code: 'RESUME_EXPIRED' } });
    // Its media can be set up anew under the same participant.
    const t = (await late.request('media.createTransport', { direction: 'recv' })) as {
      transportId: string;
    };
    expect(t.transportId).toEqual(expect.any(String));
    expect(t.transportId).not.toBe(expired.transportId);
    expect(late.join.self.participantId).toBe(c.join.self.participantId);
  }, 30_000);

  it('a resume while the older socket is still open here: the older one steps aside (4012), the media stays with the newer', async () => {
    const token = ev.tokens.classrooms[CLASSROOMS + 3] as string;
    const older = await rawJoin(token);
    await older.request('media.createTransport', { direction: 'recv' });
    const closed = new Promise<number>((r) => older.socket.once('close', (code) => r(code)));
    const newer = await rawJoin(token, older.join.resume?.token);
    expect(newer.join.resume?.media).toMatchObject({ status: 'resumed' });
    expect(newer.join.self.participantId).toBe(older.join.self.participantId);
    expect(await closed).toBe(4012);
    // The older socket's end took nothing: the media is still there past the grace.
    await sleep(GRACE_MS + 500);
    const session = (await media.broadcast(ev.eventId)).session(newer.join.self.participantId);
    expect(session?.closed).toBe(false);
    expect(session?.transportCount).toBe(1);
  }, 20_000);

  it("a class on stage whose socket drops: its camera is closed at once (minors' media), the rest of its media is kept, and it sends again once resumed", async () => {
    const token = ev.tokens.classrooms[CLASSROOMS + 4] as string;
    const classroomId = ev.classroomIds[CLASSROOMS + 4] as string;
    const moderator = await rawJoin(ev.tokens.moderator);
    const cls = await rawJoin(token);
    await moderator.request('stage.invite', { classroomId });
    await cls.request('stage.respond', { accept: true });
    const send = (await cls.request('media.createTransport', { direction: 'send' })) as {
      transportId: string;
    };
    await cls.request('media.createTransport', { direction: 'recv' });
    const produce = (n: number, on: typeof cls) =>
      on.request('media.produce', {
        transportId: send.transportId,
        kind: 'video',
        rtpParameters: vp8(70_000 + n, `s${n}`),
        source: 'stage',
      }) as Promise<{ producerId: string }>;
    const { producerId } = await produce(1, cls);
    const stageProducers = async () =>
      (await media.listProducers(ev.eventId))
        .filter((p) => p.source === 'stage')
        .map((p) => p.producerId);
    expect(await stageProducers()).toEqual([producerId]);
    // A cut line: no close frame.
    cls.socket.terminate();
    const deadline = Date.now() + 2_000;
    while ((await stageProducers()).length > 0) {
      if (Date.now() > deadline) throw new Error('the class camera outlived its socket');
      await sleep(20);
    }
    const back = await rawJoin(token, cls.join.resume?.token);
    expect(back.join.resume?.media).toMatchObject({
      status: 'resumed',
      media: { producerIds: [] },
    });
    const resumed = back.join.resume?.media;
    expect(resumed?.status === 'resumed' && resumed.media.transports.length).toBe(2);
    // Back within the stage's own grace: still on stage, it sends again on the same transport.
    const again = await produce(2, back);
    expect(await stageProducers()).toEqual([again.producerId]);
  }, 20_000);
});
