import { describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
  useControlPlane,
} from './support/harness.ts';
import { RecordingMediaNode } from './support/RecordingMediaNode.ts';

/** How long a disconnected classroom keeps its place on stage, here. */
const GRACE_MS = 1000;

const rtpParameters = { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }] };
const rtpCapabilities = {
  codecs: [{ kind: 'video' as const, mimeType: 'video/VP8', clockRate: 90000 }],
};

const media = new RecordingMediaNode();
const env = useControlPlane({ media, limits: { STAGE_DISCONNECT_GRACE_MS: GRACE_MS } });

async function live(
  n = 2,
): Promise<{ ev: SeededEvent; moderator: TestClient; speaker: TestClient; classes: TestClient[] }> {
  const ev = await seedEvent(env.plane.url, { classrooms: n, status: 'live' });
  const moderator = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.moderator);
  const speaker = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.speaker);
  const classes = await Promise.all(
    ev.tokens.classrooms.map((t) => TestClient.connect(env.plane.url, ev.eventId, t)),
  );
  return { ev, moderator, speaker, classes };
}

async function closeAll(...cs: TestClient[]) {
  for (const c of cs) await c.close();
}

describe('hands and stage', () => {
  it('a raised hand reaches the moderator, who invites the classroom; its camera goes out only after consent', async () => {
    const { ev, moderator, speaker, classes } = await live(2);
    const [c0, c1] = classes as [TestClient, TestClient];
    await c1.request('hand.raise', {});
    await moderator.waitForEvent(
      'hand.updated',
      (h) => h.raised && h.classroomId === ev.classroomIds[1],
    );
    // A classroom cannot lower another's hand; the moderator can.
    expect(await c0.errorOf('hand.lower', { classroomId: ev.classroomIds[1] as string })).toBe(
      'FORBIDDEN',
    );
    await moderator.request('hand.lower', { classroomId: ev.classroomIds[1] as string });
    await c1.waitForEvent('hand.updated', (h) => !h.raised);
    await c0.request('hand.raise', {});
    const hand = await moderator.waitForEvent(
      'hand.updated',
      (h) => h.raised && h.classroomId === ev.classroomIds[0],
    );
    expect(hand.hand?.classroomName).toMatch(/^4e A, /);
    expect(c1.eventsOf('hand.updated').every((h) => h.classroomId === ev.classroomIds[1])).toBe(
      true,
    );
    const hands =
      await env.db`select classroom_id from raised_hands where event_id = ${ev.eventId}`;
    expect(hands.map((h) => h.classroom_id)).toEqual([ev.classroomIds[0]]);

    // Not on stage: no send transport, no produce; nothing reached the media node.
    const before = media.calls.length;
    expect(await c0.errorOf('media.createTransport', { direction: 'send' })).toBe('NOT_ON_STAGE');
    expect(
      await c0.errorOf('media.produce', {
        transportId: 't',
        kind: 'video',
        rtpParameters,
        source: 'stage',
      }),
    ).toBe('NOT_ON_STAGE');
    expect(media.calls.length).toBe(before);

    const { stage } = await moderator.request('stage.invite', {
      classroomId: ev.classroomIds[0] as string,
    });
    expect(stage.status).toBe('invited');
    const invited = await c0.waitForEvent('stage.updated', (s) => s.stage?.status === 'invited');
    expect(invited.stage?.classroomId).toBe(ev.classroomIds[0]);
    expect(
      (await env.db`select count(*)::int as n from raised_hands where event_id = ${ev.eventId}`)[0]
        ?.n,
    ).toBe(0);
    // Invited is not consent.
    expect(await c0.errorOf('media.createTransport', { direction: 'send' })).toBe('NOT_ON_STAGE');
    // Another classroom cannot answer the invitation.
    expect(await c1.errorOf('stage.respond', { accept: true })).toBe('INVALID_STATE');

    await c0.request('stage.respond', { accept: true });
    await speaker.waitForEvent('stage.updated', (s) => s.stage?.status === 'live');
    const t = await c0.request('media.createTransport', { direction: 'send' });
    const { producerId } = await c0.request('media.produce', {
      transportId: t.transportId,
      kind: 'video',
      rtpParameters,
      source: 'stage',
    });
    // The speaker and the moderator learn about the stage camera; the other classroom does not.
    await speaker.waitForEvent('media.producerAdded', (p) => p.producerId === producerId);
    await moderator.waitForEvent('media.producerAdded', (p) => p.producerId === producerId);
    expect(c1.eventsOf('media.producerAdded')).toEqual([]);
    expect(
      await c1.errorOf('media.consume', { transportId: 'x', producerId, rtpCapabilities }),
    ).toBe('FORBIDDEN');
    const consumer = await speaker.request('media.consume', {
      transportId: 'x',
      producerId,
      rtpCapabilities,
    });
    expect(consumer.paused).toBe(true);

    // Taken off stage: its producer is closed and everyone concerned is told.
    await moderator.request('stage.leave', {});
    await speaker.waitForEvent('media.producerClosed', (p) => p.producerId === producerId);
    expect(media.calls.some((c) => c.op === 'closeProducer' && c.detail === producerId)).toBe(true);
    expect(
      await c0.errorOf('media.produce', {
        transportId: t.transportId,
        kind: 'video',
        rtpParameters,
        source: 'stage',
      }),
    ).toBe('NOT_ON_STAGE');
    await closeAll(moderator, speaker, ...classes);
  });

  it('a declined invitation empties the stage; a second classroom cannot be invited over a live one', async () => {
    const { ev, moderator, speaker, classes } = await live(2);
    const [c0, c1] = classes as [TestClient, TestClient];
    await moderator.request('stage.invite', { classroomId: ev.classroomIds[0] as string });
    await c0.request('stage.respond', { accept: false });
    expect(
      (await env.db`select count(*)::int as n from stage where event_id = ${ev.eventId}`)[0]?.n,
    ).toBe(0);
    await moderator.request('stage.invite', { classroomId: ev.classroomIds[1] as string });
    await c1.request('stage.respond', { accept: true });
    expect(
      await moderator.errorOf('stage.invite', { classroomId: ev.classroomIds[0] as string }),
    ).toBe('INVALID_STATE');
    expect(await c0.errorOf('stage.invite', { classroomId: ev.classroomIds[0] as string })).toBe(
      'FORBIDDEN',
    );
    // The classroom can leave the stage on its own; another cannot make it leave.
    expect(await c0.errorOf('stage.leave', {})).toBe('NOT_ON_STAGE');
    await c1.request('stage.leave', {});
    const [row] = await env.db`select count(*)::int as n from stage where event_id = ${ev.eventId}`;
    expect(row?.n).toBe(0);
    await closeAll(moderator, speaker, ...classes);
  });
});

describe('a classroom on stage that disconnects', () => {
  async function onStage(n = 1) {
    const l = await live(n);
    const c0 = l.classes[0] as TestClient;
    await l.moderator.request('stage.invite', { classroomId: l.ev.classroomIds[0] as string });
    await c0.request('stage.respond', { accept: true });
    await l.moderator.waitForEvent('stage.updated', (s) => s.stage?.status === 'live');
    return { ...l, c0 };
  }

  it('leaves the stage: the moderator and the speaker see nobody on it, the audit says why', async () => {
    const { ev, moderator, speaker, classes, c0 } = await onStage();
    await c0.close();
    await moderator.waitForEvent('stage.updated', (s) => s.stage === null, GRACE_MS + 5000);
    await speaker.waitForEvent('stage.updated', (s) => s.stage === null, 5000);
    expect((await moderator.request('join', {})).state.stage).toBeNull();
    const [audit] = await env.db`select classroom_id, actor_role, action, details
      from moderation_actions where event_id = ${ev.eventId}`;
    expect(audit).toMatchObject({
      classroom_id: ev.classroomIds[0],
      actor_role: 'system',
      action: 'stage_leave',
      details: { reason: 'disconnected', status: 'live' },
    });
    await closeAll(moderator, speaker, ...classes);
  });

  it('keeps its place when it is back within the grace period', async () => {
    const { ev, moderator, speaker, classes, c0 } = await onStage();
    await c0.close();
    const back = await TestClient.connect(
      env.plane.url,
      ev.eventId,
      ev.tokens.classrooms[0] as string,
    );
    await new Promise((r) => setTimeout(r, GRACE_MS + 500));
    expect(moderator.eventsOf('stage.updated').filter((s) => s.stage === null)).toEqual([]);
    const { state } = await back.request('join', {});
    expect(state.stage).toMatchObject({ classroomId: ev.classroomIds[0], status: 'live' });
    await closeAll(moderator, speaker, back, ...classes);
  });
});

describe('media role checks', () => {
  it('speakers produce camera and screen, never as a classroom; moderators produce nothing', async () => {
    const { moderator, speaker, classes } = await live(1);
    const c0 = classes[0] as TestClient;
    const joined = await speaker.request('join', {});
    expect(joined.routerRtpCapabilities?.codecs?.[0]?.mimeType).toBe('audio/opus');
    const t = await speaker.request('media.createTransport', { direction: 'send' });
    await speaker.request('media.connectTransport', {
      transportId: t.transportId,
      dtlsParameters: t.dtlsParameters,
    });
    const cam = await speaker.request('media.produce', {
      transportId: t.transportId,
      kind: 'video',
      rtpParameters,
      source: 'camera',
    });
    expect(
      await speaker.errorOf('media.produce', {
        transportId: t.transportId,
        kind: 'video',
        rtpParameters,
        source: 'stage',
      }),
    ).toBe('FORBIDDEN');
    expect(await moderator.errorOf('media.createTransport', { direction: 'send' })).toBe(
      'FORBIDDEN',
    );
    expect(
      await moderator.errorOf('media.produce', {
        transportId: 'x',
        kind: 'audio',
        rtpParameters,
        source: 'camera',
      }),
    ).toBe('FORBIDDEN');
    // Classrooms see and consume the speaker.
    await c0.waitForEvent('media.producerAdded', (p) => p.producerId === cam.producerId);
    const recv = await c0.request('media.createTransport', { direction: 'recv' });
    const consumer = await c0.request('media.consume', {
      transportId: recv.transportId,
      producerId: cam.producerId,
      rtpCapabilities,
    });
    await c0.request('media.resumeConsumer', { consumerId: consumer.consumerId });
    await c0.request('media.setPreferredLayers', {
      consumerId: consumer.consumerId,
      spatialLayer: 0,
    });
    await c0.request('media.setAudioOnly', { audioOnly: true });
    expect(
      await c0.errorOf('media.consume', {
        transportId: recv.transportId,
        producerId: 'nope',
        rtpCapabilities,
      }),
    ).toBe('NOT_FOUND');
    // Nobody closes someone else's producer.
    expect(await c0.errorOf('media.closeProducer', { producerId: cam.producerId })).toBe(
      'NOT_FOUND',
    );
    expect(media.producers.has(cam.producerId)).toBe(true);
    // Disconnecting closes the participant's media and announces its producers' end.
    await speaker.close();
    await c0.waitForEvent('media.producerClosed', (p) => p.producerId === cam.producerId);
    expect(media.calls.filter((c) => c.op === 'closeParticipant').length).toBeGreaterThan(0);
    await closeAll(moderator, c0);
  });

  it('answers MEDIA_UNAVAILABLE when no media node is configured', async () => {
    const bare = await startInstance({ databaseUrl: await createTestDatabase() });
    try {
      const ev = await seedEvent(bare.url, { classrooms: 1 });
      const s = await TestClient.connect(bare.url, ev.eventId, ev.tokens.speaker);
      expect(await s.errorOf('media.createTransport', { direction: 'recv' })).toBe(
        'MEDIA_UNAVAILABLE',
      );
      expect((await s.request('join', {})).routerRtpCapabilities).toBeNull();
      await s.close();
    } finally {
      await bare.close();
    }
  });
});
