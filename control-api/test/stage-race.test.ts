import { describe, expect, it } from 'vitest';
import { seedEvent, type TestClient, useControlPlane } from './support/harness.ts';
import { opus as opusOf, vp8 as vp8Of } from './support/rtpParameters.ts';

// A class's camera must not outlive its stage turn (minors' video): real
// mediasoup workers, real PostgreSQL, real sockets, the stage ended while the
// classroom's produce is under way.

/** Races in the test; STAGE_RACE_TRIES=1000 for the figure in the issue. */
const TRIES = Number(process.env.STAGE_RACE_TRIES ?? 200);

const env = useControlPlane({
  mediaNode: { workers: 2 },
  // The races send far more than a classroom would: not a flood here.
  limits: { WS_MESSAGES_PER_SECOND: 10_000, WS_MESSAGE_BURST: 10_000 },
});

// Each try's producer on the class's one send transport has its own mid and SSRC.
const vp8 = (n: number) => vp8Of(10_000 + n, `v${n}`);
const opus = (n: number) => opusOf(50_000 + n, `a${n}`);

async function onStage(moderator: TestClient, classroom: TestClient, classroomId: string) {
  await moderator.request('stage.invite', { classroomId });
  await classroom.request('stage.respond', { accept: true });
}

const stageProducers = async (eventId: string) =>
  (await env.media.listProducers(eventId)).filter((p) => p.source === 'stage');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a classroom's camera and its stage turn", () => {
  it(`no classroom producer survives an empty stage (${TRIES} races of media.produce against the end of the turn)`, async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 1, status: 'live' });
    const classroomId = ev.classroomIds[0] as string;
    const moderator = (await env.joined(ev.tokens.moderator, ev)).client;
    const speaker = await env.joined(ev.tokens.speaker, ev);
    const cls = (await env.joined(ev.tokens.classrooms[0] as string, ev)).client;
    await onStage(moderator, cls, classroomId);
    const send = await cls.request('media.createTransport', { direction: 'send' });
    const speakerRecv = await speaker.client.request('media.createTransport', {
      direction: 'recv',
    });

    let leaked = 0;
    let consumedAfterEnd = 0;
    let produced = 0;
    for (let i = 0; i < TRIES; i++) {
      if (i > 0) await onStage(moderator, cls, classroomId);
      const produce = cls.send('media.produce', {
        transportId: send.transportId,
        kind: 'video',
        rtpParameters: vp8(i),
        source: 'stage',
      });
      // Spread the end of the turn over the produce's own time on the server.
      await sleep(i % 7);
      const [answer] = await Promise.all([produce, moderator.request('stage.leave', {})]);
      if (answer.ok) produced++;
      // The stage is empty now: within a moment, no camera of the class may be left.
      const deadline = Date.now() + 500;
      let open = await stageProducers(ev.eventId);
      while (open.length > 0 && Date.now() < deadline) {
        await sleep(20);
        open = await stageProducers(ev.eventId);
      }
      if (open.length === 0) continue;
      leaked++;
      // What a leak means: the speaker still receives the class with nobody on stage.
      const c = await speaker.client.send('media.consume', {
        transportId: speakerRecv.transportId,
        producerId: open[0]?.producerId as string,
        rtpCapabilities: speaker.caps,
      });
      if (c.ok) consumedAfterEnd++;
      for (const p of open) await cls.send('media.closeProducer', { producerId: p.producerId });
    }
    console.log(
      `stage race: tries=${TRIES} produced=${produced} leaked=${leaked} consumed_after_end=${consumedAfterEnd}`,
    );
    expect({ leaked, consumedAfterEnd }).toEqual({ leaked: 0, consumedAfterEnd: 0 });
    for (const c of [moderator, speaker.client, cls]) await c.close();
  }, 600_000);

  it('caps a stage turn to one audio and one video producer, even when asked at once', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 1, status: 'live' });
    const moderator = (await env.joined(ev.tokens.moderator, ev)).client;
    const cls = (await env.joined(ev.tokens.classrooms[0] as string, ev)).client;
    await onStage(moderator, cls, ev.classroomIds[0] as string);
    const send = await cls.request('media.createTransport', { direction: 'send' });
    const produce = (kind: 'audio' | 'video', n: number) =>
      cls.send('media.produce', {
        transportId: send.transportId,
        kind,
        rtpParameters: kind === 'video' ? vp8(n) : opus(n),
        source: 'stage',
      });
    // Two cameras asked at the same moment: one is opened, the other refused.
    const videos = await Promise.all([produce('video', 1), produce('video', 2)]);
    expect(videos.map((r) => (r.ok ? 'ok' : r.error.code)).sort()).toEqual([
      'TOO_MANY_PRODUCERS',
      'ok',
    ]);
    expect((await produce('audio', 3)).ok).toBe(true);
    // A third producer in the turn, of either kind, is refused.
    for (const [kind, n] of [
      ['video', 4],
      ['audio', 5],
    ] as const) {
      const third = await produce(kind, n);
      expect(third.ok ? 'ok' : third.error.code).toBe('TOO_MANY_PRODUCERS');
    }
    expect((await stageProducers(ev.eventId)).map((p) => p.kind).sort()).toEqual([
      'audio',
      'video',
    ]);
    // Closing its camera frees the place: the class can send it again (a new device).
    const video = (await stageProducers(ev.eventId)).find((p) => p.kind === 'video');
    await cls.request('media.closeProducer', { producerId: video?.producerId as string });
    expect((await produce('video', 6)).ok).toBe(true);
    // The class reconnects (a new socket, the old one not yet timed out): its new
    // camera replaces the old one instead of being refused, still one of each kind,
    // and whoever received the old one is told it is gone.
    const speaker = (await env.joined(ev.tokens.speaker, ev)).client;
    const replaced = (await stageProducers(ev.eventId)).find((p) => p.kind === 'video');
    const again = (await env.joined(ev.tokens.classrooms[0] as string, ev)).client;
    const send2 = await again.request('media.createTransport', { direction: 'send' });
    const fresh = await again.request('media.produce', {
      transportId: send2.transportId,
      kind: 'video',
      rtpParameters: vp8(8),
      source: 'stage',
    });
    const open = await stageProducers(ev.eventId);
    expect(open.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
    expect(open.find((p) => p.kind === 'video')?.producerId).toBe(fresh.producerId);
    await speaker.waitForEvent(
      'media.producerClosed',
      (p) => p.producerId === replaced?.producerId,
    );
    for (const c of [moderator, cls, again, speaker]) await c.close();
  });

  it('refuses producing on a receive transport', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 1, status: 'live' });
    const moderator = (await env.joined(ev.tokens.moderator, ev)).client;
    const speaker = (await env.joined(ev.tokens.speaker, ev)).client;
    const cls = (await env.joined(ev.tokens.classrooms[0] as string, ev)).client;
    await onStage(moderator, cls, ev.classroomIds[0] as string);
    for (const [client, source] of [
      [cls, 'stage'],
      [speaker, 'camera'],
    ] as const) {
      const recv = await client.request('media.createTransport', { direction: 'recv' });
      const r = await client.send('media.produce', {
        transportId: recv.transportId,
        kind: 'video',
        rtpParameters: vp8(7),
        source,
      });
      expect(r.ok ? 'ok' : r.error.code).toBe('WRONG_TRANSPORT_DIRECTION');
    }
    expect(await env.media.listProducers(ev.eventId)).toEqual([]);
    for (const c of [moderator, speaker, cls]) await c.close();
  });
});
